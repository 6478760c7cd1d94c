/**
 * Cells (docs/capacity.md): the application plane stamped into several AWS accounts, each a cell with its own
 * quotas. This simulates placing tenants, in order of arrival, into the first cell with room by the capacity model,
 * opening a new cell when none has room, and reports what binds each cell.
 *
 * Assumptions, stated with the figures: one cell per account (IAM is per account, the rest per Region); quotas at
 * their defaults; running-vCPU quotas aside (AWS sets them per account and raises them with use); a tier's EC2
 * capacity sized to its tenants (it is configuration, not a quota).
 */
import { COMPUTE_QUOTAS, quotaById, quotaValue, QuotaLevel, TierModel, Usage } from './model';
import { Quota, QUOTAS } from './quotas';
import { CellConfig, firstCellWithRoom, fitsInCell, toUnits, UNITS_PER_QUOTA } from '../../src/contract/cells';

/** One cell's tenants and what they count against its quotas. */
export interface Cell {
  readonly index: number;
  readonly tenants: Record<string, number>;
  readonly usage: Usage;
  /** Shards open for the cell's silo tenants. */
  readonly shards: number;
}

export interface CellPlan {
  readonly cells: Cell[];
  /** Per cell, the quota closest to its limit (account, Region, or one shared resource's) and how full it is. */
  readonly binding: Array<{ quota: Quota; used: number; limit: number }>;
  readonly placed: number;
}

/** The quotas a cell is held to: account and Region quotas, compute aside. */
const CELL_QUOTAS = QUOTAS.filter((q) => (q.scope === 'account' || q.scope === 'region') && !COMPUTE_QUOTAS.includes(q.id));

/**
 * Places `order` (tier names, in order of arrival) into cells. `models` gives each tier's footprint; `cellFixed` what the
 * application plane itself counts in each cell.
 */
export function placeInCells(order: string[], models: TierModel[], cellFixed: Usage, level: QuotaLevel = 'default'): CellPlan {
  const byTier = new Map(models.map((m) => [m.tier, m]));
  const silo = models.filter((m) => Number.isFinite(m.tenantsPerShard));
  const tenantsPerShard = Math.min(...silo.map((m) => m.tenantsPerShard));
  const perShard = silo[0]?.perShard ?? {};
  const cells: Array<{ index: number; tenants: Record<string, number>; usage: Usage; shards: number; siloTenants: number }> = [];

  const limitOf = (q: Quota) => quotaValue(q, level);
  const fits = (cell: (typeof cells)[number], model: TierModel): boolean => {
    const siloTenant = Number.isFinite(model.tenantsPerShard);
    const opensShard = siloTenant && cell.siloTenants + 1 > cell.shards * tenantsPerShard;
    for (const q of CELL_QUOTAS) {
      const next = (cell.usage[q.id] ?? 0) + (model.perTenant[q.id] ?? 0) + (opensShard ? perShard[q.id] ?? 0 : 0);
      if (next > limitOf(q)) {
        return false;
      }
    }
    // Resource-level quotas on what the tier's tenants share in the cell (its cluster, its user pool).
    const n = cell.tenants[model.tier] ?? 0;
    for (const s of model.shared) {
      if (s.base + (n + 1) * s.perTenant > limitOf(quotaById(s.quotaId)) * s.resources) {
        return false;
      }
    }
    return model.fits.every((f) => f.amount <= limitOf(quotaById(f.quotaId)));
  };
  const add = (cell: (typeof cells)[number], model: TierModel) => {
    const siloTenant = Number.isFinite(model.tenantsPerShard);
    if (siloTenant && cell.siloTenants + 1 > cell.shards * tenantsPerShard) {
      cell.shards++;
      for (const [k, v] of Object.entries(perShard)) {
        cell.usage[k] = (cell.usage[k] ?? 0) + v;
      }
    }
    for (const [k, v] of Object.entries(model.perTenant)) {
      cell.usage[k] = (cell.usage[k] ?? 0) + v;
    }
    cell.tenants[model.tier] = (cell.tenants[model.tier] ?? 0) + 1;
    if (siloTenant) {
      cell.siloTenants++;
    }
  };

  let placed = 0;
  for (const tier of order) {
    const model = byTier.get(tier);
    if (!model) {
      throw new Error(`No capacity model for tier '${tier}'.`);
    }
    let cell = cells.find((c) => fits(c, model));
    if (!cell) {
      cell = { index: cells.length, tenants: {}, usage: { ...cellFixed }, shards: 0, siloTenants: 0 };
      // The application plane's own shards hold no run-time tenants in this model: a cell opens shards as it fills.
      if (!fits(cell, model)) {
        throw new Error(`A tenant of tier '${tier}' does not fit in an empty cell.`);
      }
      cells.push(cell);
    }
    add(cell, model);
    placed++;
  }

  const binding = cells.map((c) => {
    let best = { quota: CELL_QUOTAS[0], used: 0, limit: 1 };
    for (const q of CELL_QUOTAS) {
      const limit = limitOf(q);
      const used = c.usage[q.id] ?? 0;
      if (Number.isFinite(limit) && used / limit > best.used / best.limit) {
        best = { quota: q, used, limit };
      }
    }
    // The resource-level quotas on what a tier's tenants share in the cell (a cluster, a namespace) count too.
    for (const m of models) {
      for (const sh of m.shared) {
        const quota = quotaById(sh.quotaId);
        const limit = limitOf(quota) * sh.resources;
        const used = sh.base + (c.tenants[m.tier] ?? 0) * sh.perTenant;
        if (Number.isFinite(limit) && (c.tenants[m.tier] ?? 0) > 0 && used / limit > best.used / best.limit) {
          best = { quota, used, limit };
        }
      }
    }
    return best;
  });
  return { cells: cells.map(({ index, tenants, usage, shards }) => ({ index, tenants, usage, shards })), binding, placed };
}

/** Every cell within every quota it is held to (the check the simulation must pass). */
export function cellsWithinQuotas(plan: CellPlan, level: QuotaLevel = 'default'): string[] {
  const over: string[] = [];
  for (const c of plan.cells) {
    for (const q of CELL_QUOTAS) {
      const used = c.usage[q.id] ?? 0;
      if (used > quotaValue(q, level)) {
        over.push(`cell ${c.index}: ${q.id} ${used} > ${quotaValue(q, level)}`);
      }
    }
  }
  return over;
}

/** Tier names in arrival order for a mix, interleaved (like `mix` in bench-app.ts, by shares). */
export function arrivals(total: number, shares: Record<string, number>): string[] {
  const names = Object.keys(shares);
  const sumShares = names.reduce((a, n) => a + shares[n], 0);
  const out: string[] = [];
  const given: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  for (let i = 1; i <= total; i++) {
    // The tier furthest behind its share gets the next tenant.
    const behind = (n: string) => (i * shares[n]) / sumShares - given[n];
    const next = names.reduce((a, n) => (behind(n) > behind(a) ? n : a), names[0]);
    given[next]++;
    out.push(next);
  }
  return out;
}

/**
 * What CellPlacement needs to place tenants at run time, from the capacity model: each tier's footprint and each
 * cell's limits, quota by quota. A silo tenant's footprint includes its share of a router shard (the shard's resources
 * over the tenants it holds), and every limit keeps one shard's resources aside for the shard being filled, so the
 * shares never let a cell past a quota. What a tier's tenants share in a cell (one cluster, one namespace, one user
 * pool) becomes a quota of its own, `<tier>/<quota>` (`<tier>/<quota>/2` for a second such resource), limited by what
 * the shared resource holds less what is on it.
 */
export interface CellSizing {
  /** Tier → quota → what one tenant uses. */
  readonly tiers: Record<string, Record<string, number>>;
  /** Quota → what a cell's tenants may use. */
  readonly limits: Record<string, number>;
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

export function cellSizing(models: TierModel[], cellFixed: Usage, level: QuotaLevel = 'default'): CellSizing {
  const silo = models.filter((m) => Number.isFinite(m.tenantsPerShard));
  const tenantsPerShard = Math.min(...silo.map((m) => m.tenantsPerShard));
  const perShard = silo[0]?.perShard ?? {};
  const tiers: Record<string, Record<string, number>> = {};
  const limits: Record<string, number> = {};
  for (const m of models) {
    const footprint: Record<string, number> = {};
    for (const q of CELL_QUOTAS) {
      const share = Number.isFinite(m.tenantsPerShard) ? (perShard[q.id] ?? 0) / tenantsPerShard : 0;
      const amount = (m.perTenant[q.id] ?? 0) + share;
      const limit = quotaValue(q, level) - (cellFixed[q.id] ?? 0) - (silo.length > 0 ? perShard[q.id] ?? 0 : 0);
      if (amount > 0 && Number.isFinite(limit)) {
        footprint[q.id] = round(amount);
        limits[q.id] = Math.max(0, Math.floor(limit));
      }
    }
    m.shared.forEach((s, i) => {
      const limit = quotaValue(quotaById(s.quotaId), level) * s.resources - s.base;
      if (Number.isFinite(limit)) {
        // Two shared resources under one quota (a Service Connect and a DNS namespace) are limited apart.
        const earlier = m.shared.slice(0, i).filter((x) => x.quotaId === s.quotaId).length;
        const name = `${m.tier}/${s.quotaId}${earlier > 0 ? `/${earlier + 1}` : ''}`;
        footprint[name] = round(s.perTenant);
        limits[name] = Math.max(0, Math.floor(limit));
      }
    });
    tiers[m.tier] = footprint;
  }
  return { tiers, limits };
}

/**
 * Places `order` as CellPlacement's function does (the same arithmetic, from src/contract/cells.ts): into the first
 * cell with room for the tier's footprint, a new cell when none has. Returns each cell's tenants by tier.
 */
export function placeAtRunTime(order: string[], sizing: CellSizing): Array<Record<string, number>> {
  const inUnits = (f: Record<string, number>) => Object.fromEntries(Object.entries(f).map(([q, n]) => [q, toUnits(n)]));
  const footprints = Object.fromEntries(Object.entries(sizing.tiers).map(([t, f]) => [t, inUnits(f)]));
  const limits = Object.fromEntries(Object.entries(sizing.limits).map(([q, n]) => [q, Math.floor(n * UNITS_PER_QUOTA + 1e-6)]));
  const cells: CellConfig[] = [];
  const usage: Record<string, Record<string, number>> = {};
  const tenants: Array<Record<string, number>> = [];
  for (const tier of order) {
    const footprint = footprints[tier];
    if (!footprint) {
      throw new Error(`No footprint for tier '${tier}'.`);
    }
    let cell = firstCellWithRoom(cells, usage, footprint);
    if (!cell) {
      cell = { id: String(cells.length), limits, acceptsTenants: true };
      if (!fitsInCell({}, footprint, limits)) {
        throw new Error(`A tenant of tier '${tier}' does not fit in an empty cell.`);
      }
      cells.push(cell);
      tenants.push({});
    }
    const u = (usage[cell.id] ??= {});
    for (const [q, n] of Object.entries(footprint)) {
      u[q] = (u[q] ?? 0) + n;
    }
    const t = tenants[Number(cell.id)];
    t[tier] = (t[tier] ?? 0) + 1;
  }
  return tenants;
}

/**
 * What a cell holding `tenants` (by tier) counts against its quotas, exactly: its application plane, each tenant, the
 * shards its silo tenants fill, and what the tiers' tenants put on the resources they share. Returns the quotas
 * exceeded (none: the cell is within them).
 */
export function exactCellOverruns(models: TierModel[], cellFixed: Usage, tenants: Record<string, number>, level: QuotaLevel = 'default'): string[] {
  const silo = models.filter((m) => Number.isFinite(m.tenantsPerShard));
  const tenantsPerShard = Math.min(...silo.map((m) => m.tenantsPerShard));
  const perShard = silo[0]?.perShard ?? {};
  const siloTenants = silo.reduce((n, m) => n + (tenants[m.tier] ?? 0), 0);
  const shards = siloTenants > 0 ? Math.ceil(siloTenants / tenantsPerShard) : 0;
  const over: string[] = [];
  for (const q of CELL_QUOTAS) {
    const used = (cellFixed[q.id] ?? 0) + shards * (perShard[q.id] ?? 0)
      + models.reduce((n, m) => n + (tenants[m.tier] ?? 0) * (m.perTenant[q.id] ?? 0), 0);
    if (used > quotaValue(q, level)) {
      over.push(`${q.id} ${used} > ${quotaValue(q, level)}`);
    }
  }
  for (const m of models) {
    for (const s of m.shared) {
      const used = s.base + (tenants[m.tier] ?? 0) * s.perTenant;
      const limit = quotaValue(quotaById(s.quotaId), level) * s.resources;
      if (used > limit) {
        over.push(`${m.tier}/${s.quotaId} ${used} > ${limit}`);
      }
    }
  }
  return over;
}
