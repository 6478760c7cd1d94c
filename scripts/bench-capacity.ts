/**
 * The capacity model's tables (docs/capacity.md): per tier, what one tenant counts against AWS quotas and the number
 * of tenants at which the first quota is reached, for the example as it ships and with the tiers' per-tenant
 * defaults (before the shared namespace and task execution).
 */
import { arrivals, cellSizing, cellsWithinQuotas, exactCellOverruns, placeAtRunTime, placeInCells } from './capacity/cells';
import { exampleCapacity } from './capacity/example-models';
import { ceiling, COMPUTE_QUOTAS, describe, quotaValue, QuotaLevel, TierModel } from './capacity/model';
import { QUOTAS } from './capacity/quotas';

type Row = Array<string | number>;
interface Output {
  readonly print: (line?: string) => void;
  readonly table: (head: string[], rows: Row[]) => void;
}

const FOOTPRINT = [
  ['iam.roles', 'roles'],
  ['logs.logGroups', 'log groups'],
  ['cloudmap.namespaces', 'namespaces'],
  ['vpc.securityGroups', 'SGs'],
  ['vpc.networkInterfaces', 'ENIs'],
  ['dynamodb.tables', 'tables'],
  ['cognito.userPools', 'user pools'],
  ['elb.targetGroups', 'target groups'],
  ['autoscaling.scalableTargets', 'scalable targets'],
  ['ecs.clusters', 'clusters'],
  ['cloudformation.stacks', 'stacks'],
  ['fargate.onDemandVcpu', 'Fargate vCPU'],
] as const;

const count = (n: number) => (Number.isFinite(n) ? n.toLocaleString('en-US') : 'unbounded');

function ceilingCell(model: TierModel, level: QuotaLevel, exclude: string[]): string {
  const c = ceiling(model, level, exclude);
  return `${count(c.tenants)}: ${describe(c, level)}`;
}

export function capacity(out: Output): void {
  out.print('## Capacity: tenants per tier before the first AWS quota (one account, one Region; docs/capacity.md)');
  const before = exampleCapacity({ perTenantSiloResources: true });
  const after = exampleCapacity();
  const routed = exampleCapacity({ advancedRoutingService: true });
  const variants = [
    { name: 'per tenant (tier defaults)', capacity: before },
    { name: 'shared per tier (the example)', capacity: after },
    { name: 'shared, advanced behind a routing service', capacity: routed },
  ];

  out.print('What one more tenant counts against account and Region quotas (from its tenant stack template):');
  const footprintRows: Row[] = [];
  for (const v of variants) {
    for (const m of v.capacity.tiers.filter((t) => t.tier !== 'basic')) {
      footprintRows.push([m.tier, v.name, v.capacity.templateResources[m.tier], ...FOOTPRINT.map(([id]) => m.perTenant[id] ?? 0)]);
    }
  }
  out.table(['tier', 'namespace, execution roles, logs', 'resources', ...FOOTPRINT.map(([, label]) => label)], footprintRows);

  const rows: Row[] = [];
  for (const v of variants) {
    for (const m of v.capacity.tiers) {
      rows.push([
        m.tier,
        v.name,
        ceilingCell(m, 'default', COMPUTE_QUOTAS),
        ceilingCell(m, 'default', []),
        ceilingCell(m, 'maximum', COMPUTE_QUOTAS),
        (m.design ?? []).map((d) => `${count(Math.floor((d.capacity - d.base) / d.perTenant))}: ${d.name}`).join('; ') || 'none',
      ]);
    }
  }
  out.table(['tier', 'namespace, execution roles, logs', 'first default quota, compute aside', 'first default quota, any', 'every adjustable quota at its maximum, compute aside', 'the tier\'s own capacity'], rows);
  out.print('"Compute aside" leaves out the running-vCPU quotas (Fargate On-Demand and Spot, EC2 On-Demand), which AWS');
  out.print('sets per account and raises with use; "any" counts them at the documented default for a new account.');
  out.print('"The tier\'s own capacity": what its configuration lets it scale to (the EC2 instances of a shared cluster),');
  out.print('not an AWS quota. "unbounded": no quota with a published figure bounds the tier (adjustable quotas without a');
  out.print('published maximum count as unbounded).');
  out.print(`Run-time onboarding places advanced and premium tenants in the free slots of the deploy-time shards (${after.runtimeSlots} in the example),`);
  out.print(`then in the shards it opens when those are full (\`openShardsAtRunTime\`): ${after.openedSlots} more, ${after.runtimeSlots + after.openedSlots} in all. The shards it may`);
  out.print('open are bounded by the 10 usage plans an API key may belong to (each opened shard has a plan per tier), an adjustable quota.');
  out.print();

  out.print('### Cells: tenants placed in arrival order into the first account with room, a new account when none has');
  const cellRows: Row[] = [];
  const scenarios: Array<{ name: string; total: number; shares: Record<string, number> }> = [
    { name: '10,000 silo tenants (4 advanced : 1 premium)', total: 10_000, shares: { advanced: 4, premium: 1 } },
    { name: '100,000 mixed (5 basic : 4 advanced : 1 premium)', total: 100_000, shares: { basic: 5, advanced: 4, premium: 1 } },
  ];
  for (const scenario of scenarios) {
    for (const v of variants) {
      const started = process.hrtime.bigint();
      const plan = placeInCells(arrivals(scenario.total, scenario.shares), v.capacity.tiers, v.capacity.applicationPlane);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const fullest = plan.binding.reduce((a, b) => (b.used / b.limit > a.used / a.limit ? b : a));
      const first = plan.cells[0];
      const silo = (first.tenants.advanced ?? 0) + (first.tenants.premium ?? 0);
      const over = cellsWithinQuotas(plan);
      cellRows.push([scenario.name, v.name, plan.cells.length, count(silo), `${fullest.quota.service}: ${fullest.quota.name} ${fullest.used}/${fullest.limit}`,
        over.length === 0 ? 'yes' : `no (${over.length})`, ms.toFixed(0)]);
    }
  }
  out.table(['tenants', 'namespace, execution roles, logs', 'cells (accounts)', 'silo tenants in a full cell', 'binding quota in the fullest cell', 'every cell within default quotas', 'plan ms'], cellRows);

  // The same arrivals placed as CellPlacement's function places them (its footprints and limits from the model, a
  // shard's share per tenant), each cell then checked against the exact count.
  out.print('### Cells at run time: placed by CellPlacement\'s arithmetic (footprints and limits from the model), each cell checked exactly');
  const runtimeRows: Row[] = [];
  for (const scenario of scenarios) {
    for (const v of variants) {
      const order = arrivals(scenario.total, scenario.shares);
      const started = process.hrtime.bigint();
      const cells = placeAtRunTime(order, cellSizing(v.capacity.tiers, v.capacity.applicationPlane));
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const exact = placeInCells(order, v.capacity.tiers, v.capacity.applicationPlane).cells.length;
      const over = cells.flatMap((t) => exactCellOverruns(v.capacity.tiers, v.capacity.applicationPlane, t));
      const first = cells[0];
      runtimeRows.push([scenario.name, v.name, cells.length, exact, count((first.advanced ?? 0) + (first.premium ?? 0)),
        over.length === 0 ? 'yes' : `no (${over.length})`, ms.toFixed(0)]);
    }
  }
  out.table(['tenants', 'namespace, execution roles, logs', 'cells at run time', 'cells, exact simulation', 'silo tenants in a full cell',
    'every cell within default quotas (exact count)', 'place ms'], runtimeRows);
  // One CellPlacement serves 100 cells (docs/cells.md): what the same arrivals need with the quotas raised.
  const atMaximum = scenarios.map((scenario) => {
    const plan = placeInCells(arrivals(scenario.total, scenario.shares), after.tiers, after.applicationPlane, 'maximum');
    const fullest = plan.binding.reduce((a, b) => (b.used / b.limit > a.used / a.limit ? b : a));
    return `${scenario.name}: ${plan.cells.length} cells (${fullest.quota.service}: ${fullest.quota.name} ${fullest.used}/${fullest.limit})`;
  });
  out.print(`With every adjustable quota at its maximum (the example): ${atMaximum.join('; ')}. One CellPlacement serves up to 100 cells.`);
  out.print('One cell per account (IAM counts per account), each holding the application plane (its fixed resources counted)');
  out.print('and opening router shards as it fills; default quotas, running-vCPU quotas aside; EC2 capacity sized to the tenants.');
  out.print();

  const unverified = QUOTAS.filter((q) => !q.verified).length;
  out.print(`Quotas: ${QUOTAS.length} in scripts/capacity/quotas.ts, each with its AWS page; ${unverified} not read on the live page`);
  out.print(`(figures from the archived documentation; check them with Service Quotas). Example defaults: ${['cloudmap.namespaces', 'iam.roles', 'elb.albs', 'elb.targetGroups', 'apigw.regionalRestApis']
    .map((id) => `${id} ${quotaValue(QUOTAS.find((q) => q.id === id)!, 'default')}`).join(', ')}.`);
  out.print();
}
