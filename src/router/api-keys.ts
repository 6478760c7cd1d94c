/**
 * API key values for the authorizer's `usageIdentifierKey` (not part of the jsii API).
 *
 * Tier keys are looked up by id (given at synth time) and kept for the life of the Lambda environment. Per-tenant keys
 * are found by customer id (the tenant id) and the router's marker tag, because tenant stacks create them after the
 * router was deployed; they are kept for `ttlMs`, and a missing key is remembered for `missingTtlMs` only, so a
 * tenant whose key appears (a stack that just finished) is served soon. Concurrent lookups share one call.
 */

/** Tag on per-tenant API keys that names the router they belong to. */
export const API_KEY_MARKER_TAG = 'cdk-ecs-saas:router';

export interface ApiKeyCacheOptions {
  /** Tier name → API key id of the tier's usage plan. */
  readonly tierKeyIds: Record<string, string>;
  /** Tiers whose tenants each have their own key and usage plan. */
  readonly perTenantTiers: Set<string>;
  /** Reads a key's value by id. */
  readonly getKey: (id: string) => Promise<string | undefined>;
  /** Finds the value of a tenant's key (customer id = tenant id, marked for this router). */
  readonly findTenantKey: (tenantId: string) => Promise<string | undefined>;
  readonly ttlMs?: number;
  readonly missingTtlMs?: number;
  readonly now?: () => number;
}

interface Entry {
  readonly value: Promise<string | undefined>;
  readonly expires: number;
}

export class ApiKeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly missingTtlMs: number;
  private readonly now: () => number;

  constructor(private readonly options: ApiKeyCacheOptions) {
    this.ttlMs = options.ttlMs ?? 10 * 60_000;
    this.missingTtlMs = options.missingTtlMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /** The key value for a request of `tenantId` in `tier`, or undefined when there is none (API Gateway then answers 403). */
  public async keyFor(tier: string, tenantId: string): Promise<string | undefined> {
    if (this.options.perTenantTiers.has(tier)) {
      return this.cached(`tenant:${tenantId}`, this.ttlMs, () => this.options.findTenantKey(tenantId));
    }
    const id = this.options.tierKeyIds[tier];
    if (!id) {
      return undefined;
    }
    return this.cached(`tier:${tier}`, Number.POSITIVE_INFINITY, () => this.options.getKey(id));
  }

  private async cached(key: string, ttl: number, load: () => Promise<string | undefined>): Promise<string | undefined> {
    const now = this.now();
    const hit = this.entries.get(key);
    if (hit && hit.expires > now) {
      return hit.value;
    }
    const value = load();
    this.entries.set(key, { value, expires: now + ttl });
    try {
      const resolved = await value;
      if (resolved === undefined) {
        this.entries.set(key, { value, expires: now + this.missingTtlMs });
      }
      return resolved;
    } catch (e) {
      this.entries.delete(key); // a failed lookup is retried by the next request
      throw e;
    }
  }
}
