import { Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SbtContract } from './sbt-contract';
import { CELL_FIELD, CELL_ID_PATTERN, CELL_PLACEMENT_FILE, CellPlacementResources, CellPlacementRules, toUnits, UNITS_PER_QUOTA } from '../contract/cells';
import { ENV_CELL_PLACEMENT_CONFIG } from '../contract/environment';
import { bundledFunction } from '../private/bundled-function';
import { createDeadLetterQueue, deadLetterAlarm } from '../private/dead-letters';
import { createTable } from '../private/defaults';
import { busAccount, sameBus } from '../private/event-buses';
import { statusRequestTypes } from '../private/status-requests';

/** A cell: one application plane (its `TenantLifecycle` with `cell`), in its account and Region. */
export interface PlacementCell {
  /**
   * The cell's id: 1 to 32 lowercase letters, digits and hyphens. Its TenantLifecycle's `cell.cellId` must be the same.
   * Placed requests carry it; never rename a cell that holds tenants.
   */
  readonly cellId: string;
  /**
   * The bus the cell's TenantLifecycle takes requests from. For a cell in another account or Region, the bus of its
   * stack, or `events.EventBus.fromEventBusArn`; a cell may also share the control plane's bus.
   */
  readonly eventBus: events.IEventBus;
  /**
   * Limits of this cell that differ from `CellPlacementProps.limits` (quota name → amount).
   *
   * @default - the placement's `limits`
   */
  readonly limits?: { [quota: string]: number };
  /**
   * Whether new tenants may be placed in the cell. False drains it: it keeps its tenants and their offboarding.
   *
   * @default true
   */
  readonly acceptsTenants?: boolean;
}

/** What one tenant of a tier uses of each quota a cell is held to. */
export interface CellTierFootprint {
  /** The tier, as in onboarding requests. */
  readonly tierName: string;
  /**
   * Quota name → what one tenant of the tier uses of it. Fractions are allowed (a tenant's share of a load balancer
   * that 50 tenants share is 0.02); amounts are counted in thousandths, rounded up. Every quota named needs a limit.
   */
  readonly perTenant: { [quota: string]: number };
}

/** Properties of a CellPlacement. */
export interface CellPlacementProps {
  /** The control plane's bus: its onboarding and offboarding requests, and the cells' replies, are read here. */
  readonly eventBus: events.IEventBus;
  /**
   * The bus of the control plane's account that the cells in other accounts forward their replies to, when it is not
   * `eventBus`: typically the account's default bus, whose ARN every cell can name. A rule forwards the replies from it
   * to `eventBus`.
   *
   * @default - `eventBus`
   */
  readonly replyBus?: events.IEventBus;
  /** Names and sources of the control plane's events, as the cells' TenantLifecycles have them. */
  readonly contract: SbtContract;
  /** The cells, in order of preference: a new tenant goes to the first that accepts tenants and has room. */
  readonly cells: PlacementCell[];
  /** Every tier the cells serve, with its tenants' footprint. */
  readonly tiers: CellTierFootprint[];
  /**
   * Quota name → the amount of it each cell's tenants may use (what a cell's account and Region quotas leave after its
   * application plane's own resources). A cell's `limits` override these.
   */
  readonly limits: { [quota: string]: number };
  /**
   * Removal policy of the placement table and the function's log group.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Retention of the placement function's logs.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/** Quota names: they become attribute names and keys of the function's configuration. */
const QUOTA_NAME = /^[A-Za-z0-9._:/-]{1,64}$/;
/**
 * Cells one placement serves at most: each cell with a bus of its own takes a rule on the control plane's bus (300 by
 * default) and its bus ARN in the forwarding role's policy (10 KB of inline policies per role).
 */
const MAX_CELLS = 100;

/**
 * Places each new tenant in a cell: an application plane stamped into an account and Region of its own (docs/cells.md).
 *
 * It runs next to the control plane, on its bus. An onboarding request goes to the first cell, in the order given,
 * that accepts tenants and has room for the tier's footprint under every limit: usage is kept per cell in a table and
 * claimed with a conditional transaction, so concurrent onboardings never overfill a cell. The request goes back on
 * the control plane's bus naming the cell, and a rule per cell forwards it to the cell's bus. An offboarding request
 * goes to the tenant's cell. The cell answers as one application plane does, with its own API URL in the tenant's
 * configuration; its TenantLifecycle (`cell`) forwards the answers to the control plane's bus, where this construct
 * also reads them to give a gone tenant's room back. When no cell has room, the control plane gets a provisioning
 * failure that says so.
 *
 * Cells in other accounts: the control plane's bus admits their replies (a bus policy per account, for the
 * application plane's source only), and each cell's bus must admit the control plane's account (TenantLifecycle with
 * `cell` adds that policy).
 *
 * @example
 * declare const controlPlaneBus: events.IEventBus;
 * declare const cellBus: events.IEventBus;
 *
 * // What one tenant of each tier uses of each quota (fractions: a share of what 50 tenants share).
 * const basic: CellTierFootprint = { tierName: 'basic', perTenant: { 'cognito.usersPerUserPool': 1 } };
 * const advanced: CellTierFootprint = { tierName: 'advanced', perTenant: { 'iam.roles': 3, 'elb.albs': 0.02 } };
 * new CellPlacement(this, 'Cells', {
 *   eventBus: controlPlaneBus,
 *   contract: SbtContract.V0_9,
 *   cells: [
 *     { cellId: 'cell-1', eventBus: controlPlaneBus },
 *     { cellId: 'cell-2', eventBus: cellBus },
 *   ],
 *   tiers: [basic, advanced],
 *   limits: { 'cognito.usersPerUserPool': 40000, 'iam.roles': 900, 'elb.albs': 45 },
 * });
 */
export class CellPlacement extends Construct {
  /** Tenants' cells, and each cell's usage. */
  public readonly placements: dynamodb.Table;
  /** The function that places requests and gives room back. */
  public readonly placementFunction: lambda.Function;
  /** Events that could not be delivered to the function or to a cell, and invocations that failed every retry. */
  public readonly deadLetterQueue: sqs.Queue;
  /** In alarm when the dead-letter queue holds a message (add an action to be told). */
  public readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: CellPlacementProps) {
    super(scope, id);
    validate(props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const contract = props.contract;

    this.placements = createTable(this, 'Placements', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy,
    });
    this.deadLetterQueue = createDeadLetterQueue(this, 'DeadLetters');

    const units = (amounts: { [quota: string]: number }) => Object.fromEntries(Object.entries(amounts).map(([q, n]) => [q, toUnits(n)]));
    // Limits are rounded down, footprints up: the thousandths never let a cell past a limit.
    const limitUnits = (amounts: { [quota: string]: number }) =>
      Object.fromEntries(Object.entries(amounts).map(([q, n]) => [q, Math.floor(n * UNITS_PER_QUOTA + 1e-6)]));
    const overrides = props.cells.filter((c) => c.limits !== undefined);
    // Where each cell's replies come from, when known: the function ignores a reply about a tenant from another account.
    const home = Stack.of(this).account;
    const cellAccounts: { [cellId: string]: string } = {};
    for (const cell of props.cells) {
      const account = busAccount(cell.eventBus) ?? (Token.isUnresolved(home) ? undefined : home);
      if (account && Token.isUnresolved(home)) {
        throw new Error(`cells '${cell.cellId}' has its bus in account ${account}, but CellPlacement's stack has no account: give the stack `
          + 'an env, so that the accounts can be compared and the other accounts\' replies admitted.');
      }
      if (account) {
        cellAccounts[cell.cellId] = account;
      }
    }
    const rules: CellPlacementRules = {
      contract: {
        controlPlaneSource: contract.controlPlaneSource,
        applicationPlaneSource: contract.applicationPlaneSource,
        onboardingRequest: contract.onboardingRequest,
        offboardingRequest: contract.offboardingRequest,
        provisionSuccess: contract.provisionSuccess,
        provisionFailure: contract.provisionFailure,
        deprovisionSuccess: contract.deprovisionSuccess,
        deprovisionFailure: contract.deprovisionFailure,
        statusRequests: statusRequestTypes(contract),
        deactivateRequest: contract.deactivateRequest,
        activateFailure: contract.activateFailure,
        deactivateFailure: contract.deactivateFailure,
      },
      cells: props.cells.map((c) => c.cellId),
      cellAccounts: Object.keys(cellAccounts).length > 0 ? cellAccounts : undefined,
      draining: props.cells.filter((c) => c.acceptsTenants === false).map((c) => c.cellId),
      limits: limitUnits(props.limits),
      cellLimits: overrides.length > 0 ? Object.fromEntries(overrides.map((c) => [c.cellId, limitUnits(c.limits!)])) : undefined,
      tiers: Object.fromEntries(props.tiers.map((t) => [t.tierName, units(t.perTenant)])),
    };
    const resources: CellPlacementResources = { eventBusName: props.eventBus.eventBusName, placementTable: this.placements.tableName };
    const stack = Stack.of(this);

    const placer = bundledFunction(this, 'Placer', {
      bundle: 'cell-placement',
      label: 'cell placement',
      bundleTask: 'bundle:lifecycle',
      description: 'Cell placement: sends each tenant\'s requests to its cell',
      memorySize: 256,
      timeout: Duration.seconds(30),
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      findings: {
        noReservedConcurrency: 'placements race only for a cell\'s room, which a conditional transaction arbitrates; a cap would turn a burst '
          + 'of onboarding into throttled retries',
      },
      // Names of deployed resources in the environment; the rules, hundreds of cells long, in a file beside the code.
      environment: { [ENV_CELL_PLACEMENT_CONFIG]: stack.toJsonString(resources) },
      files: { [CELL_PLACEMENT_FILE]: JSON.stringify(rules) },
    });
    this.placementFunction = placer.fn;
    // Exactly the calls it makes (test/deployed/cells.deployed.test.ts holds the bundle to this, both ways): placed
    // requests and its own refusals on the control plane's bus, nothing else.
    placer.role.addToPolicy(new iam.PolicyStatement({
      actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resources: [this.placements.tableArn],
    }));
    placer.role.addToPolicy(new iam.PolicyStatement({
      actions: ['events:PutEvents'],
      resources: [props.eventBus.eventBusArn],
      conditions: {
        'ForAllValues:StringEquals': {
          'events:source': [contract.controlPlaneSource, contract.applicationPlaneSource],
          'events:detail-type': [
            contract.onboardingRequest, contract.offboardingRequest, ...statusRequestTypes(contract),
            contract.provisionFailure, contract.deprovisionFailure, contract.activateFailure, contract.deactivateFailure,
          ],
        },
      },
    }));
    this.deadLetterAlarm = deadLetterAlarm(this, 'DeadLettersAlarm', this.deadLetterQueue,
      'A request or reply of the cell placement was not delivered, or failed every retry: redrive it from the dead-letter queue');

    const target = new targets.LambdaFunction(placer.fn, {
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 185,
      maxEventAge: Duration.hours(24),
    });
    new events.Rule(this, 'Requests', {
      eventBus: props.eventBus,
      description: 'The control plane\'s requests that name no cell yet',
      eventPattern: {
        source: [contract.controlPlaneSource],
        detailType: [contract.onboardingRequest, contract.offboardingRequest, ...statusRequestTypes(contract)],
        detail: { [CELL_FIELD]: events.Match.doesNotExist() },
      },
      targets: [target],
    });
    new events.Rule(this, 'Replies', {
      eventBus: props.eventBus,
      description: 'The cells\' answers: a tenant gone or never come gives its room back; one provisioned after its release is counted again',
      eventPattern: {
        source: [contract.applicationPlaneSource],
        detailType: [contract.provisionSuccess, contract.provisionFailure, contract.deprovisionSuccess],
      },
      targets: [target],
    });

    // A rule per cell that has a bus of its own: the requests placed in it go there, with one role for all of them and
    // one statement of the dead-letter queue's policy (a statement per rule would pass SQS's 20 at 18 cells).
    const forwarded = props.cells.filter((cell) => !sameBus(cell.eventBus, props.eventBus));
    if (forwarded.length > 0) {
      const role = new iam.Role(this, 'ForwardRole', { assumedBy: new iam.ServicePrincipal('events.amazonaws.com') });
      role.addToPolicy(new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: forwarded.map((c) => c.eventBus.eventBusArn) }));
      forwarded.forEach((cell) => new events.Rule(this, `Forward-${cell.cellId}`, {
        eventBus: props.eventBus,
        description: `Requests placed in cell ${cell.cellId}, to its bus`,
        eventPattern: {
          source: [contract.controlPlaneSource],
          detailType: [contract.onboardingRequest, contract.offboardingRequest, ...statusRequestTypes(contract)],
          detail: { [CELL_FIELD]: [cell.cellId] },
        },
        targets: [new BusTarget(cell.eventBus, role, this.deadLetterQueue)],
      }));
      this.deadLetterQueue.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'ForwardingRules',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.deadLetterQueue.queueArn],
        conditions: { ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'events', resource: 'rule', resourceName: `${props.eventBus.eventBusName}/*` }) } },
      }));
    }

    // Cells in other accounts may put their replies (and their usage, TenantMetering's) on the reply bus: the
    // application plane's source and those types only, in one statement naming every such account (a bus policy holds
    // 10 KB).
    const replyBus = props.replyBus ?? props.eventBus;
    const replyTypes = [
      contract.provisionSuccess, contract.provisionFailure, contract.deprovisionSuccess, contract.deprovisionFailure,
      contract.activateSuccess, contract.activateFailure, contract.deactivateSuccess, contract.deactivateFailure, contract.ingestUsage,
    ];
    const others = [...new Set(Object.values(cellAccounts).filter((a) => a !== home))].sort();
    if (others.length > 0) {
      new events.CfnEventBusPolicy(this, 'CellReplies', {
        eventBusName: replyBus.eventBusName,
        statementId: `cell-replies-${Names.uniqueId(this).slice(-40)}`,
        statement: {
          Effect: 'Allow',
          Principal: { AWS: others.map((a) => `arn:${stack.partition}:iam::${a}:root`) },
          Action: 'events:PutEvents',
          Resource: replyBus.eventBusArn,
          Condition: {
            'ForAllValues:StringEquals': { 'events:source': [contract.applicationPlaneSource], 'events:detail-type': replyTypes },
          },
        },
      });
    }
    if (!sameBus(replyBus, props.eventBus)) {
      const role = new iam.Role(this, 'RepliesRole', { assumedBy: new iam.ServicePrincipal('events.amazonaws.com') });
      props.eventBus.grantPutEventsTo(role);
      new events.Rule(this, 'RepliesToControlPlane', {
        eventBus: replyBus,
        description: 'The cells\' replies, to the control plane\'s bus',
        eventPattern: { source: [contract.applicationPlaneSource], detailType: replyTypes },
        targets: [new targets.EventBus(props.eventBus, { role, deadLetterQueue: this.deadLetterQueue })],
      });
    }
  }
}

/** A rule target that puts the event on another bus, with a role and a dead-letter queue whose policy is kept apart. */
class BusTarget implements events.IRuleTarget {
  constructor(private readonly bus: events.IEventBus, private readonly role: iam.IRole, private readonly deadLetters: sqs.IQueue) {}

  public bind(): events.RuleTargetConfig {
    return { arn: this.bus.eventBusArn, role: this.role, deadLetterConfig: { arn: this.deadLetters.queueArn } };
  }
}

function validate(props: CellPlacementProps): void {
  if (props.cells.length === 0 || props.cells.length > MAX_CELLS) {
    throw new Error(`cells must list 1 to ${MAX_CELLS} cells; got ${props.cells.length}.`);
  }
  const seen = new Set<string>();
  for (const c of props.cells) {
    if (!CELL_ID_PATTERN.test(c.cellId)) {
      throw new Error(`cells cellId '${c.cellId}' is not a cell id: 1 to 32 lowercase letters, digits and hyphens, starting and ending with a letter or digit.`);
    }
    if (seen.has(c.cellId)) {
      throw new Error(`cells cellId '${c.cellId}' is listed twice: each cell needs its own id.`);
    }
    seen.add(c.cellId);
  }
  if (!props.cells.some((c) => c.acceptsTenants !== false)) {
    throw new Error('cells: no cell accepts tenants (acceptsTenants is false on every one): onboarding would always fail.');
  }
  checkAmounts('limits', props.limits);
  for (const c of props.cells) {
    if (c.limits) {
      checkAmounts(`cells '${c.cellId}' limits`, c.limits);
    }
  }
  if (props.tiers.length === 0) {
    throw new Error('tiers is empty: the placement must know the footprint of every tier the cells serve.');
  }
  const tiers = new Set<string>();
  for (const t of props.tiers) {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(t.tierName)) {
      throw new Error(`tiers tierName '${t.tierName}' is not a tier name: 1 to 64 letters, digits, dots, hyphens and underscores.`);
    }
    if (tiers.has(t.tierName)) {
      throw new Error(`tiers '${t.tierName}' is listed twice: a tier has one footprint.`);
    }
    tiers.add(t.tierName);
    checkAmounts(`tiers '${t.tierName}' perTenant`, t.perTenant);
    for (const quota of Object.keys(t.perTenant)) {
      for (const c of props.cells) {
        const limit = c.limits?.[quota] ?? props.limits[quota];
        if (limit === undefined) {
          throw new Error(`tiers '${t.tierName}' perTenant counts '${quota}', which has no limit for cell '${c.cellId}': give it one in limits.`);
        }
      }
    }
    const fitsAnywhere = props.cells.some((c) => c.acceptsTenants !== false
      && Object.entries(t.perTenant).every(([q, n]) => toUnits(n) <= Math.floor((c.limits?.[q] ?? props.limits[q]) * UNITS_PER_QUOTA + 1e-6)));
    if (!fitsAnywhere) {
      throw new Error(`tiers '${t.tierName}' perTenant ${JSON.stringify(t.perTenant)} exceeds the limits of every cell that accepts tenants: no tenant of the tier could be placed.`);
    }
  }
}

function checkAmounts(prop: string, amounts: { [quota: string]: number }): void {
  for (const [quota, n] of Object.entries(amounts)) {
    if (!QUOTA_NAME.test(quota)) {
      throw new Error(`${prop} has the quota name '${quota}': quota names are 1 to 64 letters, digits and . _ : / -.`);
    }
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || n > 1e12) {
      throw new Error(`${prop} '${quota}' is ${n}: amounts are numbers from 0 to 10^12.`);
    }
  }
}
