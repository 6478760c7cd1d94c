/**
 * Places tenants in cells (docs/cells.md). The control plane's requests reach this function on the control plane's bus;
 * it picks the tenant's cell and puts the request back on the bus with the cell named in it (`CELL_FIELD`), and the
 * bus's rules forward it to that cell's bus. Not part of the jsii API.
 *
 * The placement table holds one item per cell (what its tenants use of each quota, in thousandths) and one per tenant
 * (its cell, its registration and the footprint it was placed with). A placement is one transaction: the tenant's item
 * and the cell's usage, under the condition that every quota stays within the cell's limit. So two placements racing
 * for a cell's last room cannot both win, and a request delivered twice goes to the cell it went to the first time.
 *
 * Usage is given back when the cell answers that the tenant is gone (deprovisioned) or never came (its onboarding
 * failed, for the registration that was placed), once: the tenant's item goes from PLACED to RELEASED in the same
 * transaction.
 */
import {
  AttributeValue,
  BatchGetItemCommand,
  DynamoDBClient,
  GetItemCommand,
  TransactionCanceledException,
  TransactWriteItem,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { failedReply, InvalidRequest, parseOffboarding, parseOnboarding, parseStatusRequest, statusFailure } from './requests';
import { CELL_FIELD, CellConfig, CellPlacementConfig, cellsOf, firstCellWithRoom } from '../../contract/cells';
import { TENANT_STATUS_REQUESTS } from '../../contract/lifecycle';

export interface PlacementClients {
  readonly dynamodb: DynamoDBClient;
  readonly events: EventBridgeClient;
}

/** An event as EventBridge gives it to a function. */
export interface BusEventInput {
  readonly 'source'?: string;
  readonly 'detail-type'?: string;
  readonly 'detail'?: unknown;
  /** The account that put the event on a bus first (kept when a rule forwards it to another account's bus). */
  readonly 'account'?: string;
}

/** What handling one event did, for logs and tests. */
export interface PlacementOutcome {
  readonly action: 'PLACED' | 'FORWARDED' | 'REFUSED' | 'RELEASED' | 'RECOUNTED' | 'IGNORED';
  readonly tenantId?: string;
  readonly cell?: string;
  readonly reason?: string;
}

const PLACED = 'PLACED';
const RELEASED = 'RELEASED';
/** Quota attributes of a cell's item are prefixed, so no quota name meets the key. */
const QUOTA_PREFIX = 'q:';
/** Keys one BatchGetItem reads at most. */
const BATCH_GET_KEYS = 100;
/** Placements that lose a race for a cell's room try again this many times before the delivery is retried. */
const ATTEMPTS = 10;

const cellKey = (cell: string) => ({ id: { S: `cell#${cell}` } });
const tenantKey = (tenantId: string) => ({ id: { S: `tenant#${tenantId}` } });

interface TenantPlacement {
  readonly cell: string;
  readonly status: string;
  readonly registrationId: string;
  readonly footprint: Record<string, number>;
}

export class CellPlacer {
  private readonly cells: CellConfig[];

  constructor(private readonly config: CellPlacementConfig, private readonly clients: PlacementClients) {
    this.cells = cellsOf(config);
  }

  public async handle(event: BusEventInput): Promise<PlacementOutcome> {
    const c = this.config.contract;
    const type = event['detail-type'];
    if (event.source === c.controlPlaneSource && type === c.onboardingRequest) {
      return this.place(event.detail);
    }
    if (event.source === c.controlPlaneSource && type === c.offboardingRequest) {
      return this.routeOffboarding(event.detail);
    }
    if (event.source === c.controlPlaneSource && type !== undefined && c.statusRequests.includes(type)) {
      return this.routeStatusChange(type, event.detail);
    }
    if (event.source === c.applicationPlaneSource && (type === c.provisionFailure || type === c.deprovisionSuccess)) {
      return this.release(event.detail, event.account);
    }
    if (event.source === c.applicationPlaneSource && type === c.provisionSuccess) {
      return this.recount(event.detail, event.account);
    }
    return { action: 'IGNORED', reason: `no placement for ${event.source} ${type}` };
  }

  /** An onboarding request: to the cell the tenant is placed in, or to the first cell with room for its tier. */
  private async place(detail: unknown): Promise<PlacementOutcome> {
    let request;
    try {
      request = parseOnboarding(detail, Object.keys(this.config.tiers));
    } catch (e) {
      return this.refuse(e, detail, this.config.contract.provisionFailure);
    }
    const footprint = this.config.tiers[request.tier];
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const placed = await this.placement(request.tenantId);
      if (placed?.status === PLACED) {
        // Delivered again, or a new registration for a placed tenant: its cell answers either.
        await this.forward(this.config.contract.onboardingRequest, detail, placed.cell);
        return { action: 'FORWARDED', tenantId: request.tenantId, cell: placed.cell };
      }
      const usage = await this.usage();
      const cell = firstCellWithRoom(this.cells, usage, footprint);
      if (!cell) {
        const reason = `no cell has room for a tenant of tier '${request.tier}': every cell that accepts tenants would exceed a limit `
          + `(${this.cells.filter((x) => x.acceptsTenants).map((x) => x.id).join(', ')})`;
        await this.reply(this.config.contract.provisionFailure, failedReply(request.tenantRegistrationId, request.tenantId, reason));
        return { action: 'REFUSED', tenantId: request.tenantId, reason };
      }
      const won = await this.claim(
        request.tenantId, request.tenantRegistrationId, request.tier, cell.id, cell.limits, footprint, placed !== undefined,
      );
      if (won) {
        await this.forward(this.config.contract.onboardingRequest, detail, cell.id);
        return { action: 'PLACED', tenantId: request.tenantId, cell: cell.id };
      }
    }
    throw new Error(`tenant ${request.tenantId}: lost the race for a cell's room ${ATTEMPTS} times; the delivery is retried`);
  }

  /** An offboarding request: to the tenant's cell. */
  private async routeOffboarding(detail: unknown): Promise<PlacementOutcome> {
    let request;
    try {
      request = parseOffboarding(detail, Object.keys(this.config.tiers));
    } catch (e) {
      return this.refuse(e, detail, this.config.contract.deprovisionFailure);
    }
    const placed = await this.placement(request.tenantId);
    if (!placed) {
      const reason = `tenant ${request.tenantId} was never placed in a cell`;
      await this.reply(this.config.contract.deprovisionFailure, failedReply(request.tenantRegistrationId, request.tenantId, reason));
      return { action: 'REFUSED', tenantId: request.tenantId, reason };
    }
    // Also when released: its cell answers a repeated offboarding again.
    await this.forward(this.config.contract.offboardingRequest, detail, placed.cell);
    return { action: 'FORWARDED', tenantId: request.tenantId, cell: placed.cell };
  }

  /** A request to suspend or reactivate a tenant: to the tenant's cell. */
  private async routeStatusChange(detailType: string, detail: unknown): Promise<PlacementOutcome> {
    const c = this.config.contract;
    const failure = detailType === c.deactivateRequest || detailType === TENANT_STATUS_REQUESTS.suspend ? c.deactivateFailure : c.activateFailure;
    let request;
    try {
      request = parseStatusRequest(detail);
    } catch (e) {
      if (!(e instanceof InvalidRequest)) {
        throw e;
      }
      return { action: 'REFUSED', reason: e.message };
    }
    const placed = await this.placement(request.tenantId);
    if (!placed || placed.status !== PLACED) {
      const reason = `tenant ${request.tenantId} is in no cell`;
      await this.reply(failure, statusFailure(request.tenantId, request.tenantRegistrationId, reason));
      return { action: 'REFUSED', tenantId: request.tenantId, reason };
    }
    await this.forward(detailType, detail, placed.cell);
    return { action: 'FORWARDED', tenantId: request.tenantId, cell: placed.cell };
  }

  /**
   * A cell's answer that a tenant is gone, or never came: its usage goes back to the cell, once. The answer must be
   * for the registration that was placed (a second registration refused for a placed tenant id, or a late answer to
   * an earlier registration of a tenant placed again, leaves it placed), and come from the tenant's cell's account
   * when the placement knows it.
   */
  private async release(detail: unknown, account: string | undefined): Promise<PlacementOutcome> {
    const reply = await this.replyOf(detail, account);
    if (reply.outcome) {
      return reply.outcome;
    }
    const { tenantId, placed } = reply;
    if (placed.status !== PLACED) {
      return { action: 'IGNORED', tenantId, reason: 'released already' };
    }
    const won = await this.transact(tenantId, placed, PLACED, RELEASED, -1);
    return won ? { action: 'RELEASED', tenantId, cell: placed.cell } : { action: 'IGNORED', tenantId, reason: 'released already' };
  }

  /**
   * A cell's answer that a tenant is provisioned. A tenant released meanwhile (its failure answered while a duplicate
   * of its request was on its way, and the cell then provisioned it) is counted in its cell again, even past a limit:
   * the tenant is there.
   */
  private async recount(detail: unknown, account: string | undefined): Promise<PlacementOutcome> {
    const reply = await this.replyOf(detail, account);
    if (reply.outcome) {
      return reply.outcome;
    }
    const { tenantId, placed } = reply;
    if (placed.status !== RELEASED) {
      return { action: 'IGNORED', tenantId, reason: 'counted' };
    }
    const won = await this.transact(tenantId, placed, RELEASED, PLACED, 1);
    if (won) {
      console.log(JSON.stringify({ level: 'WARN', message: 'a released tenant was provisioned: counted in its cell again', tenantId, cell: placed.cell }));
    }
    return won ? { action: 'RECOUNTED', tenantId, cell: placed.cell } : { action: 'IGNORED', tenantId, reason: 'counted' };
  }

  /** The placement a reply is about, if it is for the placed registration and from the tenant's cell's account. */
  private async replyOf(detail: unknown, account: string | undefined): Promise<
    { outcome: PlacementOutcome; tenantId?: undefined; placed?: undefined } | { outcome?: undefined; tenantId: string; placed: TenantPlacement }
  > {
    const d = (typeof detail === 'object' && detail !== null ? detail : {}) as Record<string, unknown>;
    const tenantId = typeof d.tenantId === 'string' ? d.tenantId : undefined;
    const registrationId = typeof d.tenantRegistrationId === 'string' ? d.tenantRegistrationId : undefined;
    if (!tenantId || !registrationId) {
      return { outcome: { action: 'IGNORED', reason: 'the reply names no tenant or registration' } };
    }
    const placed = await this.placement(tenantId);
    if (!placed || placed.registrationId !== registrationId) {
      return { outcome: { action: 'IGNORED', tenantId, reason: 'not placed, or placed for another registration' } };
    }
    const expected = this.config.cellAccounts?.[placed.cell];
    if (expected && account !== expected) {
      console.log(JSON.stringify({ level: 'WARN', message: 'a reply from another account than the tenant\'s cell', tenantId, cell: placed.cell, account }));
      return { outcome: { action: 'IGNORED', tenantId, reason: `the reply comes from account ${account}, not cell ${placed.cell}'s` } };
    }
    return { tenantId, placed };
  }

  /** Moves a placed tenant from one status to another and adds (1) or takes back (-1) its footprint, in one transaction. */
  private async transact(tenantId: string, placed: TenantPlacement, from: string, to: string, sign: 1 | -1): Promise<boolean> {
    const amounts = Object.entries(placed.footprint).filter(([, n]) => n > 0);
    const items: TransactWriteItem[] = [{
      Update: {
        TableName: this.config.placementTable,
        Key: tenantKey(tenantId),
        UpdateExpression: 'SET #s = :to',
        ConditionExpression: '#s = :from AND registrationId = :registration',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':to': { S: to }, ':from': { S: from }, ':registration': { S: placed.registrationId } },
      },
    }];
    if (amounts.length > 0) {
      items.push({
        Update: {
          TableName: this.config.placementTable,
          Key: cellKey(placed.cell),
          UpdateExpression: `ADD ${amounts.map((_, i) => `#q${i} :q${i}`).join(', ')}`,
          ExpressionAttributeNames: Object.fromEntries(amounts.map(([q], i) => [`#q${i}`, QUOTA_PREFIX + q])),
          ExpressionAttributeValues: Object.fromEntries(amounts.map(([, n], i) => [`:q${i}`, { N: String(sign * n) }])),
        },
      });
    }
    return this.write(items, 0);
  }

  /**
   * The tenant's item and the cell's usage in one transaction. False when the cell's room went to another placement
   * first, or the tenant was placed meanwhile (the caller reads again).
   */
  private async claim(
    tenantId: string, registrationId: string, tier: string, cell: string,
    limits: Record<string, number>, footprint: Record<string, number>, wasReleased: boolean,
  ): Promise<boolean> {
    const amounts = Object.entries(footprint).filter(([, n]) => n > 0);
    const items: TransactWriteItem[] = [{
      Put: {
        TableName: this.config.placementTable,
        Item: {
          ...tenantKey(tenantId),
          status: { S: PLACED },
          cell: { S: cell },
          tier: { S: tier },
          registrationId: { S: registrationId },
          footprint: { M: Object.fromEntries(Object.entries(footprint).map(([q, n]) => [q, { N: String(n) }])) },
        },
        ConditionExpression: wasReleased ? '#s = :released' : 'attribute_not_exists(id)',
        ExpressionAttributeNames: wasReleased ? { '#s': 'status' } : undefined,
        ExpressionAttributeValues: wasReleased ? { ':released': { S: RELEASED } } : undefined,
      },
    }];
    if (amounts.length > 0) {
      items.push({
        Update: {
          TableName: this.config.placementTable,
          Key: cellKey(cell),
          UpdateExpression: `ADD ${amounts.map((_, i) => `#q${i} :q${i}`).join(', ')}`,
          // Each quota at most its limit less this footprint before the addition.
          ConditionExpression: amounts.map((_, i) => `((attribute_not_exists(#q${i}) AND :zero <= :max${i}) OR #q${i} <= :max${i})`).join(' AND '),
          ExpressionAttributeNames: Object.fromEntries(amounts.map(([q], i) => [`#q${i}`, QUOTA_PREFIX + q])),
          ExpressionAttributeValues: Object.fromEntries([[':zero', { N: '0' }], ...amounts.flatMap(([q, n], i) => [
            [`:q${i}`, { N: String(n) }],
            [`:max${i}`, { N: String((limits[q] ?? 0) - n) }],
          ])]),
        },
      });
    }
    return this.write(items, 0);
  }

  /**
   * One transaction: false when a condition failed (the caller reads again); a conflict with another transaction on
   * the same items is tried again, with a jittered wait, before the delivery is retried.
   */
  private async write(items: TransactWriteItem[], attempt: number): Promise<boolean> {
    try {
      await this.clients.dynamodb.send(new TransactWriteItemsCommand({ TransactItems: items }));
      return true;
    } catch (e) {
      if (!(e instanceof TransactionCanceledException)) {
        throw e;
      }
      const codes = (e.CancellationReasons ?? []).map((r) => r.Code);
      if (codes.includes('ConditionalCheckFailed')) {
        return false;
      }
      if (codes.includes('TransactionConflict') && attempt < ATTEMPTS) {
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 80 * (attempt + 1)));
        return this.write(items, attempt + 1);
      }
      throw e;
    }
  }

  private async placement(tenantId: string): Promise<TenantPlacement | undefined> {
    const item = (await this.clients.dynamodb.send(new GetItemCommand({
      TableName: this.config.placementTable,
      Key: tenantKey(tenantId),
      ConsistentRead: true,
    }))).Item;
    if (!item) {
      return undefined;
    }
    return {
      cell: item.cell.S!,
      status: item.status.S!,
      registrationId: item.registrationId.S!,
      footprint: Object.fromEntries(Object.entries(item.footprint?.M ?? {}).map(([q, v]) => [q, Number(v.N)])),
    };
  }

  /** What each cell's tenants use, by cell id (cells never used are absent): 100 cells per read. */
  private async usage(): Promise<Record<string, Record<string, number>>> {
    const out: Record<string, Record<string, number>> = {};
    const all = this.config.cells.map((c) => cellKey(c));
    for (let i = 0; i < all.length; i += BATCH_GET_KEYS) {
      let keys: Array<Record<string, AttributeValue>> = all.slice(i, i + BATCH_GET_KEYS);
      while (keys.length > 0) {
        const result = await this.clients.dynamodb.send(new BatchGetItemCommand({
          RequestItems: { [this.config.placementTable]: { Keys: keys, ConsistentRead: true } },
        }));
        for (const item of result.Responses?.[this.config.placementTable] ?? []) {
          const cell = item.id.S!.slice('cell#'.length);
          out[cell] = Object.fromEntries(Object.entries(item)
            .filter(([name]) => name.startsWith(QUOTA_PREFIX))
            .map(([name, v]) => [name.slice(QUOTA_PREFIX.length), Number(v.N)]));
        }
        keys = (result.UnprocessedKeys?.[this.config.placementTable]?.Keys ?? []) as Array<Record<string, AttributeValue>>;
      }
    }
    return out;
  }

  /** The request back on the control plane's bus, naming its cell: the bus's rule for the cell forwards it there. */
  private async forward(detailType: string, detail: unknown, cell: string): Promise<void> {
    await this.put(this.config.contract.controlPlaneSource, detailType, { ...(detail as object), [CELL_FIELD]: cell });
  }

  private async reply(detailType: string, detail: unknown): Promise<void> {
    await this.put(this.config.contract.applicationPlaneSource, detailType, detail);
  }

  private async put(source: string, detailType: string, detail: unknown): Promise<void> {
    const result = await this.clients.events.send(new PutEventsCommand({
      Entries: [{ EventBusName: this.config.eventBusName, Source: source, DetailType: detailType, Detail: JSON.stringify(detail) }],
    }));
    if (result.FailedEntryCount) {
      throw new Error(`the event was not accepted: ${result.Entries?.[0]?.ErrorCode} ${result.Entries?.[0]?.ErrorMessage}`);
    }
  }

  /** A request that cannot be placed: answered with its reason when it names its registration, as a cell would. */
  private async refuse(e: unknown, detail: unknown, detailType: string): Promise<PlacementOutcome> {
    if (!(e instanceof InvalidRequest)) {
      throw e;
    }
    const d = (typeof detail === 'object' && detail !== null ? detail : {}) as Record<string, unknown>;
    const tenantId = typeof d.tenantId === 'string' ? d.tenantId : '';
    if (e.tenantRegistrationId) {
      await this.reply(detailType, failedReply(e.tenantRegistrationId, tenantId, e.message));
    }
    return { action: 'REFUSED', tenantId, reason: e.message };
  }
}
