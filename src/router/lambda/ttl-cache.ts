/**
 * Promised values kept for a time, for the authorizer's lookups (API keys, registered issuers). Concurrent lookups of
 * a key share one load; a value found is kept for the given time, a missing one (undefined) for `missingTtlMs` only,
 * so that something that appears later (a tenant stack that just finished) is served soon; a failed load is not
 * kept, so the next request tries again. Not part of the jsii API.
 */
export interface TtlCacheOptions {
  /** How long a value found is kept, unless a lookup says otherwise. */
  readonly ttlMs: number;
  /** How long a missing value is remembered. */
  readonly missingTtlMs: number;
  readonly now?: () => number;
}

export class TtlCache<K, V> {
  private readonly entries = new Map<K, { readonly value: Promise<V | undefined>; readonly expires: number }>();
  private readonly now: () => number;

  constructor(private readonly options: TtlCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The value of `key`, loaded with `load` unless a live one is kept. */
  public async get(key: K, load: () => Promise<V | undefined>, ttlMs = this.options.ttlMs): Promise<V | undefined> {
    const now = this.now();
    const hit = this.entries.get(key);
    if (hit && hit.expires > now) {
      return hit.value;
    }
    const value = load();
    this.entries.set(key, { value, expires: now + ttlMs });
    try {
      const resolved = await value;
      if (resolved === undefined) {
        this.entries.set(key, { value, expires: now + this.options.missingTtlMs });
      }
      return resolved;
    } catch (e) {
      this.entries.delete(key);
      throw e;
    }
  }
}
