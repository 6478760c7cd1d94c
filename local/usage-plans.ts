/**
 * The token buckets and quota counters of API Gateway usage plans, for every REST API stand-in of an environment
 * (`LocalEnvironment` owns one and hands it to each `LocalRestApi`). In API Gateway a key's throttle and quota in a
 * plan are aggregated across every API stage the plan includes: a router's tier plans include every shard's stage (one
 * REST API per shard), so a key's requests to any shard take from one bucket and count against one quota.
 */

/** A token bucket: `burst` tokens, refilled at `rate` per second. */
class TokenBucket {
  private tokens: number;
  private last = Date.now();
  constructor(private readonly rate: number, private readonly burst: number) {
    this.tokens = burst;
  }
  public take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
}

/** The start of the current quota period (UTC; `Offset` is not applied). */
function periodStart(period: string, now = new Date()): number {
  const day = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  switch (period) {
    case 'DAY':
      return day;
    case 'WEEK':
      return day - ((now.getUTCDay() + 6) % 7) * 86_400_000; // weeks start on Monday
    case 'MONTH':
      return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
    default:
      throw new Error(`quota period ${period} is not stood in`);
  }
}

/** `GetUsage`'s answer on the wire. */
export interface UsageReport {
  readonly usagePlanId: string;
  readonly startDate: string;
  readonly endDate: string;
  readonly values: Record<string, number[][]>;
}

export class UsagePlanCounters {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly quotas = new Map<string, { start: number; used: number }>();
  /** Requests per plan (its id in the emulator), key and UTC day, as API Gateway's `GetUsage` reports them. */
  private readonly daily = new Map<string, Map<string, Map<string, number>>>();

  /** Counts a key's request that passed its plan, on today's UTC date (`Date.now()`). */
  public record(planId: string, keyId: string): void {
    const day = new Date(Date.now()).toISOString().slice(0, 10);
    const keys = this.daily.get(planId) ?? new Map<string, Map<string, number>>();
    const days = keys.get(keyId) ?? new Map<string, number>();
    days.set(day, (days.get(day) ?? 0) + 1);
    keys.set(keyId, days);
    this.daily.set(planId, keys);
  }

  /**
   * `GetUsage`'s answer for a plan from `startDate` to `endDate` (UTC days, inclusive), as API Gateway sends it: under
   * `values`, each key with requests, and per day `[used, remaining]` (remaining is not tracked here: -1).
   */
  public usage(planId: string, startDate: string, endDate: string): UsageReport {
    const days: string[] = [];
    for (let t = Date.parse(`${startDate}T00:00:00Z`); t <= Date.parse(`${endDate}T00:00:00Z`); t += 86_400_000) {
      days.push(new Date(t).toISOString().slice(0, 10));
    }
    const items: Record<string, number[][]> = {};
    for (const [keyId, counts] of this.daily.get(planId) ?? []) {
      if (days.some((d) => counts.has(d))) {
        items[keyId] = days.map((d) => [counts.get(d) ?? 0, -1]);
      }
    }
    return { usagePlanId: planId, startDate, endDate, values: items };
  }

  /**
   * Takes a token from a key's bucket in a plan (`method`: the bucket of a per-method throttle of one API stage of the
   * plan, `<api id>/<stage><resource path>/<METHOD>`), created full on first use; false when it is empty.
   */
  public take(planId: string, keyId: string, limit: { rate?: number; burst?: number }, method?: string): boolean {
    if (limit.rate === undefined && limit.burst === undefined) {
      return true;
    }
    const id = JSON.stringify([planId, keyId, method ?? null]);
    let bucket = this.buckets.get(id);
    if (!bucket) {
      bucket = new TokenBucket(limit.rate ?? Number.POSITIVE_INFINITY, limit.burst ?? limit.rate ?? 1);
      this.buckets.set(id, bucket);
    }
    return bucket.take();
  }

  /** Counts a request against a key's quota in a plan; false (and not counted) when this period's quota is spent. */
  public count(planId: string, keyId: string, quota: { limit: number; period: string }): boolean {
    const id = JSON.stringify([planId, keyId]);
    const start = periodStart(quota.period);
    const used = this.quotas.get(id);
    const current = used && used.start === start ? used : { start, used: 0 };
    if (current.used >= quota.limit) {
      return false;
    }
    current.used += 1;
    this.quotas.set(id, current);
    return true;
  }
}
