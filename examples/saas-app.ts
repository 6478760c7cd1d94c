import * as fs from 'fs';
import * as path from 'path';
import * as sbt from '@cdklabs/sbt-aws';
import { Aws, CfnOutput, Duration, Fn, RemovalPolicies, RemovalPolicy, Stack, StackProps, Stage, Token } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import {
  ClusterPerTenantTier,
  PooledEcsTier,
  RoutePlacement,
  RunningHours,
  CorsPolicy,
  SaasApplication,
  SbtContract,
  ServiceGroup,
  SharedTaskExecution,
  SiloServiceTier,
  TableAccessLevel,
  TableSharing,
  TenantLifecycle,
  TenantMetering,
  TenantRouter,
  TenantTemplate,
  TenantTier,
  TenantUserPool,
  TierCapacity,
  TierRouting,
  TierRoutingService,
  TokenIssuer,
} from '../src';
import { CELL_SIZING_FILE, CellPlacementStack, CellSizingFile, defaultBusArn, ExamplePlacementCell, validateCells } from './cells';
import {
  acknowledgeControlPlaneFindings,
  acknowledgeExampleFindings,
  acknowledgeLifecycleFindings,
  acknowledgeMeteringFindings,
  acknowledgeRouterFindings,
  acknowledgeTierFindings,
} from './nag-acknowledgements';
import { SaasOperations } from './operations';
import { IDEMPOTENCY_EXPIRY_ATTRIBUTE, IDENTITY_ENV } from './services/common/environment';
import { LOCAL_WEB_ORIGINS } from './web/shared/contract';
import { WebContentStack, WebHostingStack } from './web-hosting';

/**
 * The example app: the Amazon ECS SaaS reference architecture, composed from the library's public API only, as a
 * user's app would be (docs/example-app.md). Its stacks, in deployment order:
 *
 * - `EcsSaasWebHosting`: the buckets and CloudFront distributions of the two web apps, the admin console and the
 *   tenant app (examples/web-hosting.ts, docs/web-apps.md). First, because both APIs allow the apps' origins.
 * - `EcsSaasControlPlane`: the SaaS Builder Toolkit control plane (sbt-aws 0.5): tenant registration and management
 *   API, tenant-config lookup, the system administrator's identity, and the event bus.
 * - `EcsSaasApplicationPlane`: the VPC, the three tiers running the product, order and user microservices behind the
 *   nginx tenant proxy, the tenant router, and the tenant lifecycle that answers the control plane: basic tenants
 *   are onboarded into the pooled tier's user pool, advanced and premium tenants get a stack of their own from a
 *   tenant template (a Service Catalog product).
 * - `EcsSaasWebContent`: the apps' builds and their `config.json` (the control plane's API and administrators' pool),
 *   copied into their buckets. Last, because it names what the control plane creates.
 */

/** The example's microservices: name, path prefix, port. */
export const SERVICES = [
  { name: 'products', pathPrefix: '/products', port: 3010 },
  { name: 'orders', pathPrefix: '/orders', port: 3020 },
  { name: 'users', pathPrefix: '/users', port: 3030 },
] as const;

/** What the users service does with its pool. */
const USER_MANAGEMENT_ACTIONS = [
  'cognito-idp:AdminCreateUser',
  'cognito-idp:AdminGetUser',
  'cognito-idp:AdminDeleteUser',
  'cognito-idp:AdminAddUserToGroup',
  'cognito-idp:AdminUpdateUserAttributes',
  'cognito-idp:AdminDisableUser',
  'cognito-idp:AdminEnableUser',
  'cognito-idp:CreateGroup',
  'cognito-idp:ListUsers',
  'cognito-idp:ListUsersInGroup',
];

/** CloudWatch namespace of the microservices' metrics. */
export const METRICS_NAMESPACE = 'EcsSaas';

/** Where the microservices' sources, bundles and Dockerfile live (examples/services/README.md). */
export const SERVICES_DIR = path.join(__dirname, 'services');

export interface ExampleAppOptions {
  /** Email of the control plane's system administrator (receives the temporary password). */
  readonly systemAdminEmail: string;
  /** Route placements pinned from an earlier synthesis (docs/tenant-router.md). */
  readonly placements?: RoutePlacement[];
  /** Removal policy of the example's stateful resources. The example is torn down whole, so DESTROY by default. */
  readonly removalPolicy?: RemovalPolicy;
  /** Declared tenants per tier (dynamic tenants come through the control plane). */
  readonly tenants?: { basic: string[]; advanced: string[]; premium: string[] };
  /**
   * Adds to the shared user pool an app client for server-side sign-in (ADMIN_USER_PASSWORD_AUTH, which only callers
   * with IAM permission can use), trusted by the router and the services. The end-to-end integ test signs tenant
   * users in with it.
   */
  readonly serverSideSignIn?: boolean;
  /** Who receives the operations alarms by email (context `alarmEmail`). */
  readonly alarmEmail?: string;
  /**
   * An OpenID Connect issuer whose id tokens the shared tiers' services and the router trust in place of the shared
   * pool's (`TokenIssuer.oidc`, with its `jwksUri` if its keys are not at the well-known location). The users service
   * still administers the shared pool.
   *
   * @default - the shared pool's tokens
   */
  readonly sharedIssuer?: TokenIssuer;

  /**
   * Which browser pages may call the tenants' API from another origin (the application's CORS policy).
   *
   * @default - the tenant app's origin (its CloudFront domain), and LOCAL_WEB_ORIGINS.tenantApp with `localWebOrigins`
   */
  readonly cors?: CorsPolicy;

  /**
   * Adds LOCAL_WEB_ORIGINS (examples/web/shared/contract.ts) to both CORS policies, the control plane's API and the
   * tenants' API (unless `cors` is given), so that the local environment's apps, served on 127.0.0.1, can call the
   * APIs. For local runs and tests only: `synthesizeExample` sets it; the deployable app (examples/app.ts) does not.
   *
   * @default false
   */
  readonly localWebOrigins?: boolean;

  /**
   * Give each silo tenant a Service Connect namespace, execution roles and log groups of its own (the tiers'
   * defaults), instead of sharing them per tier. For the capacity benchmark's before-and-after (docs/capacity.md).
   *
   * @default false
   */
  readonly perTenantSiloResources?: boolean;

  /**
   * Running hours of the advanced tier: outside them its services scale to zero and the router answers its requests
   * with 503 (docs/cost.md). The as-deployed test of running hours sets it.
   *
   * @default - always running
   */
  readonly advancedRunningHours?: RunningHours;

  /**
   * Route the advanced tier's tenants through one routing service (`TierRoutingService`, routing
   * `ROUTING_SERVICE`) instead of a proxy, target group and listener rule per tenant (docs/service-group.md). The
   * as-deployed test of the shared routing mode sets it.
   *
   * @default false
   */
  readonly advancedRoutingService?: boolean;

  /**
   * Cells (docs/cells.md): the application plane stamped once per cell, and a `CellPlacement` that places each new
   * tenant in the first cell with room by the capacity model (examples/cell-sizing.json, `npx projen cells:sizing`).
   * The first cell is `EcsSaasApplicationPlane`, on the control plane's bus, with the declared tenants. A cell with
   * `env` is a stage of its own, deployed to that account and Region; a cell without shares the control plane's account
   * and has a bus of its own.
   *
   * @default - one application plane, no placement
   */
  readonly cells?: ExampleCell[];

  /**
   * Limits of every cell that differ from examples/cell-sizing.json's (quota name → amount): your raised quotas, or a
   * test's small ones.
   *
   * @default - the sizing's, from the default quotas
   */
  readonly cellLimits?: { [quota: string]: number };

  /**
   * The account and Region of the control plane and the first cell, which cells in other accounts need (they name its
   * default bus). Given, the example's stacks are a stage (`Home`) deployed there.
   *
   * @default - environment-agnostic stacks
   */
  readonly controlPlaneEnvironment?: CellEnvironment;
}

/** An account and Region. */
export interface CellEnvironment {
  readonly account: string;
  readonly region: string;
}

/** A cell of the example (`ExampleAppOptions.cells`). */
export interface ExampleCell {
  /** The cell's id (CellPlacement's rules for cell ids). */
  readonly cellId: string;
  /**
   * Where the cell is deployed: a stage of its own, taking requests on that account's default bus.
   *
   * @default - the control plane's account, as a stack of the app with a bus of its own
   */
  readonly env?: CellEnvironment;
}

/** The control plane API's CORS: who may call it from a browser, with what. */
export const CONTROL_PLANE_CORS: Omit<apigwv2.CorsPreflightOptions, 'allowOrigins'> = {
  allowHeaders: ['authorization', 'content-type'],
  allowMethods: [
    apigwv2.CorsHttpMethod.GET, apigwv2.CorsHttpMethod.POST, apigwv2.CorsHttpMethod.PUT, apigwv2.CorsHttpMethod.PATCH, apigwv2.CorsHttpMethod.DELETE,
  ],
  maxAge: Duration.seconds(600),
  allowCredentials: false,
};

/** The control plane: sbt-aws's ControlPlane, with its Cognito auth and event manager made here so the app can use them. */
export class ControlPlaneStack extends Stack {
  public readonly controlPlane: sbt.ControlPlane;
  /** The administrators' identity: user pool, the admin user's client, and a machine client (client credentials). */
  public readonly auth: sbt.CognitoAuth;
  public readonly eventManager: sbt.EventManager;

  constructor(scope: Construct, id: string, props: StackProps & { systemAdminEmail: string; removalPolicy?: RemovalPolicy; corsOrigins?: string[] }) {
    super(scope, id, props);
    this.auth = new sbt.CognitoAuth(this, 'CognitoAuth');
    // sbt-aws turns on the pool's threat protection ("advanced security"), which only the Plus feature plan offers:
    // without it, a new pool (Essentials by default) fails to create.
    (this.auth.userPool.node.defaultChild as cognito.CfnUserPool).userPoolTier = 'PLUS';
    this.eventManager = new sbt.EventManager(this, 'EventManager');
    this.controlPlane = new sbt.ControlPlane(this, 'ControlPlane', {
      auth: this.auth,
      systemAdminEmail: props.systemAdminEmail,
      eventManager: this.eventManager,
      // The web apps call this API from their own origins. sbt-aws's functions answer `Access-Control-Allow-Origin: *`,
      // but without a CORS configuration API Gateway never answers a preflight (OPTIONS matches none of sbt-aws's
      // routes: 404), so a browser never sends a request with `Authorization`, which every JWT route needs. With one,
      // API Gateway answers preflights itself and puts these headers on every answer, replacing the functions' `*`.
      // No credentials: the apps send bearer tokens, not cookies. sbt-aws's own `apiCorsConfig` sets the HTTP API's
      // CorsConfiguration, so no escape hatch is needed.
      apiCorsConfig: props.corsOrigins ? { ...CONTROL_PLANE_CORS, allowOrigins: props.corsOrigins } : undefined,
    });
    // sbt-aws sets DESTROY inside ControlPlane only; the auth and event manager made here follow the same rule.
    RemovalPolicies.of(this).apply(props.removalPolicy ?? RemovalPolicy.DESTROY);
    acknowledgeControlPlaneFindings(this, this.auth.userPool.userPoolArn);
  }

  /** The bus the control plane and the application plane talk over. */
  public get eventBus(): events.IEventBus {
    return this.eventManager.eventBus;
  }

  /** The control plane's API (tenant registrations, tenants, tenant config, users). */
  public get apiUrl(): string {
    return this.controlPlane.controlPlaneAPIGatewayUrl;
  }
}

export interface ApplicationPlaneProps extends StackProps {
  /**
   * The bus the lifecycle takes requests from and replies on.
   *
   * @default - a bus of the cell's own: the account's default bus in a stack with an account (another account's
   * control plane names it), a new bus otherwise
   */
  readonly eventBus?: events.IEventBus;
  /**
   * The cell this application plane is (`TenantLifecycle.cell`): its id, and the control plane's bus, or its ARN for
   * a cell in another account (imported here: a stage cannot refer to another's resources).
   */
  readonly cell?: { readonly cellId: string; readonly controlPlaneBus: events.IEventBus | string };
  readonly placements?: RoutePlacement[];
  readonly removalPolicy?: RemovalPolicy;
  readonly tenants?: { basic: string[]; advanced: string[]; premium: string[] };
  readonly serverSideSignIn?: boolean;
  readonly alarmEmail?: string;
  readonly sharedIssuer?: TokenIssuer;
  readonly cors?: CorsPolicy;
  readonly perTenantSiloResources?: boolean;
  readonly advancedRunningHours?: RunningHours;
  readonly advancedRoutingService?: boolean;
}

/** Who signs the tokens a service trusts, and whether the pool holds many tenants (examples/services/README.md). */
interface ServiceIdentity {
  readonly userPool: cognito.IUserPool;
  readonly appClientIds: string[];
  readonly shared: boolean;
  /** Another issuer the services trust instead of the pool (its issuer URL, audiences and signing keys). */
  readonly issuer?: TokenIssuer;
}

/** A service's identity variables (examples/services/common/environment.ts). */
function identityEnvironment(identity: ServiceIdentity): { [name: string]: string } {
  const issuer = identity.issuer;
  return {
    [IDENTITY_ENV.userPoolId]: identity.userPool.userPoolId,
    [IDENTITY_ENV.appClientIds]: Fn.join(',', issuer?.audiences ?? identity.appClientIds),
    [IDENTITY_ENV.userPoolShared]: String(identity.shared),
    ...(issuer ? { [IDENTITY_ENV.tokenIssuer]: issuer.issuerUrl } : {}),
    ...(issuer?.jwksUri ? { [IDENTITY_ENV.jwksUri]: issuer.jwksUri } : {}),
  };
}

/** The application plane: shared infrastructure, the three tiers, the router and the tenant lifecycle. */
export class ApplicationPlaneStack extends Stack {
  public readonly vpc: ec2.Vpc;
  public readonly router: TenantRouter;
  public readonly lifecycle: TenantLifecycle;
  /** The bus the lifecycle takes requests from. */
  public readonly eventBus: events.IEventBus;
  public readonly userPool: TenantUserPool;
  public readonly tiers: TenantTier[];
  public readonly templates: TenantTemplate[];
  /** Each tenant's usage, sent to the control plane once a day. */
  public readonly metering: TenantMetering;
  /** The tiers the tenant lifecycle onboards into (shared tiers, then stack tiers), as it names them. */
  public readonly onboardingTiers: string[];
  /** Dashboard and alarms. */
  public readonly operations: SaasOperations;
  /** The server-side sign-in client of the shared pool (`serverSideSignIn`). */
  public readonly signInClient?: cognito.UserPoolClient;
  /** The user pools of the declared advanced and premium tenants, by tenant id. */
  public readonly tenantPools: { [tenantId: string]: TenantUserPool };
  /** The microservices' images, by service name. */
  public readonly images: { [service: string]: ecrAssets.DockerImageAsset };

  /** The application's CORS policy, for every application the stack describes. */
  private readonly cors?: CorsPolicy;

  constructor(scope: Construct, id: string, props: ApplicationPlaneProps) {
    super(scope, id, props);
    this.cors = props.cors;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    const logRetention = logs.RetentionDays.ONE_MONTH;
    const tenants = props.tenants ?? { basic: ['basic-1', 'basic-2'], advanced: ['acme', 'globex'], premium: ['initech'] };

    // Two AZs, flow logs, and gateway endpoints (free) for the two services the tasks talk to most: S3 (ECR image
    // layers) and DynamoDB. Interface endpoints cost more than the NAT traffic they save at this size
    // (docs/example-app.md).
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', { retention: logRetention, removalPolicy });
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      flowLogs: { all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs) } },
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
      },
    });
    const common = { vpc: this.vpc, removalPolicy, logRetention };

    // One image per microservice, built from examples/services at deploy time (no Docker needed to synthesize).
    this.images = {};
    for (const s of SERVICES) {
      this.images[s.name] = new ecrAssets.DockerImageAsset(this, `${pascal(s.name)}Image`, {
        directory: SERVICES_DIR,
        buildArgs: { SERVICE: s.name },
        exclude: ['*', '!Dockerfile', '!build', 'build/*', `!build/${s.name}`],
        platform: ecrAssets.Platform.LINUX_AMD64,
      });
    }

    // The basic tier's users share one pool (the lifecycle onboards basic tenants into it); every advanced and
    // premium tenant has a pool of its own: declared ones here, provisioned ones in their stack
    // (TenantTemplate.addTenantIdentity). IAM cannot fence tenants apart inside one pool, so only the pooled tier
    // shares one (docs/example-app.md).
    this.userPool = new TenantUserPool(this, 'Users', { removalPolicy });
    if (props.serverSideSignIn) {
      this.signInClient = this.userPool.addClient('ServerSideSignIn', {
        authFlows: { adminUserPassword: true },
        preventUserExistenceErrors: true,
        // Like the app client: users cannot write their own tenant, tier or role.
        writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ fullname: true }),
      });
    }
    const sharedClients = [this.userPool.appClient, ...(this.signInClient ? [this.signInClient] : [])].map((c) => c.userPoolClientId);
    const sharedIdentity: ServiceIdentity = { userPool: this.userPool, appClientIds: sharedClients, shared: true, issuer: props.sharedIssuer };

    // The reference's bridge model: products pooled everywhere; orders pooled in the basic tier, a table per tenant
    // in the silo tiers.
    const pooledApplication = this.application(TableSharing.POOLED, sharedIdentity);
    const basic = new PooledEcsTier(this, 'Basic', { ...common, application: pooledApplication, tenants: tenants.basic });
    const products = { products: basic.pooledTables.products };
    // A silo tenant's services trust the tenant's own pool (useIdentity below), never the shared issuer.
    const siloApplication = this.application(TableSharing.PER_TENANT, { ...sharedIdentity, issuer: undefined });
    // Each silo tier's tenants, declared and provisioned, share one Service Connect namespace (tenants stay apart on
    // the network: a tenant's security group admits only its own tasks) and one task execution role and log group.
    // A silo tenant then takes no namespace and 4 IAM roles (its services' task roles), against 50 namespaces and
    // 1,000 roles per account by default (docs/capacity.md).
    type SiloShared = { namespace?: servicediscovery.INamespace; taskExecution?: SharedTaskExecution };
    const siloShared = (tier: string): SiloShared => (props.perTenantSiloResources ? {} : {
      namespace: new servicediscovery.HttpNamespace(this, `${pascal(tier)}Namespace`, {
        name: `${tier}.${this.stackName.toLowerCase()}`,
        description: `Service Connect namespace of every ${tier} tenant`,
      }),
      taskExecution: new SharedTaskExecution(this, `${pascal(tier)}TaskExecution`, { removalPolicy, logRetention }),
    });
    const advancedShared = siloShared('advanced');
    const premiumShared = siloShared('premium');
    // Optionally, the advanced tenants are reached through one routing service instead of a proxy and a route each.
    const advancedRouting = props.advancedRoutingService
      ? new TierRoutingService(this, 'AdvancedRouting', {
        vpc: this.vpc,
        application: siloApplication,
        tierName: 'advanced',
        taskExecution: advancedShared.taskExecution,
        logRetention,
      })
      : undefined;
    const advanced = new SiloServiceTier(this, 'Advanced', {
      ...common,
      ...advancedShared,
      runningHours: props.advancedRunningHours,
      routingService: advancedRouting,
      application: siloApplication,
      pooledTables: products,
      // Each awsvpc task takes an ENI: an m6i.large places 2 tasks, 10 with ENI trunking. A tenant runs 8 tasks (3
      // services and the proxy, 2 each), so without trunking 4 instances could not place even the 2 declared
      // tenants (the capacity model found it: docs/capacity.md).
      capacity: TierCapacity.ec2({ maxInstances: 10, awsvpcTrunking: true }),
      tenants: tenants.advanced,
    });
    const premium = new ClusterPerTenantTier(this, 'Premium', {
      ...common,
      ...premiumShared,
      application: siloApplication,
      pooledTables: products,
      tenants: tenants.premium,
    });
    this.tiers = [basic, advanced, premium];
    this.grantUserManagement(basic.serviceGroup, this.userPool);
    const issuers = [props.sharedIssuer ?? TokenIssuer.cognito({ userPool: this.userPool, clientIds: sharedClients })];
    this.tenantPools = {};
    for (const t of [...advanced.tenants, ...premium.tenants]) {
      const pool = new TenantUserPool(this, `Users-${t.tenantId}`, { removalPolicy });
      this.tenantPools[t.tenantId] = pool;
      this.useIdentity(t.serviceGroup!, { userPool: pool, appClientIds: [pool.appClient.userPoolClientId], shared: false });
      this.grantUserManagement(t.serviceGroup!, pool);
      // The router trusts this pool for this tenant only.
      issuers.push(TokenIssuer.cognito({ userPool: pool, clientIds: [pool.appClient.userPoolClientId], tenantId: t.tenantId }));
    }

    this.router = new TenantRouter(this, 'Router', {
      vpc: this.vpc,
      application: siloApplication,
      issuers,
      tiers: [
        { tierName: 'basic', routing: TierRouting.SHARED },
        { tierName: 'advanced', routing: advancedRouting ? TierRouting.ROUTING_SERVICE : TierRouting.PER_TENANT },
        // Premium tenants get a load balancer of their own, declared or onboarded at run time.
        { tierName: 'premium', routing: TierRouting.PER_TENANT, dedicatedLoadBalancer: true, dedicatedShardsAtRunTime: true },
      ],
      placements: props.placements,
      // Provisioned tenants' own pools are registered by the lifecycle, each bound to its tenant.
      issuerRegistry: true,
      // When every shard is full, onboarding opens another (docs/tenant-router.md).
      openShardsAtRunTime: true,
      // The control plane may suspend a tenant (its users refused) and reactivate it (docs/tenant-lifecycle.md).
      suspensions: true,
      removalPolicy,
      logRetention,
    });
    this.router.addSharedTier('basic', basic.routingTargets);
    if (advancedRouting) {
      this.router.addSharedTier('advanced', [advancedRouting.routingTarget]);
    }
    // The declared basic tenants join the tier's route, each with an API key of its own in the basic plan: one
    // tenant's burst never throttles another's. (Tenants onboarded at run time get theirs from the lifecycle.)
    this.router.addTenants([...basic.tenants, ...advanced.tenants, ...premium.tenants]);

    // Tenant stacks that the control plane's onboarding provisions, one template per stack tier. Each tenant has a
    // user pool of its own; its services trust that pool only.
    // Behind a routing service, a tenant has no route of its own: the template takes no router shard or rule priority.
    const advancedTemplate = new TenantTemplate(this, 'AdvancedTenant', { tierName: 'advanced', takesRoute: !advancedRouting });
    this.provisionedTier(advancedTemplate, removalPolicy, (application) => new SiloServiceTier(advancedTemplate, 'Advanced', {
      ...common,
      ...advancedShared,
      runningHours: props.advancedRunningHours,
      routingService: advancedRouting,
      application,
      pooledTables: products,
      cluster: advanced.cluster,
      capacityProviderName: advanced.capacityProviderName,
    }));
    const premiumTemplate = new TenantTemplate(this, 'PremiumTenant', { tierName: 'premium' });
    this.provisionedTier(premiumTemplate, removalPolicy, (application) => new ClusterPerTenantTier(premiumTemplate, 'Premium', {
      ...common,
      ...premiumShared,
      application,
      pooledTables: products,
    }));
    this.templates = [advancedTemplate, premiumTemplate];

    const sharedTiers = [{
      tierName: basic.tierName,
      userPool: this.userPool,
      appClientId: this.userPool.appClient.userPoolClientId,
      apiUrl: this.router.endpointForTier(basic.tierName),
    }];
    const stackTiers = this.templates.map((template) => ({ template }));
    this.eventBus = props.eventBus ?? (Token.isUnresolved(this.account)
      ? new events.EventBus(this, 'CellBus')
      : events.EventBus.fromEventBusName(this, 'DefaultBus', 'default'));
    this.lifecycle = new TenantLifecycle(this, 'Lifecycle', {
      eventBus: this.eventBus,
      cell: props.cell && {
        cellId: props.cell.cellId,
        controlPlaneBus: typeof props.cell.controlPlaneBus === 'string'
          ? events.EventBus.fromEventBusArn(this, 'ControlPlaneBus', props.cell.controlPlaneBus)
          : props.cell.controlPlaneBus,
      },
      contract: SbtContract.V0_5,
      router: this.router,
      application: pooledApplication,
      pooledTables: basic.pooledTables,
      sharedTiers,
      stackTiers,
      removalPolicy,
      logRetention,
    });
    this.onboardingTiers = [...sharedTiers.map((t) => t.tierName), ...stackTiers.map((t) => t.template.tierName)];

    // Each tenant's requests (its own API key's daily count) and service units, to the control plane once a day as
    // sbt-aws's usage events (docs/metering.md). In a cell with a bus of its own, the lifecycle forwards them.
    this.metering = new TenantMetering(this, 'Metering', {
      router: this.router,
      eventBus: this.eventBus,
      contract: SbtContract.V0_5,
      removalPolicy,
      logRetention,
    });

    // Tenant stacks' roles carry the lifecycle's permissions boundary; the users service also manages its pool's users.
    this.lifecycle.tenantRoleBoundary.addStatements(new iam.PolicyStatement({
      sid: 'TenantUserManagement',
      actions: USER_MANAGEMENT_ACTIONS,
      resources: [this.formatArn({ service: 'cognito-idp', resource: 'userpool', resourceName: '*' })],
    }));

    this.operations = new SaasOperations(this, 'Operations', {
      router: this.router,
      lifecycle: this.lifecycle,
      metering: this.metering,
      metricsNamespace: METRICS_NAMESPACE,
      alarmEmail: props.alarmEmail,
      removalPolicy,
    });

    // What an operator and the tenants' users need after a deploy.
    new CfnOutput(this, 'BasicTierApiUrl', { value: this.router.endpointForTier('basic'), description: 'API of the basic tier' });
    new CfnOutput(this, 'TenantApiUrls', {
      value: this.toJsonString(Object.fromEntries(
        [...advanced.tenants, ...premium.tenants].map((t) => [t.tenantId, this.router.endpointFor(t.tenantId)]),
      )),
      description: 'API of each declared advanced and premium tenant',
    });
    new CfnOutput(this, 'SharedUserPoolId', { value: this.userPool.userPoolId, description: 'User pool of the basic tier' });
    new CfnOutput(this, 'SharedAppClientId', { value: this.userPool.appClient.userPoolClientId, description: 'App client of the basic tier' });
    new CfnOutput(this, 'DashboardName', { value: this.operations.dashboard.dashboardName, description: 'The operations dashboard' });

    for (const part of [this, ...this.templates]) {
      acknowledgeTierFindings(part);
      acknowledgeExampleFindings(part);
    }
    acknowledgeRouterFindings(this.router);
    acknowledgeLifecycleFindings(this.lifecycle);
    acknowledgeMeteringFindings(this.metering);
  }

  /**
   * The application: the three microservices, with the identity their tokens come from. Every table is keyed by
   * `tenantId` and `id`, in every tier, so a service runs unchanged in all of them. The idempotency table is shared
   * like the orders table: pooled in the basic tier, the tenant's own in the others.
   */
  private application(orders: TableSharing, identity: ServiceIdentity): SaasApplication {
    const key = { partitionKey: { name: 'tenantId', type: dynamodb.AttributeType.STRING }, sortKey: { name: 'id', type: dynamodb.AttributeType.STRING } };
    const tables = {
      products: [{ table: 'products' }, { table: 'idempotency' }],
      orders: [{ table: 'orders' }, { table: 'products', accessLevel: TableAccessLevel.READ }, { table: 'idempotency' }],
      users: [],
    };
    return new SaasApplication({
      cors: this.cors,
      tables: [
        { name: 'products', sharing: TableSharing.POOLED, ...key },
        { name: 'orders', sharing: orders, ...key },
        // The records of `Idempotency-Key` requests (docs/service-resilience.md), kept with the tenant's orders.
        { name: 'idempotency', sharing: orders, ...key, timeToLiveAttribute: IDEMPOTENCY_EXPIRY_ATTRIBUTE },
      ],
      services: SERVICES.map((s) => ({
        name: s.name,
        image: ecs.ContainerImage.fromDockerImageAsset(this.images[s.name]),
        pathPrefix: s.pathPrefix,
        containerPort: s.port,
        tables: tables[s.name],
        environment: {
          PORT: String(s.port),
          AWS_REGION: Aws.REGION,
          POWERTOOLS_SERVICE_NAME: s.name,
          POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
          ...identityEnvironment(identity),
        },
      })),
    });
  }

  /** The identity a service group's services trust, in place of the one their application names. */
  private useIdentity(group: ServiceGroup, identity: ServiceIdentity): void {
    for (const service of group.services) {
      for (const s of SERVICES) {
        const container = service.taskDefinition.findContainer(s.name);
        for (const [name, value] of Object.entries(identityEnvironment(identity))) {
          container?.addEnvironment(name, value);
        }
      }
    }
  }

  /** A stack tier: the tenant's user pool, its services (trusting that pool), its route, its configuration. */
  private provisionedTier(
    template: TenantTemplate,
    removalPolicy: RemovalPolicy,
    tier: (application: SaasApplication) => TenantTier,
  ): void {
    const identity = template.addTenantIdentity({ removalPolicy });
    const application = this.application(TableSharing.PER_TENANT, {
      userPool: identity.userPool,
      appClientIds: [identity.appClient.userPoolClientId],
      shared: false,
    });
    const tenant = tier(application).addTenant(template.tenantId);
    this.grantUserManagement(tenant.serviceGroup!, identity.userPool);
    if (this.router.tierRouting(template.tierName) === TierRouting.ROUTING_SERVICE) {
      this.router.addTenant(tenant); // the tier's one route: no shard or priority of its own
    } else {
      this.router.addTenant(tenant, { shard: template.routerShard, priority: template.rulePriority, runtimeShard: template.runtimeShard });
    }
    template.configureTenant({
      userPoolId: identity.userPool.userPoolId,
      appClientId: identity.appClient.userPoolClientId,
      apiUrl: this.router.endpointFor(template.tenantId),
    });
  }

  /** The users service manages the users of its pool (it only ever touches its caller's tenant). */
  private grantUserManagement(group: ServiceGroup, pool: cognito.IUserPool): void {
    pool.grant(group.taskRole('users'), ...USER_MANAGEMENT_ACTIONS);
  }
}

/** The whole example, in one app. */
export class EcsSaasExample {
  public readonly webHosting: WebHostingStack;
  public readonly controlPlane: ControlPlaneStack;
  /** The first cell's application plane (the only one without `cells`). */
  public readonly applicationPlane: ApplicationPlaneStack;
  /** Every cell's application plane, the first first. */
  public readonly cells: ApplicationPlaneStack[];
  /** The stack of the cell placement (with `cells`). */
  public readonly cellPlacement?: CellPlacementStack;
  public readonly webContent: WebContentStack;

  constructor(scope: Construct, options: ExampleAppOptions) {
    const removalPolicy = options.removalPolicy ?? RemovalPolicy.DESTROY;
    const cells = options.cells ?? [];
    validateCells(options, cells);
    // Cells in other accounts name the control plane's default bus: its account and Region must be known.
    const home: Construct = options.controlPlaneEnvironment ? new Stage(scope, 'Home', { env: options.controlPlaneEnvironment }) : scope;
    this.webHosting = new WebHostingStack(home, 'EcsSaasWebHosting', {
      removalPolicy,
      description: 'ECS SaaS example: web apps hosting (S3, CloudFront)',
    });
    const local = options.localWebOrigins ?? false;
    this.controlPlane = new ControlPlaneStack(home, 'EcsSaasControlPlane', {
      systemAdminEmail: options.systemAdminEmail,
      removalPolicy: options.removalPolicy,
      corsOrigins: [
        this.webHosting.adminConsoleOrigin,
        this.webHosting.tenantAppOrigin,
        ...(local ? [LOCAL_WEB_ORIGINS.adminConsole, LOCAL_WEB_ORIGINS.tenantApp] : []),
      ],
      description: 'ECS SaaS example: control plane (SaaS Builder Toolkit)',
    });
    const plane = {
      removalPolicy: options.removalPolicy,
      serverSideSignIn: options.serverSideSignIn,
      alarmEmail: options.alarmEmail,
      sharedIssuer: options.sharedIssuer,
      perTenantSiloResources: options.perTenantSiloResources,
      advancedRunningHours: options.advancedRunningHours,
      advancedRoutingService: options.advancedRoutingService,
      // The tenant app calls its tenant's API (the admin console calls the control plane's only).
      cors: options.cors ?? { allowOrigins: [this.webHosting.tenantAppOrigin, ...(local ? [LOCAL_WEB_ORIGINS.tenantApp] : [])] },
    };
    const controlBus = this.controlPlane.eventBus;
    this.applicationPlane = new ApplicationPlaneStack(home, 'EcsSaasApplicationPlane', {
      ...plane,
      eventBus: controlBus,
      cell: cells.length > 0 ? { cellId: cells[0].cellId, controlPlaneBus: controlBus } : undefined,
      placements: options.placements,
      tenants: options.tenants,
      description: 'ECS SaaS example: application plane (tiers, router, tenant lifecycle)',
    });
    this.cells = [this.applicationPlane];
    const placementCells: ExamplePlacementCell[] = cells.length > 0 ? [{ cellId: cells[0].cellId, eventBus: controlBus }] : [];
    for (const cell of cells.slice(1)) {
      const id = `EcsSaasApplicationPlane-${cell.cellId}`;
      const description = `ECS SaaS example: application plane, cell ${cell.cellId}`;
      // Onboarded tenants only: a declared tenant lives in one cell, the first.
      const none = { basic: [], advanced: [], premium: [] };
      if (cell.env) {
        // Another account: a stage of its own. Buses are named by ARN (the accounts' default buses): a stage
        // cannot refer to another's resources.
        const control = options.controlPlaneEnvironment!;
        const stack = new ApplicationPlaneStack(new Stage(scope, `Cell-${cell.cellId}`, { env: cell.env }), 'EcsSaasApplicationPlane', {
          ...plane,
          cors: options.cors!,
          cell: { cellId: cell.cellId, controlPlaneBus: defaultBusArn(control) },
          tenants: none,
          description,
        });
        this.cells.push(stack);
        placementCells.push({ cellId: cell.cellId, eventBus: defaultBusArn(cell.env) });
      } else {
        const stack = new ApplicationPlaneStack(home, id, {
          ...plane,
          cell: { cellId: cell.cellId, controlPlaneBus: controlBus },
          tenants: none,
          description,
        });
        this.cells.push(stack);
        placementCells.push({ cellId: cell.cellId, eventBus: stack.eventBus });
      }
    }
    if (cells.length > 0) {
      const sizing: CellSizingFile = JSON.parse(fs.readFileSync(CELL_SIZING_FILE, 'utf8'));
      this.cellPlacement = new CellPlacementStack(home, 'EcsSaasCellPlacement', {
        controlPlaneBus: controlBus,
        cells: placementCells,
        tiers: Object.entries(sizing.tiers).map(([tierName, perTenant]) => ({ tierName, perTenant })),
        limits: { ...sizing.limits, ...options.cellLimits },
        crossAccount: cells.some((c) => c.env !== undefined),
        removalPolicy,
        description: 'ECS SaaS example: cell placement (each new tenant to a cell with room)',
      });
    }
    this.webContent = new WebContentStack(home, 'EcsSaasWebContent', {
      hosting: this.webHosting,
      controlPlaneApiUrl: this.controlPlane.apiUrl,
      adminUserPoolId: this.controlPlane.auth.userPool.userPoolId,
      adminAppClientId: this.controlPlane.auth.userClientId,
      tiers: this.applicationPlane.onboardingTiers,
      removalPolicy,
      description: 'ECS SaaS example: web apps content (builds and config.json)',
    });
  }

  /** The stacks, in deployment order. */
  public get stacks(): Stack[] {
    return [this.webHosting, this.controlPlane, ...this.cells, ...(this.cellPlacement ? [this.cellPlacement] : []), this.webContent];
  }
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
