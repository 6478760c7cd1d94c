import { RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as servicecatalog from 'aws-cdk-lib/aws-servicecatalog';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { TENANT_WORKLOAD_ACTIONS } from './launch-policy';
import { createLifecycleWorker, grantProvisioning, grantUpdates } from './lifecycle-worker';
import { SbtContract } from './sbt-contract';
import { LifecycleStateMachines } from './state-machines';
import { createTenantProducts } from './tenant-products';
import { TenantTemplate } from './tenant-template';
import { SaasApplication } from '../application/saas-application';
import { CELL_FIELD, CELL_ID_PATTERN } from '../contract/cells';
import { createDeadLetterQueue } from '../private/dead-letters';
import { createTable } from '../private/defaults';
import { busAccount, sameBus } from '../private/event-buses';
import { acknowledgeBoundary } from '../private/findings';
import { statusRequestTypes } from '../private/status-requests';
import { TenantRouter } from '../router/tenant-router';

/**
 * A tier whose tenants share its services: onboarding creates the tenant's group and administrator in the tier's user
 * pool, and nothing else.
 */
export interface SharedTierLifecycle {
  /** The tier's name, as in onboarding requests. */
  readonly tierName: string;
  /** The user pool of the tier's tenants. */
  readonly userPool: cognito.IUserPool;
  /** The app client the tenants' users sign in with. */
  readonly appClientId: string;
  /** The API endpoint of the tier's tenants (`TenantRouter.endpointForTier`). */
  readonly apiUrl: string;
}

/**
 * A tier whose tenants each get a stack, provisioned from a template.
 */
export interface StackTierLifecycle {
  /** The template of the tier's tenant stacks; its `tierName` names the tier. */
  readonly template: TenantTemplate;
  /**
   * Name of the template version; a new name publishes a new version, which `TenantLifecycle.updateStateMachine`
   * rolls out to existing tenants.
   *
   * @default 'v1'
   */
  readonly versionName?: string;
}

/**
 * The cell an application plane is, when a CellPlacement places tenants in several (docs/cells.md).
 */
export interface LifecycleCell {
  /** The cell's id, as in the CellPlacement's `cells`: the lifecycle takes only the requests placed in it. */
  readonly cellId: string;
  /**
   * The control plane's bus, where the CellPlacement runs. When it is not the lifecycle's `eventBus`, the replies are
   * forwarded to it by a rule on `eventBus`, and a control plane in another account may put requests on `eventBus`.
   */
  readonly controlPlaneBus: events.IEventBus;
}

/**
 * Properties of a TenantLifecycle.
 */
export interface TenantLifecycleProps {
  /** The event bus the control plane publishes requests on and reads replies from. */
  readonly eventBus: events.IEventBus;
  /** Names and sources of the control plane's events (`SbtContract.V0_5`, `SbtContract.V0_9`, or custom). */
  readonly contract: SbtContract;
  /** The router of the tenants: its shards take the provisioned tenants' routes. */
  readonly router: TenantRouter;
  /** The application: its pooled tables are purged of an offboarded tenant's items. */
  readonly application: SaasApplication;
  /** The application's pooled tables, by table name. */
  readonly pooledTables: { [name: string]: dynamodb.ITable };
  /**
   * Tiers whose tenants share services.
   *
   * @default - none
   */
  readonly sharedTiers?: SharedTierLifecycle[];
  /**
   * Tiers whose tenants get a stack each.
   *
   * @default - none
   */
  readonly stackTiers?: StackTierLifecycle[];
  /**
   * The cell this application plane is: the lifecycle then takes only the requests a CellPlacement placed in it, and
   * its replies reach the control plane's bus.
   *
   * @default - not a cell: the lifecycle takes every request on `eventBus`
   */
  readonly cell?: LifecycleCell;
  /**
   * Extra permissions of the launch role, for resource types of the tenant templates the lifecycle has no rule for.
   *
   * @default - none
   */
  readonly launchRoleStatements?: iam.PolicyStatement[];
  /**
   * Removal policy of the registry and slot tables.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Retention of the lifecycle's logs.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Onboarding and offboarding for a SaaS Builder Toolkit control plane, spoken over EventBridge without depending on
 * sbt-aws: requests come in with the contract's names, replies go out in the payloads the control plane consumes.
 *
 * - A tenant of a shared tier gets its administrator in the tier's user pool and no infrastructure.
 * - A tenant of a stack tier gets a Service Catalog product (its tier's `TenantTemplate`) provisioned with a router
 *   slot; nothing is built or synthesized at onboarding time. The product's launch role may deploy the template's
 *   resource types only, and roles it creates carry a permissions boundary.
 * - Every transition is recorded with conditional writes: a request delivered twice acts once, and a failure removes
 *   what was provisioned and answers with its reason.
 * - Offboarding removes the tenant's stack or users, purges its items from the pooled tables and frees its slot.
 *
 * @example
 * declare const bus: events.IEventBus;
 * declare const router: TenantRouter;
 * declare const application: SaasApplication;
 * declare const products: dynamodb.ITable;
 * declare const sharedPool: cognito.IUserPool;
 * declare const template: TenantTemplate;
 *
 * new TenantLifecycle(this, 'Lifecycle', {
 *   eventBus: bus,
 *   contract: SbtContract.V0_5,
 *   router,
 *   application,
 *   pooledTables: { products },
 *   sharedTiers: [{ tierName: 'basic', userPool: sharedPool, appClientId: 'app-client-id', apiUrl: router.endpointForTier('basic') }],
 *   stackTiers: [{ template }],
 * });
 */
export class TenantLifecycle extends Construct {
  /** Tenants of this application plane, with their state. */
  public readonly registry: dynamodb.Table;
  /** Router slots held by provisioned tenants. */
  public readonly slots: dynamodb.Table;
  /** The worker function the state machines call. */
  public readonly worker: lambda.Function;
  /** Onboards one tenant per execution. */
  public readonly onboardingStateMachine: sfn.StateMachine;
  /** Offboards one tenant per execution. */
  public readonly offboardingStateMachine: sfn.StateMachine;
  /**
   * Suspends or reactivates one tenant per execution, when the router keeps a table of suspended tenants
   * (`suspensions`): started by sbt-aws's `deactivateRequest` and `activateRequest`, or by ours
   * (`suspendTenantRequest`, `reactivateTenantRequest`).
   *
   * @default - none without the router's `suspensions`
   */
  public readonly statusStateMachine?: sfn.StateMachine;
  /**
   * Rolls a version of a stack tier's template out to its active tenants, in waves; stops at the first failed wave.
   * Start it with `{ "tierName": "advanced", "version": "v2", "waveSize": 10 }`.
   *
   * @default - none without stack tiers
   */
  public readonly updateStateMachine?: sfn.StateMachine;
  /**
   * The portfolio of the tenant products.
   *
   * @default - none without stack tiers
   */
  public readonly portfolio?: servicecatalog.Portfolio;
  /** The permissions boundary of every role a tenant template creates. */
  public readonly tenantRoleBoundary: iam.ManagedPolicy;
  /**
   * Replies that could not be forwarded to the control plane's bus.
   *
   * @default - none: not a cell with a bus of its own
   */
  public readonly replyDeadLetterQueue?: sqs.Queue;

  constructor(scope: Construct, id: string, props: TenantLifecycleProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const shared = props.sharedTiers ?? [];
    const stacked = props.stackTiers ?? [];
    validate(props, shared, stacked);

    const table = (name: string, partitionKey: dynamodb.Attribute, sortKey?: dynamodb.Attribute) =>
      createTable(this, name, { partitionKey, sortKey, encryption: dynamodb.TableEncryption.AWS_MANAGED, removalPolicy });
    this.registry = table('Registry', { name: 'tenantId', type: dynamodb.AttributeType.STRING });
    this.slots = table('Slots', { name: 'shard', type: dynamodb.AttributeType.NUMBER }, { name: 'priority', type: dynamodb.AttributeType.NUMBER });

    this.tenantRoleBoundary = new iam.ManagedPolicy(this, 'TenantRoleBoundary', {
      description: 'Permissions boundary of the roles of tenant stacks: what tenant workloads may ever do',
      statements: [new iam.PolicyStatement({ actions: TENANT_WORKLOAD_ACTIONS, resources: ['*'] })],
    });
    acknowledgeBoundary(this.tenantRoleBoundary);

    // Stack tiers: one product per tier in one portfolio, deployed by a launch role scoped to the template's types.
    const catalog = createTenantProducts(this, stacked, this.tenantRoleBoundary, props.launchRoleStatements ?? [], props.router.shardTemplate);
    this.portfolio = catalog.portfolio;

    const worker = createLifecycleWorker(this, {
      props,
      shared,
      products: catalog.products,
      shardProduct: catalog.shardProduct,
      registry: this.registry,
      slots: this.slots,
      logRetention,
      removalPolicy,
    });
    this.worker = worker.fn;
    if (this.portfolio) {
      const products = [...catalog.products.values()].map((p) => p.product);
      grantProvisioning(worker.role, this.portfolio, catalog.shardProduct ? [...products, catalog.shardProduct] : products);
    }

    const machines = new LifecycleStateMachines(this, this.worker, logRetention, removalPolicy, catalog.shardProduct !== undefined);
    this.onboardingStateMachine = machines.onboarding();
    this.offboardingStateMachine = machines.offboarding();
    if (catalog.products.size > 0) {
      this.updateStateMachine = machines.updates();
      grantUpdates(worker.role);
    }

    // In a cell, only the requests placed in it.
    const placed = props.cell ? { detail: { [CELL_FIELD]: [props.cell.cellId] } } : {};
    new events.Rule(this, 'OnboardingRequests', {
      eventBus: props.eventBus,
      description: 'Onboarding requests of the control plane',
      eventPattern: { source: [props.contract.controlPlaneSource], detailType: [props.contract.onboardingRequest], ...placed },
      targets: [new targets.SfnStateMachine(this.onboardingStateMachine)],
    });
    new events.Rule(this, 'OffboardingRequests', {
      eventBus: props.eventBus,
      description: 'Offboarding requests of the control plane',
      eventPattern: { source: [props.contract.controlPlaneSource], detailType: [props.contract.offboardingRequest], ...placed },
      targets: [new targets.SfnStateMachine(this.offboardingStateMachine)],
    });
    if (props.router.suspensions) {
      this.statusStateMachine = machines.statusChanges();
      new events.Rule(this, 'StatusRequests', {
        eventBus: props.eventBus,
        description: 'Requests of the control plane to suspend (deactivate) or reactivate (activate) a tenant',
        eventPattern: {
          source: [props.contract.controlPlaneSource],
          detailType: statusRequestTypes(props.contract),
          ...placed,
        },
        targets: [new targets.SfnStateMachine(this.statusStateMachine)],
      });
    }
    if (props.cell && !sameBus(props.eventBus, props.cell.controlPlaneBus)) {
      this.replyDeadLetterQueue = this.connectCell(props, props.cell);
    }
  }

  /** A cell with a bus of its own: replies go on to the control plane's bus, whose account may put requests here. */
  private connectCell(props: TenantLifecycleProps, cell: LifecycleCell): sqs.Queue {
    const c = props.contract;
    const deadLetters = createDeadLetterQueue(this, 'ReplyDeadLetters');
    new events.Rule(this, 'RepliesToControlPlane', {
      eventBus: props.eventBus,
      description: 'The lifecycle\'s replies and the cell\'s usage (TenantMetering), to the control plane\'s bus',
      eventPattern: {
        source: [c.applicationPlaneSource],
        detailType: [
          c.provisionSuccess, c.provisionFailure, c.deprovisionSuccess, c.deprovisionFailure,
          c.activateSuccess, c.activateFailure, c.deactivateSuccess, c.deactivateFailure, c.ingestUsage,
        ],
      },
      targets: [new targets.EventBus(cell.controlPlaneBus, { deadLetterQueue: deadLetters })],
    });
    const control = busAccount(cell.controlPlaneBus);
    const own = busAccount(props.eventBus) ?? (Token.isUnresolved(Stack.of(this).account) ? undefined : Stack.of(this).account);
    if ((control === undefined) !== (own === undefined)) {
      throw new Error(`cell '${cell.cellId}': the accounts of eventBus (${own ?? 'unknown'}) and controlPlaneBus (${control ?? 'unknown'}) `
        + 'cannot be compared; give the stack an env, or import both buses by ARN, so that the control plane\'s account can be admitted.');
    }
    if (control && own && control !== own) {
      // The control plane's account forwards the requests placed here: its requests only.
      new events.CfnEventBusPolicy(this, 'PlacedRequests', {
        eventBusName: props.eventBus.eventBusName,
        statementId: `placed-requests-${control}`,
        statement: {
          Effect: 'Allow',
          Principal: { AWS: `arn:${Stack.of(this).partition}:iam::${control}:root` },
          Action: 'events:PutEvents',
          Resource: props.eventBus.eventBusArn,
          Condition: {
            'ForAllValues:StringEquals': {
              'events:source': [c.controlPlaneSource],
              'events:detail-type': [c.onboardingRequest, c.offboardingRequest, ...statusRequestTypes(c)],
            },
          },
        },
      });
    }
    return deadLetters;
  }
}

function validate(props: TenantLifecycleProps, shared: SharedTierLifecycle[], stacked: StackTierLifecycle[]): void {
  if (props.cell && !CELL_ID_PATTERN.test(props.cell.cellId)) {
    throw new Error(`cell cellId '${props.cell.cellId}' is not a cell id: 1 to 32 lowercase letters, digits and hyphens, starting and ending with a letter or digit.`);
  }
  const names = [...shared.map((t) => t.tierName), ...stacked.map((t) => t.template.tierName)];
  if (names.length === 0) {
    throw new Error('sharedTiers and stackTiers are empty: the lifecycle must serve at least one tier.');
  }
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) {
      throw new Error(`tier '${n}' is listed twice in sharedTiers and stackTiers: a tier is onboarded one way.`);
    }
    seen.add(n);
  }
  for (const t of shared) {
    if (props.router.hasApiKeyPerTenant(t.tierName)) {
      throw new Error(
        `sharedTiers '${t.tierName}' has an API key per tenant in the router, which onboarding a shared-tier tenant does not create: every request would be refused. Use one key for the tier.`,
      );
    }
  }
  for (const t of stacked) {
    if (t.versionName !== undefined && !Token.isUnresolved(t.versionName) && !/^[A-Za-z0-9._-]{1,100}$/.test(t.versionName)) {
      throw new Error(`stackTiers versionName must be 1 to 100 letters, digits, dots, hyphens and underscores; got '${t.versionName}'.`);
    }
  }
}
