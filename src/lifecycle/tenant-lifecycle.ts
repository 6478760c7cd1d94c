import { Duration, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as servicecatalog from 'aws-cdk-lib/aws-servicecatalog';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { launchStatements, TENANT_WORKLOAD_ACTIONS } from './launch-policy';
import { SbtContract } from './sbt-contract';
import { TenantTemplate } from './tenant-template';
import { SaasApplication, TableSharing } from '../application/saas-application';
import { ENV_LIFECYCLE_CONFIG } from '../contract/environment';
import { LifecycleConfig, REPLY_FAILED, StepName, STEPS } from '../contract/lifecycle';
import { LAMBDA_ENVIRONMENT_LIMIT } from '../contract/router';
import { bundledFunction } from '../private/bundled-function';
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

  constructor(scope: Construct, id: string, props: TenantLifecycleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const shared = props.sharedTiers ?? [];
    const stacked = props.stackTiers ?? [];
    validate(props, shared, stacked);

    const table = (name: string, partitionKey: dynamodb.Attribute, sortKey?: dynamodb.Attribute) => new dynamodb.Table(this, name, {
      partitionKey,
      sortKey,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy,
    });
    this.registry = table('Registry', { name: 'tenantId', type: dynamodb.AttributeType.STRING });
    this.slots = table('Slots', { name: 'shard', type: dynamodb.AttributeType.NUMBER }, { name: 'priority', type: dynamodb.AttributeType.NUMBER });

    this.tenantRoleBoundary = new iam.ManagedPolicy(this, 'TenantRoleBoundary', {
      description: 'Permissions boundary of the roles of tenant stacks: what tenant workloads may ever do',
      statements: [new iam.PolicyStatement({ actions: TENANT_WORKLOAD_ACTIONS, resources: ['*'] })],
    });

    // Stack tiers: one product per tier in one portfolio, deployed by a launch role scoped to the template's types.
    const products = new Map<string, { product: servicecatalog.CloudFormationProduct; template: TenantTemplate; versionName: string }>();
    if (stacked.length > 0) {
      this.portfolio = new servicecatalog.Portfolio(this, 'Portfolio', {
        displayName: 'Tenant stacks',
        providerName: 'cdk-ecs-saas',
        description: `Tenant stack templates of ${stack.stackName}`,
      });
      for (const tier of stacked) {
        iam.PermissionsBoundary.of(tier.template).apply(this.tenantRoleBoundary);
        const product = new servicecatalog.CloudFormationProduct(this, `${tier.template.tierName}Product`, {
          productName: `${tier.template.tierName} tenant`,
          owner: 'cdk-ecs-saas',
          description: `Tenant stack of tier ${tier.template.tierName}`,
          productVersions: [{
            productVersionName: tier.versionName ?? 'v1',
            cloudFormationTemplate: servicecatalog.CloudFormationTemplate.fromProductStack(tier.template),
          }],
        });
        this.portfolio.addProduct(product);
        const launchRole = new iam.Role(this, `${tier.template.tierName}LaunchRole`, {
          assumedBy: new iam.ServicePrincipal('servicecatalog.amazonaws.com'),
          description: `Deploys tenant stacks of tier ${tier.template.tierName}: their resource types only`,
        });
        const types = templateResourceTypes(tier.template);
        // The launch role is written now: the template must be complete before the lifecycle is created.
        this.node.addValidation({
          validate: () => {
            const added = templateResourceTypes(tier.template).filter((t) => !types.includes(t));
            return added.length > 0
              ? [`TenantTemplate '${tier.template.node.path}' gained resource types after TenantLifecycle was created (${added.join(', ')}): create the lifecycle after the template is complete, so its launch role covers them.`]
              : [];
          },
        });
        for (const statement of [...launchStatements(stack, types, `TenantTemplate '${tier.template.node.path}'`, this.tenantRoleBoundary.managedPolicyArn),
          ...(props.launchRoleStatements ?? [])]) {
          launchRole.addToPolicy(statement);
        }
        this.portfolio.setLaunchRole(product, launchRole);
        products.set(tier.template.tierName, { product, template: tier.template, versionName: tier.versionName ?? 'v1' });
      }
    }

    const pooled = props.application.tables.filter((t) => t.sharing === TableSharing.POOLED).map((def) => {
      const t = props.pooledTables[def.name];
      if (!t) {
        throw new Error(`pooledTables has no table '${def.name}'; the application's pooled tables: ${props.application.pooledTables.map((p) => p.name).join(', ')}.`);
      }
      return { table: t, def };
    });
    const config: LifecycleConfig = {
      contract: {
        source: props.contract.applicationPlaneSource,
        provisionSuccess: props.contract.provisionSuccess,
        provisionFailure: props.contract.provisionFailure,
        deprovisionSuccess: props.contract.deprovisionSuccess,
        deprovisionFailure: props.contract.deprovisionFailure,
      },
      eventBusName: props.eventBus.eventBusName,
      registryTable: this.registry.tableName,
      slotTable: this.slots.tableName,
      issuerTable: props.router.issuerRegistry?.tableName,
      namePrefix: stack.stackName,
      tiers: Object.fromEntries([
        ...shared.map((t) => [t.tierName, { kind: 'SHARED' as const, userPoolId: t.userPool.userPoolId, appClientId: t.appClientId, apiGatewayUrl: t.apiUrl }]),
        ...[...products.entries()].map(([name, p]) => [name, { kind: 'STACK' as const, productId: p.product.productId, provisioningArtifactName: p.versionName }]),
      ]),
      pooledTables: pooled.map(({ table: t, def }) => ({ tableName: t.tableName, partitionKey: def.partitionKey!.name, sortKey: def.sortKey?.name })),
      // Read when the template is rendered, so routes and shards added after this construct count too.
      shards: Lazy.number({ produce: () => props.router.provisioningShards.length }),
      rulesPerListener: props.router.quotas.rulesPerListener!,
      reserved: Lazy.any({ produce: () => reservedPriorities(props.router) }) as unknown as Record<string, number[]>,
    };
    const worker = bundledFunction(this, 'Worker', {
      bundle: 'tenant-lifecycle',
      label: 'lifecycle worker',
      bundleTask: 'bundle:lifecycle',
      description: 'Tenant lifecycle: onboarding and offboarding steps',
      memorySize: 512,
      timeout: Duration.minutes(5),
      logRetention,
      removalPolicy,
      environment: { [ENV_LIFECYCLE_CONFIG]: stack.toJsonString(config) },
    });
    this.worker = worker.fn;
    const workerRole = worker.role;
    this.node.addValidation({
      validate: () => {
        const size = JSON.stringify(stack.resolve(config)).replace(/\{"(Ref|Fn::[A-Za-z]+)":[^{}]*\}/g, 'x'.repeat(64)).length;
        return size > LAMBDA_ENVIRONMENT_LIMIT - 256
          ? [`the lifecycle's configuration is about ${size} bytes; Lambda allows ${LAMBDA_ENVIRONMENT_LIMIT} bytes of environment. Use fewer tiers or tables.`]
          : [];
      },
    });

    // Least privilege of the worker.
    this.registry.grantReadWriteData(workerRole);
    this.slots.grantReadWriteData(workerRole);
    for (const { table: t } of pooled) {
      workerRole.addToPolicy(new iam.PolicyStatement({ actions: ['dynamodb:Query', 'dynamodb:BatchWriteItem'], resources: [t.tableArn] }));
    }
    for (const t of shared) {
      workerRole.addToPolicy(new iam.PolicyStatement({
        actions: [
          'cognito-idp:AdminAddUserToGroup', 'cognito-idp:AdminCreateUser', 'cognito-idp:AdminDeleteUser', 'cognito-idp:AdminGetUser',
          'cognito-idp:CreateGroup', 'cognito-idp:DeleteGroup', 'cognito-idp:ListUsersInGroup',
        ],
        resources: [t.userPool.userPoolArn],
      }));
    }
    props.eventBus.grantPutEventsTo(workerRole);
    if (props.router.issuerRegistry) {
      workerRole.addToPolicy(new iam.PolicyStatement({
        actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
        resources: [props.router.issuerRegistry.tableArn],
      }));
    }
    if (this.portfolio) {
      this.portfolio.giveAccessToRole(workerRole);
      workerRole.addToPolicy(new iam.PolicyStatement({
        actions: ['servicecatalog:ProvisionProduct'],
        resources: [...products.values()].map((p) => stack.formatArn({ service: 'catalog', resource: 'product', resourceName: p.product.productId })),
      }));
      workerRole.addToPolicy(new iam.PolicyStatement({
        actions: ['servicecatalog:TerminateProvisionedProduct', 'servicecatalog:DescribeRecord', 'servicecatalog:DescribeProvisionedProduct'],
        resources: ['*'],
        // Only provisioned products this role provisioned.
        conditions: { StringEquals: { 'servicecatalog:roleLevel': 'self' } },
      }));
    }

    this.onboardingStateMachine = this.onboarding(logRetention, removalPolicy);
    this.offboardingStateMachine = this.offboarding(logRetention, removalPolicy);
    if (products.size > 0) {
      this.updateStateMachine = this.updates(logRetention, removalPolicy);
      workerRole.addToPolicy(new iam.PolicyStatement({
        actions: ['servicecatalog:UpdateProvisionedProduct'],
        resources: ['*'],
        conditions: { StringEquals: { 'servicecatalog:roleLevel': 'self' } },
      }));
    }

    new events.Rule(this, 'OnboardingRequests', {
      eventBus: props.eventBus,
      description: 'Onboarding requests of the control plane',
      eventPattern: { source: [props.contract.controlPlaneSource], detailType: [props.contract.onboardingRequest] },
      targets: [new targets.SfnStateMachine(this.onboardingStateMachine)],
    });
    new events.Rule(this, 'OffboardingRequests', {
      eventBus: props.eventBus,
      description: 'Offboarding requests of the control plane',
      eventPattern: { source: [props.contract.controlPlaneSource], detailType: [props.contract.offboardingRequest] },
      targets: [new targets.SfnStateMachine(this.offboardingStateMachine)],
    });
  }

  private step(id: string, step: StepName, input: Record<string, string>, resultPath: string | undefined): tasks.LambdaInvoke {
    const payload: Record<string, unknown> = { step };
    for (const [k, v] of Object.entries(input)) {
      payload[k] = v.startsWith('$$.') ? sfn.JsonPath.stringAt(v) : sfn.JsonPath.objectAt(v);
    }
    const task = new tasks.LambdaInvoke(this, id, {
      lambdaFunction: this.worker,
      payload: sfn.TaskInput.fromObject(payload),
      payloadResponseOnly: true,
      resultPath: resultPath ?? sfn.JsonPath.DISCARD,
      retryOnServiceExceptions: true,
    });
    // Every step is idempotent: transient faults (throttling, a failed reply) are retried before the failure path.
    task.addRetry({ errors: ['States.ALL'], maxAttempts: 3, interval: Duration.seconds(5), backoffRate: 2 });
    return task;
  }

  private machine(id: string, definition: sfn.IChainable, logRetention: logs.RetentionDays, removalPolicy: RemovalPolicy): sfn.StateMachine {
    return new sfn.StateMachine(this, id, {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: Duration.hours(2),
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, `${id}Logs`, { retention: logRetention, removalPolicy }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: false,
      },
    });
  }

  private onboarding(logRetention: logs.RetentionDays, removalPolicy: RemovalPolicy): sfn.StateMachine {
    const init = new sfn.Pass(this, 'Init', { result: sfn.Result.fromObject({}), resultPath: '$.provisioned' });
    const start = this.step('StartOnboarding', STEPS.startOnboarding, { detail: '$.detail', execution: '$$.Execution.Id' }, '$.start');
    const shared = this.step('OnboardShared', STEPS.onboardShared, { request: '$.start.request' }, undefined);
    const provision = this.step('ProvisionStack', STEPS.provisionStack, { request: '$.start.request' }, '$.provisioned');
    const wait = new sfn.Wait(this, 'WaitForStack', { time: sfn.WaitTime.duration(Duration.seconds(30)) });
    const check = this.step('CheckStack', STEPS.checkRecord, { recordId: '$.provisioned.recordId' }, '$.record');
    const finish = this.step('FinishStack', STEPS.finishStack, { request: '$.start.request', outputs: '$.record.outputs' }, undefined);
    const done = new sfn.Succeed(this, 'Onboarded');

    // Failure: remove what was provisioned, wait until it is gone, free the slot, answer with the reason.
    const terminate = this.step('TerminateFailedStack', STEPS.terminateStack, { request: '$.start.request' }, '$.terminated');
    const waitGone = new sfn.Wait(this, 'WaitForRemoval', { time: sfn.WaitTime.duration(Duration.seconds(30)) });
    const checkGone = this.step('CheckRemoval', STEPS.checkRecord, { recordId: '$.terminated.recordId' }, '$.removal');
    const fail = new tasks.LambdaInvoke(this, 'FailOnboarding', {
      lambdaFunction: this.worker,
      payload: sfn.TaskInput.fromObject({
        step: STEPS.failOnboarding,
        request: sfn.JsonPath.objectAt('$.start.request'),
        provisioned: sfn.JsonPath.objectAt('$.provisioned'),
        error: sfn.JsonPath.objectAt('$.error'),
      }),
      payloadResponseOnly: true,
      resultPath: sfn.JsonPath.DISCARD,
    });
    const failSharedOnly = new tasks.LambdaInvoke(this, 'FailSharedOnboarding', {
      lambdaFunction: this.worker,
      payload: sfn.TaskInput.fromObject({ step: STEPS.failOnboarding, request: sfn.JsonPath.objectAt('$.start.request'), error: sfn.JsonPath.objectAt('$.error') }),
      payloadResponseOnly: true,
      resultPath: sfn.JsonPath.DISCARD,
    });
    const failed = new sfn.Fail(this, 'OnboardingFailed', { error: 'OnboardingFailed', cause: 'The tenant was not provisioned; the failure reply was sent.' });
    terminate.next(new sfn.Choice(this, 'AnythingToRemove?')
      .when(sfn.Condition.isPresent('$.terminated.recordId'), waitGone.next(checkGone).next(new sfn.Choice(this, 'Removed?')
        .when(sfn.Condition.stringEquals('$.removal.status', 'WAIT'), waitGone)
        .otherwise(fail)))
      .otherwise(fail));
    checkGone.addCatch(fail, { resultPath: '$.removalError' });
    terminate.addCatch(fail, { resultPath: '$.removalError' });
    for (const t of [fail, failSharedOnly]) {
      t.addRetry({ errors: ['States.ALL'], maxAttempts: 3, interval: Duration.seconds(5), backoffRate: 2 });
      t.next(failed);
    }

    // A tenant that is ACTIVE but whose success reply could not be sent is kept: the execution fails (and is
    // alarmed); delivering the same request again answers from the registry.
    const replyNotSent = new sfn.Fail(this, 'ReplyNotSent', {
      error: REPLY_FAILED,
      cause: 'The tenant is provisioned and ACTIVE, but the control plane was not told. Deliver the onboarding request again: it answers from the registry.',
    });
    for (const t of [finish, shared]) {
      t.addCatch(replyNotSent, { errors: [REPLY_FAILED], resultPath: '$.error' });
    }
    for (const t of [provision, check, finish]) {
      t.addCatch(terminate, { resultPath: '$.error' });
    }
    shared.addCatch(failSharedOnly, { resultPath: '$.error' });
    shared.next(done);
    const stackPath = provision.next(wait).next(check).next(new sfn.Choice(this, 'StackReady?')
      .when(sfn.Condition.stringEquals('$.record.status', 'WAIT'), wait)
      .otherwise(finish.next(done)));
    const definition = init.next(start).next(new sfn.Choice(this, 'Tier')
      .when(sfn.Condition.stringEquals('$.start.next', 'SHARED'), shared)
      .when(sfn.Condition.stringEquals('$.start.next', 'STACK'), stackPath)
      .otherwise(done));
    return this.machine('Onboarding', definition, logRetention, removalPolicy);
  }

  private updates(logRetention: logs.RetentionDays, removalPolicy: RemovalPolicy): sfn.StateMachine {
    const plan = new tasks.LambdaInvoke(this, 'PlanWaves', {
      lambdaFunction: this.worker,
      payload: sfn.TaskInput.fromObject({ step: STEPS.planWaves, tierName: sfn.JsonPath.stringAt('$.tierName'), waveSize: sfn.JsonPath.numberAt('$.waveSize') }),
      payloadResponseOnly: true,
      resultPath: '$.plan',
    });
    const update = new tasks.LambdaInvoke(this, 'UpdateStack', {
      lambdaFunction: this.worker,
      payload: sfn.TaskInput.fromObject({
        step: STEPS.updateStack,
        tenantId: sfn.JsonPath.stringAt('$.tenantId'),
        tierName: sfn.JsonPath.stringAt('$.tierName'),
        version: sfn.JsonPath.stringAt('$.version'),
        token: sfn.JsonPath.stringAt('$.token'),
      }),
      payloadResponseOnly: true,
      resultPath: '$.update',
    });
    const wait = new sfn.Wait(this, 'WaitForUpdate', { time: sfn.WaitTime.duration(Duration.seconds(30)) });
    const check = this.step('CheckUpdate', STEPS.checkRecord, { recordId: '$.update.recordId' }, '$.record');
    const tenantDone = new sfn.Succeed(this, 'TenantUpdated');
    const perTenant = update.next(wait).next(check).next(new sfn.Choice(this, 'UpdateDone?')
      .when(sfn.Condition.stringEquals('$.record.status', 'WAIT'), wait)
      .otherwise(tenantDone));
    const tenants = new sfn.Map(this, 'UpdateWave', {
      itemsPath: '$.wave',
      maxConcurrency: 0,
      itemSelector: {
        'tenantId.$': '$$.Map.Item.Value',
        'tierName.$': '$.tierName',
        'version.$': '$.version',
        'token.$': '$.token',
      },
      resultPath: sfn.JsonPath.DISCARD,
    }).itemProcessor(perTenant);
    const waves = new sfn.Map(this, 'Waves', {
      itemsPath: '$.plan.waves',
      // One wave at a time: a failed tenant fails its wave, and the execution stops there.
      maxConcurrency: 1,
      itemSelector: {
        'wave.$': '$$.Map.Item.Value',
        'tierName.$': '$.tierName',
        'version.$': '$.version',
        'token.$': '$$.Execution.Name',
      },
      resultPath: sfn.JsonPath.DISCARD,
    }).itemProcessor(tenants);
    return this.machine('Update', plan.next(waves).next(new sfn.Succeed(this, 'Updated')), logRetention, removalPolicy);
  }

  private offboarding(logRetention: logs.RetentionDays, removalPolicy: RemovalPolicy): sfn.StateMachine {
    const start = this.step('StartOffboarding', STEPS.startOffboarding, { detail: '$.detail', execution: '$$.Execution.Id' }, '$.start');
    const users = this.step('RemoveSharedUsers', STEPS.removeSharedUsers, { request: '$.start.request' }, undefined);
    const terminate = this.step('TerminateStack', STEPS.terminateStack, { request: '$.start.request' }, '$.terminated');
    const wait = new sfn.Wait(this, 'WaitForStackRemoval', { time: sfn.WaitTime.duration(Duration.seconds(30)) });
    const check = this.step('CheckStackRemoval', STEPS.checkRecord, { recordId: '$.terminated.recordId' }, '$.record');
    const finish = this.step('FinishOffboarding', STEPS.finishOffboarding, { request: '$.start.request' }, undefined);
    const fail = new tasks.LambdaInvoke(this, 'FailOffboarding', {
      lambdaFunction: this.worker,
      payload: sfn.TaskInput.fromObject({ step: STEPS.failOffboarding, request: sfn.JsonPath.objectAt('$.start.request'), error: sfn.JsonPath.objectAt('$.error') }),
      payloadResponseOnly: true,
      resultPath: sfn.JsonPath.DISCARD,
    });
    const done = new sfn.Succeed(this, 'Offboarded');
    fail.addRetry({ errors: ['States.ALL'], maxAttempts: 3, interval: Duration.seconds(5), backoffRate: 2 });
    fail.next(new sfn.Fail(this, 'OffboardingFailed', { error: 'OffboardingFailed', cause: 'The tenant was not fully removed; the failure reply was sent.' }));
    for (const t of [users, terminate, check, finish]) {
      t.addCatch(fail, { resultPath: '$.error' });
    }
    finish.next(done);
    const stackPath = terminate.next(new sfn.Choice(this, 'StackExists?')
      .when(sfn.Condition.isPresent('$.terminated.recordId'), wait.next(check).next(new sfn.Choice(this, 'StackRemoved?')
        .when(sfn.Condition.stringEquals('$.record.status', 'WAIT'), wait)
        .otherwise(finish)))
      .otherwise(finish));
    const definition = start.next(new sfn.Choice(this, 'OffboardTier')
      .when(sfn.Condition.stringEquals('$.start.next', 'SHARED'), users.next(finish))
      .when(sfn.Condition.stringEquals('$.start.next', 'STACK'), stackPath)
      .otherwise(done));
    return this.machine('Offboarding', definition, logRetention, removalPolicy);
  }
}

/** The resource types of a tenant template, read from its construct tree (synthesis has not happened yet). */
function templateResourceTypes(template: TenantTemplate): string[] {
  const types = new Set<string>();
  for (const c of template.node.findAll()) {
    const type = (c as { cfnResourceType?: string }).cfnResourceType;
    if (type && Stack.of(c) === template) {
      types.add(type);
    }
  }
  return [...types];
}

/**
 * Priorities the router's declared routes hold, per position among the shards open to provisioned tenants (they count
 * against each listener's rules quota; provisioned priorities start above theirs).
 */
function reservedPriorities(router: TenantRouter): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  const open = router.provisioningShards.map((s) => s.index);
  for (const p of router.placements) {
    const position = open.indexOf(p.shard);
    if (position < 0) {
      continue;
    }
    for (let i = 0; i < p.rules; i++) {
      (out[String(position)] ??= []).push(p.priority + i);
    }
  }
  return out;
}

function validate(props: TenantLifecycleProps, shared: SharedTierLifecycle[], stacked: StackTierLifecycle[]): void {
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
