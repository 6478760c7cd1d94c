/**
 * Offboarding: removes a tenant's items from a pooled table, by partition key, in batches of 25 (DynamoDB's
 * BatchWriteItem limit), retrying unprocessed items with backoff. Not part of the jsii API.
 */
import { AttributeValue, BatchWriteItemCommand, DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';

export interface PurgeOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Name of the partition key (it holds the tenant id). */
  readonly partitionKey: string;
  /** Name of the sort key, if the table has one. */
  readonly sortKey?: string;
  readonly tenantId: string;
  /** Attempts for unprocessed items before giving up. */
  readonly maxAttempts?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Deletes every item of the tenant; returns how many. Throws when items stay unprocessed after the retries. */
export async function purgeTenantItems(o: PurgeOptions): Promise<number> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const keys = [o.partitionKey, ...(o.sortKey ? [o.sortKey] : [])];
  let deleted = 0;
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await o.client.send(new QueryCommand({
      TableName: o.tableName,
      KeyConditionExpression: '#pk = :tenant',
      ExpressionAttributeNames: { '#pk': o.partitionKey, ...(o.sortKey ? { '#sk': o.sortKey } : {}) },
      ExpressionAttributeValues: { ':tenant': { S: o.tenantId } },
      ProjectionExpression: o.sortKey ? '#pk, #sk' : '#pk',
      ExclusiveStartKey: start,
    }));
    const items = (page.Items ?? []).map((item) => Object.fromEntries(keys.map((k) => [k, item[k]])));
    for (let i = 0; i < items.length; i += 25) {
      await writeBatch(o, items.slice(i, i + 25), sleep);
      deleted += Math.min(25, items.length - i);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return deleted;
}

async function writeBatch(o: PurgeOptions, keys: Array<Record<string, AttributeValue>>, sleep: (ms: number) => Promise<void>) {
  let pending = keys.map((Key) => ({ DeleteRequest: { Key } }));
  const attempts = o.maxAttempts ?? 8;
  for (let attempt = 1; pending.length > 0; attempt++) {
    if (attempt > attempts) {
      throw new Error(`${pending.length} items of tenant '${o.tenantId}' in ${o.tableName} stayed unprocessed after ${attempts} attempts`);
    }
    if (attempt > 1) {
      await sleep(Math.min(50 * 2 ** attempt, 5000));
    }
    const result = await o.client.send(new BatchWriteItemCommand({ RequestItems: { [o.tableName]: pending } }));
    pending = (result.UnprocessedItems?.[o.tableName] ?? []) as typeof pending;
  }
}
