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
  const got = (await Promise.all(Array.from({ length: 25 }, (_, i) => slots.allocate(`t${i}`)))).map((s) => s!);
  const keys = got.map((s) => `${s.shard}/${s.priority}`);
  expect(new Set(keys).size).toBe(25);
  for (const s of got) {
    expect(s.priority).toBeGreaterThan(25_000);
    expect(s.priority).toBeLessThanOrEqual(25_010);
  }
});

test('a released slot is handed out again; releasing twice or another tenant\'s slot changes nothing', async () => {
  const slots = await table({ shards: 1 });
  const a = (await slots.allocate('a'))!;
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

describe('shards opened at run time', () => {
  async function runtimeTable() {
    const name = `Slots${n++}`;
    await createSlotTable(client, name);
    // One deploy-time shard of 2 rules; at most 2 shards opened at run time, each holding priority 50000 for a rule
    // of the router's own.
    return new SlotTable({ client, tableName: name, shards: 1, rulesPerListener: 2, reserved: {}, runtime: { max: 2, reserved: [50000] } });
  }
  const attrs = (i: number) => ({ listenerArn: `listener-${i}`, securityGroupId: `sg-${i}`, apiId: `api${i}` });

  test('full: no slot until a shard is opened; one onboarding claims it, the others wait for it; then tenants are placed on it', async () => {
    const slots = await runtimeTable();
    expect(await slots.allocate('a')).toEqual({ shard: 0, priority: 25001 });
    expect(await slots.allocate('b')).toEqual({ shard: 0, priority: 25002 });
    expect(await slots.allocate('c')).toBeUndefined();
    expect(await slots.openShard('c')).toEqual({ shard: 1, claimed: true });
    const other = await slots.openShard('d');
    expect(other).toMatchObject({ shard: 1, claimed: false, record: { shard: 1, state: 'OPENING' } });
    expect(await slots.allocate('d')).toBeUndefined(); // still opening
    await slots.shardProvisioning(1, 'rec-1');
    expect(await slots.shardRecord(1)).toEqual({ shard: 1, state: 'OPENING', recordId: 'rec-1', attributes: undefined, dedicated: false, dedicatedTo: undefined });
    await slots.shardOpened(1, attrs(1));
    // The router's own rule holds one of the shard's 2 priorities: one tenant fits.
    expect(await slots.allocate('c')).toEqual({ shard: 1, priority: 25001, runtime: attrs(1) });
    expect(await slots.find('c')).toEqual({ shard: 1, priority: 25001, runtime: attrs(1) });
    expect(await slots.allocate('d')).toBeUndefined();
  });

  test('a dedicated shard holds one tenant: opened for it alone, never given to another, reused once it is gone', async () => {
    const slots = await runtimeTable();
    // Premium tenant p1 needs its own shard: none yet, so it opens one, which no shared onboarding joins.
    expect(await slots.allocateDedicated('p1')).toBeUndefined();
    expect(await slots.openShard('p1', true)).toEqual({ shard: 1, claimed: true });
    expect(await slots.openShard('p1', true)).toMatchObject({ shard: 1, claimed: false });
    expect(await slots.allocateDedicated('p1')).toBeUndefined(); // still opening
    await slots.allocate('a');
    await slots.allocate('b'); // the deploy-time shard is now full
    expect(await slots.allocate('c')).toBeUndefined();
    expect(await slots.openShard('c')).toEqual({ shard: 2, claimed: true }); // not p1's opening
    await slots.shardOpened(1, attrs(1));
    await slots.shardOpened(2, attrs(2));
    expect(await slots.allocateDedicated('p1')).toEqual({ shard: 1, priority: 25001, runtime: attrs(1) });
    expect(await slots.allocateDedicated('p1')).toEqual({ shard: 1, priority: 25001, runtime: attrs(1) }); // a retry
    expect(await slots.shardRecord(1)).toMatchObject({ dedicated: true, dedicatedTo: 'p1' });
    // Shared tenants go to shard 2 and never to p1's shard, even when 2 is full.
    expect(await slots.allocate('c')).toEqual({ shard: 2, priority: 25001, runtime: attrs(2) });
    await expect(slots.allocate('d')).rejects.toThrow(/no free router slot/);
    // Another premium tenant finds no free dedicated shard, and the router may open no more.
    await expect(slots.allocateDedicated('p2')).rejects.toThrow("no dedicated router shard for tenant 'p2': the router opens at most 2 shards at run time, and none is free");
    // p1 offboarded (its stack gone, its slot released): p2 claims the shard.
    const held = (await slots.find('p1'))!;
    expect(held).toEqual({ shard: 1, priority: 25001, runtime: attrs(1) });
    await slots.release('p1', held);
    expect(await slots.shardRecord(1)).toMatchObject({ dedicated: true, dedicatedTo: undefined });
    expect(await slots.allocateDedicated('p2')).toEqual({ shard: 1, priority: 25001, runtime: attrs(1) });
    expect(await slots.shardRecord(1)).toMatchObject({ dedicatedTo: 'p2' });
  });

  test('a dedicated shard claimed by a tenant whose onboarding failed before it took the slot is freed; a held shared slot is kept', async () => {
    const slots = await runtimeTable();
    await slots.openShard('p1', true);
    await slots.shardOpened(1, attrs(1));
    await slots.releaseDedicated('p1'); // its onboarding failed: no slot taken yet
    expect(await slots.shardRecord(1)).toMatchObject({ dedicated: true, dedicatedTo: undefined });
    expect(await slots.allocateDedicated('p2')).toEqual({ shard: 1, priority: 25001, runtime: attrs(1) });
    // A tenant that holds a shared slot already (placed before its tier had dedicated shards) keeps it.
    await slots.allocate('old');
    expect(await slots.allocateDedicated('old')).toEqual({ shard: 0, priority: 25001 });
  });

  test('a shard number freed by a failed opening below later shards: the later shards stay in use, and the number is taken again', async () => {
    const slots = await runtimeTable();
    await slots.allocate('a');
    await slots.allocate('b');
    expect(await slots.openShard('p1', true)).toEqual({ shard: 1, claimed: true });
    expect(await slots.openShard('c')).toEqual({ shard: 2, claimed: true });
    await slots.shardOpened(2, attrs(2));
    await slots.shardFailed(1);
    expect(await slots.allocate('c')).toEqual({ shard: 2, priority: 25001, runtime: attrs(2) });
    expect(await slots.find('c')).toEqual({ shard: 2, priority: 25001, runtime: attrs(2) });
    expect(await slots.openShard('p1', true)).toEqual({ shard: 1, claimed: true });
  });

  test('a failed opening is forgotten and claimed again; no more than the maximum is opened', async () => {
    const slots = await runtimeTable();
    await slots.allocate('a');
    await slots.allocate('b');
    expect(await slots.openShard('c')).toEqual({ shard: 1, claimed: true });
    await slots.shardFailed(1);
    expect(await slots.shardRecord(1)).toBeUndefined();
    expect(await slots.openShard('c')).toEqual({ shard: 1, claimed: true });
    await slots.shardOpened(1, attrs(1));
    await slots.allocate('c');
    expect(await slots.openShard('d')).toEqual({ shard: 2, claimed: true });
    await slots.shardOpened(2, attrs(2));
    expect(await slots.allocate('d')).toMatchObject({ shard: 2, runtime: attrs(2) });
    // An open shard's record is not released by failures.
    await slots.shardFailed(2);
    expect(await slots.shardRecord(2)).toMatchObject({ state: 'OPEN' });
    await expect(slots.allocate('e')).rejects.toThrow('no free router slot: 3 shards of 2 rules are full, and the router opens at most 2 at run time');
    await expect(slots.openShard('e')).rejects.toThrow('no free router slot: every shard is full, and the router opens at most 2 shards at run time');
  });

  test('a table without shards opened at run time refuses to open one, and says how to add shards when full', async () => {
    const slots = await table({ shards: 1, rules: 1 });
    await slots.allocate('a');
    await expect(slots.allocate('b')).rejects.toThrow('no free router slot: 1 shards of 1 rules are full; add shards (minShards) or raise the quota');
    await expect(slots.openShard('b')).rejects.toThrow('the router does not open shards at run time');
  });
});
