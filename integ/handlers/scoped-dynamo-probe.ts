import { GetItemCommand, PutItemCommand, QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { TenantScopedDynamo } from '../../src/runtime';

/**
 * Deployed probe for integ.scoped-dynamo-access: acts as tenant `tenantId` through the runtime helper and
 * reports which operations DynamoDB allowed and which it denied.
 */
const scoped = TenantScopedDynamo.fromEnvironment();
const TableName = process.env.PRODUCTS_TABLE_NAME!;

async function outcome(op: () => Promise<unknown>): Promise<string> {
  try {
    await op();
    return 'allowed';
  } catch (e) {
    const name = (e as Error).name;
    return name === 'AccessDeniedException' ? 'denied' : `error:${name}`;
  }
}

export async function handler(event: { tenantId: string; otherTenantId: string }) {
  const { tenantId, otherTenantId } = event;
  const ddb = scoped.client(tenantId);
  const ownWrite = await outcome(() =>
    ddb.send(new PutItemCommand({ TableName, Item: { tenantId: { S: tenantId }, id: { S: 'probe' }, owner: { S: tenantId } } })),
  );
  const own = await ddb.send(new GetItemCommand({ TableName, Key: { tenantId: { S: tenantId }, id: { S: 'probe' } } }));
  const ownRead = own.Item?.owner?.S === tenantId ? 'allowed' : 'missing';
  const otherRead = await outcome(() =>
    ddb.send(new GetItemCommand({ TableName, Key: { tenantId: { S: otherTenantId }, id: { S: 'probe' } } })),
  );
  const otherWrite = await outcome(() =>
    ddb.send(new PutItemCommand({ TableName, Item: { tenantId: { S: otherTenantId }, id: { S: 'intruder' } } })),
  );
  const otherQuery = await outcome(() =>
    ddb.send(
      new QueryCommand({
        TableName,
        KeyConditionExpression: 'tenantId = :t',
        ExpressionAttributeValues: { ':t': { S: otherTenantId } },
      }),
    ),
  );
  const scan = await outcome(() => ddb.send(new ScanCommand({ TableName })));
  return {
    summary: `own-write=${ownWrite} own-read=${ownRead} other-read=${otherRead} other-write=${otherWrite} other-query=${otherQuery} scan=${scan}`,
  };
}
