import { CreateTableCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateEventBusCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { AdminClients } from '../local/deployment';
import { EventInbox } from '../local/environment';
import { MotoServer } from '../local/moto';
import { SbtContract } from '../src';
import { CELL_FIELD, CellPlacementConfig } from '../src/contract/cells';
import { BusEventInput, CellPlacer } from '../src/lifecycle/lambda/placement';

/**
 * The placement function's logic against a local AWS API emulator (moto): DynamoDB transactions with their
 * condition checks, and the events it puts on a bus, read back through a rule as the cells' rules read them. moto
 * serves one request at a time here, so that its transactions are atomic as DynamoDB's are (local/moto.ts).
 */
const contract = SbtContract.V0_9;
let moto: MotoServer;
let admin: AdminClients;
let n = 0;

beforeAll(async () => {
  moto = await MotoServer.start({ serial: true });
  admin = new AdminClients(moto.endpoint);
}, 60_000);
afterAll(async () => {
  admin?.destroy();
  await moto?.stop();
});

interface Setup {
  readonly placer: CellPlacer;
  readonly table: string;
  /** The requests put back on the bus, naming their cell. */
  readonly placed: EventInbox;
  /** The failures the placement answered itself. */
  readonly replies: EventInbox;
}

async function inbox(bus: string, pattern: object): Promise<EventInbox> {
  const name = `inbox-${n++}`;
  const queueUrl = (await admin.sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
  const arn = (await admin.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn;
  await admin.events.send(new PutRuleCommand({ Name: name, EventBusName: bus, EventPattern: JSON.stringify(pattern) }));
  await admin.events.send(new PutTargetsCommand({ Rule: name, EventBusName: bus, Targets: [{ Id: 'q', Arn: arn }] }));
  return new EventInbox(admin, queueUrl);
}

/** Cells 'one' and 'two' (and any given), each holding `perCell` advanced tenants of 3 roles. */
async function setup(over: Partial<CellPlacementConfig> = {}, perCell = 2): Promise<Setup> {
  const table = `Placements${n++}`;
  const bus = `bus-${n++}`;
  await admin.dynamodb.send(new CreateTableCommand({
    TableName: table,
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
  }));
  await admin.events.send(new CreateEventBusCommand({ Name: bus }));
  const config: CellPlacementConfig = {
    contract: {
      controlPlaneSource: contract.controlPlaneSource,
      applicationPlaneSource: contract.applicationPlaneSource,
      onboardingRequest: contract.onboardingRequest,
      offboardingRequest: contract.offboardingRequest,
      provisionSuccess: contract.provisionSuccess,
      provisionFailure: contract.provisionFailure,
      deprovisionSuccess: contract.deprovisionSuccess,
      deprovisionFailure: contract.deprovisionFailure,
      statusRequests: [contract.deactivateRequest, contract.activateRequest, 'suspendTenantRequest', 'reactivateTenantRequest'],
      deactivateRequest: contract.deactivateRequest,
      activateFailure: contract.activateFailure,
      deactivateFailure: contract.deactivateFailure,
    },
    eventBusName: bus,
    placementTable: table,
    cells: ['one', 'two'],
    draining: [],
    limits: { 'iam.roles': perCell * 3000, 'elb.albs': 1000 },
    tiers: { advanced: { 'iam.roles': 3000, 'elb.albs': 20 }, basic: {} },
    ...over,
  };
  return {
    placer: new CellPlacer(config, { dynamodb: admin.dynamodb, events: admin.events }),
    table,
    placed: await inbox(bus, { source: [contract.controlPlaneSource], detail: { [CELL_FIELD]: [{ exists: true }] } }),
    replies: await inbox(bus, { source: [contract.applicationPlaneSource] }),
  };
}

const onboarding = (tenantId: string, tier = 'advanced', registration = `reg-${tenantId}`): BusEventInput => ({
  'source': contract.controlPlaneSource,
  'detail-type': contract.onboardingRequest,
  'detail': { tenantId, tenantRegistrationId: registration, tier, email: `admin@${tenantId}.example.com` },
});
const offboarding = (tenantId: string): BusEventInput => ({
  'source': contract.controlPlaneSource,
  'detail-type': contract.offboardingRequest,
  'detail': { tenantId, tenantRegistrationId: `reg-${tenantId}`, tier: 'advanced' },
});
const reply = (type: string, tenantId: string, registration = `reg-${tenantId}`, account?: string): BusEventInput => ({
  'source': contract.applicationPlaneSource,
  'detail-type': type,
  'detail': { tenantId, tenantRegistrationId: registration, jobOutput: { tenantRegistrationData: {} } },
  'account': account,
});

async function usage(s: Setup, cell: string): Promise<Record<string, string>> {
  const item = (await admin.dynamodb.send(new GetItemCommand({ TableName: s.table, Key: { id: { S: `cell#${cell}` } } }))).Item ?? {};
  return Object.fromEntries(Object.entries(item).filter(([k]) => k.startsWith('q:')).map(([k, v]) => [k, v.N!]));
}

test('each tenant goes to the first cell with room, and its request goes back on the bus naming the cell', async () => {
  const s = await setup();
  const outcomes = [];
  for (const t of ['a', 'b', 'c']) {
    outcomes.push(await s.placer.handle(onboarding(t)));
  }
  expect(outcomes.map((o) => `${o.action} ${o.tenantId} ${o.cell}`)).toEqual(['PLACED a one', 'PLACED b one', 'PLACED c two']);
  const placed = await s.placed.take();
  expect(placed.map((e) => [e['detail-type'], e.detail.tenantId, e.detail[CELL_FIELD]])).toEqual([
    [contract.onboardingRequest, 'a', 'one'], [contract.onboardingRequest, 'b', 'one'], [contract.onboardingRequest, 'c', 'two'],
  ]);
  // The request is passed on whole: the cell's lifecycle reads it as the control plane sent it.
  expect(placed[0].detail).toMatchObject({ tenantRegistrationId: 'reg-a', email: 'admin@a.example.com', tier: 'advanced' });
  expect(await usage(s, 'one')).toEqual({ 'q:iam.roles': '6000', 'q:elb.albs': '40' });
  expect(await usage(s, 'two')).toEqual({ 'q:iam.roles': '3000', 'q:elb.albs': '20' });
});

test('a request delivered again goes to the same cell and counts once; so does another registration of the tenant id', async () => {
  const s = await setup();
  await s.placer.handle(onboarding('a'));
  expect(await s.placer.handle(onboarding('a'))).toMatchObject({ action: 'FORWARDED', cell: 'one' });
  expect(await s.placer.handle(onboarding('a', 'advanced', 'reg-other'))).toMatchObject({ action: 'FORWARDED', cell: 'one' });
  expect((await s.placed.take()).map((e) => e.detail[CELL_FIELD])).toEqual(['one', 'one', 'one']);
  expect(await usage(s, 'one')).toEqual({ 'q:iam.roles': '3000', 'q:elb.albs': '20' });
});

test('concurrent onboardings never overfill a cell: the last room goes to one of them, and the rest are refused with the reason', async () => {
  const s = await setup({ cells: ['one', 'two', 'three'] }, 4);
  const outcomes = await Promise.all(Array.from({ length: 16 }, (_, i) => s.placer.handle(onboarding(`t${i}`))));
  const byCell: Record<string, number> = {};
  for (const o of outcomes.filter((x) => x.action === 'PLACED')) {
    byCell[o.cell!] = (byCell[o.cell!] ?? 0) + 1;
  }
  expect(byCell).toEqual({ one: 4, two: 4, three: 4 });
  const refused = outcomes.filter((o) => o.action === 'REFUSED');
  expect(refused).toHaveLength(4);
  for (const cell of ['one', 'two', 'three']) {
    expect(await usage(s, cell)).toEqual({ 'q:iam.roles': '12000', 'q:elb.albs': '80' });
  }
  const failures = await s.replies.take();
  expect(failures).toHaveLength(4);
  expect(failures[0]['detail-type']).toBe(contract.provisionFailure);
  expect(failures[0].detail.jobOutput.tenantRegistrationData).toEqual({
    registrationStatus: 'Failed',
    failureReason: 'no cell has room for a tenant of tier \'advanced\': every cell that accepts tenants would exceed a limit (one, two, three)',
  });
}, 60_000);

test('a tenant\'s share of a shard adds up exactly: 50 tenants at 0.02 fill a limit of 1', async () => {
  const s = await setup({ cells: ['one'], limits: { 'iam.roles': 1e9, 'elb.albs': 1000 } });
  const outcomes = [];
  for (let i = 0; i < 51; i++) {
    outcomes.push((await s.placer.handle(onboarding(`t${i}`))).action);
  }
  expect(outcomes.filter((a) => a === 'PLACED')).toHaveLength(50);
  expect(outcomes[50]).toBe('REFUSED');
  expect((await usage(s, 'one'))['q:elb.albs']).toBe('1000');
}, 60_000);

test('a deprovisioned tenant\'s room goes back to its cell once, and a new tenant takes it', async () => {
  const s = await setup({ cells: ['one'] });
  await s.placer.handle(onboarding('a'));
  await s.placer.handle(onboarding('b'));
  expect(await s.placer.handle(onboarding('c'))).toMatchObject({ action: 'REFUSED' });
  expect(await s.placer.handle(offboarding('a'))).toMatchObject({ action: 'FORWARDED', cell: 'one' });
  expect(await s.placer.handle(reply(contract.deprovisionSuccess, 'a'))).toMatchObject({ action: 'RELEASED', cell: 'one' });
  expect(await s.placer.handle(reply(contract.deprovisionSuccess, 'a'))).toMatchObject({ action: 'IGNORED' });
  expect(await usage(s, 'one')).toEqual({ 'q:iam.roles': '3000', 'q:elb.albs': '20' });
  expect(await s.placer.handle(onboarding('c'))).toMatchObject({ action: 'PLACED', cell: 'one' });
  // An offboarding delivered again still reaches the cell, which answers it again.
  expect(await s.placer.handle(offboarding('a'))).toMatchObject({ action: 'FORWARDED', cell: 'one' });
  // The tenant id may come back, and is placed anew.
  await s.placer.handle(reply(contract.deprovisionSuccess, 'b'));
  expect(await s.placer.handle(onboarding('a'))).toMatchObject({ action: 'PLACED', cell: 'one' });
});

test('a failed onboarding gives the room back; a failure of another registration of a placed tenant does not', async () => {
  const s = await setup({ cells: ['one'] });
  await s.placer.handle(onboarding('a'));
  expect(await s.placer.handle(reply(contract.provisionFailure, 'a', 'reg-other'))).toMatchObject({ action: 'IGNORED' });
  expect(await usage(s, 'one')).toEqual({ 'q:iam.roles': '3000', 'q:elb.albs': '20' });
  expect(await s.placer.handle(reply(contract.provisionFailure, 'a'))).toMatchObject({ action: 'RELEASED' });
  expect(await usage(s, 'one')).toEqual({ 'q:iam.roles': '0', 'q:elb.albs': '0' });
});

test('a draining cell takes no new tenant; per-cell limits apply to their cell', async () => {
  const s = await setup({ cells: ['old', 'small', 'big'], draining: ['old'], cellLimits: { small: { 'iam.roles': 3000 } } });
  const cells = [];
  for (const t of ['a', 'b', 'c']) {
    cells.push((await s.placer.handle(onboarding(t))).cell);
  }
  expect(cells).toEqual(['small', 'big', 'big']);
});

test('a tier without a footprint is placed in the first cell that accepts tenants', async () => {
  const s = await setup({ draining: ['one'] });
  expect(await s.placer.handle(onboarding('a', 'basic'))).toMatchObject({ action: 'PLACED', cell: 'two' });
});

test('bad requests are answered with the reason, as a cell would answer them; an unknown tenant\'s offboarding too', async () => {
  const s = await setup();
  expect(await s.placer.handle(onboarding('a', 'gold'))).toMatchObject({ action: 'REFUSED', reason: 'tier \'gold\' is not served; the tiers are advanced, basic' });
  expect(await s.placer.handle(offboarding('nobody'))).toMatchObject({ action: 'REFUSED', reason: 'tenant nobody was never placed in a cell' });
  expect((await s.replies.take()).map((e) => [e['detail-type'], e.detail.tenantRegistrationId])).toEqual([
    [contract.provisionFailure, 'reg-a'], [contract.deprovisionFailure, 'reg-nobody'],
  ]);
  expect(await s.placed.take()).toEqual([]);
  expect(await s.placer.handle({ 'source': 'elsewhere', 'detail-type': 'x', 'detail': {} })).toMatchObject({ action: 'IGNORED' });
});

test('the same request delivered concurrently is placed once and counted once', async () => {
  const s = await setup({ cells: ['one'] }, 4);
  const outcomes = await Promise.all(Array.from({ length: 5 }, () => s.placer.handle(onboarding('a'))));
  expect(outcomes.filter((o) => o.action === 'PLACED')).toHaveLength(1);
  expect(outcomes.filter((o) => o.action === 'FORWARDED')).toHaveLength(4);
  expect(await usage(s, 'one')).toEqual({ 'q:iam.roles': '3000', 'q:elb.albs': '20' });
}, 60_000);

test('a late answer to an earlier registration leaves a tenant placed again untouched', async () => {
  const s = await setup({ cells: ['one'] });
  await s.placer.handle(onboarding('a'));
  expect(await s.placer.handle(reply(contract.deprovisionSuccess, 'a'))).toMatchObject({ action: 'RELEASED' });
  expect(await s.placer.handle(onboarding('a', 'advanced', 'reg-a2'))).toMatchObject({ action: 'PLACED' });
  // The first offboarding's answer, delivered again a day later.
  expect(await s.placer.handle(reply(contract.deprovisionSuccess, 'a'))).toMatchObject({ action: 'IGNORED' });
  expect(await s.placer.handle(reply(contract.provisionFailure, 'a'))).toMatchObject({ action: 'IGNORED' });
  expect(await usage(s, 'one')).toEqual({ 'q:iam.roles': '3000', 'q:elb.albs': '20' });
});

test('a reply about a tenant from another account than its cell\'s is ignored', async () => {
  const s = await setup({ cells: ['one'], cellAccounts: { one: '111111111111' } });
  await s.placer.handle(onboarding('a'));
  expect(await s.placer.handle(reply(contract.deprovisionSuccess, 'a', 'reg-a', '222222222222'))).toMatchObject({
    action: 'IGNORED', reason: 'the reply comes from account 222222222222, not cell one\'s',
  });
  expect(await usage(s, 'one')).toEqual({ 'q:iam.roles': '3000', 'q:elb.albs': '20' });
  expect(await s.placer.handle(reply(contract.deprovisionSuccess, 'a', 'reg-a', '111111111111'))).toMatchObject({ action: 'RELEASED' });
});

test('a tenant provisioned after its room was given back (a duplicate raced its failure) is counted again, once', async () => {
  const s = await setup({ cells: ['one'] });
  await s.placer.handle(onboarding('a'));
  await s.placer.handle(reply(contract.provisionFailure, 'a'));
  expect(await usage(s, 'one')).toEqual({ 'q:iam.roles': '0', 'q:elb.albs': '0' });
  expect(await s.placer.handle(reply(contract.provisionSuccess, 'a'))).toMatchObject({ action: 'RECOUNTED', cell: 'one' });
  expect(await s.placer.handle(reply(contract.provisionSuccess, 'a'))).toMatchObject({ action: 'IGNORED' });
  expect(await usage(s, 'one')).toEqual({ 'q:iam.roles': '3000', 'q:elb.albs': '20' });
});

test('a request to suspend or reactivate a tenant goes to its cell; one for a tenant in no cell is refused', async () => {
  const s = await setup();
  await s.placer.handle(onboarding('a'));
  await s.placer.handle(onboarding('b'));
  await s.placer.handle(onboarding('c'));
  await s.placed.take();
  const status = (type: string, tenantId: string): BusEventInput => ({ 'source': contract.controlPlaneSource, 'detail-type': type, 'detail': { tenantId } });
  expect(await s.placer.handle(status(contract.deactivateRequest, 'c'))).toMatchObject({ action: 'FORWARDED', cell: 'two' });
  expect(await s.placer.handle(status('reactivateTenantRequest', 'a'))).toMatchObject({ action: 'FORWARDED', cell: 'one' });
  expect((await s.placed.take()).map((e) => [e['detail-type'], e.detail.tenantId, e.detail[CELL_FIELD]])).toEqual([
    [contract.deactivateRequest, 'c', 'two'], ['reactivateTenantRequest', 'a', 'one'],
  ]);
  expect(await s.placer.handle(status('suspendTenantRequest', 'nobody'))).toMatchObject({ action: 'REFUSED', reason: 'tenant nobody is in no cell' });
  expect((await s.replies.take()).map((e) => [e['detail-type'], e.detail.failureReason])).toEqual([[contract.deactivateFailure, 'tenant nobody is in no cell']]);
});
