/**
 * API key values for the authorizer's `usageIdentifierKey` (not part of the jsii API).
 *
 * Tier keys are looked up by id (given at synth time) and kept for the life of the Lambda environment. Per-tenant keys
 * are found by customer id (the tenant id) and the router's marker tag, because tenant stacks create them after the
 * router was deployed; they are kept for `ttlMs`, and a missing key is remembered for `missingTtlMs` only, so a
 * tenant whose key appears (a stack that just finished) is served soon. A tenant of a tier with keys per tenant that
 * has no key of its own (onboarded before its tier had them) is served with its tier's key, when the tier has one.
 * Concurrent lookups share one call.
 */
import { TtlCache } from './ttl-cache';

export interface ApiKeyCacheOptions {
  /** Tier name → API key id of the tier's usage plan. */
  readonly tierKeyIds: Record<string, string>;
  /** Tiers whose tenants each have their own key (in the tier's plan, or in a plan of their own). */
  readonly perTenantTiers: Set<string>;
  /** Reads a key's value by id. */
  readonly getKey: (id: string) => Promise<string | undefined>;
  /** Finds the value of a tenant's key (customer id = tenant id, marked for this router). */
  readonly findTenantKey: (tenantId: string) => Promise<string | undefined>;
  readonly ttlMs?: number;
  readonly missingTtlMs?: number;
  readonly now?: () => number;
}

export class ApiKeyCache {
  private readonly cache: TtlCache<string, string>;

  constructor(private readonly options: ApiKeyCacheOptions) {
    this.cache = new TtlCache({ ttlMs: options.ttlMs ?? 10 * 60_000, missingTtlMs: options.missingTtlMs ?? 30_000, now: options.now });
  }

  /** The key value for a request of `tenantId` in `tier`, or undefined when there is none (API Gateway then answers 403). */
  public async keyFor(tier: string, tenantId: string): Promise<string | undefined> {
    if (this.options.perTenantTiers.has(tier)) {
      const own = await this.cache.get(`tenant:${tenantId}`, () => this.options.findTenantKey(tenantId));
      if (own !== undefined) {
        return own;
      }
    }
    const id = this.options.tierKeyIds[tier];
    if (!id) {
      return undefined;
    }
    return this.cache.get(`tier:${tier}`, () => this.options.getKey(id), Number.POSITIVE_INFINITY);
  }
}
