import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createSlotTable, startDynamo } from './util/dynalite';
import { SlotTable } from '../src/lifecycle/lambda/slots';

/** Router slot allocation for provisioned tenants, against an in-memory DynamoDB (dynalite). */
let client: DynamoDBClient;
let stop: () => Promise<void>;
let n = 0;

beforeAll(async () => ({ client, stop } = await startDynamo()));
afterAll(async () => stop());

async function table(options: { shards?: number; rules?: number; reserved?: Record<string, number[]> } = {}) {
  const name = `Slots${n++}`;
  await createSlotTable(client, name);
  const reserved = options.reserved ?? {};
  return new SlotTable({ client, tableName: name, shards: options.shards ?? 2, rulesPerListener: options.rules ?? 100, reserved });
}

test('slots skip the priorities of declared routes and fill a shard before the next', async () => {
  const slots = await table({ rules: 4, reserved: { 0: [1, 2] } });
  const got = [];
  for (const t of ['a', 'b', 'c', 'd']) {
    got.push(await slots.allocate(t));
  }
  // Provisioned slots start above the declared routes' range (25,000), and the declared routes count against the quota.
  expect(got).toEqual([{ shard: 0, priority: 25001 }, { shard: 0, priority: 25002 }, { shard: 1, priority: 25001 }, { shard: 1, priority: 25002 }]);
});

test('a retried onboarding gets the slot it holds', async () => {
  const slots = await table();
  const first = await slots.allocate('acme');
  await slots.allocate('globex');
  expect(await slots.allocate('acme')).toEqual(first);
});

test('concurrent onboardings never share a slot', async () => {
  const slots = await table({ shards: 3, rules: 10 });
  const got = await Promise.all(Array.from({ length: 25 }, (_, i) => slots.allocate(`t${i}`)));
  const keys = got.map((s) => `${s.shard}/${s.priority}`);
  expect(new Set(keys).size).toBe(25);
  for (const s of got) {
    expect(s.priority).toBeGreaterThan(25_000);
    expect(s.priority).toBeLessThanOrEqual(25_010);
  }
});

test('a released slot is handed out again; releasing twice or another tenant\'s slot changes nothing', async () => {
  const slots = await table({ shards: 1 });
  const a = await slots.allocate('a');
  const b = await slots.allocate('b');
  await slots.release('b', a); // not b's: ignored
  await slots.release('a', a);
  await slots.release('a', a);
  expect(await slots.allocate('c')).toEqual(a);
  expect(await slots.allocate('b')).toEqual(b);
});

test('full shards fail with the numbers', async () => {
  const slots = await table({ shards: 1, rules: 2, reserved: { 0: [2] } });
  await slots.allocate('a');
  await expect(slots.allocate('b')).rejects.toThrow('no free router slot: 1 shards of 2 rules are full; add shards (minShards) or raise the quota');
});
