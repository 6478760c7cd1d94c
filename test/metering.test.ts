import { APIGatewayClient, GetApiKeysCommand, GetUsageCommand, GetUsagePlansCommand } from '@aws-sdk/client-api-gateway';
import { CreateTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { createTable, startDynamo } from './util/dynalite';
import { MeteringConfig, REQUESTS_METER, USAGE_PERIOD_INDEX } from '../src/contract/metering';
import { InvalidPeriod, UsageMeter } from '../src/router/lambda/metering';
import { recordUsage } from '../src/runtime';

/**
 * The metering function's logic: DynamoDB is real (dynalite: the ledger, and the usage table the services write with
 * the runtime helper's `recordUsage`); API Gateway and EventBridge are mocked (aws-sdk-client-mock), since API
 * Gateway's usage reports are not emulated by moto (the as-deployed test reads the local REST API's counts instead).
 */
const apigateway = mockClient(APIGatewayClient);
const events = mockClient(EventBridgeClient);
const MARKER = 'App/router1';
const NOW = new Date('2026-12-01T01:00:00Z');

const busTakesAll = async (input: any) => ({ FailedEntryCount: 0, Entries: input.Entries.map(() => ({ EventId: 'e' })) });

let dynamodb: DynamoDBClient;
let stop: () => Promise<void>;
let n = 0;

beforeAll(async () => ({ client: dynamodb, stop } = await startDynamo()));
afterAll(async () => stop());
beforeEach(() => {
  apigateway.reset();
  events.reset();
  events.on(PutEventsCommand).callsFake(busTakesAll);
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  // Two plans of the router (basic, and advanced on a shard opened at run time) and another router's plan.
  apigateway.on(GetUsagePlansCommand).resolves({
    items: [
      { id: 'plan-basic', tags: { 'cdk-ecs-saas:router': MARKER, 'cdk-ecs-saas:tier': 'basic' } },
      { id: 'plan-advanced-shard9', tags: { 'cdk-ecs-saas:router': MARKER, 'cdk-ecs-saas:tier': 'advanced' } },
      { id: 'plan-other', tags: { 'cdk-ecs-saas:router': 'Other/router', 'cdk-ecs-saas:tier': 'basic' } },
    ],
  });
  apigateway.on(GetApiKeysCommand).resolves({
    items: [
      { id: 'k-blue', customerId: 'blue', tags: { 'cdk-ecs-saas:router': MARKER } },
      { id: 'k-green', customerId: 'green', tags: { 'cdk-ecs-saas:router': MARKER } },
      { id: 'k-acme', customerId: 'acme', tags: { 'cdk-ecs-saas:router': MARKER } },
      { id: 'k-foreign', customerId: 'blue', tags: { 'cdk-ecs-saas:router': 'Other/router' } },
    ],
  });
  apigateway.on(GetUsageCommand, { usagePlanId: 'plan-basic' }).resolves({ items: { 'k-blue': [[120, 880]], 'k-green': [[7, 993]], 'k-tier': [[30, 970]] } });
  apigateway.on(GetUsageCommand, { usagePlanId: 'plan-advanced-shard9' }).resolves({ items: { 'k-acme': [[0, 2000]] } });
  apigateway.on(GetUsageCommand, { usagePlanId: 'plan-other' }).resolves({ items: { 'k-foreign': [[999, 1]] } });
});

async function setup(o: { usage?: boolean } = {}) {
  const i = n++;
  const config: MeteringConfig = {
    source: 'applicationPlaneEventSource',
    detailType: 'ingestUsage',
    eventBusName: 'sbt-bus',
    ledgerTable: `Ledger${i}`,
    marker: MARKER,
    requestsMeter: REQUESTS_METER,
    usageTable: o.usage === false ? undefined : `Usage${i}`,
  };
  await createTable(dynamodb, config.ledgerTable, 'usageId');
  if (config.usageTable) {
    await dynamodb.send(new CreateTableCommand({
      TableName: config.usageTable,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: ['tenantId', 'usageKey', 'period'].map((a) => ({ AttributeName: a, AttributeType: 'S' as const })),
      KeySchema: [{ AttributeName: 'tenantId', KeyType: 'HASH' }, { AttributeName: 'usageKey', KeyType: 'RANGE' }],
      GlobalSecondaryIndexes: [{
        IndexName: USAGE_PERIOD_INDEX,
        KeySchema: [{ AttributeName: 'period', KeyType: 'HASH' }, { AttributeName: 'tenantId', KeyType: 'RANGE' }],
        Projection: { ProjectionType: 'ALL' },
      }],
    }));
    await new Promise((r) => setTimeout(r, 50));
  }
  const meter = new UsageMeter(config, { apigateway: new APIGatewayClient({}), dynamodb, events: new EventBridgeClient({}) }, () => NOW);
  return { meter, config };
}

function sentUsages() {
  return events.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries!.map((e) => ({ ...e, Detail: JSON.parse(e.Detail!) })));
}

test('by default the previous UTC day: one event per tenant with requests, from its own key in the router\'s plans only', async () => {
  const { meter } = await setup({ usage: false });
  const result = await meter.run();
  expect(result).toEqual({ period: '2026-11-30', sent: 2, alreadySent: 0, unattributed: { basic: 30 } });
  expect(apigateway.commandCalls(GetUsageCommand).map((c) => c.args[0].input)).toEqual(expect.arrayContaining([
    expect.objectContaining({ usagePlanId: 'plan-basic', startDate: '2026-11-30', endDate: '2026-11-30' }),
  ]));
  // Another router's plan is not read.
  expect(apigateway.commandCalls(GetUsageCommand).map((c) => c.args[0].input.usagePlanId).sort()).toEqual(['plan-advanced-shard9', 'plan-basic']);
  const usages = sentUsages();
  expect(usages.map((u) => ({ bus: u.EventBusName, source: u.Source, type: u.DetailType }))).toEqual(
    Array(2).fill({ bus: 'sbt-bus', source: 'applicationPlaneEventSource', type: 'ingestUsage' }),
  );
  expect(usages.map((u) => u.Detail).sort((a, b) => a.tenantId.localeCompare(b.tenantId))).toEqual([
    {
      tenantId: 'blue',
      meterApiName: 'requests',
      meterValue: 120,
      tier: 'basic',
      origin: 'router',
      usageId: 'blue/requests/2026-11-30',
      periodStart: '2026-11-30T00:00:00.000Z',
      periodEnd: '2026-11-30T23:59:59.999Z',
    },
    {
      tenantId: 'green',
      meterApiName: 'requests',
      meterValue: 7,
      tier: 'basic',
      origin: 'router',
      usageId: 'green/requests/2026-11-30',
      periodStart: '2026-11-30T00:00:00.000Z',
      periodEnd: '2026-11-30T23:59:59.999Z',
    },
  ]);
});

test('service units recorded with recordUsage add up per tenant, meter and day, and are sent with the requests', async () => {
  const { meter, config } = await setup();
  const table = config.usageTable!;
  const at = new Date('2026-11-30T10:00:00Z');
  await Promise.all([
    recordUsage(dynamodb, table, { tenantId: 'blue', meter: 'reports', value: 2, at }),
    recordUsage(dynamodb, table, { tenantId: 'blue', meter: 'reports', value: 3, at }),
    recordUsage(dynamodb, table, { tenantId: 'blue', meter: 'gigabytes', value: 0.5, at }),
    recordUsage(dynamodb, table, { tenantId: 'acme', meter: 'reports', value: 1, at }),
    // Another day: not in this period.
    recordUsage(dynamodb, table, { tenantId: 'blue', meter: 'reports', value: 100, at: new Date('2026-11-29T23:59:59Z') }),
  ]);
  const result = await meter.run({ period: '2026-11-30' });
  expect(result.sent).toBe(5);
  const service = sentUsages().map((u) => u.Detail).filter((d) => d.origin === 'service')
    .map((d) => `${d.tenantId} ${d.meterApiName} ${d.meterValue}`).sort();
  expect(service).toEqual(['acme reports 1', 'blue gigabytes 0.5', 'blue reports 5']);
});

test('a period sent again sends only what is missing: the ledger holds what was sent', async () => {
  const { meter, config } = await setup({ usage: false });
  // The bus takes the first event of the batch only.
  let calls = 0;
  events.on(PutEventsCommand).callsFake(async (input) => (calls++ === 0
    ? { FailedEntryCount: 1, Entries: [{ EventId: 'e' }, { ErrorCode: 'InternalFailure' }] }
    : busTakesAll(input)));
  await expect(meter.run()).rejects.toThrow(/1 of 2 usage events were not put on the bus; the run is retried/);
  const ledger = (await dynamodb.send(new ScanCommand({ TableName: config.ledgerTable }))).Items!.map((i) => i.usageId.S);
  expect(ledger).toHaveLength(1);
  events.resetHistory();
  expect(await meter.run()).toMatchObject({ sent: 1, alreadySent: 1 });
  expect(sentUsages().map((u) => u.Detail.usageId)).toEqual([['blue/requests/2026-11-30', 'green/requests/2026-11-30'].find((id) => id !== ledger[0])]);
  events.resetHistory();
  expect(await meter.run()).toMatchObject({ sent: 0, alreadySent: 2 });
  expect(events.commandCalls(PutEventsCommand)).toHaveLength(0);
});

test('a period that is not a past UTC day is refused with the value, and nothing is read or sent', async () => {
  const { meter } = await setup();
  for (const period of ['2026-12-01', '2026-12-02', '30.11.2026', '2026-02-30', 42]) {
    await expect(meter.run({ period })).rejects.toThrow(InvalidPeriod);
  }
  await expect(meter.run({ period: '2026-12-01' })).rejects.toThrow(/period 2026-12-01 is not over yet \(today is 2026-12-01 UTC\)/);
  await expect(meter.run({ period: 'yesterday' })).rejects.toThrow(/period must be a UTC day, YYYY-MM-DD; got "yesterday"/);
  expect(apigateway.calls()).toHaveLength(0);
  expect(events.calls()).toHaveLength(0);
});

test('recordUsage refuses a bad tenant id, meter or value before any call', async () => {
  const client = new DynamoDBClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await expect(recordUsage(client, 'T', { tenantId: 'Not A Tenant', meter: 'reports', value: 1 })).rejects.toThrow(/tenantId must be/);
  await expect(recordUsage(client, 'T', { tenantId: 'blue', meter: 'a#b', value: 1 })).rejects.toThrow(/meter must be 1 to 64 letters.*got 'a#b'/);
  for (const value of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    await expect(recordUsage(client, 'T', { tenantId: 'blue', meter: 'reports', value })).rejects.toThrow(/value must be a positive finite number/);
  }
  client.destroy();
});
