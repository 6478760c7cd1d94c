import { App, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { SiloServiceTier, TenantRouter, TierRouting, TokenIssuer } from '../src';
import { bridgeApplication } from './util/fixtures';

/**
 * Scale: an app with 1,000 silo tenants (ten per tenant stack, as a provisioning pipeline would deploy them)
 * synthesizes, and every shard stays within the load balancer quotas with no priority shared on a listener.
 * Measured, not timed: the synth time is printed for docs/PERFORMANCE.md, never asserted.
 */
const TENANTS = 1000;
const PER_STACK = 10;

test(`${TENANTS} silo tenants synthesize within every quota`, () => {
  const started = Date.now();
  const app = new App();
  const env = { account: '111111111111', region: 'us-east-1' };
  const shared = new Stack(app, 'Shared', { env });
  const vpc = new ec2.Vpc(shared, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const cluster = new ecs.Cluster(shared, 'Cluster', { vpc });
  const products = new dynamodb.Table(shared, 'Products', { partitionKey: { name: 'tenantId', type: dynamodb.AttributeType.STRING } });
  const application = bridgeApplication();
  const router = new TenantRouter(shared, 'Router', {
    vpc,
    application,
    issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['app'] })],
    tiers: [{ tierName: 'advanced', routing: TierRouting.PER_TENANT }],
  });
  for (let s = 0; s < TENANTS / PER_STACK; s++) {
    const stack = new Stack(app, `Tenants${s}`, { env });
    const tier = new SiloServiceTier(stack, 'Advanced', { vpc, cluster, application, pooledTables: { products } });
    for (let i = 0; i < PER_STACK; i++) {
      router.addTenant(tier.addTenant(`tenant-${s * PER_STACK + i}`));
    }
  }
  const assembly = app.synth();
  const seconds = (Date.now() - started) / 1000;

  // Every route is placed; shards hold at most 100 rules (one target group each), priorities unique per shard.
  expect(router.placements).toHaveLength(TENANTS);
  expect(router.shards).toHaveLength(10);
  const perShard = new Map<number, Set<number>>();
  for (const p of router.placements) {
    const set = perShard.get(p.shard) ?? new Set<number>();
    expect(set.has(p.priority)).toBe(false);
    set.add(p.priority);
    perShard.set(p.shard, set);
  }
  for (const set of perShard.values()) {
    expect(set.size).toBeLessThanOrEqual(100);
  }

  // The same, read back from the templates: rules grouped by the listener they attach to.
  const rulesByListener = new Map<string, number[]>();
  let targetGroups = 0;
  for (const artifact of assembly.stacks) {
    const template = artifact.template;
    const resources = Object.values<any>(template.Resources);
    expect(resources.length).toBeLessThanOrEqual(500);
    expect(JSON.stringify(template).length).toBeLessThan(1_000_000);
    for (const r of resources) {
      if (r.Type === 'AWS::ElasticLoadBalancingV2::ListenerRule') {
        const listener = JSON.stringify(r.Properties.ListenerArn);
        rulesByListener.set(listener, [...(rulesByListener.get(listener) ?? []), r.Properties.Priority]);
      }
      if (r.Type === 'AWS::ElasticLoadBalancingV2::TargetGroup') {
        targetGroups++;
      }
    }
  }
  expect(rulesByListener.size).toBe(10);
  for (const priorities of rulesByListener.values()) {
    expect(priorities.length).toBeLessThanOrEqual(100);
    expect(new Set(priorities).size).toBe(priorities.length);
  }
  expect(targetGroups).toBe(TENANTS);
  // eslint-disable-next-line no-console
  console.log(`${TENANTS} tenants: ${assembly.stacks.length} stacks, ${router.shards.length} shards, synthesized in ${seconds.toFixed(1)} s`);
}, 600_000);
