import { Annotations, Duration, Fn, RemovalPolicy, Stack, Tags, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigatewayv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { FactName, RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';
import { Placement, planPlacements, RouteRequest } from './placement';
import { RoutingTarget } from './routing-target';
import { TenantRouterShard } from './tenant-router-shard';
import { TierUsagePlan } from './tier-usage-plan';
import { TokenIssuer } from './token-issuer';
import { SaasApplication } from '../application/saas-application';
import {
  ENV_AUTHORIZER_CONFIG,
  ENV_ISSUER_REGISTRY_TABLE,
  ENV_TENANT_KEY_MARKER,
  ENV_TIER_API_KEYS,
} from '../contract/environment';
import { TENANT_CLAIMS } from '../contract/identity';
import { API_KEY_MARKER_TAG, AuthorizerConfig, LAMBDA_ENVIRONMENT_LIMIT, LISTENER_PRIORITY_MAX, ROUTING_HEADER } from '../contract/router';
import { bundledFunction } from '../private/bundled-function';
import { pascal } from '../private/naming';
import { validateTenantId } from '../private/tenant-id';
import { TierTenant } from '../tiers/ecs-tier-options';

/**
 * How the requests of a tier's tenants are routed.
 */
export enum TierRouting {
  /** All tenants of the tier share one route: the routing key is the tier name (a pooled tier). */
  SHARED = 'SHARED',
  /** Each tenant has its own route: the routing key is the tenant id (silo tiers). */
  PER_TENANT = 'PER_TENANT',
}

/**
 * A tier the router knows. A token naming any other tier is denied.
 */
export interface RouterTier {
  /** The tier's name, as in the tier construct and in the tier claim of tokens. */
  readonly tierName: string;

  /** How the tier's tenants are routed. */
  readonly routing: TierRouting;

  /**
   * Throttle and quota of the tier's usage plan.
   *
   * @default TierUsagePlan.defaultFor(tierName): the reference's plan for basic, advanced and premium, else basic
   */
  readonly usagePlan?: TierUsagePlan;

  /**
   * Give each tenant of the tier its own API key and usage plan (with `usagePlan`'s limits), instead of one key and
   * plan shared by the tier's tenants. For products with few large tenants: an account has 300 usage plans.
   *
   * @default false
   */
  readonly apiKeyPerTenant?: boolean;

  /**
   * Give each tenant of the tier a load balancer and API of its own (a shard of one tenant). Requires PER_TENANT
   * routing.
   *
   * @default false
   */
  readonly dedicatedLoadBalancer?: boolean;
}

/**
 * The token claims the authorizer reads.
 */
export interface TenantClaims {
  /**
   * Claim holding the tenant id.
   *
   * @default 'custom:tenantId'
   */
  readonly tenantId?: string;

  /**
   * Claim holding the tenant's tier.
   *
   * @default 'custom:tenantTier'
   */
  readonly tier?: string;

  /**
   * Claim holding the user's role.
   *
   * @default 'custom:userRole'
   */
  readonly role?: string;
}

/**
 * A path only some roles may call. Requests of other roles are denied by the authorizer's policy.
 */
export interface RoleRule {
  /** The path prefix, one of the application's (for example `/users`). */
  readonly pathPrefix: string;

  /** The roles allowed under it (values of the role claim). */
  readonly allowedRoles: string[];
}

/**
 * AWS quotas the router plans and validates against. Defaults are AWS's; raise them here after raising them in
 * Service Quotas.
 */
export interface RouterQuotas {
  /**
   * Target groups per Application Load Balancer.
   *
   * @default 100
   */
  readonly targetGroupsPerLoadBalancer?: number;

  /**
   * Rules per listener, not counting the default rule.
   *
   * @default 100
   */
  readonly rulesPerListener?: number;

  /**
   * Application Load Balancers per Region.
   *
   * @default 50
   */
  readonly loadBalancers?: number;

  /**
   * Target groups per Region.
   *
   * @default 3000
   */
  readonly targetGroups?: number;

  /**
   * Regional REST APIs per Region.
   *
   * @default 600
   */
  readonly restApis?: number;

  /**
   * Usage plans per Region.
   *
   * @default 300
   */
  readonly usagePlans?: number;
}

/**
 * Where a route is: its shard and the priority of its first listener rule (its other rules follow consecutively).
 * Pin the placements of the routes you deploy (`TenantRouterProps.placements`, from `TenantRouter.placements`) so
 * that they never move when other tenants are added or removed.
 */
export interface RoutePlacement {
  /** The routing key: the tenant id, or the tier name of a pooled tier. */
  readonly routingKey: string;

  /** The shard, from 0. */
  readonly shard: number;

  /** Priority of the route's first listener rule. */
  readonly priority: number;

  /** Number of listener rules (and target groups) of the route. */
  readonly rules: number;
}

/**
 * Options for adding a tenant to the router.
 */
export interface RouteOptions {
  /**
   * The shard of the tenant's route. Required when the tenant id is a CloudFormation token (a tenant stack
   * provisioned from a template); may then be a token too (a template parameter), selecting among the router's
   * shards.
   *
   * @default - planned by the router (or taken from `TenantRouterProps.placements`)
   */
  readonly shard?: number;

  /**
   * The priority of the route's listener rule on its shard. Required when the tenant id is a CloudFormation token;
   * may then be a token (allocated by the provisioning workflow, never reused while held).
   *
   * @default - planned by the router (or taken from `TenantRouterProps.placements`)
   */
  readonly priority?: number;
}

/**
 * Properties of a TenantRouter.
 */
export interface TenantRouterProps {
  /** The VPC of the tiers. */
  readonly vpc: ec2.IVpc;

  /** The application: its path prefixes become the API's resources, its methods the API's methods. */
  readonly application: SaasApplication;

  /** The token issuers the router trusts (at least one). Tokens of any other issuer are denied. */
  readonly issuers: TokenIssuer[];

  /** The tiers the router serves (at least one). */
  readonly tiers: RouterTier[];

  /**
   * The claims holding tenant id, tier and role.
   *
   * @default - the reference's: custom:tenantId, custom:tenantTier, custom:userRole
   */
  readonly claims?: TenantClaims;

  /**
   * Paths only some roles may call.
   *
   * @default - every role may call every path
   */
  readonly roleRules?: RoleRule[];

  /**
   * How long API Gateway caches the authorizer's decision for a token. `Duration.seconds(0)` disables caching.
   *
   * @default Duration.minutes(5)
   */
  readonly authorizerCacheTtl?: Duration;

  /**
   * Placements of routes deployed before: they are kept. Routes without one are placed around them.
   *
   * @default - none: every route is planned
   */
  readonly placements?: RoutePlacement[];

  /**
   * Shards to create at least, for tenants provisioned later from templates.
   *
   * @default 1
   */
  readonly minShards?: number;

  /**
   * AWS quotas to plan and validate against.
   *
   * @default - AWS's defaults
   */
  readonly quotas?: RouterQuotas;

  /**
   * Name of the API stage.
   *
   * @default 'prod'
   */
  readonly stageName?: string;

  /**
   * Subnets of the load balancers and the VPC link.
   *
   * @default - private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Retention of the router's logs (API access logs, authorizer logs).
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Removal policy of the router's logs and access-log bucket.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Create the account-level role that lets API Gateway write logs (one per account and Region). Turn off when the
   * account already has one.
   *
   * @default true
   */
  readonly cloudWatchRole?: boolean;

  /**
   * Keep a registry of issuers added at run time: the user pools of tenants provisioned from templates, each bound
   * to its tenant. TenantLifecycle writes it; the authorizer trusts a registered pool for its tenant only.
   *
   * @default false
   */
  readonly issuerRegistry?: boolean;

  /**
   * ARN of an AWS WAF web ACL (regional) to associate with every shard's API stage.
   *
   * @default - none
   */
  readonly webAclArn?: string;
}

interface RouteRecord {
  readonly key: string;
  readonly tierName: string;
  readonly targets: RoutingTarget[];
  readonly tenants: string[];
  readonly shard: TenantRouterShard | undefined;
  readonly shardRef: ShardRef;
  readonly placement?: Placement;
}

interface ShardRef {
  readonly listenerArn: string;
  readonly securityGroupId: string;
  readonly apiId: string;
  readonly stageName: string;
  readonly url: string;
}

const TIER_NAME = /^[a-z][a-z0-9-]{0,19}$/;
/** Used by the deploy-time lookup for Regions without an ELB account (where the service principal applies). */
const US_EAST_1_ELB_ACCOUNT = '127311923021';

/**
 * The request path of a multi-tenant SaaS on ECS: API Gateway with a Lambda authorizer and enforced tier usage plans,
 * a VPC link to internal Application Load Balancers, and header-based routing to each tenant's targets, sharded over
 * as many load balancers as the tenants need.
 *
 * - The authorizer (aws-jwt-verify) accepts tokens of the configured issuers only, reads tenant, tier and role from
 *   the configured claims, denies unknown tiers, applies role rules, and hands API Gateway the routing key and the
 *   usage plan's API key. Every method requires that key, so throttles and quotas apply.
 * - The routing header is written by API Gateway from the authorizer's decision, over anything the client sent; the
 *   load balancers admit only the VPC link's security group, and answer 404 unless a tenant rule matches.
 * - Each route's listener-rule priority is allocated once and never moves (see `placements`), so adding and removing
 *   tenants cannot make two rules collide. Shards respect the target-group and rule quotas; each has its own API,
 *   whose URL is the endpoint of the tenants routed there (`endpointFor`).
 *
 * @example
 * declare const vpc: ec2.IVpc;
 * declare const application: SaasApplication;
 * declare const userPool: cognito.IUserPool;
 * declare const basic: PooledEcsTier;
 * declare const advanced: SiloServiceTier;
 *
 * const router = new TenantRouter(this, 'Router', {
 *   vpc,
 *   application,
 *   issuers: [TokenIssuer.cognito({ userPool, clientIds: ['example-client-id'] })],
 *   tiers: [
 *     { tierName: 'basic', routing: TierRouting.SHARED },
 *     { tierName: 'advanced', routing: TierRouting.PER_TENANT },
 *   ],
 *   roleRules: [{ pathPrefix: '/orders', allowedRoles: ['TenantAdmin'] }],
 * });
 * router.addTenants(basic.tenants);
 * router.addTenants(advanced.tenants);
 */
export class TenantRouter extends Construct {
  /** The Lambda authorizer. */
  public readonly authorizer: lambda.Function;
  /** The VPC link (V2) from API Gateway into the VPC. */
  public readonly vpcLink: apigatewayv2.VpcLink;
  /** Security group of the VPC link: the only source the load balancers admit. */
  public readonly vpcLinkSecurityGroup: ec2.SecurityGroup;
  /** Bucket of the load balancers' access logs. */
  public readonly accessLogBucket: s3.Bucket;
  /**
   * Issuers registered at run time (partition key `issuer`), when `issuerRegistry` is on.
   *
   * @default - none
   */
  public readonly issuerRegistry?: dynamodb.Table;
  /**
   * Value of the `cdk-ecs-saas:router` tag that marks this router's per-tenant API keys (the authorizer finds a
   * tenant's key by customer id = tenant id and this tag).
   */
  public readonly apiKeyMarker: string;

  private readonly props: TenantRouterProps;
  private readonly tiers = new Map<string, Required<Pick<RouterTier, 'tierName' | 'routing'>> & { plan: TierUsagePlan; perTenant: boolean; dedicated: boolean }>();
  private readonly tierPlans = new Map<string, apigateway.UsagePlan>();
  private readonly shardList: TenantRouterShard[] = [];
  private readonly routes = new Map<string, RouteRecord>();
  private readonly tokenRoutes: RouteRecord[] = [];
  private readonly pinned: Map<string, RoutePlacement>;
  /** The quotas the router plans against, with AWS's defaults filled in. */
  public readonly quotas: RouterQuotas;
  private readonly limits: Required<RouterQuotas>;
  private readonly account?: apigateway.CfnAccount;
  private tenantPlanCount = 0;
  private frozenProvisioningShards?: TenantRouterShard[];

  constructor(scope: Construct, id: string, props: TenantRouterProps) {
    super(scope, id);
    this.props = props;
    this.limits = validateQuotas(props.quotas ?? {});
    this.quotas = this.limits;
    validateProps(props);
    for (const [i, t] of props.tiers.entries()) {
      if (!TIER_NAME.test(t.tierName)) {
        throw new Error(`tiers[${i}].tierName must be 1 to 20 lowercase letters, digits and hyphens, starting with a letter; got '${t.tierName}'.`);
      }
      if (this.tiers.has(t.tierName)) {
        throw new Error(`tiers[${i}].tierName '${t.tierName}' is listed twice: each tier is configured once.`);
      }
      if (t.dedicatedLoadBalancer && t.routing !== TierRouting.PER_TENANT) {
        throw new Error(`tiers[${i}].dedicatedLoadBalancer needs routing PER_TENANT; tier '${t.tierName}' has ${t.routing}, whose tenants share one route.`);
      }
      this.tiers.set(t.tierName, {
        tierName: t.tierName,
        routing: t.routing,
        plan: t.usagePlan ?? TierUsagePlan.defaultFor(t.tierName),
        perTenant: t.apiKeyPerTenant ?? false,
        dedicated: t.dedicatedLoadBalancer ?? false,
      });
    }
    this.pinned = validatePlacements(props.placements ?? [], this.limits);

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const vpcSubnets = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    const stack = Stack.of(this);
    this.apiKeyMarker = `${stack.stackName}/${this.node.addr}`;

    this.vpcLinkSecurityGroup = new ec2.SecurityGroup(this, 'VpcLinkSecurityGroup', {
      vpc: props.vpc,
      description: 'Tenant router VPC link: reaches the router load balancers only',
      allowAllOutbound: false,
    });
    this.vpcLink = new apigatewayv2.VpcLink(this, 'VpcLink', { vpc: props.vpc, subnets: vpcSubnets, securityGroups: [this.vpcLinkSecurityGroup] });

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
      lifecycleRules: [{ expiration: Duration.days(365) }],
    });
    this.accessLogBucket.addToResourcePolicy(new iam.PolicyStatement({
      actions: ['s3:PutObject'],
      principals: loadBalancerLogPrincipals(stack),
      resources: [this.accessLogBucket.arnForObjects(`shard-*/AWSLogs/${stack.account}/*`)],
    }));

    if (props.cloudWatchRole ?? true) {
      const role = new iam.Role(this, 'ApiGatewayCloudWatchRole', {
        assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
        managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
      });
      role.applyRemovalPolicy(RemovalPolicy.RETAIN);
      this.account = new apigateway.CfnAccount(this, 'ApiGatewayAccount', { cloudWatchRoleArn: role.roleArn });
      this.account.applyRemovalPolicy(RemovalPolicy.RETAIN);
    }

    this.authorizer = bundledFunction(this, 'Authorizer', {
      bundle: 'router-authorizer',
      label: 'router\'s authorizer',
      bundleTask: 'bundle:router',
      description: 'Tenant router authorizer: verifies tokens of the configured issuers and picks the tenant route',
      memorySize: 512,
      timeout: Duration.seconds(10),
      logRetention,
      removalPolicy,
      environment: {
        [ENV_AUTHORIZER_CONFIG]: stack.toJsonString(this.authorizerConfig()),
        [ENV_TENANT_KEY_MARKER]: this.apiKeyMarker,
        POWERTOOLS_SERVICE_NAME: 'tenant-router-authorizer',
      },
    }).fn;
    // Any API of this account's router shards may call the authorizer (one permission for every shard: a
    // permission per API would outgrow the function's 20 KB resource policy).
    this.authorizer.addPermission('InvokeFromRouterApis', {
      principal: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      sourceArn: stack.formatArn({ service: 'execute-api', resource: '*', resourceName: 'authorizers/*' }),
    });

    // One API key and usage plan per tier (unless per tenant): the authorizer reads the key's value by id.
    const tierKeyIds: Record<string, string> = {};
    const keyArns: string[] = [];
    for (const tier of this.tiers.values()) {
      if (tier.perTenant) {
        continue;
      }
      const key = new apigateway.ApiKey(this, `${pascal(tier.tierName)}ApiKey`, {
        description: `Usage-plan key of tier ${tier.tierName}, supplied by the router's authorizer`,
      });
      const plan = new apigateway.UsagePlan(this, `${pascal(tier.tierName)}UsagePlan`, {
        description: `Tier ${tier.tierName}`,
        ...planLimits(tier.plan),
      });
      plan.addApiKey(key);
      this.tierPlans.set(tier.tierName, plan);
      tierKeyIds[tier.tierName] = key.keyId;
      keyArns.push(stack.formatArn({ service: 'apigateway', account: '', resource: '/apikeys', resourceName: key.keyId }));
    }
    this.authorizer.addEnvironment(ENV_TIER_API_KEYS, stack.toJsonString(tierKeyIds));
    const lookups: string[] = [...keyArns];
    if ([...this.tiers.values()].some((t) => t.perTenant)) {
      lookups.push(stack.formatArn({ service: 'apigateway', account: '', resource: '/apikeys' }));
    }
    if (lookups.length > 0) {
      this.authorizer.addToRolePolicy(new iam.PolicyStatement({ actions: ['apigateway:GET'], resources: lookups }));
    }
    this.validateEnvironmentSize();

    if (props.issuerRegistry) {
      this.issuerRegistry = new dynamodb.Table(this, 'IssuerRegistry', {
        partitionKey: { name: 'issuer', type: dynamodb.AttributeType.STRING },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        removalPolicy,
      });
      this.authorizer.addEnvironment(ENV_ISSUER_REGISTRY_TABLE, this.issuerRegistry.tableName);
      this.authorizer.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:GetItem'], resources: [this.issuerRegistry.tableArn] }));
    }

    for (let i = 0; i < (props.minShards ?? 1); i++) {
      this.shardAt(i, false);
    }
    this.node.addValidation({ validate: () => this.validateRouter() });
  }

  /** The shards, in order. */
  public get shards(): TenantRouterShard[] {
    return [...this.shardList];
  }

  /**
   * The shards open to tenants provisioned from templates: every shard that is not dedicated to one tenant. A route
   * whose shard is a template parameter selects by position in this list, which is fixed by the first such route.
   */
  public get provisioningShards(): TenantRouterShard[] {
    return [...(this.frozenProvisioningShards ?? this.shardList.filter((s) => !s.dedicated))];
  }

  /** Whether each tenant of the tier has its own API key and usage plan. */
  public hasApiKeyPerTenant(tierName: string): boolean {
    return this.tiers.get(tierName)?.perTenant ?? false;
  }

  /**
   * Where every route with a literal routing key is: pin these (`placements`) before removing any route, so that
   * no rule ever moves.
   */
  public get placements(): RoutePlacement[] {
    return [...this.routes.values()]
      .filter((r) => r.placement)
      .map((r) => ({ routingKey: r.key, shard: r.placement!.shard, priority: r.placement!.priority, rules: r.placement!.rules }))
      .sort((a, b) => a.shard - b.shard || a.priority - b.priority);
  }

  /** The usage plan of a tier (not of a tier with a plan per tenant). */
  public usagePlan(tierName: string): apigateway.UsagePlan {
    const plan = this.tierPlans.get(tierName);
    if (!plan) {
      throw new Error(`No usage plan for tier '${tierName}': tiers with one plan: ${[...this.tierPlans.keys()].join(', ') || 'none'}.`);
    }
    return plan;
  }

  /**
   * The API endpoint of a tenant: the URL of its shard's API stage, which onboarding hands to the tenant's users.
   *
   * @param tenantId the tenant's id
   */
  public endpointFor(tenantId: string): string {
    const route = [...this.routes.values(), ...this.tokenRoutes].find((r) => r.tenants.includes(tenantId));
    if (!route) {
      throw new Error(`tenantId '${tenantId}' has no route in this router: add it with addTenant first.`);
    }
    return route.shardRef.url;
  }

  /**
   * The API endpoint of a tier whose tenants share one route (SHARED routing): the URL of that route's shard.
   *
   * @param tierName the tier's name
   */
  public endpointForTier(tierName: string): string {
    const route = this.routes.get(tierName);
    if (!route || route.tierName !== tierName) {
      throw new Error(`tier '${tierName}' has no shared route in this router: add one of its tenants first (tiers routed SHARED only).`);
    }
    return route.shardRef.url;
  }

  /**
   * Routes a tier whose tenants share one route (SHARED routing) before any of its tenants is known, as when all of
   * them are onboarded at run time. Its tenants added later join this route.
   *
   * @param tierName the tier's name
   * @param routingTargets the tier's routing targets (`PooledEcsTier.routingTargets`)
   */
  public addSharedTier(tierName: string, routingTargets: RoutingTarget[]): void {
    const tier = this.tiers.get(tierName);
    if (!tier || tier.routing !== TierRouting.SHARED) {
      const sharedTiers = [...this.tiers.values()].filter((t) => t.routing === TierRouting.SHARED).map((t) => t.tierName);
      throw new Error(`tier '${tierName}' is not a SHARED tier of this router; its SHARED tiers: ${sharedTiers.join(', ') || 'none'}.`);
    }
    if (this.routes.has(tierName)) {
      throw new Error(`tier '${tierName}' is already routed.`);
    }
    this.addRoute({ tenantId: undefined, tierName, routingKey: tierName, routingTargets });
  }

  /** Routes each of these tenants (see `addTenant`). */
  public addTenants(tenants: TierTenant[]): void {
    tenants.forEach((t) => this.addTenant(t));
  }

  /**
   * Routes a tenant of a tier: its routing key reaches its routing targets. Tenants of a pooled tier share one route.
   * Target groups and listener rules are created in the stack of the tenant's services.
   *
   * @param tenant the tenant, as returned by a tier's `addTenant`
   * @param options shard and priority, required for a tenant whose id is a CloudFormation token
   */
  public addTenant(tenant: TierTenant, options: RouteOptions = {}): void {
    const tier = this.tiers.get(tenant.tierName);
    if (!tier) {
      throw new Error(`tenant '${tenant.tenantId}' is in tier '${tenant.tierName}', which this router does not serve; its tiers: ${[...this.tiers.keys()].join(', ')}.`);
    }
    validateTenantId('tenantId', tenant.tenantId);
    const expectedKey = tier.routing === TierRouting.SHARED ? tier.tierName : tenant.tenantId;
    if (tenant.routingKey !== expectedKey) {
      throw new Error(
        `tenant '${tenant.tenantId}' has routing key '${tenant.routingKey}', but tier '${tier.tierName}' is routed ${tier.routing}, whose routing key is '${expectedKey}'.`,
      );
    }
    if (tenant.routingTargets.length === 0) {
      throw new Error(`tenant '${tenant.tenantId}' has no routing targets: nothing to route to.`);
    }
    if (Token.isUnresolved(tenant.tenantId) || Token.isUnresolved(tenant.routingKey)) {
      this.addTokenRoute(tenant, tier, options);
      return;
    }
    const existing = this.routes.get(tenant.routingKey);
    if (existing) {
      const same = existing.targets.length === tenant.routingTargets.length && existing.targets.every((t, i) => t === tenant.routingTargets[i]);
      if (!same || tier.routing === TierRouting.PER_TENANT) {
        throw new Error(`routing key '${tenant.routingKey}' already has a route (tenant ${existing.tenants.join(', ')}): a tenant is routed once.`);
      }
      if (existing.tenants.includes(tenant.tenantId)) {
        throw new Error(`tenant '${tenant.tenantId}' is already routed.`);
      }
      existing.tenants.push(tenant.tenantId);
      if (tier.perTenant) {
        this.addTenantKey(this.shardList[existing.placement!.shard], tenant.tenantId, existing.shardRef, existing.shard!);
      }
      return;
    }
    this.addRoute(tenant, options);
  }

  private addRoute(
    tenant: { tenantId?: string; tierName: string; routingKey: string; routingTargets: RoutingTarget[] },
    options: RouteOptions = {},
  ): void {
    const tier = this.tiers.get(tenant.tierName)!;
    const who = tenant.tenantId ? `tenant '${tenant.tenantId}'` : `tier '${tenant.tierName}'`;
    const rules = tenant.routingTargets.length;
    if (rules > this.limits.rulesPerListener || rules > this.limits.targetGroupsPerLoadBalancer) {
      throw new Error(
        `${who} has ${rules} routing targets; one load balancer allows ${this.limits.rulesPerListener} rules and ${this.limits.targetGroupsPerLoadBalancer} target groups.`,
      );
    }
    if (options.shard !== undefined || options.priority !== undefined) {
      const { shard, priority } = options;
      if (shard === undefined || priority === undefined || Token.isUnresolved(shard) || Token.isUnresolved(priority)) {
        throw new Error(`options for ${who} must give both shard and priority as numbers (tokens only for a tenant id that is a token); got shard ${options.shard}, priority ${options.priority}.`);
      }
      const pin: RoutePlacement = { routingKey: tenant.routingKey, shard, priority, rules };
      validatePlacements([...[...this.pinned.values()].filter((p) => p.routingKey !== pin.routingKey), pin], this.limits);
      this.pinned.set(pin.routingKey, pin);
    }
    const placement = this.place({ key: tenant.routingKey, rules, targetGroups: rules, dedicated: tier.dedicated });
    const shard = this.shardAt(placement.shard, placement.dedicated);
    const record: RouteRecord = {
      key: tenant.routingKey,
      tierName: tier.tierName,
      targets: tenant.routingTargets,
      tenants: tenant.tenantId ? [tenant.tenantId] : [],
      shard,
      shardRef: refOf(shard),
      placement,
    };
    this.routes.set(record.key, record);
    tenant.routingTargets.forEach((target, i) => {
      this.attach(target, shard.listener.listenerArn, shard.securityGroup.securityGroupId, placement.priority + i);
    });
    if (tier.perTenant && tenant.tenantId) {
      this.addTenantKey(shard, tenant.tenantId, record.shardRef, shard);
    }
  }

  private addTokenRoute(tenant: TierTenant, tier: { tierName: string; perTenant: boolean; routing: TierRouting }, options: RouteOptions): void {
    if (tier.routing === TierRouting.SHARED) {
      // The tier's route exists already (a pooled tier routes by tier name): nothing to create but the tenant's key.
      throw new Error(
        `tenant '${tenant.tenantId}' is a token in the shared tier '${tier.tierName}': a pooled tier's tenants need no route of their own; register them with the control plane only.`,
      );
    }
    if (options.shard === undefined || options.priority === undefined) {
      throw new Error(
        `tenant id '${tenant.tenantId}' is a CloudFormation token: give options.shard and options.priority (template parameters, allocated by the provisioning workflow); got shard ${options.shard}, priority ${options.priority}.`,
      );
    }
    if (tenant.routingTargets.length !== 1) {
      throw new Error(
        `tenant id '${tenant.tenantId}' is a token and has ${tenant.routingTargets.length} routing targets; a route whose priority is a token holds one rule: use the tenant proxy (proxy: true).`,
      );
    }
    const open = this.provisioningShards.length;
    if (!Token.isUnresolved(options.shard) && (options.shard < 0 || options.shard >= open || !Number.isInteger(options.shard))) {
      throw new Error(`options.shard must be the position of a shard open to provisioned tenants, 0 to ${open - 1}; got ${options.shard}. Create shards ahead with minShards.`);
    }
    const priority = options.priority;
    if (!Token.isUnresolved(priority) && !(Number.isInteger(priority) && priority >= 1 && priority <= LISTENER_PRIORITY_MAX)) {
      throw new Error(`options.priority must be a whole number from 1 to ${LISTENER_PRIORITY_MAX}; got ${options.priority}.`);
    }
    const shardRef = this.shardRefAt(options.shard);
    const record: RouteRecord = {
      key: tenant.routingKey,
      tierName: tier.tierName,
      targets: tenant.routingTargets,
      tenants: [tenant.tenantId],
      shard: undefined,
      shardRef,
    };
    this.tokenRoutes.push(record);
    this.attach(tenant.routingTargets[0], shardRef.listenerArn, shardRef.securityGroupId, options.priority);
    if (tier.perTenant) {
      this.addTenantKey(new Construct(Stack.of(tenant.routingTargets[0].service), `TenantApiKey${this.node.addr.slice(0, 8)}`), tenant.tenantId, shardRef, undefined);
    }
  }

  /** The shard's attributes, or a selection among all shards when the index is a token. */
  private shardRefAt(index: number): ShardRef {
    if (!Token.isUnresolved(index)) {
      return refOf(this.provisioningShards[index]);
    }
    // The list is fixed by the first template route: a later shard would not be in templates synthesized before it.
    this.frozenProvisioningShards ??= this.shardList.filter((s) => !s.dedicated);
    const open = this.frozenProvisioningShards;
    const select = (f: (s: TenantRouterShard) => string) => Fn.select(index, open.map(f));
    return {
      listenerArn: select((s) => s.listener.listenerArn),
      securityGroupId: select((s) => s.securityGroup.securityGroupId),
      apiId: select((s) => s.api.restApiId),
      stageName: this.props.stageName ?? 'prod',
      url: select((s) => s.url),
    };
  }

  /** Places a route, keeping the pinned and existing placements. */
  private place(request: RouteRequest): Placement {
    const previous: Placement[] = [];
    const requests: RouteRequest[] = [];
    for (const r of this.routes.values()) {
      previous.push(r.placement!);
      requests.push({ key: r.key, rules: r.placement!.rules, targetGroups: r.placement!.targetGroups, dedicated: r.placement!.dedicated });
    }
    // Pinned routes not added yet hold their slots (and their capacity) too.
    for (const p of this.pinned.values()) {
      if (!this.routes.has(p.routingKey) && p.routingKey !== request.key) {
        const dedicated = this.isDedicatedShard(p.shard);
        previous.push({ key: p.routingKey, shard: p.shard, priority: p.priority, rules: p.rules, targetGroups: p.rules, dedicated });
        requests.push({ key: p.routingKey, rules: p.rules, targetGroups: p.rules, dedicated });
      }
    }
    const pin = this.pinned.get(request.key);
    if (pin) {
      if (pin.rules !== request.rules) {
        Annotations.of(this).addWarningV2(
          'cdk-ecs-saas:routeReshaped',
          `route '${request.key}' is pinned with ${pin.rules} rules but now has ${request.rules}: it gets a new placement, and its old priorities stay free until the next deployment.`,
        );
      } else {
        const dedicated = !!request.dedicated;
        previous.push({ key: pin.routingKey, shard: pin.shard, priority: pin.priority, rules: pin.rules, targetGroups: pin.rules, dedicated });
      }
    }
    requests.push(request);
    const plan = planPlacements(requests, previous, this.limits);
    return plan.placements.find((p) => p.key === request.key)!;
  }

  private isDedicatedShard(index: number): boolean {
    return this.shardList[index]?.dedicated ?? false;
  }

  /** The shard with this index, created (with any missing before it) when needed. */
  private shardAt(index: number, dedicated: boolean): TenantRouterShard {
    while (this.shardList.length <= index) {
      const i = this.shardList.length;
      if (i + 1 > this.limits.loadBalancers) {
        throw new Error(
          `the router needs ${i + 1} load balancers; the quota is ${this.limits.loadBalancers} Application Load Balancers per Region. Raise it in Service Quotas and set quotas.loadBalancers.`,
        );
      }
      if (i + 1 > this.limits.restApis) {
        throw new Error(`the router needs ${i + 1} REST APIs (one per shard); the quota is ${this.limits.restApis} regional APIs. Raise it and set quotas.restApis.`);
      }
      const shard = new TenantRouterShard(this, `Shard${i}`, {
        index: i,
        vpc: this.props.vpc,
        vpcSubnets: this.props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        application: this.props.application,
        vpcLinkSecurityGroup: this.vpcLinkSecurityGroup,
        vpcLinkId: this.vpcLink.vpcLinkId,
        authorizerFunctionArn: this.authorizer.functionArn,
        authorizerCacheTtl: this.props.authorizerCacheTtl ?? Duration.minutes(5),
        stageName: this.props.stageName ?? 'prod',
        accessLogBucket: this.accessLogBucket,
        logRetention: this.props.logRetention ?? logs.RetentionDays.ONE_YEAR,
        removalPolicy: this.props.removalPolicy ?? RemovalPolicy.RETAIN,
        dedicated: i === index && dedicated,
        webAclArn: this.props.webAclArn,
      });
      shard.node.addDependency(this.accessLogBucket.policy!);
      this.vpcLinkSecurityGroup.connections.allowTo(shard.securityGroup, ec2.Port.tcp(80), `Router shard ${i}`);
      if (this.account) {
        shard.node.addDependency(this.account);
      }
      for (const plan of this.tierPlans.values()) {
        plan.addApiStage({ api: shard.api, stage: shard.api.deploymentStage });
      }
      this.shardList.push(shard);
    }
    return this.shardList[index];
  }

  /** A target group and listener rule for one routing target, in the stack of the target's service. */
  private attach(target: RoutingTarget, listenerArn: string, securityGroupId: string, priority: number): void {
    if (target.service.node.tryFindChild('TenantRoute')) {
      throw new Error(`routing target '${target.routingKey}' (${target.service.node.path}) is already routed: a target belongs to one router.`);
    }
    const scope = new Construct(target.service, 'TenantRoute');
    const listener = elbv2.ApplicationListener.fromApplicationListenerAttributes(scope, 'Listener', {
      listenerArn,
      securityGroup: ec2.SecurityGroup.fromSecurityGroupId(scope, 'LoadBalancerSecurityGroup', securityGroupId, { allowAllOutbound: false }),
    });
    const group = new elbv2.ApplicationTargetGroup(scope, 'TargetGroup', {
      vpc: this.props.vpc,
      port: target.port,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      targets: [target.loadBalancerTarget()],
      healthCheck: { path: target.healthCheckPath, healthyHttpCodes: '200', interval: Duration.seconds(15), healthyThresholdCount: 2 },
      deregistrationDelay: Duration.seconds(30),
    });
    new elbv2.ApplicationListenerRule(scope, 'Rule', {
      listener,
      priority,
      conditions: [
        elbv2.ListenerCondition.httpHeader(ROUTING_HEADER, [target.routingKey]),
        ...(target.pathPrefix ? [elbv2.ListenerCondition.pathPatterns([target.pathPrefix, `${target.pathPrefix}/*`])] : []),
      ],
      action: elbv2.ListenerAction.forward([group]),
    });
    Tags.of(scope).add('cdk-ecs-saas:route', target.routingKey);
  }

  /** An API key and usage plan of one tenant (customer id = tenant id, marked for this router). */
  private addTenantKey(scope: Construct, tenantId: string, shardRef: ShardRef, shard: TenantRouterShard | undefined): void {
    this.tenantPlanCount += 1;
    const id = Token.isUnresolved(tenantId) ? 'Tenant' : `Tenant-${tenantId}`;
    const key = new apigateway.CfnApiKey(scope, `${id}ApiKey`, {
      customerId: tenantId,
      enabled: true,
      description: `Usage-plan key of tenant ${tenantId}, supplied by the router's authorizer`,
      tags: [{ key: API_KEY_MARKER_TAG, value: this.apiKeyMarker }],
    });
    const tierName = [...this.routes.values(), ...this.tokenRoutes].find((r) => r.tenants.includes(tenantId))?.tierName;
    const plan = this.tiers.get(tierName ?? '')?.plan ?? TierUsagePlan.REFERENCE_BASIC;
    const limits = planLimits(plan);
    const usagePlan = new apigateway.CfnUsagePlan(scope, `${id}UsagePlan`, {
      description: `Tenant ${tenantId}`,
      apiStages: [{ apiId: shardRef.apiId, stage: shardRef.stageName }],
      throttle: { rateLimit: limits.throttle.rateLimit, burstLimit: limits.throttle.burstLimit },
      quota: limits.quota ? { limit: limits.quota.limit, period: limits.quota.period } : undefined,
    });
    if (shard) {
      usagePlan.node.addDependency(shard.api.deploymentStage);
    }
    new apigateway.CfnUsagePlanKey(scope, `${id}UsagePlanKey`, { keyId: key.ref, keyType: 'API_KEY', usagePlanId: usagePlan.ref });
  }

  private authorizerConfig(): AuthorizerConfig {
    const claims = { ...TENANT_CLAIMS, ...definedOnly(this.props.claims ?? {}) };
    const tiers: AuthorizerConfig['tiers'] = {};
    for (const t of this.tiers.values()) {
      tiers[t.tierName] = { routing: t.routing === TierRouting.SHARED ? 'TIER' : 'TENANT', apiKeyPerTenant: t.perTenant || undefined };
    }
    return {
      issuers: this.props.issuers.map((i) => ({
        issuer: i.issuerUrl,
        audiences: i.audiences,
        tokenUse: i.tokenUse as 'id' | 'access' | undefined,
        jwksUri: i.jwksUri,
        tenantId: i.tenantId,
      })),
      claims,
      tiers,
      roleRules: (this.props.roleRules ?? []).map((r) => ({ pathPrefix: r.pathPrefix, allowedRoles: r.allowedRoles })),
    };
  }

  private validateEnvironmentSize(): void {
    const size = estimateEnvironmentBytes(this.authorizerConfig());
    if (size > LAMBDA_ENVIRONMENT_LIMIT - 512) {
      throw new Error(
        `the authorizer's configuration needs about ${size} bytes of environment; Lambda allows ${LAMBDA_ENVIRONMENT_LIMIT} bytes in all. Trust fewer issuers or shorten role rules.`,
      );
    }
  }

  private validateRouter(): string[] {
    const errors: string[] = [];
    const targetGroups = [...this.routes.values(), ...this.tokenRoutes].reduce((n, r) => n + r.targets.length, 0);
    if (targetGroups > this.limits.targetGroups) {
      errors.push(`the router has ${targetGroups} target groups; the quota is ${this.limits.targetGroups} per Region. Raise it and set quotas.targetGroups.`);
    }
    const plans = this.tierPlans.size + this.tenantPlanCount;
    if (plans > this.limits.usagePlans) {
      errors.push(`the router has ${plans} usage plans (${this.tenantPlanCount} per tenant); the quota is ${this.limits.usagePlans} per Region.`);
    }
    for (const p of this.pinned.values()) {
      if (!this.routes.has(p.routingKey)) {
        Annotations.of(this).addWarningV2(
          'cdk-ecs-saas:placementWithoutRoute',
          `placement of '${p.routingKey}' (shard ${p.shard}, priority ${p.priority}) has no route: its priorities stay free for this deployment; drop it from placements after deploying.`,
        );
      }
    }
    return errors;
  }
}

/**
 * Who delivers ALB access logs: the Region's Elastic Load Balancing account in Regions opened before August 2022,
 * the log-delivery service principal in the others. In a Region-agnostic stack both are admitted (the account through
 * a deploy-time lookup), limited to the shards' prefixes of this account.
 */
function loadBalancerLogPrincipals(stack: Stack): iam.IPrincipal[] {
  const service = new iam.ServicePrincipal('logdelivery.elasticloadbalancing.amazonaws.com');
  if (!Token.isUnresolved(stack.region)) {
    const account = RegionInfo.get(stack.region).elbv2Account;
    return [account ? new iam.AccountPrincipal(account) : service];
  }
  return [service, new iam.AccountPrincipal(stack.regionalFact(FactName.ELBV2_ACCOUNT, US_EAST_1_ELB_ACCOUNT))];
}

function refOf(shard: TenantRouterShard): ShardRef {
  return {
    listenerArn: shard.listener.listenerArn,
    securityGroupId: shard.securityGroup.securityGroupId,
    apiId: shard.api.restApiId,
    stageName: shard.api.deploymentStage.stageName,
    url: shard.url,
  };
}

function planLimits(plan: TierUsagePlan) {
  return {
    throttle: { rateLimit: plan.rateLimit, burstLimit: plan.burstLimit },
    quota: plan.quotaLimit !== undefined ? { limit: plan.quotaLimit, period: plan.quotaPeriod } : undefined,
  };
}

function validateQuotas(q: RouterQuotas): Required<RouterQuotas> {
  const quotas: Required<RouterQuotas> = {
    targetGroupsPerLoadBalancer: q.targetGroupsPerLoadBalancer ?? 100,
    rulesPerListener: q.rulesPerListener ?? 100,
    loadBalancers: q.loadBalancers ?? 50,
    targetGroups: q.targetGroups ?? 3000,
    restApis: q.restApis ?? 600,
    usagePlans: q.usagePlans ?? 300,
  };
  for (const [name, value] of Object.entries(quotas)) {
    if (!(Number.isInteger(value) && value >= 1)) {
      throw new Error(`quotas.${name} must be a whole number of at least 1; got ${value}.`);
    }
  }
  return quotas;
}

function validateProps(props: TenantRouterProps): void {
  if (props.issuers.length === 0) {
    throw new Error('issuers is empty: the router must trust at least one token issuer.');
  }
  if (props.tiers.length === 0) {
    throw new Error('tiers is empty: the router must serve at least one tier.');
  }
  const ttl = props.authorizerCacheTtl?.toSeconds();
  if (ttl !== undefined && ttl > 3600) {
    throw new Error(`authorizerCacheTtl must be at most 3600 seconds (API Gateway's limit); got ${ttl} seconds.`);
  }
  if (props.minShards !== undefined && !(Number.isInteger(props.minShards) && props.minShards >= 1)) {
    throw new Error(`minShards must be a whole number of at least 1; got ${props.minShards}.`);
  }
  if (props.stageName !== undefined && !/^[A-Za-z0-9_-]{1,128}$/.test(props.stageName)) {
    throw new Error(`stageName must be 1 to 128 letters, digits, hyphens and underscores; got '${props.stageName}'.`);
  }
  const claims = props.claims ?? {};
  for (const [name, value] of Object.entries(claims)) {
    if (value !== undefined && (value.length === 0 || /\s/.test(value))) {
      throw new Error(`claims.${name} must be a claim name without spaces; got '${value}'.`);
    }
  }
  const prefixes = props.application.pathPrefixes;
  for (const [i, rule] of (props.roleRules ?? []).entries()) {
    if (!prefixes.includes(rule.pathPrefix)) {
      throw new Error(`roleRules[${i}].pathPrefix '${rule.pathPrefix}' is not a path prefix of the application; its prefixes: ${prefixes.join(', ')}.`);
    }
    if (rule.allowedRoles.length === 0) {
      throw new Error(`roleRules[${i}].allowedRoles is empty: no role could call '${rule.pathPrefix}'. Remove the service from the application instead.`);
    }
  }
}

function validatePlacements(placements: RoutePlacement[], quotas: Required<RouterQuotas>): Map<string, RoutePlacement> {
  const byKey = new Map<string, RoutePlacement>();
  const taken = new Map<string, string>();
  for (const [i, p] of placements.entries()) {
    const where = `placements[${i}] ('${p.routingKey}')`;
    if (byKey.has(p.routingKey)) {
      throw new Error(`${where} is the second placement of routing key '${p.routingKey}': a route has one placement.`);
    }
    if (!(Number.isInteger(p.shard) && p.shard >= 0 && p.shard < quotas.loadBalancers)) {
      throw new Error(`${where}.shard must be a whole number from 0 to ${quotas.loadBalancers - 1} (quotas.loadBalancers); got ${p.shard}.`);
    }
    if (!(Number.isInteger(p.rules) && p.rules >= 1 && p.rules <= quotas.rulesPerListener)) {
      throw new Error(`${where}.rules must be a whole number from 1 to ${quotas.rulesPerListener} (quotas.rulesPerListener); got ${p.rules}.`);
    }
    if (!(Number.isInteger(p.priority) && p.priority >= 1 && p.priority + p.rules - 1 <= LISTENER_PRIORITY_MAX)) {
      throw new Error(`${where}.priority must be a whole number from 1 to ${LISTENER_PRIORITY_MAX + 1 - p.rules} for ${p.rules} rules; got ${p.priority}.`);
    }
    for (let k = 0; k < p.rules; k++) {
      const slot = `${p.shard}/${p.priority + k}`;
      const holder = taken.get(slot);
      if (holder !== undefined) {
        throw new Error(`${where} takes priority ${p.priority + k} on shard ${p.shard}, which '${holder}' holds: two rules of one listener cannot share a priority.`);
      }
      taken.set(slot, p.routingKey);
    }
    byKey.set(p.routingKey, p);
  }
  return byKey;
}

/** Bytes of the authorizer's environment: tokens count as 64 characters (an id or ARN), the other variables as 512. */
function estimateEnvironmentBytes(config: AuthorizerConfig): number {
  return JSON.stringify(config).replace(/\$\{Token\[[^\]]+\]\}/g, 'x'.repeat(64)).length + 512;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
