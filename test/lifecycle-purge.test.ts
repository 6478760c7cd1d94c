import { BatchWriteItemCommand, DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { purgeTenantItems } from '../src/lifecycle/lambda/purge';

const ddb = mockClient(DynamoDBClient);
const client = new DynamoDBClient({ region: 'us-east-1' });
const item = (i: number) => ({ tenantId: { S: 'acme' }, id: { S: `p${i}` }, name: { S: 'ignored' } });
const noSleep = async () => undefined;

beforeEach(() => ddb.reset());

test('queries the tenant\'s partition page by page and deletes by key in batches of 25', async () => {
  ddb.on(QueryCommand).resolvesOnce({ Items: Array.from({ length: 30 }, (_, i) => item(i)), LastEvaluatedKey: { tenantId: { S: 'acme' }, id: { S: 'p29' } } })
    .resolvesOnce({ Items: Array.from({ length: 3 }, (_, i) => item(30 + i)) });
  ddb.on(BatchWriteItemCommand).resolves({});
  const n = await purgeTenantItems({ client, tableName: 'Products', partitionKey: 'tenantId', sortKey: 'id', tenantId: 'acme', sleep: noSleep });
  expect(n).toBe(33);
  const queries = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
  expect(queries[0]).toMatchObject({ TableName: 'Products', KeyConditionExpression: '#pk = :tenant', ExpressionAttributeValues: { ':tenant': { S: 'acme' } }, ProjectionExpression: '#pk, #sk' });
  expect(queries[1].ExclusiveStartKey).toEqual({ tenantId: { S: 'acme' }, id: { S: 'p29' } });
  const batches = ddb.commandCalls(BatchWriteItemCommand).map((c) => c.args[0].input.RequestItems!.Products);
  expect(batches.map((b) => b.length)).toEqual([25, 5, 3]);
  expect(batches[0][0]).toEqual({ DeleteRequest: { Key: { tenantId: { S: 'acme' }, id: { S: 'p0' } } } });
});

test('retries unprocessed items until they are deleted', async () => {
  ddb.on(QueryCommand).resolves({ Items: [item(0), item(1)] });
  ddb.on(BatchWriteItemCommand)
    .resolvesOnce({ UnprocessedItems: { Products: [{ DeleteRequest: { Key: { tenantId: { S: 'acme' }, id: { S: 'p1' } } } }] } })
    .resolves({});
  const waits: number[] = [];
  await purgeTenantItems({ client, tableName: 'Products', partitionKey: 'tenantId', sortKey: 'id', tenantId: 'acme', sleep: async (ms) => { waits.push(ms); } });
  const batches = ddb.commandCalls(BatchWriteItemCommand).map((c) => c.args[0].input.RequestItems!.Products.length);
  expect(batches).toEqual([2, 1]);
  expect(waits).toEqual([200]);
});

test('gives up with the count when items stay unprocessed', async () => {
  ddb.on(QueryCommand).resolves({ Items: [item(0)] });
  ddb.on(BatchWriteItemCommand).resolves({ UnprocessedItems: { Products: [{ DeleteRequest: { Key: { tenantId: { S: 'acme' } } } }] } });
  await expect(purgeTenantItems({ client, tableName: 'Products', partitionKey: 'tenantId', tenantId: 'acme', maxAttempts: 3, sleep: noSleep }))
    .rejects.toThrow("1 items of tenant 'acme' in Products stayed unprocessed after 3 attempts");
  expect(ddb.commandCalls(BatchWriteItemCommand)).toHaveLength(3);
});

test('a table with only a partition key is purged by that key, and an empty partition costs one query', async () => {
  ddb.on(QueryCommand).resolves({ Items: [] });
  expect(await purgeTenantItems({ client, tableName: 'T', partitionKey: 'tenantId', tenantId: 'acme', sleep: noSleep })).toBe(0);
  expect(ddb.commandCalls(QueryCommand)[0].args[0].input.ProjectionExpression).toBe('#pk');
  expect(ddb.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
});
