/**
 * What TenantMetering, its function and the services that record usage share: the usage table's item shape, the
 * period, the event it sends, and the function's configuration. No CDK imports.
 */

/** The meter of the requests the router served per tenant (API Gateway's count of each tenant's API key). */
export const REQUESTS_METER = 'requests';

/** Attributes of an item of the service usage table (one per tenant, period and meter; values are added). */
export const USAGE_ATTRIBUTES = {
  tenantId: 'tenantId',
  /** Sort key: `<period>#<meter>` (`usageKey`). */
  usageKey: 'usageKey',
  /** The period, the partition key of the `byPeriod` index. */
  period: 'period',
  meter: 'meter',
  value: 'value',
} as const;

/** The usage table's index by period, which the metering function queries for a period's items. */
export const USAGE_PERIOD_INDEX = 'byPeriod';

/** A meter name: 1 to 64 letters, digits, `.`, `_` and `-` (no `#`, which separates the sort key's parts). */
export const METER_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** The period of a moment: its UTC day, `YYYY-MM-DD` (API Gateway reports a key's usage per UTC day). */
export function periodOf(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** Sort key of a tenant's usage of a meter in a period. */
export function usageKey(period: string, meter: string): string {
  return `${period}#${meter}`;
}

/**
 * The detail of the `ingestUsage` event sent per tenant, meter and period. `tenantId`, `meterApiName` and
 * `meterValue` are what sbt-aws's metering providers read (its Amberflo provider's documented shape); the rest are
 * dimensions. `usageId` is the same each time the same usage is sent again, so a provider can drop a repeat.
 */
export interface UsageDetail {
  readonly tenantId: string;
  readonly meterApiName: string;
  readonly meterValue: number;
  /** The period's first and last instants (ISO 8601, UTC). */
  readonly periodStart: string;
  readonly periodEnd: string;
  /** `<tenantId>/<meter>/<period>`. */
  readonly usageId: string;
  /** Where the count comes from: the router (requests) or the services. */
  readonly origin: 'router' | 'service';
  /** The tenant's tier, for router counts. */
  readonly tier?: string;
}

/** The metering function's configuration (`METERING_CONFIG`), written by TenantMetering. */
export interface MeteringConfig {
  readonly source: string;
  readonly detailType: string;
  readonly eventBusName: string;
  /** The table of usages already sent (`usageId`), so that a period sent again sends only what is missing. */
  readonly ledgerTable: string;
  /**
   * The value of the router's marker tag (`cdk-ecs-saas:router`) on its tier plans (the deploy-time ones and those of
   * shards opened at run time, each also tagged with its tier) and on its tenants' keys (customer id = tenant id).
   */
  readonly marker: string;
  readonly requestsMeter: string;
  /** The service usage table, if any. */
  readonly usageTable?: string;
}
