import { execFileSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { App, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { mix, referenceApplication } from './bench-app';
import { capacity } from './bench-capacity';
import { servicesUnderLoad } from './bench-services';
import { webAppsSizes } from './bench-web';
import {
  ClusterPerTenantTier,
  PooledEcsTier,
  SaasApplication,
  ServiceGroupOptions,
  SiloServiceTier,
  TableSharing,
  TenantRouter,
  TierCapacity,
  TierRouting,
  TierRoutingService,
  TokenIssuer,
} from '../src';
import { STOP_DRAIN_MINUTES } from '../src/contract/running-hours';
import { createAuthorizer, verifierFor } from '../src/router/lambda/authorizer';
import { DEFAULT_QUOTAS, planPlacements } from '../src/router/placement';
import { TenantScopedDynamo } from '../src/runtime';

/**
 * Benchmarks (docs/PERFORMANCE.md). Prints figures; asserts nothing. `--smoke` runs small sizes (CI keeps it working).
 */
const smoke = process.argv.includes('--smoke');
const out: string[] = [];
const print = (line = '') => {
  out.push(line);
  console.log(line);
};
const table = (head: string[], rows: Array<Array<string | number>>) => {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells: Array<string | number>) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  print(line(head));
  print(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  rows.forEach((r) => print(line(r)));
  print();
};

// ------------------------------------------------------------------------------------------------- prices
/** On-demand prices, us-east-1, USD (AWS price pages; see docs/PERFORMANCE.md). */
const PRICE = {
  fargateVcpuHour: 0.04048,
  fargateGbHour: 0.004445,
  fargateArmVcpuHour: 0.03238,
  fargateArmGbHour: 0.00356,
  /**
   * Fargate Spot's rates move with supply and demand; AWS gives "up to 70%" off. The table assumes 50% off, the low end
   * of what AWS has published, so Spot's saving is not overstated.
   */
  fargateSpotDiscount: 0.5,
  albHour: 0.0225,
  natHour: 0.045,
  ec2M6iLargeHour: 0.096,
  ec2M7gLargeHour: 0.0816,
  hoursPerMonth: 730,
};

async function main() {
  print(`# cdk-ecs-saas benchmarks${smoke ? ' (smoke)' : ''}`);
  print(`Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
  print();
  synthScale();
  perTenant();
  costTable();
  routing();
  capacity({ print, table });
  await credentials();
  await authorizer();
  await servicesUnderLoad({ smoke, print, table });
  webAppsSizes({ print, table });
}

// -------------------------------------------------------------------------------------------- 1. synth scale
function synthScale() {
  print('## Synthesis of the application plane (tenant mix: 50% basic, 40% advanced, 10% premium)');
  const sizes = smoke ? [10] : [10, 100, 1000];
  const rows: Array<Array<string | number>> = [];
  const results: Array<{ tenants: number; seconds: number }> = [];
  for (const n of sizes) {
    const json = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(__dirname, 'bench-synth.ts'), String(n)], {
      env: { ...process.env, TS_NODE_PROJECT: 'test/tsconfig.json' },
      maxBuffer: 64 * 1024 * 1024,
    }).toString().trim().split('\n').pop()!;
    const r = JSON.parse(json);
    results.push(r);
    const m = mix(n);
    rows.push([n, `${m.basic}/${m.advanced}/${m.premium}`, r.stacks, r.resources, r.shards, r.seconds.toFixed(1), r.peakRssMb]);
  }
  table(['tenants', 'basic/adv/prem', 'stacks', 'resources', 'shards', 'synth s', 'peak RSS MB'], rows);
  if (results.length > 1) {
    const [a, b] = [results[results.length - 2], results[results.length - 1]];
    print(`Marginal synthesis time between ${a.tenants} and ${b.tenants} tenants: ${((b.seconds - a.seconds) / (b.tenants - a.tenants) * 1000).toFixed(0)} ms per tenant.`);
    print();
  }
}

// ------------------------------------------------------------------------------------------ 2. per tenant
type TierKind = 'basic' | 'advanced' | 'advanced-routed' | 'premium-fargate' | 'premium-ec2';

function tierStack(kind: TierKind, tenants: number, options: ServiceGroupOptions = {}) {
  const app = new App();
  const shared = new Stack(app, 'Shared');
  const vpc = new ec2.Vpc(shared, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const cluster = new ecs.Cluster(shared, 'Cluster', { vpc });
  const products = new dynamodb.Table(shared, 'Products', { partitionKey: { name: 'tenantId', type: dynamodb.AttributeType.STRING } });
  const router = new TenantRouter(shared, 'Router', {
    vpc,
    application: referenceApplication(),
    issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['app'] })],
    tiers: [
      { tierName: 'basic', routing: TierRouting.SHARED },
      { tierName: 'advanced', routing: kind === 'advanced-routed' ? TierRouting.ROUTING_SERVICE : TierRouting.PER_TENANT },
      { tierName: 'premium', routing: TierRouting.PER_TENANT },
    ],
  });
  const stack = new Stack(app, 'Tenants');
  const application = referenceApplication();
  const ids = Array.from({ length: tenants }, (_, i) => `t${i}`);
  if (kind === 'basic') {
    const pooledApplication = new SaasApplication({
      tables: [{ name: 'products', sharing: TableSharing.POOLED }, { name: 'orders', sharing: TableSharing.POOLED }],
      services: application.services.map((s) => ({ ...s })),
    });
    const pooled = new PooledEcsTier(stack, 'Basic', { vpc, application: pooledApplication, pooledTables: { products }, ...options });
    router.addSharedTier('basic', pooled.routingTargets);
    ids.forEach((id) => router.addTenant(pooled.addTenant(id)));
  } else if (kind === 'advanced' || kind === 'advanced-routed') {
    // The shared routing mode: one routing service for the tier (in the tenants' stack, so that it counts in both
    // the 0-tenant and the n-tenant template: a fixed cost of the tier, not of a tenant).
    const routingService = kind === 'advanced-routed'
      ? new TierRoutingService(stack, 'Routing', { vpc, cluster, application, tierName: 'advanced', cpuArchitecture: options.cpuArchitecture, fargateSpot: options.fargateSpot })
      : undefined;
    const tier = new SiloServiceTier(stack, 'Advanced', { vpc, cluster, application, pooledTables: { products }, routingService, ...options });
    ids.forEach((id) => router.addTenant(tier.addTenant(id)));
  } else {
    const tier = new ClusterPerTenantTier(stack, 'Premium', {
      vpc,
      application,
      pooledTables: { products },
      capacity: kind === 'premium-ec2'
        ? TierCapacity.ec2({ instanceType: new ec2.InstanceType(options.cpuArchitecture === ecs.CpuArchitecture.ARM64 ? 'm7g.large' : 'm6i.large') })
        : TierCapacity.fargate(),
      ...options,
    });
    ids.forEach((id) => router.addTenant(tier.addTenant(id)));
  }
  const template = app.synth().getStackByName('Tenants').template;
  return template;
}

function perTenant() {
  print('## Per tenant: CloudFormation resources, template bytes and idle cost (3 services + tenant proxy, 2 tasks each)');
  const reference: Record<string, string> = { 'basic': '-', 'advanced': '47', 'premium-fargate': '49', 'premium-ec2': '71' };
  const rows: Array<Array<string | number>> = [];
  for (const kind of ['basic', 'advanced', 'premium-fargate', 'premium-ec2'] as const) {
    const zero = tierStack(kind, 0);
    const two = tierStack(kind, 2);
    const count = (t: any) => Object.keys(t.Resources ?? {}).length;
    const bytes = (t: any) => JSON.stringify(t).length;
    const resources = (count(two) - count(zero)) / 2;
    const kib = (bytes(two) - bytes(zero)) / 2 / 1024;
    const cost = (idleCost(two) - idleCost(zero)) / 2;
    const oneTask = (idleCost(two, { tasks: 1 }) - idleCost(zero, { tasks: 1 })) / 2;
    const arm = perTenantCost(kind, { cpuArchitecture: ecs.CpuArchitecture.ARM64 });
    const synth = synthPerTenant(kind);
    rows.push([kind, resources, reference[kind], kib.toFixed(1), resources > 0 ? Math.floor(500 / resources) : '∞', synth < 1 ? '<1' : synth.toFixed(0),
      `$${cost.toFixed(2)}`, `$${oneTask.toFixed(2)}`, `$${arm.toFixed(2)}`]);
  }
  table(['tier', 'resources / tenant', 'reference', 'KiB / tenant', 'tenants per stack (500)', 'synth ms / tenant',
    'idle $/month (defaults)', 'with 1 task per service', 'on Graviton prices'], rows);
  print('Defaults run 2 tasks per service (and the proxy) for availability. "1 task per service" is `minTasks: 1`;');
  print('"Graviton" is `cpuArchitecture: ARM64` (the images must be built for it; a multi-architecture image runs on both).');
  print(`Idle cost counts Fargate tasks (${PRICE.fargateVcpuHour} $/vCPU-h, ${PRICE.fargateGbHour} $/GB-h) and EC2 instances at their minimum`);
  print(`(m6i.large ${PRICE.ec2M6iLargeHour} $/h), ${PRICE.hoursPerMonth} h a month; on-demand tables cost nothing idle. Shared: one NAT gateway`);
  print(`$${(PRICE.natHour * PRICE.hoursPerMonth).toFixed(2)}/month (the reference runs three: $${(3 * PRICE.natHour * PRICE.hoursPerMonth).toFixed(2)}), one ALB per router shard $${(PRICE.albHour * PRICE.hoursPerMonth).toFixed(2)}/month before LCUs.`);
  print();
}

/** Synthesis time of one more tenant of a tier: (8 tenants - 4 tenants) / 4, in ms (8 premium EC2 tenants fill a stack). */
function synthPerTenant(kind: TierKind): number {
  const time = (n: number) => {
    const t0 = process.hrtime.bigint();
    tierStack(kind, n);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  time(1); // warm-up
  const [a, b] = smoke ? [2, 4] : [4, 8];
  time(a); // warm-up at the measured size
  return (time(b) - time(a)) / (b - a);
}

/**
 * Monthly idle cost of a template's compute, read from the template: Fargate services at their desired count, priced
 * by their task definition's architecture and split between on-demand and Spot by their capacity-provider strategy;
 * Auto Scaling groups at their minimum, priced by instance type.
 */
function idleCost(template: any, options: { tasks?: number } = {}): number {
  const resources = Object.entries<any>(template.Resources ?? {});
  const byId = template.Resources ?? {};
  let hourly = 0;
  for (const [, r] of resources) {
    const strategy: any[] | undefined = r.Properties?.CapacityProviderStrategy;
    const fargate = r.Properties?.LaunchType === 'FARGATE' || strategy?.every((x) => x.CapacityProvider === 'FARGATE' || x.CapacityProvider === 'FARGATE_SPOT');
    if (r.Type === 'AWS::ECS::Service' && fargate) {
      const td = byId[r.Properties.TaskDefinition?.Ref]?.Properties;
      if (td) {
        const arm = td.RuntimePlatform?.CpuArchitecture === 'ARM64';
        const taskHour = Number(td.Cpu) / 1024 * (arm ? PRICE.fargateArmVcpuHour : PRICE.fargateVcpuHour)
          + Number(td.Memory) / 1024 * (arm ? PRICE.fargateArmGbHour : PRICE.fargateGbHour);
        const tasks = options.tasks ?? r.Properties.DesiredCount ?? 2;
        const od = strategy?.find((x) => x.CapacityProvider === 'FARGATE');
        const spot = strategy?.find((x) => x.CapacityProvider === 'FARGATE_SPOT');
        const base = Math.min(tasks, Number(od?.Base ?? 0));
        const spotTasks = spot ? (tasks - base) * Number(spot.Weight) / (Number(spot.Weight) + Number(od?.Weight ?? 0)) : 0;
        hourly += (tasks - spotTasks) * taskHour + spotTasks * taskHour * (1 - PRICE.fargateSpotDiscount);
      }
    }
    if (r.Type === 'AWS::AutoScaling::AutoScalingGroup') {
      const lt = byId[r.Properties.LaunchTemplate?.LaunchTemplateId?.Ref]?.Properties?.LaunchTemplateData;
      hourly += Number(r.Properties.MinSize ?? 1) * (lt?.InstanceType === 'm7g.large' ? PRICE.ec2M7gLargeHour : PRICE.ec2M6iLargeHour);
    }
  }
  return hourly * PRICE.hoursPerMonth;
}

/** Idle cost of one more tenant of a tier with these options: (2 tenants - 0 tenants) / 2. */
function perTenantCost(kind: TierKind, options: ServiceGroupOptions = {}): number {
  return (idleCost(tierStack(kind, 2, options)) - idleCost(tierStack(kind, 0, options))) / 2;
}

/** The reference's silo tenant (its tenant template's services): rproxy, orders, products, users, 0.25 vCPU and 0.5 GB each. */
const REFERENCE_TENANT = { services: 4, vcpu: 0.25, gb: 0.5, tasksPerService: 1 };

// ------------------------------------------------------------------------------------------ 2b. cost table
function costTable() {
  print('## Idle cost per tenant per month, side by side (us-east-1 prices, 730 h)');
  const taskMonth = (REFERENCE_TENANT.vcpu * PRICE.fargateVcpuHour + REFERENCE_TENANT.gb * PRICE.fargateGbHour) * PRICE.hoursPerMonth;
  const reference = (tasks: number) => REFERENCE_TENANT.services * tasks * taskMonth;
  const cheapest: ServiceGroupOptions = {
    cpuArchitecture: ecs.CpuArchitecture.ARM64,
    fargateSpot: { onDemandBase: 1, onDemandWeight: 0, spotWeight: 1 },
  };
  const rows: Array<Array<string | number>> = [];
  for (const kind of ['advanced', 'advanced-routed', 'premium-fargate', 'premium-ec2'] as const) {
    const ours = perTenantCost(kind);
    const cheap = perTenantCost(kind, kind === 'premium-ec2' ? { cpuArchitecture: ecs.CpuArchitecture.ARM64 } : cheapest);
    const ref = kind === 'premium-ec2' ? '-' : `$${reference(1).toFixed(2)} (1 task) / $${reference(2).toFixed(2)} (2 tasks)`;
    rows.push([kind, ref, `$${ours.toFixed(2)}`, `$${cheap.toFixed(2)}`, kind === 'premium-ec2' ? '-' : `${((1 - cheap / reference(2)) * 100).toFixed(0)}%`]);
  }
  const routingTier = idleCost(tierStack('advanced-routed', 0)) - idleCost(tierStack('advanced', 0));
  const routingTierCheap = idleCost(tierStack('advanced-routed', 0, cheapest)) - idleCost(tierStack('advanced', 0, cheapest));
  const pool = idleCost(tierStack('basic', 0));
  rows.push(['basic (pooled)', '-', `$0.00 (the pool: $${pool.toFixed(2)} shared)`, `$0.00 (the pool: $${idleCost(tierStack('basic', 0, cheapest)).toFixed(2)} shared)`, '-']);
  table(['tier', 'reference\'s tenant', 'our default (2 tasks per service)', 'our cheapest with 2 tasks per service', 'below the reference at 2 tasks'], rows);
  // Running hours: the services and the proxy run only inside them (plus the 10-minute drain after the stop hour).
  const office = { startHour: 7, stopHour: 19, weekdaysOnly: true };
  const share = (5 * ((office.stopHour - office.startHour) * 60 + STOP_DRAIN_MINUTES)) / (7 * 24 * 60);
  print(`With \`runningHours\` Monday to Friday 07:00 to 19:00 UTC the tasks run ${(share * 100).toFixed(1)}% of the week: an advanced or premium`);
  print(`Fargate tenant costs $${(perTenantCost('advanced') * share).toFixed(2)} a month with the defaults, $${(perTenantCost('advanced', cheapest) * share).toFixed(2)} with the cheapest options.`);
  print('advanced-routed: the advanced tier behind a routing service (no proxy per tenant); the routing service itself costs the tier');
  print(`$${routingTier.toFixed(2)} a month with the defaults ($${routingTierCheap.toFixed(2)} cheapest), shared by all its tenants.`);
  print('Reference: its tenant template runs rproxy, orders, products and users, 0.25 vCPU and 0.5 GB each, 1 task each (its');
  print('developer guide shows 2); at equal availability (2 tasks per service) it costs the "2 tasks" figure. Ours: 3 services');
  print('and the proxy. Cheapest: `cpuArchitecture: ARM64` and `fargateSpot: { onDemandBase: 1, onDemandWeight: 0 }` (one');
  print('on-demand task per service, the rest on Spot); on EC2 capacity, Graviton instances (m7g.large).');
  print(`Prices: Fargate x86 $${PRICE.fargateVcpuHour}/vCPU-h and $${PRICE.fargateGbHour}/GB-h; ARM $${PRICE.fargateArmVcpuHour} and $${PRICE.fargateArmGbHour};`);
  print(`Spot at ${PRICE.fargateSpotDiscount * 100}% off on-demand (AWS: up to 70%, varying); m6i.large $${PRICE.ec2M6iLargeHour}/h, m7g.large $${PRICE.ec2M7gLargeHour}/h.`);
  print();
}

// -------------------------------------------------------------------------------------------- 3. routing
function routing() {
  print('## Routing capacity for silo tenants (tenant proxy: one rule and one target group each)');
  const rows: Array<Array<string | number>> = [];
  for (const n of [100, 1000, 10_000]) {
    const started = process.hrtime.bigint();
    const plan = planPlacements(Array.from({ length: n }, (_, i) => ({ key: `t${i}`, rules: 1, targetGroups: 1 })), [], DEFAULT_QUOTAS);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const shards = plan.shards.length;
    const limits: string[] = [];
    if (shards > 50) limits.push(`ALBs ${shards} > 50`);
    if (n > 3000) limits.push(`target groups ${n} > 3,000`);
    if (shards > 600) limits.push('APIs > 600');
    rows.push([n, shards, shards, Math.max(...plan.shards.map((s) => s.rules)), n, 1, ms.toFixed(0), limits.join('; ') || 'none']);
  }
  table(['silo tenants', 'ALBs', 'REST APIs', 'max rules/listener', 'target groups', 'VPC links', 'plan ms', 'routing quotas exceeded'], rows);
  print('Routing quotas only; every quota a tenant touches is in the capacity model below.');
  print();
}

// ------------------------------------------------------------------------------------ 4. credential vending
async function credentials() {
  const requests = smoke ? 1000 : 10_000;
  const tenants = 10;
  const delayMs = 10;
  const concurrency = 50;
  print(`## Credential vending: ${requests} requests over ${tenants} tenants, ${concurrency} at a time, STS stand-in answering in ${delayMs} ms`);
  const sts = mockClient(STSClient);
  let calls = 0;
  sts.on(AssumeRoleCommand).callsFake(async (input) => {
    calls++;
    await new Promise((r) => setTimeout(r, delayMs));
    return { Credentials: { AccessKeyId: `A${input.RoleSessionName}`, SecretAccessKey: 's', SessionToken: 't', Expiration: new Date(Date.now() + 3600_000) } };
  });
  const client = new STSClient({ region: 'us-east-1' });
  const run = async (fetch: (tenant: string) => Promise<unknown>) => {
    calls = 0;
    const latencies: number[] = [];
    let next = 0;
    const started = process.hrtime.bigint();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        const i = next++;
        const t0 = process.hrtime.bigint();
        await fetch(`tenant-${i % tenants}`);
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }));
    const total = Number(process.hrtime.bigint() - started) / 1e6;
    latencies.sort((a, b) => a - b);
    return { calls, mean: latencies.reduce((a, b) => a + b, 0) / latencies.length, p99: latencies[Math.floor(latencies.length * 0.99)], total };
  };
  const helper = new TenantScopedDynamo({ scoping: 'SESSION_TAGS', roleArn: 'arn:aws:iam::111111111111:role/tenant-access', tagKey: 'TenantId', sts: client });
  const cached = await run((t) => helper.credentials(t));
  const perRequest = await run((t) => client.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::111111111111:role/tenant-access', RoleSessionName: t })));
  table(['approach', 'STS calls', 'added latency mean ms', 'p99 ms', 'wall ms'], [
    ['runtime helper (cached per tenant)', cached.calls, cached.mean.toFixed(2), cached.p99.toFixed(2), cached.total.toFixed(0)],
    ['one AssumeRole per request (reference)', perRequest.calls, perRequest.mean.toFixed(2), perRequest.p99.toFixed(2), perRequest.total.toFixed(0)],
  ]);
  sts.restore();
}

// ------------------------------------------------------------------------------------------- 5. authorizer
async function authorizer() {
  const n = smoke ? 200 : 2000;
  print(`## Authorizer: ${n} decisions with the issuer's keys cached (RS256, local keys)`);
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const issuer = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Bench';
  const config = {
    issuers: [{ issuer, audiences: ['client'], tokenUse: 'id' as const }],
    claims: { tenantId: 'custom:tenantId', tier: 'custom:tenantTier', role: 'custom:userRole' },
    tiers: { advanced: { routing: 'PER_TENANT' as const } },
    roleRules: [],
  };
  const verifier = verifierFor(config);
  verifier.cacheJwks({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k', alg: 'RS256', use: 'sig' }] } as any, issuer);
  const authorize = createAuthorizer(config, async () => 'key', verifier, () => undefined);
  const tokens = await Promise.all(Array.from({ length: 100 }, (_, i) => new SignJWT({ 'token_use': 'id', 'custom:tenantId': `t${i % 10}`, 'custom:tenantTier': 'advanced', 'custom:userRole': 'User' })
    .setProtectedHeader({ alg: 'RS256', kid: 'k' }).setIssuer(issuer).setAudience('client').setIssuedAt().setExpirationTime('1h').sign(privateKey)));
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    await authorize({ methodArn: 'arn:aws:execute-api:us-east-1:111111111111:api/prod/GET/products', headers: { Authorization: `Bearer ${tokens[i % tokens.length]}` } });
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const perSecond = n / seconds;
  // API Gateway caches a decision per token for the TTL: 100 users making 10,000 requests in 5 minutes.
  table(['measure', 'value'], [
    ['decisions per second (one core)', perSecond.toFixed(0)],
    ['mean decision time ms', (seconds * 1000 / n).toFixed(3)],
    ['invocations for 10,000 requests of 100 users in 5 min, no decision cache', 10_000],
    ['the same with the 5-minute decision cache', 100],
  ]);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
