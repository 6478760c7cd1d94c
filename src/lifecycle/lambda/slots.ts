/**
 * Router slots of provisioned tenants: (shard, priority) pairs held in a DynamoDB table (partition key `shard`,
 * sort key `priority`, both numbers) by conditional writes, so two onboardings never take one listener-rule priority.
 * Not part of the jsii API.
 *
 * - Priorities of the routes declared in the app (`reserved`) are never handed out.
 * - A slot is released only after the tenant's stack is deleted, so a new tenant's rule never overlaps an old one's.
 * - A tenant that already holds a slot gets the same slot back (a retried onboarding).
 * - Shards opened at run time (the router's `openShardsAtRunTime`) follow the deploy-time shards' numbers. Each has a
 *   record at priority 0 (never a rule priority): OPENING while its product is provisioned, then OPEN with the
 *   attributes the tenants placed on it need. The record is written with a condition, so one onboarding opens it.
 * - A shard opened for a tier with a load balancer per tenant (`dedicated`) holds one tenant (`dedicatedTo`): no other
 *   tenant is ever placed on it, and no other onboarding joins its opening. When its tenant is gone (its stack deleted
 *   and its slot released), the shard is free for the next tenant of such a tier, which claims it with a condition.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { PROVISIONED_PRIORITY_BASE } from '../../contract/router';

export interface SlotOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Shards open to provisioned tenants. */
  readonly shards: number;
  /** Listener rules per shard (the quota). */
  readonly rulesPerListener: number;
  /** Priorities per shard taken by routes declared in the app. */
  readonly reserved: Record<string, number[]>;
  /** Shards opened at run time: how many at most, and the priorities each holds for the router's own rules. */
  readonly runtime?: { readonly max: number; readonly reserved: number[] };
}

/** What a tenant placed on a shard opened at run time needs of it (its template's `Shard*` parameters). */
export interface RuntimeShard {
  readonly listenerArn: string;
  readonly securityGroupId: string;
  readonly apiId: string;
  /** The shard's usage plan of each tier (its `UsagePlans` output, `<tier>=<plan id>,...`; empty without tier plans). */
  readonly usagePlans?: string;
}

export interface Slot {
  readonly shard: number;
  readonly priority: number;
  /** The shard's attributes, when it was opened at run time. */
  readonly runtime?: RuntimeShard;
}

/** A shard opened at run time: OPENING (its product provisioning, `recordId` once started), or OPEN. */
export interface ShardRecord {
  readonly shard: number;
  readonly state: 'OPENING' | 'OPEN';
  readonly recordId?: string;
  readonly attributes?: RuntimeShard;
  /** A shard for one tenant at a time (a load balancer per tenant). */
  readonly dedicated: boolean;
  /** The tenant a dedicated shard holds now, if any. */
  readonly dedicatedTo?: string;
}

/** The record of a shard opened at run time sits at this priority, which no listener rule has. */
const SHARD_RECORD = 0;

export class SlotTable {
  constructor(private readonly o: SlotOptions) {}

  /**
   * The tenant's slot: the one it holds, or the lowest free priority on the first shard with room, deploy-time shards
   * first, then the open shards opened at run time. Undefined when every shard is full and the router can open more
   * (`openShard`); without that, an error.
   */
  public async allocate(tenantId: string): Promise<Slot | undefined> {
    for (let attempt = 0; attempt < 20; attempt++) {
      let sawRoom = false;
      const shards = await this.shards();
      for (const { shard, runtime } of shards) {
        const held = await this.held(shard);
        const mine = held.find((h) => h.tenantId === tenantId);
        if (mine) {
          return { shard, priority: mine.priority, runtime };
        }
        const reserved = runtime ? this.o.runtime!.reserved : this.o.reserved[String(shard)] ?? [];
        const taken = new Set([...reserved, ...held.map((h) => h.priority)]);
        if (taken.size >= this.o.rulesPerListener) {
          continue;
        }
        sawRoom = true;
        // Above the declared routes' range: the router's planner never hands these out.
        let priority = PROVISIONED_PRIORITY_BASE;
        while (taken.has(priority)) {
          priority++;
        }
        try {
          await this.o.client.send(new PutItemCommand({
            TableName: this.o.tableName,
            Item: { shard: { N: String(shard) }, priority: { N: String(priority) }, tenantId: { S: tenantId } },
            ConditionExpression: 'attribute_not_exists(#priority)',
            ExpressionAttributeNames: { '#priority': 'priority' },
          }));
          return { shard, priority, runtime };
        } catch (e) {
          if (!(e instanceof ConditionalCheckFailedException)) {
            throw e;
          }
          break; // another onboarding took it: look again
        }
      }
      if (!sawRoom) {
        // Full: a shard is being opened (wait for it), or one can be.
        if (this.o.runtime && ((await this.opening()) !== undefined || (await this.runtimeShardRecords()).length < this.o.runtime.max)) {
          return undefined;
        }
        throw new Error(`no free router slot: ${shards.length} shards of ${this.o.rulesPerListener} rules are full`
          + (this.o.runtime ? `, and the router opens at most ${this.o.runtime.max} at run time` : '; add shards (minShards) or raise the quota'));
      }
    }
    throw new Error(`could not allocate a router slot for tenant '${tenantId}' after 20 attempts`);
  }

  /** The slot the tenant holds, if any. */
  public async find(tenantId: string): Promise<Slot | undefined> {
    for (const { shard, runtime } of await this.shards(true)) {
      const mine = (await this.held(shard)).find((h) => h.tenantId === tenantId);
      if (mine) {
        return { shard, priority: mine.priority, runtime };
      }
    }
    return undefined;
  }

  /**
   * The shard to open next, claimed for opening (`claimed`), or the one another onboarding is opening. With
   * `dedicated`, a shard for this tenant alone: an onboarding joins only an opening of the same kind (shared), or its
   * own (dedicated). Throws when the router may open no more.
   */
  public async openShard(tenantId: string, dedicated = false): Promise<{ shard: number; claimed: boolean; record?: ShardRecord }> {
    const runtime = this.o.runtime;
    if (!runtime) {
      throw new Error('the router does not open shards at run time');
    }
    for (let shard = this.o.shards; shard < this.o.shards + runtime.max; shard++) {
      const record = await this.shardRecord(shard);
      if (record?.state === 'OPEN') {
        continue;
      }
      if (record) {
        if (dedicated ? record.dedicatedTo === tenantId : !record.dedicated) {
          return { shard, claimed: false, record };
        }
        continue; // another tenant's dedicated shard, or a shared one this tenant must not take
      }
      try {
        await this.o.client.send(new PutItemCommand({
          TableName: this.o.tableName,
          Item: {
            shard: { N: String(shard) },
            priority: { N: String(SHARD_RECORD) },
            state: { S: 'OPENING' },
            openedFor: { S: tenantId },
            ...(dedicated ? { dedicated: { BOOL: true }, dedicatedTo: { S: tenantId } } : {}),
          },
          ConditionExpression: 'attribute_not_exists(#priority)',
          ExpressionAttributeNames: { '#priority': 'priority' },
        }));
        return { shard, claimed: true };
      } catch (e) {
        if (!(e instanceof ConditionalCheckFailedException)) {
          throw e;
        }
        const taken = await this.shardRecord(shard);
        if (taken && (dedicated ? taken.dedicatedTo === tenantId : !taken.dedicated)) {
          return { shard, claimed: false, record: taken };
        }
      }
    }
    throw new Error(`no free router slot: every shard is full, and the router opens at most ${runtime.max} shards at run time`);
  }

  /**
   * The slot of a tenant with a load balancer of its own: the first rule of its dedicated shard (held already, or on
   * a free dedicated shard it claims). Undefined when it needs a shard opened (`openShard(tenantId, true)`), or is
   * waiting for its own to open; an error when the router may open no more.
   */
  public async allocateDedicated(tenantId: string): Promise<Slot | undefined> {
    const runtime = this.o.runtime;
    if (!runtime) {
      throw new Error('a tier with a load balancer per tenant gets shards opened at run time: the router must open shards at run time (openShardsAtRunTime)');
    }
    // A slot it holds already (a retried onboarding, or one placed on a shared shard before dedicated shards were on).
    const held = await this.find(tenantId);
    if (held) {
      return held;
    }
    for (let attempt = 0; attempt < 20; attempt++) {
      let free: ShardRecord | undefined;
      const records = await this.runtimeShardRecords();
      for (const record of records) {
        if (record.dedicatedTo === tenantId) {
          return record.state === 'OPEN' ? this.takeDedicated(tenantId, record) : undefined;
        }
        if (record.dedicated && record.state === 'OPEN' && record.dedicatedTo === undefined) {
          free ??= record;
        }
      }
      if (!free) {
        if (records.length >= runtime.max) {
          throw new Error(`no dedicated router shard for tenant '${tenantId}': the router opens at most ${runtime.max} shards at run time, and none is free`);
        }
        return undefined;
      }
      try {
        await this.o.client.send(new UpdateItemCommand({
          TableName: this.o.tableName,
          Key: { shard: { N: String(free.shard) }, priority: { N: String(SHARD_RECORD) } },
          UpdateExpression: 'SET dedicatedTo = :t',
          ConditionExpression: 'attribute_not_exists(dedicatedTo)',
          ExpressionAttributeValues: { ':t': { S: tenantId } },
        }));
        return await this.takeDedicated(tenantId, free);
      } catch (e) {
        if (!(e instanceof ConditionalCheckFailedException)) {
          throw e;
        }
        // another tenant claimed it: look again
      }
    }
    throw new Error(`could not claim a dedicated router shard for tenant '${tenantId}' after 20 attempts`);
  }

  /**
   * Frees every dedicated shard the tenant holds (after its stack is gone, or its onboarding failed): whether or not
   * it holds a slot there, and whether or not the release of its slot got that far before.
   */
  public async releaseDedicated(tenantId: string): Promise<void> {
    for (const record of await this.runtimeShardRecords()) {
      // An opening still in progress is its onboarding's: a failed one is forgotten (shardFailed).
      if (record.dedicatedTo === tenantId && record.state === 'OPEN') {
        await this.clearDedicated(record.shard, tenantId);
      }
    }
  }

  private async clearDedicated(shard: number, tenantId: string): Promise<void> {
    await this.o.client.send(new UpdateItemCommand({
      TableName: this.o.tableName,
      Key: { shard: { N: String(shard) }, priority: { N: String(SHARD_RECORD) } },
      UpdateExpression: 'REMOVE dedicatedTo',
      ConditionExpression: 'dedicatedTo = :t',
      ExpressionAttributeValues: { ':t': { S: tenantId } },
    })).catch((e) => {
      if (!(e instanceof ConditionalCheckFailedException)) {
        throw e;
      }
    });
  }

  /** The tenant's slot on its dedicated shard: the first provisioned priority the router's own rules leave. */
  private async takeDedicated(tenantId: string, record: ShardRecord): Promise<Slot> {
    let priority = PROVISIONED_PRIORITY_BASE;
    while (this.o.runtime!.reserved.includes(priority)) {
      priority++;
    }
    try {
      await this.o.client.send(new PutItemCommand({
        TableName: this.o.tableName,
        Item: { shard: { N: String(record.shard) }, priority: { N: String(priority) }, tenantId: { S: tenantId } },
        ConditionExpression: 'attribute_not_exists(#priority) OR tenantId = :t',
        ExpressionAttributeNames: { '#priority': 'priority' },
        ExpressionAttributeValues: { ':t': { S: tenantId } },
      }));
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) {
        throw new Error(`router shard ${record.shard} is dedicated to tenant '${tenantId}', but its slot is held by another tenant`);
      }
      throw e;
    }
    return { shard: record.shard, priority, runtime: record.attributes };
  }

  /** Records the provisioning of a shard being opened. */
  public async shardProvisioning(shard: number, recordId: string): Promise<void> {
    await this.o.client.send(new UpdateItemCommand({
      TableName: this.o.tableName,
      Key: { shard: { N: String(shard) }, priority: { N: String(SHARD_RECORD) } },
      UpdateExpression: 'SET recordId = :r',
      ConditionExpression: '#state = :opening',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':r': { S: recordId }, ':opening': { S: 'OPENING' } },
    }));
  }

  /** The shard is up: tenants may be placed on it. */
  public async shardOpened(shard: number, attributes: RuntimeShard): Promise<void> {
    await this.o.client.send(new UpdateItemCommand({
      TableName: this.o.tableName,
      Key: { shard: { N: String(shard) }, priority: { N: String(SHARD_RECORD) } },
      UpdateExpression: 'SET #state = :open, listenerArn = :l, securityGroupId = :g, apiId = :a, usagePlans = :p',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':open': { S: 'OPEN' },
        ':l': { S: attributes.listenerArn },
        ':g': { S: attributes.securityGroupId },
        ':a': { S: attributes.apiId },
        ':p': { S: attributes.usagePlans ?? '' },
      },
    }));
  }

  /** Forgets a shard whose opening failed, so that the next onboarding opens it again. */
  public async shardFailed(shard: number): Promise<void> {
    await this.o.client.send(new DeleteItemCommand({
      TableName: this.o.tableName,
      Key: { shard: { N: String(shard) }, priority: { N: String(SHARD_RECORD) } },
      ConditionExpression: '#state = :opening',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':opening': { S: 'OPENING' } },
    })).catch((e) => {
      if (!(e instanceof ConditionalCheckFailedException)) {
        throw e;
      }
    });
  }

  /** The record of a shard opened at run time, if any. */
  public async shardRecord(shard: number): Promise<ShardRecord | undefined> {
    const item = (await this.o.client.send(new GetItemCommand({
      TableName: this.o.tableName,
      Key: { shard: { N: String(shard) }, priority: { N: String(SHARD_RECORD) } },
      ConsistentRead: true,
    }))).Item;
    if (!item) {
      return undefined;
    }
    const state = item.state?.S === 'OPEN' ? 'OPEN' : 'OPENING';
    return {
      shard,
      state,
      recordId: item.recordId?.S,
      attributes: state === 'OPEN'
        ? {
          listenerArn: item.listenerArn.S!,
          securityGroupId: item.securityGroupId.S!,
          apiId: item.apiId.S!,
          usagePlans: item.usagePlans?.S || undefined,
        }
        : undefined,
      dedicated: item.dedicated?.BOOL === true,
      dedicatedTo: item.dedicatedTo?.S,
    };
  }

  /** The deploy-time shards, then the shards opened at run time that are open (the dedicated ones with `dedicated`). */
  private async shards(dedicated = false): Promise<Array<{ shard: number; runtime?: RuntimeShard }>> {
    const out: Array<{ shard: number; runtime?: RuntimeShard }> = [];
    for (let shard = 0; shard < this.o.shards; shard++) {
      out.push({ shard });
    }
    for (const record of await this.runtimeShardRecords()) {
      if (record.state === 'OPEN' && (dedicated || !record.dedicated)) {
        out.push({ shard: record.shard, runtime: record.attributes });
      }
    }
    return out;
  }

  /**
   * The records of the shards opened (or opening) at run time, shared and dedicated, in shard order. A number without
   * a record (a failed opening, forgotten) may sit below shards opened after it: every number is read.
   */
  private async runtimeShardRecords(): Promise<ShardRecord[]> {
    const out: ShardRecord[] = [];
    for (let shard = this.o.shards; shard < this.o.shards + (this.o.runtime?.max ?? 0); shard++) {
      const record = await this.shardRecord(shard);
      if (record) {
        out.push(record);
      }
    }
    return out;
  }

  /** The shard being opened for tenants to share, if any. */
  private async opening(): Promise<number | undefined> {
    return (await this.runtimeShardRecords()).find((r) => r.state === 'OPENING' && !r.dedicated)?.shard;
  }

  /** Frees the tenant's slot (after its stack is gone). */
  public async release(tenantId: string, slot: Slot): Promise<void> {
    try {
      await this.o.client.send(new DeleteItemCommand({
        TableName: this.o.tableName,
        Key: { shard: { N: String(slot.shard) }, priority: { N: String(slot.priority) } },
        ConditionExpression: 'tenantId = :t',
        ExpressionAttributeValues: { ':t': { S: tenantId } },
      }));
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) {
        throw e;
      }
      // not held by this tenant (already released): nothing to do
    }
    if (slot.runtime) {
      // A dedicated shard is free for the next tenant once this one's slot is gone (its rule deleted with its stack).
      await this.clearDedicated(slot.shard, tenantId);
    }
  }

  private async held(shard: number): Promise<Array<{ priority: number; tenantId: string }>> {
    const out: Array<{ priority: number; tenantId: string }> = [];
    let start: Record<string, any> | undefined;
    do {
      const page = await this.o.client.send(new QueryCommand({
        TableName: this.o.tableName,
        KeyConditionExpression: '#shard = :s',
        ExpressionAttributeNames: { '#shard': 'shard' },
        ExpressionAttributeValues: { ':s': { N: String(shard) } },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }));
      for (const i of page.Items ?? []) {
        if (Number(i.priority.N) !== SHARD_RECORD) {
          out.push({ priority: Number(i.priority.N), tenantId: i.tenantId.S! });
        }
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }
}
