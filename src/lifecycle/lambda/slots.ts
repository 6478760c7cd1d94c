/**
 * Router slots of provisioned tenants: (shard, priority) pairs held in a DynamoDB table (partition key `shard`,
 * sort key `priority`, both numbers) by conditional writes, so two onboardings never take one listener-rule priority.
 * Not part of the jsii API.
 *
 * - Priorities of the routes declared in the app (`reserved`) are never handed out.
 * - A slot is released only after the tenant's stack is deleted, so a new tenant's rule never overlaps an old one's.
 * - A tenant that already holds a slot gets the same slot back (a retried onboarding).
 */
import { ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
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
}

export interface Slot {
  readonly shard: number;
  readonly priority: number;
}

export class SlotTable {
  constructor(private readonly o: SlotOptions) {}

  /** The tenant's slot: the one it holds, or the lowest free priority on the first shard with room. */
  public async allocate(tenantId: string): Promise<Slot> {
    for (let attempt = 0; attempt < 20; attempt++) {
      let sawRoom = false;
      for (let shard = 0; shard < this.o.shards; shard++) {
        const held = await this.held(shard);
        const mine = held.find((h) => h.tenantId === tenantId);
        if (mine) {
          return { shard, priority: mine.priority };
        }
        const reserved = this.o.reserved[String(shard)] ?? [];
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
          return { shard, priority };
        } catch (e) {
          if (!(e instanceof ConditionalCheckFailedException)) {
            throw e;
          }
          break; // another onboarding took it: look again
        }
      }
      if (!sawRoom) {
        throw new Error(`no free router slot: ${this.o.shards} shards of ${this.o.rulesPerListener} rules are full; add shards (minShards) or raise the quota`);
      }
    }
    throw new Error(`could not allocate a router slot for tenant '${tenantId}' after 20 attempts`);
  }

  /** The slot the tenant holds, if any. */
  public async find(tenantId: string): Promise<Slot | undefined> {
    for (let shard = 0; shard < this.o.shards; shard++) {
      const mine = (await this.held(shard)).find((h) => h.tenantId === tenantId);
      if (mine) {
        return { shard, priority: mine.priority };
      }
    }
    return undefined;
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
        out.push({ priority: Number(i.priority.N), tenantId: i.tenantId.S! });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }
}
