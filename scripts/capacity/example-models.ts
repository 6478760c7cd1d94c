/**
 * The capacity model of the example app: its tiers' footprints read from the templates that the example synthesizes
 * (docs/capacity.md).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { IConstruct } from 'constructs';
import { DesignLimit, FixedFit, SharedLimit, sum, templateUsage, TierModel, Usage, quotaById } from './model';
import { ExampleAppOptions } from '../../examples/saas-app';
import { APPLICATION_PLANE, synthesizeExample } from '../../examples/synthesize';
import { ClusterPerTenantTier } from '../../src';
import { RUNTIME_SHARDS_MAX } from '../../src/lifecycle/lifecycle-worker';

/** The example's tiers as the capacity model sees them, and what today's run-time onboarding can place. */
export interface ExampleCapacity {
  readonly tiers: TierModel[];
  /** Tenants that run-time onboarding can still place in the router's deploy-time shards (slots free). */
  readonly runtimeSlots: number;
  /** Tenants the shards that run-time onboarding may open can hold (0 without `openShardsAtRunTime`). */
  readonly openedSlots: number;
  /** Resources per template, by tier. */
  readonly templateResources: Record<string, number>;
  /** What the application plane's own stacks count (a cell's fixed part). */
  readonly applicationPlane: Usage;
  readonly outdir: string;
}

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

/** Synthesizes the example with `options` and models its tiers. */
export function exampleCapacity(options: Partial<ExampleAppOptions> = {}): ExampleCapacity {
  const { outdir, example } = synthesizeExample(options);
  const files = fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json'));
  const deployed = files.filter((f) => !f.includes('.product.'));
  const fixed = sum(...deployed.map((f) => templateUsage(readJson(path.join(outdir, f)))));
  // The application plane alone (its stack and nested shard stacks): what each cell of a multi-cell app repeats.
  const applicationPlane = sum(...deployed.filter((f) => f.startsWith(APPLICATION_PLANE)).map((f) => templateUsage(readJson(path.join(outdir, f)))));
  const plane = example.applicationPlane;
  const router = plane.router;

  // One router shard: its nested template (the first shard's; every shard is built the same).
  const shardFile = files.find((f) => f.includes('RouterShard') && f.endsWith('.nested.template.json'));
  if (!shardFile) {
    throw new Error(`No router shard template in ${outdir}.`);
  }
  const perShard = templateUsage(readJson(path.join(outdir, shardFile)));

  const product = (tier: string) => {
    const template = plane.templates.find((t) => t.tierName === tier)!;
    const file = files.find((f) => f.includes('.product.') && f.startsWith(template.node.path.replace(/\//g, '').slice(0, 30)))
      ?? files.find((f) => f.includes('.product.') && f.toLowerCase().includes(`${tier}tenant`));
    if (!file) {
      throw new Error(`No product template for tier ${tier} in ${outdir}.`);
    }
    return readJson(path.join(outdir, file));
  };

  const tiers: TierModel[] = [];
  const templateResources: Record<string, number> = {};
  // A tenant of a tier with keys per tenant holds an API key the lifecycle creates at run time (in no template).
  const keyedTiers = Object.keys(router._tenantKeys()?.tierPlans ?? {});
  const runtimeKey = (tier: string): Usage => (keyedTiers.includes(tier) ? { 'apigw.apiKeys': 1 } : {});

  // Basic: a tenant is a user (its administrator) in the shared pool, and items in the pooled tables.
  const basicUsers = plane.tiers[0].tenants.length;
  tiers.push({
    tier: 'basic',
    perTenant: runtimeKey('basic'),
    perShard: {},
    tenantsPerShard: Infinity,
    fixed,
    shared: [{ quotaId: 'cognito.usersPerUserPool', perTenant: 1, base: basicUsers, resources: 1 }],
    fits: [],
  });

  for (const tier of ['advanced', 'premium']) {
    const template = product(tier);
    const perTenant = sum(templateUsage(template), runtimeKey(tier));
    const resources = Object.values<any>(template.Resources);
    templateResources[tier] = resources.length;
    const services = resources.filter((r) => r.Type === 'AWS::ECS::Service');
    const targets = resources.filter((r) => r.Type === 'AWS::ApplicationAutoScaling::ScalableTarget');
    const maxTasks = Math.max(...targets.map((t) => Number(t.Properties.MaxCapacity)));
    const rules = resources.filter((r) => r.Type === 'AWS::ElasticLoadBalancingV2::ListenerRule').length;
    const targetGroups = resources.filter((r) => r.Type === 'AWS::ElasticLoadBalancingV2::TargetGroup').length;
    // Service Connect servers register one Cloud Map instance per task; the proxy is a client only.
    const servers = services.filter((s) => (s.Properties.ServiceConnectConfiguration?.Services ?? []).length > 0).length;
    const ingress = resources.filter((r) => r.Type === 'AWS::EC2::SecurityGroupIngress').length;
    // Behind a routing service a tenant has no rule or target group: it takes no room in any shard.
    const tenantsPerShard = rules === 0 && targetGroups === 0 ? Infinity : Math.min(
      Math.floor(router.quotas.rulesPerListener! / Math.max(rules, 1)),
      Math.floor(router.quotas.targetGroupsPerLoadBalancer! / Math.max(targetGroups, 1)),
      Math.floor(quotaById('elb.targetsPerAlb').default / maxTasks),
    );
    const declared = plane.tiers.find((t) => t.tierName === tier)!.tenants.length;
    const shared: SharedLimit[] = [];
    // Service Connect registers each task of a server service in the namespace: the tenant's own, or one the tier's
    // tenants share (then every tenant's tasks count against that one namespace).
    const ownNamespace = resources.some((r) => r.Type === 'AWS::ServiceDiscovery::HttpNamespace');
    if (!ownNamespace) {
      shared.push({ quotaId: 'cloudmap.instancesPerNamespace', perTenant: servers * maxTasks, base: declared * servers * maxTasks, resources: 1 });
    }
    const fits: FixedFit[] = [
      { quotaId: 'cloudformation.resourcesPerStack', amount: resources.length },
      ...(ownNamespace ? [{ quotaId: 'cloudmap.instancesPerNamespace', amount: servers * maxTasks }] : []),
      { quotaId: 'cloudmap.instancesPerService', amount: maxTasks },
      { quotaId: 'elb.targetsPerTargetGroup', amount: maxTasks },
      { quotaId: 'vpc.inboundRulesPerSecurityGroup', amount: ingress },
    ];
    // Behind a routing service, every task of the tier's tenants has an A record in its one DNS namespace.
    const registered = services.filter((s) => (s.Properties.ServiceRegistries ?? []).length > 0).length;
    if (registered > 0) {
      shared.push({ quotaId: 'cloudmap.instancesPerNamespace', perTenant: registered * maxTasks, base: declared * registered * maxTasks, resources: 1 });
    }
    if (resources.some((r) => r.Type === 'AWS::ECS::Cluster')) {
      fits.push({ quotaId: 'ecs.servicesPerCluster', amount: services.length });
    } else {
      // The tier's tenants share one cluster, with the declared tenants' services.
      shared.push({ quotaId: 'ecs.servicesPerCluster', perTenant: services.length, base: declared * services.length, resources: 1 });
    }
    const tasks = services.reduce((n, s) => n + Number(s.Properties.DesiredCount ?? 1), 0);
    const design = ec2TaskSlots(plane.tiers.find((t) => t.tierName === tier)!, declared * tasks, tasks);
    tiers.push({ tier, perTenant, perShard, tenantsPerShard, fixed, shared, fits, design });
  }

  // Run-time tenants take slots in the shards open to them at deploy time (today nothing opens one at run time).
  const open = router.provisioningShards.map((s) => s.index);
  const reserved = router.placements.filter((p) => open.includes(p.shard)).reduce((n, p) => n + p.rules, 0);
  const runtimeSlots = open.length * router.quotas.rulesPerListener! - reserved;
  // Shards the lifecycle opens at run time, each with the listener's rules less the router's own on it.
  const openedSlots = router.shardTemplate ? RUNTIME_SHARDS_MAX * (router.quotas.rulesPerListener! - router._runtimeShardPriorities.length) : 0;
  return { tiers, runtimeSlots, openedSlots, templateResources, outdir, applicationPlane };
}

/** awsvpc tasks one container instance places: its ENIs less the primary, or with trunking the branch ENIs. */
const TASKS_PER_INSTANCE: Record<string, { plain: number; trunking: number }> = {
  // ENIs per instance (3) from the EC2 instance-type table; with trunking, AWS's documented figure for a large
  // instance (c5.large: 12 ENIs, 10 tasks; docs/capacity.md).
  'm6i.large': { plain: 2, trunking: 10 },
  'm7g.large': { plain: 2, trunking: 10 },
};

/**
 * The awsvpc tasks a tier's shared EC2 capacity can place at its largest (max instances × tasks per instance), or
 * nothing for Fargate capacity and for clusters per tenant (each sized for its tenant).
 */
function ec2TaskSlots(tier: IConstruct, base: number, perTenant: number): DesignLimit[] {
  const groups = tier.node.findAll().filter((c): c is autoscaling.CfnAutoScalingGroup => c instanceof autoscaling.CfnAutoScalingGroup);
  if (groups.length !== 1 || tier instanceof ClusterPerTenantTier) {
    return [];
  }
  const launchTemplate = tier.node.findAll().find((c): c is ec2.LaunchTemplate => c instanceof ec2.LaunchTemplate);
  const type = String(launchTemplate?.instanceType ?? 'm6i.large');
  const trunking = tier.node.findAll().some((c) => c.node.id === 'AwsvpcTrunking');
  const perInstance = TASKS_PER_INSTANCE[type];
  if (!perInstance) {
    throw new Error(`The capacity model does not know how many awsvpc tasks a ${type} places: add it to TASKS_PER_INSTANCE.`);
  }
  const max = Number(groups[0].maxSize);
  const each = trunking ? perInstance.trunking : perInstance.plain;
  return [{ name: `EC2 capacity: ${max} × ${type}${trunking ? ' with ENI trunking' : ''}, ${each} awsvpc tasks each`, capacity: max * each, base, perTenant }];
}
