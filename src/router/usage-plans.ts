import { Stack, Tags, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Construct } from 'constructs';
import { ShardRef } from './route-table';
import { TierSettings } from './router-validation';
import { TenantRouterShard } from './tenant-router-shard';
import { TierUsagePlan } from './tier-usage-plan';
import { API_KEY_MARKER_TAG, USAGE_PLAN_TIER_TAG } from '../contract/router';
import { pascal } from '../private/naming';

/**
 * The router's API keys and usage plans: one key and plan per tier (which every shard's stage joins), or one per
 * tenant for tiers that want it. The authorizer hands API Gateway the key of each request's tier or tenant, so the
 * plan's throttle and quota apply.
 */
export class UsagePlans {
  private readonly tierPlans = new Map<string, apigateway.UsagePlan>();
  private readonly tierKeys = new Map<string, { key: apigateway.ApiKey; plan: TierUsagePlan }>();
  private tenantPlans = 0;
  private tenantKeys = 0;

  constructor(private readonly apiKeyMarker: string) {}

  /**
   * Creates a key and plan for each tier without a plan per tenant. Returns the keys' ids by tier, and the ARNs the
   * authorizer reads them by.
   */
  public addTierPlans(scope: Construct, tiers: Iterable<TierSettings>): { tierKeyIds: Record<string, string>; keyArns: string[] } {
    const stack = Stack.of(scope);
    const tierKeyIds: Record<string, string> = {};
    const keyArns: string[] = [];
    for (const tier of tiers) {
      if (tier.perTenant) {
        continue;
      }
      const key = new apigateway.ApiKey(scope, `${pascal(tier.tierName)}ApiKey`, {
        description: `Usage-plan key of tier ${tier.tierName}, supplied by the router's authorizer`,
      });
      const plan = new apigateway.UsagePlan(scope, `${pascal(tier.tierName)}UsagePlan`, {
        description: `Tier ${tier.tierName}`,
        ...planLimits(tier.plan),
      });
      plan.addApiKey(key);
      // The tenant lifecycle may add keys to the plans marked for its router only (tag-based access).
      Tags.of(plan).add(API_KEY_MARKER_TAG, this.apiKeyMarker);
      Tags.of(plan).add(USAGE_PLAN_TIER_TAG, tier.tierName);
      this.tierPlans.set(tier.tierName, plan);
      this.tierKeys.set(tier.tierName, { key, plan: tier.plan });
      tierKeyIds[tier.tierName] = key.keyId;
      keyArns.push(stack.formatArn({ service: 'apigateway', account: '', resource: '/apikeys', resourceName: key.keyId }));
    }
    return { tierKeyIds, keyArns };
  }

  /** The usage plan of a tier (not of a tier with a plan per tenant). */
  public tierPlan(tierName: string): apigateway.UsagePlan {
    const plan = this.tierPlans.get(tierName);
    if (!plan) {
      throw new Error(`No usage plan for tier '${tierName}': tiers with one plan: ${[...this.tierPlans.keys()].join(', ') || 'none'}.`);
    }
    return plan;
  }

  /** Every tier plan covers the stage of a new shard. */
  public addShard(shard: TenantRouterShard): void {
    for (const plan of this.tierPlans.values()) {
      plan.addApiStage({ api: shard.api, stage: shard.api.deploymentStage });
    }
  }

  /** An API key and usage plan of one tenant (customer id = tenant id, marked for this router), with its tier's limits. */
  /**
   * For a shard opened at run time (its stage cannot join the tier plans, which CloudFormation owns in the router's
   * stack): a usage plan per tier for its stage, with the tier's limits and key. A key belongs to at most 10 usage
   * plans by default (`usagePlansPerApiKey`), so a router opens at most 9 shards at run time unless it is raised.
   */
  public addRuntimeShardPlans(scope: Construct, apiId: string, stageName: string, stage: Construct): Record<string, string> {
    const planIds: Record<string, string> = {};
    for (const [tierName, { key, plan }] of this.tierKeys) {
      const limits = planLimits(plan);
      const usagePlan = new apigateway.CfnUsagePlan(scope, `${pascal(tierName)}UsagePlan`, {
        description: `Tier ${tierName}, on a shard opened at run time`,
        apiStages: [{ apiId, stage: stageName }],
        throttle: { rateLimit: limits.throttle.rateLimit, burstLimit: limits.throttle.burstLimit },
        quota: limits.quota ? { limit: limits.quota.limit, period: limits.quota.period } : undefined,
        tags: [{ key: API_KEY_MARKER_TAG, value: this.apiKeyMarker }, { key: USAGE_PLAN_TIER_TAG, value: tierName }],
      });
      usagePlan.node.addDependency(stage);
      new apigateway.CfnUsagePlanKey(scope, `${pascal(tierName)}UsagePlanKey`, { keyId: key.keyId, keyType: 'API_KEY', usagePlanId: usagePlan.ref });
      planIds[tierName] = usagePlan.ref;
    }
    return planIds;
  }

  /**
   * An API key of one tenant (customer id = tenant id, marked for this router) in its tier's plan: API Gateway
   * throttles and counts it apart from the tier's other keys.
   */
  public addTenantKeyInTierPlan(scope: Construct, tenantId: string, tierName: string): void {
    const key = new apigateway.CfnApiKey(scope, `Tenant-${tenantId}ApiKey`, {
      customerId: tenantId,
      enabled: true,
      description: `API key of tenant ${tenantId} in tier ${tierName}'s usage plan, supplied by the router's authorizer`,
      tags: [{ key: API_KEY_MARKER_TAG, value: this.apiKeyMarker }],
    });
    new apigateway.CfnUsagePlanKey(scope, `Tenant-${tenantId}UsagePlanKey`, { keyId: key.ref, keyType: 'API_KEY', usagePlanId: this.tierPlan(tierName).usagePlanId });
    this.tenantKeys += 1;
  }

  /** The ids of the plans of the tiers whose tenants have keys of their own in them, by tier. */
  public tenantKeyPlanIds(tierNames: string[]): Record<string, string> {
    return Object.fromEntries(tierNames.map((t) => [t, this.tierPlan(t).usagePlanId]));
  }

  public addTenantKey(scope: Construct, tenantId: string, tier: TierSettings, shardRef: ShardRef, shard: TenantRouterShard | undefined): void {
    this.tenantPlans += 1;
    const id = Token.isUnresolved(tenantId) ? 'Tenant' : `Tenant-${tenantId}`;
    const key = new apigateway.CfnApiKey(scope, `${id}ApiKey`, {
      customerId: tenantId,
      enabled: true,
      description: `Usage-plan key of tenant ${tenantId}, supplied by the router's authorizer`,
      tags: [{ key: API_KEY_MARKER_TAG, value: this.apiKeyMarker }],
    });
    const limits = planLimits(tier.plan);
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

  /** Usage plans in all, against the account's quota. */
  public get count(): number {
    return this.tierPlans.size + this.tenantPlans;
  }

  /** API keys the router creates: one per tier plan, one per tenant with a key of its own. */
  public get keyCount(): number {
    return this.tierKeys.size + this.tenantPlans + this.tenantKeys;
  }

  /** Usage plans of single tenants. */
  public get tenantPlanCount(): number {
    return this.tenantPlans;
  }
}

function planLimits(plan: TierUsagePlan) {
  return {
    throttle: { rateLimit: plan.rateLimit, burstLimit: plan.burstLimit },
    quota: plan.quotaLimit !== undefined ? { limit: plan.quotaLimit, period: plan.quotaPeriod } : undefined,
  };
}
