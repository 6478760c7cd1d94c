import * as fs from 'fs';
import * as path from 'path';
import { arrivals, cellSizing, cellsWithinQuotas, exactCellOverruns, placeAtRunTime, placeInCells } from '../scripts/capacity/cells';
import { exampleCapacity } from '../scripts/capacity/example-models';
import { ceiling, COMPUTE_QUOTAS, quotaById, quotaValue, templateUsage, TierModel } from '../scripts/capacity/model';
import { QUOTAS } from '../scripts/capacity/quotas';

/** The capacity model (docs/capacity.md): its counting, its search for the first quota, and the example's figures. */
describe('templateUsage', () => {
  const template = {
    Resources: {
      Role: { Type: 'AWS::IAM::Role' },
      Role2: { Type: 'AWS::IAM::Role' },
      Logs: { Type: 'AWS::Logs::LogGroup' },
      Td: { Type: 'AWS::ECS::TaskDefinition', Properties: { NetworkMode: 'awsvpc', Cpu: '512' } },
      Plain: { Type: 'AWS::ECS::Service', Properties: { LaunchType: 'FARGATE', DesiredCount: 2, TaskDefinition: { Ref: 'Td' } } },
      Spot: {
        Type: 'AWS::ECS::Service',
        Properties: {
          DesiredCount: 5,
          TaskDefinition: { Ref: 'Td' },
          CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Base: 1, Weight: 1 }, { CapacityProvider: 'FARGATE_SPOT', Weight: 3 }],
        },
      },
      Alb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: {} },
      Nlb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Type: 'network' } },
      Lt: { Type: 'AWS::EC2::LaunchTemplate', Properties: { LaunchTemplateData: { InstanceType: 'm6i.2xlarge' } } },
      Asg: { Type: 'AWS::AutoScaling::AutoScalingGroup', Properties: { MinSize: '2', LaunchTemplate: { LaunchTemplateId: { Ref: 'Lt' } } } },
      Table: { Type: 'AWS::DynamoDB::Table' },
    },
  };

  test('counts each resource against its quota, the template itself as a stack', () => {
    const u = templateUsage(template);
    expect(u).toMatchObject({ 'iam.roles': 2, 'logs.logGroups': 1, 'elb.albs': 1, 'elb.nlbs': 1, 'dynamodb.tables': 1, 'cloudformation.stacks': 1 });
  });

  test('tasks take an ENI each (and instances one), Fargate vCPUs split between on-demand and Spot by base and weights', () => {
    const u = templateUsage(template);
    expect(u['vpc.networkInterfaces']).toBe(2 + 5 + 2);
    // Plain: 2 × 0.5; Spot: base 1, then 4 tasks split 1:3 → 1 + 1 on-demand, 3 Spot.
    expect(u['fargate.onDemandVcpu']).toBeCloseTo(1 + 2 * 0.5);
    expect(u['fargate.spotVcpu']).toBeCloseTo(3 * 0.5);
    expect(u['ec2.onDemandStandardVcpu']).toBe(2 * 8);
  });
});

describe('ceiling', () => {
  const model = (over: Partial<TierModel> = {}): TierModel => ({
    tier: 't', perTenant: {}, perShard: {}, tenantsPerShard: Infinity, fixed: {}, shared: [], fits: [], ...over,
  });

  test('the first Region quota reached, with the fixed infrastructure counted', () => {
    const c = ceiling(model({ perTenant: { 'iam.roles': 8, 'cloudmap.namespaces': 1 }, fixed: { 'iam.roles': 40, 'cloudmap.namespaces': 4 } }), 'default');
    expect(c.tenants).toBe(46);
    expect(c.quota!.id).toBe('cloudmap.namespaces');
    // At their maximums: the namespaces quota has no published one, roles go to 5,000: (5000 - 40) / 8.
    const max = ceiling(model({ perTenant: { 'iam.roles': 8, 'cloudmap.namespaces': 1 }, fixed: { 'iam.roles': 40, 'cloudmap.namespaces': 4 } }), 'maximum');
    expect(max).toMatchObject({ tenants: 620, quota: quotaById('iam.roles') });
  });

  test('shards are counted as tenants fill them', () => {
    // 100 tenants a shard, one ALB each: 50 ALBs at 5,000 tenants, the 5,001st opens the 51st.
    const c = ceiling(model({ perShard: { 'elb.albs': 1 }, tenantsPerShard: 100 }), 'default');
    expect(c).toMatchObject({ tenants: 5000, quota: quotaById('elb.albs') });
  });

  test('a quota on one shared resource, and a resource each tenant must fit', () => {
    expect(ceiling(model({ shared: [{ quotaId: 'ecs.servicesPerCluster', perTenant: 4, base: 8, resources: 1 }] }), 'default'))
      .toMatchObject({ tenants: 1248, quota: quotaById('ecs.servicesPerCluster') });
    expect(ceiling(model({ fits: [{ quotaId: 'cloudformation.resourcesPerStack', amount: 501 }] }), 'default'))
      .toMatchObject({ tenants: 0, quota: quotaById('cloudformation.resourcesPerStack') });
  });

  test('excluded quotas and design limits', () => {
    const m = model({ perTenant: { 'fargate.onDemandVcpu': 2, 'iam.roles': 4 }, design: [{ name: 'EC2 capacity', capacity: 100, base: 16, perTenant: 8 }] });
    expect(ceiling(m, 'default').quota!.id).toBe('fargate.onDemandVcpu');
    expect(ceiling(m, 'default', COMPUTE_QUOTAS)).toMatchObject({ tenants: 250, quota: quotaById('iam.roles') });
    expect(ceiling(m, 'default', COMPUTE_QUOTAS, true)).toMatchObject({ tenants: 10, design: m.design![0] });
  });

  test('quota values: the default, or the published maximum of an adjustable quota (unbounded without one)', () => {
    expect(quotaValue(quotaById('iam.roles'), 'maximum')).toBe(5000);
    expect(quotaValue(quotaById('apigw.regionalRestApis'), 'maximum')).toBe(600);
    expect(quotaValue(quotaById('cloudmap.namespaces'), 'maximum')).toBe(Infinity);
    for (const q of QUOTAS) {
      expect(q.url).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
      if (!q.adjustable) {
        expect(q.maximum ?? q.default).toBe(q.default);
      }
    }
  });
});

describe('the example', () => {
  const before = exampleCapacity({ perTenantSiloResources: true });
  const after = exampleCapacity();
  const tier = (c: typeof before, name: string) => c.tiers.find((t) => t.tier === name)!;

  test('with the tiers\' defaults, a silo tenant takes a namespace, 8 roles and 8 log groups, and Cloud Map\'s 50 namespaces come first', () => {
    for (const name of ['advanced', 'premium']) {
      expect(tier(before, name).perTenant).toMatchObject({ 'cloudmap.namespaces': 1, 'iam.roles': 8, 'logs.logGroups': 8 });
      expect(ceiling(tier(before, name), 'default', COMPUTE_QUOTAS).quota!.id).toBe('cloudmap.namespaces');
    }
  });

  test('sharing them per tier, a silo tenant takes no namespace, 4 roles and no log group: the shared namespace\'s instances come first', () => {
    for (const name of ['advanced', 'premium']) {
      expect(tier(after, name).perTenant['cloudmap.namespaces'] ?? 0).toBe(0);
      expect(tier(after, name).perTenant['logs.logGroups'] ?? 0).toBe(0);
      expect(tier(after, name).perTenant['iam.roles']).toBe(4);
      // Every task of every tenant (3 services at their 10 tasks at most) registers in the one namespace: 2,000.
      const c = ceiling(tier(after, name), 'default', COMPUTE_QUOTAS);
      expect({ quota: c.quota!.id, tenants: c.tenants }).toEqual({ quota: 'cloudmap.instancesPerNamespace', tenants: name === 'advanced' ? 64 : 65 });
      // That quota is adjustable, with no published maximum: then IAM roles, past 1,200 tenants.
      const max = ceiling(tier(after, name), 'maximum', COMPUTE_QUOTAS);
      expect(max.quota!.id).toBe('iam.roles');
      expect(max.tenants).toBeGreaterThan(1200);
    }
  });

  test('behind a routing service, an advanced tenant has no target group or rule (it takes no shard room), 3 roles and 6 tasks', () => {
    const routed = exampleCapacity({ advancedRoutingService: true });
    const advanced = tier(routed, 'advanced');
    expect(advanced.tenantsPerShard).toBe(Infinity);
    expect(advanced.perTenant['elb.targetGroups'] ?? 0).toBe(0);
    expect(advanced.perTenant['iam.roles']).toBe(3);
    expect(advanced.perTenant['vpc.networkInterfaces']).toBe(6);
    expect(ceiling(advanced, 'maximum', COMPUTE_QUOTAS).tenants).toBeGreaterThan(ceiling(tier(after, 'advanced'), 'maximum', COMPUTE_QUOTAS).tenants);
  });

  test('the advanced tier\'s EC2 capacity holds its declared tenants and more', () => {
    const d = tier(after, 'advanced').design!;
    expect(d).toHaveLength(1);
    expect(d[0].capacity).toBeGreaterThan(d[0].base + d[0].perTenant);
  });

  test('run-time tenants have the free slots of the deploy-time shards, then those of the shards onboarding opens', () => {
    expect(after.runtimeSlots).toBe(97);
    expect(after.openedSlots).toBe(900);
  });
});

test('docs/capacity.md lists every quota of the model with its default and its page', () => {
  const doc = fs.readFileSync(path.join(__dirname, '..', 'docs', 'capacity.md'), 'utf8');
  for (const q of QUOTAS) {
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${q.id}\` |`));
    expect({ id: q.id, row }).toEqual({ id: q.id, row: expect.stringContaining(`| ${q.default.toLocaleString('en-US')} |`) });
    expect(row).toContain(q.url);
  }
});

describe('cells', () => {
  const silo = (tier: string, roles: number): TierModel => ({
    tier, perTenant: { 'iam.roles': roles, 'elb.targetGroups': 1 }, perShard: { 'elb.albs': 1 }, tenantsPerShard: 100, fixed: {}, shared: [], fits: [],
  });

  test('arrivals interleave the tiers by their shares', () => {
    expect(arrivals(10, { basic: 5, advanced: 4, premium: 1 })).toHaveLength(10);
    const counts: Record<string, number> = {};
    arrivals(1000, { basic: 5, advanced: 4, premium: 1 }).forEach((t) => counts[t] = (counts[t] ?? 0) + 1);
    expect(counts).toEqual({ basic: 500, advanced: 400, premium: 100 });
  });

  test('first fit, then a new cell; the binding quota of each cell; the fixed part counted in every cell', () => {
    // 1,000 roles: 100 fixed, 9 per tenant → 100 tenants per cell.
    const plan = placeInCells(Array.from({ length: 250 }, () => 'advanced'), [silo('advanced', 9)], { 'iam.roles': 100 });
    expect(plan.cells.map((c) => c.tenants.advanced)).toEqual([100, 100, 50]);
    expect(plan.binding[0]).toMatchObject({ quota: quotaById('iam.roles'), used: 1000, limit: 1000 });
    expect(plan.cells[0].shards).toBe(1);
    expect(cellsWithinQuotas(plan)).toEqual([]);
  });

  test('a shared resource\'s quota (services per cluster) closes a cell too', () => {
    const model = { ...silo('advanced', 1), shared: [{ quotaId: 'ecs.servicesPerCluster', perTenant: 1000, base: 0, resources: 1 }] };
    expect(placeInCells(Array.from({ length: 11 }, () => 'advanced'), [model], {}).cells.map((c) => c.tenants.advanced)).toEqual([5, 5, 1]);
  });

  test('the check finds a cell over a quota, and a tenant that fits no cell is refused', () => {
    const plan = placeInCells(['advanced'], [silo('advanced', 1)], {});
    (plan.cells[0].usage as any)['iam.roles'] = 1001;
    expect(cellsWithinQuotas(plan)).toEqual(['cell 0: iam.roles 1001 > 1000']);
    expect(() => placeInCells(['advanced'], [silo('advanced', 1001)], {})).toThrow("A tenant of tier 'advanced' does not fit in an empty cell.");
    expect(() => placeInCells(['gold'], [silo('advanced', 1)], {})).toThrow("No capacity model for tier 'gold'.");
  });

  test('the example: 10,000 silo tenants in cells that each stay inside the default quotas', () => {
    const c = exampleCapacity();
    const plan = placeInCells(arrivals(10_000, { advanced: 4, premium: 1 }), c.tiers, c.applicationPlane);
    expect(plan.placed).toBe(10_000);
    expect(cellsWithinQuotas(plan)).toEqual([]);
    // Bound by Cloud Map's instances per shared namespace (64 advanced tenants at their largest): docs/capacity.md.
    expect(plan.cells.length).toBeLessThanOrEqual(125);
  });

  test('sizing for the placement: a tenant\'s share of a shard, and one shard kept aside in every limit', () => {
    const sizing = cellSizing([silo('advanced', 9)], { 'iam.roles': 100 });
    expect(sizing.tiers.advanced).toEqual({ 'iam.roles': 9, 'elb.targetGroups': 1, 'elb.albs': 0.01 });
    expect(sizing.limits).toMatchObject({ 'iam.roles': 900, 'elb.albs': 49, 'elb.targetGroups': 3000 });
    // Two shared resources under one quota are limited apart.
    const two = {
      ...silo('advanced', 1),
      shared: [
        { quotaId: 'cloudmap.instancesPerNamespace', perTenant: 30, base: 60, resources: 1 },
        { quotaId: 'cloudmap.instancesPerNamespace', perTenant: 20, base: 0, resources: 1 },
      ],
    };
    const s2 = cellSizing([two], {});
    expect(s2.limits).toMatchObject({ 'advanced/cloudmap.instancesPerNamespace': 1940, 'advanced/cloudmap.instancesPerNamespace/2': 2000 });
    expect(s2.tiers.advanced).toMatchObject({ 'advanced/cloudmap.instancesPerNamespace': 30, 'advanced/cloudmap.instancesPerNamespace/2': 20 });
  });

  test('placed with the function\'s arithmetic, every cell is within its quotas counted exactly; a cell over one is found', () => {
    const models = [silo('advanced', 9)];
    const cells = placeAtRunTime(Array.from({ length: 250 }, () => 'advanced'), cellSizing(models, { 'iam.roles': 100 }));
    expect(cells.map((c) => c.advanced)).toEqual([100, 100, 50]);
    expect(cells.flatMap((t) => exactCellOverruns(models, { 'iam.roles': 100 }, t))).toEqual([]);
    expect(exactCellOverruns(models, { 'iam.roles': 100 }, { advanced: 101 })).toEqual(['iam.roles 1009 > 1000']);
  });

  test('the example at run time: 10,000 silo tenants take as many cells as the exact simulation, each within its quotas', () => {
    const c = exampleCapacity();
    const order = arrivals(10_000, { advanced: 4, premium: 1 });
    const cells = placeAtRunTime(order, cellSizing(c.tiers, c.applicationPlane));
    expect(cells.reduce((n, t) => n + (t.advanced ?? 0) + (t.premium ?? 0), 0)).toBe(10_000);
    expect(cells.length).toBe(placeInCells(order, c.tiers, c.applicationPlane).cells.length);
    expect(cells.flatMap((t) => exactCellOverruns(c.tiers, c.applicationPlane, t))).toEqual([]);
  });
});
