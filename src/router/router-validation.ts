import { RouterQuotas, RoutePlacement, RouterTier, TenantApiKeys, TenantRouterProps, TierRouting } from './router-options';
import { TierUsagePlan } from './tier-usage-plan';
import { LISTENER_PRIORITY_MAX } from '../contract/router';
import { TIER_NAME_PATTERN, TIER_NAME_RULE } from '../private/tier-name';

/** A tier as the router serves it: its options validated, defaults applied. */
export interface TierSettings {
  readonly tierName: string;
  readonly routing: TierRouting;
  readonly plan: TierUsagePlan;
  /** Each tenant has a key and a usage plan of its own (`TenantApiKeys.TENANT_PLAN`). */
  readonly perTenant: boolean;
  /** Each tenant has a key of its own in the tier's plan (`TenantApiKeys.TENANT`). */
  readonly tenantKeys: boolean;
  readonly dedicated: boolean;
  readonly dedicatedAtRunTime: boolean;
}

/** The router's tiers, by name. */
export function resolveTiers(tiers: RouterTier[]): Map<string, TierSettings> {
  const out = new Map<string, TierSettings>();
  for (const [i, t] of tiers.entries()) {
    if (!TIER_NAME_PATTERN.test(t.tierName)) {
      throw new Error(`tiers[${i}].tierName must be ${TIER_NAME_RULE}; got '${t.tierName}'.`);
    }
    if (out.has(t.tierName)) {
      throw new Error(`tiers[${i}].tierName '${t.tierName}' is listed twice: each tier is configured once.`);
    }
    if (t.dedicatedLoadBalancer && t.routing !== TierRouting.PER_TENANT) {
      throw new Error(`tiers[${i}].dedicatedLoadBalancer needs routing PER_TENANT; tier '${t.tierName}' has ${t.routing}, whose tenants share one route.`);
    }
    if (t.dedicatedShardsAtRunTime && !t.dedicatedLoadBalancer) {
      throw new Error(`tiers[${i}].dedicatedShardsAtRunTime needs dedicatedLoadBalancer: tier '${t.tierName}' gives its declared tenants no load balancer of their own.`);
    }
    const keys = apiKeysOf(t, i);
    out.set(t.tierName, {
      tierName: t.tierName,
      routing: t.routing,
      plan: t.usagePlan ?? TierUsagePlan.defaultFor(t.tierName),
      perTenant: keys === TenantApiKeys.TENANT_PLAN,
      tenantKeys: keys === TenantApiKeys.TENANT,
      dedicated: t.dedicatedLoadBalancer ?? false,
      dedicatedAtRunTime: t.dedicatedShardsAtRunTime ?? false,
    });
  }
  return out;
}

/** The tier's keys: `apiKeys`, or the deprecated `apiKeyPerTenant`; both only when they agree. */
function apiKeysOf(t: RouterTier, i: number): TenantApiKeys {
  const valid = Object.values(TenantApiKeys) as string[];
  if (t.apiKeys !== undefined && !valid.includes(t.apiKeys)) {
    throw new Error(`tiers[${i}].apiKeys must be one of ${valid.join(', ')}; got '${t.apiKeys}'.`);
  }
  if (t.apiKeyPerTenant !== undefined && t.apiKeys !== undefined && (t.apiKeys === TenantApiKeys.TENANT_PLAN) !== t.apiKeyPerTenant) {
    throw new Error(`tiers[${i}] (tier '${t.tierName}') has apiKeyPerTenant ${t.apiKeyPerTenant} and apiKeys ${t.apiKeys}, which disagree: `
      + 'give apiKeys only (apiKeyPerTenant is deprecated).');
  }
  return t.apiKeys ?? (t.apiKeyPerTenant ? TenantApiKeys.TENANT_PLAN : TenantApiKeys.TENANT);
}

export function validateQuotas(q: RouterQuotas): Required<RouterQuotas> {
  const quotas: Required<RouterQuotas> = {
    targetGroupsPerLoadBalancer: q.targetGroupsPerLoadBalancer ?? 100,
    rulesPerListener: q.rulesPerListener ?? 100,
    loadBalancers: q.loadBalancers ?? 50,
    targetGroups: q.targetGroups ?? 3000,
    restApis: q.restApis ?? 600,
    usagePlans: q.usagePlans ?? 300,
    apiKeys: q.apiKeys ?? 10_000,
  };
  for (const [name, value] of Object.entries(quotas)) {
    if (!(Number.isInteger(value) && value >= 1)) {
      throw new Error(`quotas.${name} must be a whole number of at least 1; got ${value}.`);
    }
  }
  return quotas;
}

export function validateProps(props: TenantRouterProps): void {
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

export function validatePlacements(placements: RoutePlacement[], quotas: Required<RouterQuotas>): Map<string, RoutePlacement> {
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
