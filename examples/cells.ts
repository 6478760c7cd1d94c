/**
 * The example's cells (docs/cells.md): the stack of its CellPlacement, and the sizing it places by, which the capacity
 * model writes (examples/cell-sizing.json, `npx projen cells:sizing`).
 */
import * as path from 'path';
import { RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { CellPlacement, CellTierFootprint, PlacementCell, SbtContract } from '../src';
import { acknowledgeCellPlacementFindings } from './nag-acknowledgements';
import type { CellEnvironment, ExampleAppOptions, ExampleCell } from './saas-app';

/** The footprints and limits the example's placement uses, from the capacity model of the example as synthesized. */
export const CELL_SIZING_FILE = path.join(__dirname, 'cell-sizing.json');

/** examples/cell-sizing.json. */
export interface CellSizingFile {
  /** Tier → quota → what one tenant uses. */
  readonly tiers: { [tier: string]: { [quota: string]: number } };
  /** Quota → what a cell's tenants may use, at the default quotas. */
  readonly limits: { [quota: string]: number };
}

/** A cell to place in: its bus, or the ARN of its bus in another account. */
export interface ExamplePlacementCell {
  readonly cellId: string;
  readonly eventBus: events.IEventBus | string;
}

export interface CellPlacementStackProps extends StackProps {
  readonly controlPlaneBus: events.IEventBus;
  readonly cells: ExamplePlacementCell[];
  readonly tiers: CellTierFootprint[];
  readonly limits: { [quota: string]: number };
  /** Some cells are in other accounts: their replies come to this account's default bus. */
  readonly crossAccount: boolean;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The placement, in a stack of its own: it refers to every cell's bus and the cells to the control plane's bus, so
 * it cannot live in the control plane's stack without a cycle.
 */
export class CellPlacementStack extends Stack {
  public readonly placement: CellPlacement;

  constructor(scope: Construct, id: string, props: CellPlacementStackProps) {
    super(scope, id, props);
    this.placement = new CellPlacement(this, 'Cells', {
      eventBus: props.controlPlaneBus,
      replyBus: props.crossAccount ? events.EventBus.fromEventBusName(this, 'DefaultBus', 'default') : undefined,
      contract: SbtContract.V0_5,
      cells: props.cells.map((c): PlacementCell => ({
        cellId: c.cellId,
        eventBus: typeof c.eventBus === 'string' ? events.EventBus.fromEventBusArn(this, `CellBus-${c.cellId}`, c.eventBus) : c.eventBus,
      })),
      tiers: props.tiers,
      limits: props.limits,
      removalPolicy: props.removalPolicy,
    });
    acknowledgeCellPlacementFindings(this.placement);
  }
}

/** The ARN of an account's default bus in a Region. */
export function defaultBusArn(env: CellEnvironment): string {
  return `arn:aws:events:${env.region}:${env.account}:event-bus/default`;
}

/** The example's own rules for cells (CellPlacement checks the cell ids). */
export function validateCells(options: ExampleAppOptions, cells: ExampleCell[]): void {
  if (cells.length > 0 && cells[0].env) {
    throw new Error(`cells '${cells[0].cellId}' has env: the first cell shares the control plane's account and bus (give controlPlaneEnvironment instead).`);
  }
  const remote = cells.filter((c) => c.env);
  if (remote.length > 0 && !options.controlPlaneEnvironment) {
    throw new Error(`cells ${remote.map((c) => `'${c.cellId}'`).join(', ')} have env: controlPlaneEnvironment is needed, so that they can name the control plane's default bus.`);
  }
  if (remote.length > 0 && !options.cors) {
    throw new Error('cells in other accounts need cors (the tenant app\'s origin): a stage cannot refer to the web hosting stack\'s CloudFront domain.');
  }
  if (options.cellLimits && cells.length === 0) {
    throw new Error('cellLimits is given without cells: there is no placement to limit.');
  }
}
