/**
 * The tenant metering function's logic (bundled by `bundle:router` into assets/tenant-metering; not part of the jsii
 * API). Once a period (a UTC day) is over, it sends the control plane one `ingestUsage` event per tenant and meter:
 * - requests: API Gateway's daily usage of each tenant's own API key in the router's plans (every plan with the
 *   router's marker tag, those of shards opened at run time included);
 * - service units: the items the services added to the usage table for the period (`recordUsage` in the runtime
 *   helper), read by the table's period index.
 * Each usage has a stable id (`<tenant>/<meter>/<period>`); one already in the ledger is not sent again, so running a
 * period twice (a retry, a backfill) sends only what is missing.
 */
import { APIGatewayClient, GetApiKeysCommand, GetApiKeysCommandOutput, GetUsageCommand, GetUsageCommandOutput, GetUsagePlansCommand } from '@aws-sdk/client-api-gateway';
import { BatchGetItemCommand, DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { MeteringConfig, periodOf, USAGE_ATTRIBUTES, USAGE_PERIOD_INDEX, UsageDetail } from '../../contract/metering';
import { API_KEY_MARKER_TAG, USAGE_PLAN_TIER_TAG } from '../../contract/router';

export interface MeteringClients {
  readonly apigateway: APIGatewayClient;
  readonly dynamodb: DynamoDBClient;
  readonly events: EventBridgeClient;
}

/** What one run sent. */
export interface MeteringResult {
  readonly period: string;
  /** Usages sent now. */
  readonly sent: number;
  /** Usages found in the ledger, sent by an earlier run. */
  readonly alreadySent: number;
  /** Requests of keys that are no tenant's (a tier's shared key, or a key deleted since), by tier: not sent. */
  readonly unattributed: Record<string, number>;
}

/** A period that is not a past UTC day (Lambda reports it as the error type `InvalidPeriod`). */
export class InvalidPeriod extends Error {
  public readonly name = 'InvalidPeriod';
}

const PERIOD_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

export class UsageMeter {
  constructor(
    private readonly config: MeteringConfig,
    private readonly clients: MeteringClients,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Sends a period's usage: by default the last complete UTC day. */
  public async run(input: { period?: unknown } = {}): Promise<MeteringResult> {
    const period = input.period === undefined ? periodOf(new Date(this.now().getTime() - DAY_MS)) : input.period;
    if (typeof period !== 'string' || !PERIOD_PATTERN.test(period) || Number.isNaN(Date.parse(`${period}T00:00:00Z`))
      || periodOf(new Date(`${period}T00:00:00Z`)) !== period) {
      throw new InvalidPeriod(`period must be a UTC day, YYYY-MM-DD; got ${JSON.stringify(period)}`);
    }
    if (period >= periodOf(this.now())) {
      throw new InvalidPeriod(`period ${period} is not over yet (today is ${periodOf(this.now())} UTC): only a past day's usage is complete`);
    }
    const { usages, unattributed } = await this.routerUsage(period);
    usages.push(...await this.serviceUsage(period));
    const sent = await this.sentBefore(usages.map((u) => u.usageId));
    const todo = usages.filter((u) => !sent.has(u.usageId));
    for (let i = 0; i < todo.length; i += 10) {
      const batch = todo.slice(i, i + 10);
      const result = await this.clients.events.send(new PutEventsCommand({
        Entries: batch.map((u) => ({
          EventBusName: this.config.eventBusName,
          Source: this.config.source,
          DetailType: this.config.detailType,
          Detail: JSON.stringify(u),
        })),
      }));
      // Each usage delivered is recorded, so a retry of the run sends only the rest.
      const failed = new Set((result.Entries ?? []).flatMap((e, j) => (e.ErrorCode ? [j] : [])));
      for (const [j, u] of batch.entries()) {
        if (!failed.has(j)) {
          await this.clients.dynamodb.send(new PutItemCommand({
            TableName: this.config.ledgerTable,
            Item: { usageId: { S: u.usageId }, meterValue: { N: String(u.meterValue) }, sentAt: { S: this.now().toISOString() } },
          }));
        }
      }
      if (failed.size > 0) {
        throw new Error(`${failed.size} of ${batch.length} usage events were not put on the bus; the run is retried`);
      }
    }
    const result = { period, sent: todo.length, alreadySent: usages.length - todo.length, unattributed };
    console.log(JSON.stringify({ level: 'INFO', message: 'usage sent', ...result }));
    return result;
  }

  /** Each tenant's requests in the period: the daily usage of its own key, in every plan of the router. */
  private async routerUsage(period: string): Promise<{ usages: UsageDetail[]; unattributed: Record<string, number> }> {
    const marker = this.config.marker;
    const plans: Array<{ id: string; tier: string }> = [];
    let position: string | undefined;
    do {
      const page = await this.clients.apigateway.send(new GetUsagePlansCommand({ position, limit: 500 }));
      for (const p of page.items ?? []) {
        if (p.tags?.[API_KEY_MARKER_TAG] === marker && p.tags?.[USAGE_PLAN_TIER_TAG]) {
          plans.push({ id: p.id!, tier: p.tags[USAGE_PLAN_TIER_TAG] });
        }
      }
      position = page.position;
    } while (position);
    const tenantOfKey = new Map<string, string>();
    position = undefined;
    do {
      const page: GetApiKeysCommandOutput = await this.clients.apigateway.send(new GetApiKeysCommand({ position, limit: 500 }));
      for (const k of page.items ?? []) {
        if (k.customerId && k.tags?.[API_KEY_MARKER_TAG] === marker) {
          tenantOfKey.set(k.id!, k.customerId);
        }
      }
      position = page.position;
    } while (position);

    const requests = new Map<string, { tier: string; count: number }>();
    const unattributed: Record<string, number> = {};
    for (const plan of plans) {
      position = undefined;
      do {
        const page: GetUsageCommandOutput = await this.clients.apigateway.send(new GetUsageCommand({
          usagePlanId: plan.id, startDate: period, endDate: period, position, limit: 500,
        }));
        for (const [keyId, days] of Object.entries(page.items ?? {})) {
          const used = (days ?? []).reduce((n: number, day: number[]) => n + Number(day?.[0] ?? 0), 0);
          if (used <= 0) {
            continue;
          }
          const tenantId = tenantOfKey.get(keyId);
          if (!tenantId) {
            unattributed[plan.tier] = (unattributed[plan.tier] ?? 0) + used;
            continue;
          }
          const current = requests.get(tenantId) ?? { tier: plan.tier, count: 0 };
          requests.set(tenantId, { tier: current.tier, count: current.count + used });
        }
        position = page.position;
      } while (position);
    }
    const usages = [...requests.entries()].map(([tenantId, r]) => this.usage(tenantId, this.config.requestsMeter, r.count, period, 'router', r.tier));
    return { usages, unattributed };
  }

  /** The service units the tenants' services recorded for the period. */
  private async serviceUsage(period: string): Promise<UsageDetail[]> {
    if (!this.config.usageTable) {
      return [];
    }
    const out: UsageDetail[] = [];
    let start: Record<string, any> | undefined;
    do {
      const page = await this.clients.dynamodb.send(new QueryCommand({
        TableName: this.config.usageTable,
        IndexName: USAGE_PERIOD_INDEX,
        KeyConditionExpression: '#p = :p',
        ExpressionAttributeNames: { '#p': USAGE_ATTRIBUTES.period },
        ExpressionAttributeValues: { ':p': { S: period } },
        ExclusiveStartKey: start,
      }));
      for (const item of page.Items ?? []) {
        const value = Number(item[USAGE_ATTRIBUTES.value]?.N ?? 0);
        const tenantId = item[USAGE_ATTRIBUTES.tenantId]?.S;
        const meter = item[USAGE_ATTRIBUTES.meter]?.S;
        if (tenantId && meter && value > 0) {
          out.push(this.usage(tenantId, meter, value, period, 'service'));
        }
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  private usage(tenantId: string, meter: string, value: number, period: string, origin: 'router' | 'service', tier?: string): UsageDetail {
    const start = Date.parse(`${period}T00:00:00Z`);
    return {
      tenantId,
      meterApiName: meter,
      meterValue: value,
      periodStart: new Date(start).toISOString(),
      periodEnd: new Date(start + DAY_MS - 1).toISOString(),
      usageId: `${tenantId}/${meter}/${period}`,
      origin,
      ...(tier ? { tier } : {}),
    };
  }

  /** The usages of these ids already in the ledger. */
  private async sentBefore(ids: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < ids.length; i += 100) {
      let keys: any = { [this.config.ledgerTable]: { Keys: ids.slice(i, i + 100).map((id) => ({ usageId: { S: id } })), ConsistentRead: true } };
      while (keys && Object.keys(keys).length > 0) {
        const page = await this.clients.dynamodb.send(new BatchGetItemCommand({ RequestItems: keys }));
        (page.Responses?.[this.config.ledgerTable] ?? []).forEach((item) => out.add(item.usageId.S!));
        keys = page.UnprocessedKeys;
      }
    }
    return out;
  }
}
