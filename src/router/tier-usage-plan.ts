import * as apigateway from 'aws-cdk-lib/aws-apigateway';

/**
 * Limits of a tier's usage plan.
 */
export interface TierUsagePlanProps {
  /** Steady-state requests per second, per API key. */
  readonly rateLimit: number;

  /** Burst: requests allowed above the rate at once, per API key. */
  readonly burstLimit: number;

  /**
   * Requests allowed per `quotaPeriod`, per API key.
   *
   * @default - no quota
   */
  readonly quotaLimit?: number;

  /**
   * The period of `quotaLimit`.
   *
   * @default apigateway.Period.DAY
   */
  readonly quotaPeriod?: apigateway.Period;
}

/**
 * Throttle and quota of a tier (or of one tenant with its own plan). API Gateway enforces them because every
 * method of the router requires an API key and the authorizer supplies the tier's (or tenant's) key.
 *
 * The `REFERENCE_*` plans are the ECS SaaS reference architecture's values.
 *
 * @example
 * const gold = TierUsagePlan.of({ rateLimit: 500, burstLimit: 1000, quotaLimit: 100_000 });
 */
export class TierUsagePlan {
  /** The reference's basic tier: 50 requests/s, burst 50, 1,000 requests a day. */
  public static readonly REFERENCE_BASIC = TierUsagePlan.of({ rateLimit: 50, burstLimit: 50, quotaLimit: 1000 });
  /** The reference's advanced tier: 75 requests/s, burst 100, 2,000 requests a day. */
  public static readonly REFERENCE_ADVANCED = TierUsagePlan.of({ rateLimit: 75, burstLimit: 100, quotaLimit: 2000 });
  /** The reference's premium tier: 300 requests/s, burst 300, 6,000 requests a day. */
  public static readonly REFERENCE_PREMIUM = TierUsagePlan.of({ rateLimit: 300, burstLimit: 300, quotaLimit: 6000 });

  /** A plan with these limits. */
  public static of(props: TierUsagePlanProps): TierUsagePlan {
    return new TierUsagePlan(props);
  }

  /**
   * The reference's plan for a tier of this name (`basic`, `advanced` or `premium`), else the basic plan: a tier
   * gets the most restrictive plan unless told otherwise.
   */
  public static defaultFor(tierName: string): TierUsagePlan {
    switch (tierName) {
      case 'advanced':
        return TierUsagePlan.REFERENCE_ADVANCED;
      case 'premium':
        return TierUsagePlan.REFERENCE_PREMIUM;
      default:
        return TierUsagePlan.REFERENCE_BASIC;
    }
  }

  /** Steady-state requests per second. */
  public readonly rateLimit: number;
  /** Burst size. */
  public readonly burstLimit: number;
  /**
   * Requests per period.
   *
   * @default - no quota
   */
  public readonly quotaLimit?: number;
  /** The quota's period. */
  public readonly quotaPeriod: apigateway.Period;

  private constructor(props: TierUsagePlanProps) {
    if (!(Number.isFinite(props.rateLimit) && props.rateLimit > 0)) {
      throw new Error(`rateLimit must be a positive number of requests per second; got ${props.rateLimit}.`);
    }
    if (!(Number.isInteger(props.burstLimit) && props.burstLimit >= 1)) {
      throw new Error(`burstLimit must be a whole number of requests of at least 1; got ${props.burstLimit}.`);
    }
    if (props.quotaLimit !== undefined && !(Number.isInteger(props.quotaLimit) && props.quotaLimit >= 1)) {
      throw new Error(`quotaLimit must be a whole number of requests of at least 1; got ${props.quotaLimit}.`);
    }
    if (props.quotaPeriod !== undefined && props.quotaLimit === undefined) {
      throw new Error(`quotaPeriod ${props.quotaPeriod} needs quotaLimit: a period without a limit sets no quota.`);
    }
    this.rateLimit = props.rateLimit;
    this.burstLimit = props.burstLimit;
    this.quotaLimit = props.quotaLimit;
    this.quotaPeriod = props.quotaPeriod ?? apigateway.Period.DAY;
  }
}
