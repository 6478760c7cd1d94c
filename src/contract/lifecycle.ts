/**
 * What the tenant lifecycle's constructs and its worker share: the worker's configuration, the names of the steps the
 * state machines call, the inputs and outputs of tenant templates, and the error that keeps a provisioned tenant.
 * No CDK imports.
 */
import { PER_TENANT, SHARED, Sharing } from './sharing';

/** The steps of the worker, one per state-machine task: the construct writes them, the worker dispatches on them. */
export const STEPS = {
  startOnboarding: 'startOnboarding',
  onboardShared: 'onboardShared',
  provisionStack: 'provisionStack',
  checkRecord: 'checkRecord',
  finishStack: 'finishStack',
  terminateStack: 'terminateStack',
  failOnboarding: 'failOnboarding',
  startOffboarding: 'startOffboarding',
  removeSharedUsers: 'removeSharedUsers',
  finishOffboarding: 'finishOffboarding',
  failOffboarding: 'failOffboarding',
  planWaves: 'planWaves',
  updateStack: 'updateStack',
  openShard: 'openShard',
  checkShard: 'checkShard',
  changeStatus: 'changeStatus',
  failStatusChange: 'failStatusChange',
} as const;

/**
 * Requests of ours to suspend and reactivate a tenant, from the control plane's source, for control planes that do not
 * emit sbt-aws's `deactivateRequest` and `activateRequest` (which sbt-aws declares but never sends). Detail:
 * `{ "tenantId": "...", "tenantRegistrationId": "..." }` (the registration id optional). Answered like sbt-aws's, with
 * the contract's `deactivate*` and `activate*` replies.
 */
export const TENANT_STATUS_REQUESTS = {
  suspend: 'suspendTenantRequest',
  reactivate: 'reactivateTenantRequest',
} as const;

export type StepName = (typeof STEPS)[keyof typeof STEPS];

/** The parameters of a tenant template, which the worker gives each provisioned product. */
export const TEMPLATE_PARAMETERS = {
  tenantId: 'TenantId',
  routerShard: 'RouterShard',
  rulePriority: 'RulePriority',
  adminEmail: 'TenantAdminEmail',
  /** A shard opened at run time: its listener, load balancer security group and API (empty: a deploy-time shard). */
  shardListenerArn: 'ShardListenerArn',
  shardSecurityGroupId: 'ShardSecurityGroupId',
  shardApiId: 'ShardApiId',
} as const;

/** The parameter of a router's shard template (a shard opened at run time). */
export const SHARD_TEMPLATE_PARAMETERS = {
  shardIndex: 'ShardIndex',
} as const;

/** The outputs of a router's shard template, which the worker records and gives the tenants placed on the shard. */
export const SHARD_TEMPLATE_OUTPUTS = {
  listenerArn: 'ListenerArn',
  securityGroupId: 'LoadBalancerSecurityGroupId',
  apiId: 'ApiId',
  apiUrl: 'ApiUrl',
  /** The shard's usage plan of each tier, `<tier>=<plan id>` joined by `,` (see `parseShardUsagePlans`). */
  usagePlans: 'UsagePlans',
} as const;

/** Separators of the `UsagePlans` output of a shard template. */
export const SHARD_USAGE_PLAN_SEPARATORS = { entry: ',', pair: '=' } as const;

/** The usage plan of each tier on a shard opened at run time, from its `UsagePlans` output. */
export function parseShardUsagePlans(value: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of (value ?? '').split(SHARD_USAGE_PLAN_SEPARATORS.entry).filter((e) => e.length > 0)) {
    const at = entry.indexOf(SHARD_USAGE_PLAN_SEPARATORS.pair);
    if (at > 0) {
      out[entry.slice(0, at)] = entry.slice(at + 1);
    }
  }
  return out;
}

/** The outputs of a tenant template, which the worker reads once the stack is up. */
export const TEMPLATE_OUTPUTS = {
  userPoolId: 'UserPoolId',
  appClientId: 'AppClientId',
  apiUrl: 'ApiUrl',
  /** Only with a user pool of the tenant's own: the issuer the router then trusts for this tenant. */
  tenantIssuer: 'TenantIssuer',
} as const;

/**
 * The error of a success reply that could not be sent after the tenant became ACTIVE: the onboarding state machine
 * catches it apart from all others and ends the execution failed without removing the tenant.
 */
export const REPLY_FAILED = 'ReplyFailed';

/** A tier whose tenants share the tier's services: onboarding registers the tenant's admin in the shared pool. */
export interface SharedTierConfig {
  readonly kind: typeof SHARED;
  readonly userPoolId: string;
  readonly appClientId: string;
  readonly apiGatewayUrl: string;
}

/** A tier whose tenants each get a stack of their own: a version of a Service Catalog product. */
export interface StackTierConfig {
  readonly kind: typeof PER_TENANT;
  readonly productId: string;
  /** The version to provision (its name: the artifact id is not known when the configuration is written). */
  readonly provisioningArtifactName: string;
  /** The template takes the `Shard*` parameters of a shard opened at run time (TenantTemplate.runtimeShard). */
  readonly runtimeShardParameters?: boolean;
  /**
   * The template takes no `RouterShard` and `RulePriority` (a tier routed by its routing service): its tenants hold no
   * router slot. Absent: the template takes them, and each tenant holds a slot.
   */
  readonly takesNoRoute?: boolean;
  /**
   * Each tenant gets a router shard of its own, opened at run time (the router tier's `dedicatedShardsAtRunTime`).
   */
  readonly dedicatedShard?: boolean;
}

/** The router's shard template, which the worker provisions when every shard is full (`openShardsAtRunTime`). */
export interface RuntimeShardsConfig {
  readonly productId: string;
  readonly provisioningArtifactName: string;
  /** Shards the router may open at run time. */
  readonly max: number;
  /** Priorities every such shard holds for the router's own rules. */
  readonly reserved: number[];
}

/** The worker's configuration (`LIFECYCLE_CONFIG`), written by TenantLifecycle. */
export interface LifecycleConfig {
  readonly contract: {
    readonly source: string;
    readonly provisionSuccess: string;
    readonly provisionFailure: string;
    readonly deprovisionSuccess: string;
    readonly deprovisionFailure: string;
    /** Suspension and reactivation (only with the router's table of suspended tenants). */
    readonly activateRequest?: string;
    readonly deactivateRequest?: string;
    readonly activateSuccess?: string;
    readonly activateFailure?: string;
    readonly deactivateSuccess?: string;
    readonly deactivateFailure?: string;
  };
  readonly eventBusName: string;
  readonly registryTable: string;
  readonly slotTable: string;
  /** The router's issuer registry, where tenants' own user pools are registered for their tenant. */
  readonly issuerTable?: string;
  /** The router's table of suspended tenants, which the authorizer reads. */
  readonly suspensionTable?: string;
  /** Prefix of provisioned product names (one name per tenant and application plane). */
  readonly namePrefix: string;
  readonly tiers: Record<string, SharedTierConfig | StackTierConfig>;
  readonly pooledTables: Array<{ readonly tableName: string; readonly partitionKey: string; readonly sortKey?: string }>;
  readonly shards: number;
  readonly rulesPerListener: number;
  readonly reserved: Record<string, number[]>;
  readonly runtimeShards?: RuntimeShardsConfig;
  /**
   * Tiers whose tenants each have an API key of their own in the tier's usage plan (`TenantApiKeys.TENANT`): the
   * worker creates a tenant's key when it onboards it and deletes it when it offboards it. On a shard opened at run
   * time, the key joins that shard's plan of the tier (its `UsagePlans` output).
   */
  readonly tenantKeys?: {
    /** The value of the router's marker tag (`cdk-ecs-saas:router`) on its tenants' keys. */
    readonly marker: string;
    /** The usage plan of each such tier on the router's deploy-time shards. */
    readonly tierPlans: Record<string, string>;
  };
}

/** Where an onboarding or offboarding goes after its first step: the tier's kind, or nowhere. */
export type Next = Sharing | typeof DONE;

/** The first step answered the request without any work (a duplicate, a refusal). */
export const DONE = 'DONE';
