/**
 * Tenant-scoped DynamoDB access for the services: each request uses a client scoped to the caller's tenant
 * (`TenantScopedDynamo` from the library's runtime helper in production), wrapped in a document client.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { isErrorNamed, isOwnRetryOf, notFound } from './errors';
import { decodeItemToken, encodeItemToken, ListQuery, pageSize, UUID_PATTERN } from './pagination';

/** What the services need of TenantScopedDynamo: a client that reaches only the given tenant's data. */
export interface TenantDynamo {
  client(tenantId: string): DynamoDBClient;
}

/** Document clients over the tenant-scoped clients, one per underlying client. */
export class TenantDocumentClients {
  private readonly documents = new WeakMap<DynamoDBClient, DynamoDBDocumentClient>();

  constructor(private readonly dynamo: TenantDynamo) {}

  /** The document client for `tenantId` (pass only a tenant id from a verified token). */
  public for(tenantId: string): DynamoDBDocumentClient {
    const client = this.dynamo.client(tenantId);
    let document = this.documents.get(client);
    if (!document) {
      document = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
      this.documents.set(client, document);
    }
    return document;
  }
}

/**
 * One page of a tenant's items in a table keyed by `tenantId` and `id`: the partition of the caller's tenant only,
 * `limit` 1 to 100 (default 25), and an opaque `nextToken` that cannot point into another tenant's partition.
 */
export async function listTenantItems<T>(
  documents: TenantDocumentClients,
  tableName: string,
  tenantId: string,
  query: ListQuery,
): Promise<{ items: T[]; nextToken?: string }> {
  const page = await documents.for(tenantId).send(new QueryCommand({
    TableName: tableName,
    KeyConditionExpression: '#tenantId = :tenantId',
    ExpressionAttributeNames: { '#tenantId': 'tenantId' },
    ExpressionAttributeValues: { ':tenantId': tenantId },
    Limit: pageSize(query, 100, 25),
    ExclusiveStartKey: decodeItemToken(query.nextToken, tenantId),
  }));
  const nextToken = encodeItemToken(page.LastEvaluatedKey);
  return { items: (page.Items ?? []) as T[], ...(nextToken ? { nextToken } : {}) };
}

/** Path parameters of a route on one item: its `id`, a UUID. */
export const ID_PARAMS_SCHEMA = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: UUID_PATTERN } },
} as const;

/**
 * Whether a conditional write failed on a retry of the SDK's own: an earlier attempt may have been applied by DynamoDB
 * with its answer lost (a timeout, a dropped connection, a 500), and the retry then trips the write's own condition.
 */
export function isOwnRetryConflict(error: unknown): boolean {
  return isOwnRetryOf(error, 'ConditionalCheckFailedException');
}

/**
 * Stores a new item of the caller's tenant; never overwrites one.
 *
 * - With a random id (no `Idempotency-Key`), a failed condition on a retry of the SDK's own means the item there is
 *   this request's, stored by the attempt whose answer was lost: the write succeeded, and is reported so.
 * - With an id derived from an `Idempotency-Key` (`existingIsOwn`), an item already there was stored by an earlier
 *   request with the same key whose outcome its client never learnt (every attempt's answer lost: a 503, and the key
 *   released): that item is the answer, and nothing new is written.
 */
export async function createTenantItem<T extends { tenantId: string; id: string }>(
  documents: TenantDocumentClients,
  tableName: string,
  item: T,
  options: { existingIsOwn?: boolean } = {},
): Promise<T> {
  try {
    await documents.for(item.tenantId).send(new PutCommand({
      TableName: tableName,
      Item: item,
      ConditionExpression: 'attribute_not_exists(#id)',
      ExpressionAttributeNames: { '#id': 'id' },
    }));
  } catch (e) {
    if (options.existingIsOwn && isErrorNamed(e, 'ConditionalCheckFailedException')) {
      const existing = await documents.for(item.tenantId).send(new GetCommand({
        TableName: tableName, Key: { tenantId: item.tenantId, id: item.id }, ConsistentRead: true,
      }));
      if (existing.Item) {
        return existing.Item as T;
      }
    }
    if (!isOwnRetryConflict(e)) {
      throw e;
    }
  }
  return item;
}

/** The caller's tenant's item with this id, or a 404 naming `what`: the key always holds the caller's tenant. */
export async function getTenantItem<T>(documents: TenantDocumentClients, tableName: string, tenantId: string, id: string, what: string): Promise<T> {
  const result = await documents.for(tenantId).send(new GetCommand({ TableName: tableName, Key: { tenantId, id } }));
  if (!result.Item) {
    throw notFound(what);
  }
  return result.Item as T;
}
