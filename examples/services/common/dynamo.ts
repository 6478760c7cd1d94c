/**
 * Tenant-scoped DynamoDB access for the services: each request uses a client scoped to the caller's tenant
 * (`TenantScopedDynamo` from the library's runtime helper in production), wrapped in a document client.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

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
