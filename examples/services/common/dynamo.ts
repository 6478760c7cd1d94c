/**
 * Tenant-scoped DynamoDB access for the services: each request uses a client scoped to the caller's tenant
 * (`TenantScopedDynamo` from the library's runtime helper in production), wrapped in a document client.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { decodeItemToken, encodeItemToken, ListQuery, pageSize } from './pagination';

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
