import { AddressInfo } from 'net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite');

/** An in-memory DynamoDB (dynalite) on a free local port, a client for it, and its endpoint (for other clients). */
export async function startDynamo(): Promise<{ client: DynamoDBClient; endpoint: string; stop: () => Promise<void> }> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    client,
    endpoint,
    stop: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Waits until a new table is ACTIVE: dynalite answers CreateTable with the table CREATING and makes it ACTIVE on a
 * timer, and until then refuses reads of it (ResourceNotFoundException), which a loaded machine can hit.
 */
async function untilActive(client: DynamoDBClient, name: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await client.send(new DescribeTableCommand({ TableName: name }))).Table?.TableStatus === 'ACTIVE') {
      return;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`table ${name} did not become ACTIVE`);
}

/** Creates a table with a string partition key (and optional string sort key). */
export async function createTable(client: DynamoDBClient, name: string, partitionKey: string, sortKey?: string): Promise<void> {
  await client.send(new CreateTableCommand({
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: partitionKey, AttributeType: 'S' }, ...(sortKey ? [{ AttributeName: sortKey, AttributeType: 'S' as const }] : [])],
    KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' }, ...(sortKey ? [{ AttributeName: sortKey, KeyType: 'RANGE' as const }] : [])],
  }));
  await untilActive(client, name);
}

/** Creates the router slot table (numeric shard and priority). */
export async function createSlotTable(client: DynamoDBClient, name: string): Promise<void> {
  await client.send(new CreateTableCommand({
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'shard', AttributeType: 'N' }, { AttributeName: 'priority', AttributeType: 'N' }],
    KeySchema: [{ AttributeName: 'shard', KeyType: 'HASH' }, { AttributeName: 'priority', KeyType: 'RANGE' }],
  }));
  await untilActive(client, name);
}
