/**
 * Cells (docs/cells.md): what CellPlacement, the placement function and the capacity simulation share. The placement
 * arithmetic is here once, so the function that places tenants at run time and the simulation that sizes cells
 * (scripts/capacity/cells.ts) cannot disagree. No CDK imports.
 */

/** The field a placed request carries in its detail: the cell it was placed in. Cells only take requests with theirs. */
export const CELL_FIELD = 'applicationPlaneCell';

/**
 * Footprints and limits are kept in thousandths of a unit, as integers: a tenant's share of a shard (a load balancer
 * for 50 tenants is 0.02 of one) then adds up exactly, in DynamoDB and here.
 */
export const UNITS_PER_QUOTA = 1000;

/** A quota amount in thousandths, rounded up (a footprint never undercounts). */
export function toUnits(amount: number): number {
  return Math.ceil(Math.round(amount * UNITS_PER_QUOTA * 1e6) / 1e6);
}

/** One cell, as the placement function sees it. */
export interface CellConfig {
  readonly id: string;
  /** Quota name → the amount the cell's tenants may use, in thousandths. */
  readonly limits: Record<string, number>;
  /** False: a draining cell, which keeps its tenants and takes no new one. */
  readonly acceptsTenants: boolean;
}

/**
 * The placement function's configuration, written by CellPlacement in two parts: the names of deployed resources in
 * its environment (`CELL_PLACEMENT_CONFIG`, `CellPlacementResources`), the rest in `CELL_PLACEMENT_FILE` next to its
 * code (`CellPlacementRules`), which holds hundreds of cells where the 4 KB environment holds a few dozen.
 */
export interface CellPlacementConfig extends CellPlacementResources, CellPlacementRules {}

/** What the placement names of deployed resources (CloudFormation tokens at synth time). */
export interface CellPlacementResources {
  /** The control plane's bus: placed requests go back onto it, and its rules forward them to their cell. */
  readonly eventBusName: string;
  readonly placementTable: string;
}

/** The file, next to the placement function's code, that holds its `CellPlacementRules`. */
export const CELL_PLACEMENT_FILE = 'placement.json';

/** How the placement places: the contract, the cells, their limits, the tiers' footprints. */
export interface CellPlacementRules {
  readonly contract: {
    readonly controlPlaneSource: string;
    readonly applicationPlaneSource: string;
    readonly onboardingRequest: string;
    readonly offboardingRequest: string;
    readonly provisionSuccess: string;
    readonly provisionFailure: string;
    readonly deprovisionSuccess: string;
    readonly deprovisionFailure: string;
    /** Requests to suspend or reactivate a tenant (sbt-aws's and ours), which go to the tenant's cell. */
    readonly statusRequests: string[];
    readonly deactivateRequest: string;
    readonly activateFailure: string;
    readonly deactivateFailure: string;
  };
  /** Cell ids, in order of preference: a tenant goes to the first cell with room. */
  readonly cells: string[];
  /** Cells that take no new tenant (draining). */
  readonly draining: string[];
  /**
   * Cell id → the account its replies come from, where it is known: a reply about a tenant from another account is
   * ignored.
   */
  readonly cellAccounts?: Record<string, string>;
  /** Quota name → every cell's limit, in thousandths. */
  readonly limits: Record<string, number>;
  /** Cell id → the limits in which it differs from `limits`. */
  readonly cellLimits?: Record<string, Record<string, number>>;
  /** Tier name → quota name → what one tenant of the tier uses, in thousandths. */
  readonly tiers: Record<string, Record<string, number>>;
}

/** The cells of a configuration, each with its limits. */
export function cellsOf(config: CellPlacementConfig): CellConfig[] {
  return config.cells.map((id) => ({
    id,
    limits: { ...config.limits, ...config.cellLimits?.[id] },
    acceptsTenants: !config.draining.includes(id),
  }));
}

/** Whether `footprint` fits in a cell that already uses `usage`: every quota the footprint counts stays within its limit. */
export function fitsInCell(usage: Record<string, number>, footprint: Record<string, number>, limits: Record<string, number>): boolean {
  return Object.entries(footprint).every(([quota, amount]) => amount <= 0 || (usage[quota] ?? 0) + amount <= (limits[quota] ?? 0));
}

/**
 * The first cell, in the order given, that accepts tenants and has room for `footprint`; undefined when none has.
 * `usage` maps a cell id to what its tenants use.
 */
export function firstCellWithRoom(
  cells: readonly CellConfig[], usage: Record<string, Record<string, number>>, footprint: Record<string, number>,
): CellConfig | undefined {
  return cells.find((c) => c.acceptsTenants && fitsInCell(usage[c.id] ?? {}, footprint, c.limits));
}

/** The cell ids a construct accepts: they name rules and go into events, so short and plain. */
export const CELL_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
