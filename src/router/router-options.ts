import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { TierUsagePlan } from './tier-usage-plan';
import { TokenIssuer } from './token-issuer';
import { SaasApplication } from '../application/saas-application';

/**
 * How the requests of a tier's tenants are routed.
 */
export enum TierRouting {
  /** All tenants of the tier share one route: the routing key is the tier name (a pooled tier). */
  SHARED = 'SHARED',
  /** Each tenant has its own route: the routing key is the tenant id (silo tiers). */
  PER_TENANT = 'PER_TENANT',
  /**
   * The tier's tenants have their own services, reached through the tier's routing service (`TierRoutingService`):
   * one route for the tier, whose routing key names the tenant (`<tier>/<tenant>`). Adding a tenant adds no target
   * group or listener rule.
   */
  ROUTING_SERVICE = 'ROUTING_SERVICE',
}

/**
 * Whose API key a request is throttled and counted by, within a tier's usage plan. API Gateway applies a plan's
 * throttle and quota to each key on its own, so a tenant with a key of its own is throttled on its own.
 */
export enum TenantApiKeys {
  /**
   * Each tenant has a key of its own in the tier's usage plan: one noisy tenant spends only its own rate and quota.
   * The router creates the keys of the tenants it is given (`addTenant`); the tenant lifecycle creates and removes
   * the keys of the tenants it onboards. A tenant without a key of its own (onboarded before its tier had per-tenant
   * keys) is served with the tier's key.
   */
  TENANT = 'TENANT',
  /** The tier's tenants share one key: the tier's rate and quota are spent by all of them together. */
  TIER = 'TIER',
  /**
   * Each tenant has a key and a usage plan of its own, with the tier's limits, created by the tenant's stack. For
   * products with few large tenants: an account has 300 usage plans. Tenants of a shared tier cannot have them.
   */
  TENANT_PLAN = 'TENANT_PLAN',
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
   * Whose API key the tier's requests are throttled and counted by: each tenant's own key in the tier's plan, one key
   * for the tier, or a key and plan per tenant.
   *
   * @default TenantApiKeys.TENANT (TenantApiKeys.TENANT_PLAN when `apiKeyPerTenant` is true)
   */
  readonly apiKeys?: TenantApiKeys;

  /**
   * Give each tenant of the tier its own API key and usage plan (with `usagePlan`'s limits).
   *
   * @deprecated use `apiKeys: TenantApiKeys.TENANT_PLAN`; or leave `apiKeys` out, which gives each tenant its own key
   * in the tier's plan, throttled on its own without a plan per tenant
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

  /**
   * Tenants of the tier onboarded at run time get a load balancer of their own too: the tenant lifecycle opens a
   * router shard for each (or gives it one a departed tenant left free). Needs `dedicatedLoadBalancer` and the
   * router's `openShardsAtRunTime`; the router opens at most 9 shards at run time, shared and dedicated together.
   *
   * @default false - tenants onboarded at run time share the router's shards
   */
  readonly dedicatedShardsAtRunTime?: boolean;
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

  /**
   * API keys per Region. Each tenant of a tier with `TenantApiKeys.TENANT` or `TENANT_PLAN` holds one, and each tier
   * with a plan one more; the router counts the keys it creates, the capacity model (docs/capacity.md) the keys of
   * tenants onboarded at run time.
   *
   * @default 10000
   */
  readonly apiKeys?: number;
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

  /**
   * For a tenant stack template of a router that opens shards at run time: the template parameters naming a shard
   * opened at run time (`TenantTemplate.runtimeShard`), empty when the tenant is placed on a deploy-time shard.
   *
   * @default - the tenant's shard is one created at deploy time
   */
  readonly runtimeShard?: RuntimeShardAttributes;
}

/**
 * A shard opened at run time, as a tenant stack template receives it: template parameters that the tenant lifecycle
 * fills from the shard's outputs, or leaves empty for a deploy-time shard (`TenantTemplate.runtimeShard`).
 */
export interface RuntimeShardAttributes {
  /** The shard's listener ARN, or empty. */
  readonly listenerArn: string;
  /** The shard's load balancer security group, or empty. */
  readonly securityGroupId: string;
  /** The shard's API id, or empty (the API's stage URL is made from it). */
  readonly apiId: string;
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
   * Let a TenantLifecycle open shards at run time: the router synthesizes a shard template (`shardTemplate`), and
   * onboarding a provisioned tenant when every shard is full provisions it as a new shard (docs/tenant-router.md).
   * Each such shard has a usage plan per tier for its stage, holding the tier's key: a key belongs to at most 10 plans
   * by default, so at most 9 shards are opened at run time unless `usagePlansPerApiKey` is raised.
   *
   * @default false - tenants provisioned at run time use the shards created at deploy time only
   */
  readonly openShardsAtRunTime?: boolean;

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
   * Keep a table of suspended tenants (partition key `tenantId`), which TenantLifecycle writes when the control plane
   * deactivates a tenant and clears when it activates it again. The authorizer denies a suspended tenant's every
   * request (403), once the authorizer's cached answer for its token expires (`authorizerCacheTtl`).
   *
   * @default false
   */
  readonly suspensions?: boolean;

  /**
   * ARN of an AWS WAF web ACL (regional) to associate with every shard's API stage.
   *
   * @default - none
   */
  readonly webAclArn?: string;
}
