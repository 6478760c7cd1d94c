/**
 * Suspension and reactivation as deployed (docs/tenant-lifecycle.md): the example's control plane bus takes sbt-aws's
 * `deactivateRequest` and `activateRequest` (and ours); the lifecycle's status state machine runs its bundled worker
 * through the Lambda runtime interface client; the router shard's REST API stand-in runs the bundled authorizer, which
 * reads the router's table of suspended tenants. A suspended tenant's users get 403 once the authorizer's cached answer
 * for their token expires (the stand-in's clock is moved past the cache time), and its data stays.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { APPLICATION_PLANE, controlPlaneBus, logicalId, synthesizeExample, SynthesizedExample } from './example';
import { requestAt } from './services-support';
import { BusEvent, EventInbox, LocalEnvironment, LocalServiceGroup } from '../../local/environment';
import { createUser, signIn } from '../../local/identity';
import { LocalLambda } from '../../local/lambda';
import { LocalRestApi } from '../../local/rest-api';
import { SbtContract } from '../../src';

const contract = SbtContract.V0_5;
let synthesized: SynthesizedExample;
let env: LocalEnvironment;
let bus: string;
let replies: EventInbox;
let api: LocalRestApi;
let authorizer: LocalLambda;
let basic: LocalServiceGroup;
let token: string;
/** How far the stand-in's clock has been moved (the authorizer's cache expires by it). */
let skew = 0;
const realNow = Date.now.bind(Date);

const request = (type: string, tenantId: string): BusEvent => ({
  'source': contract.controlPlaneSource,
  'detail-type': type,
  'detail': type === contract.onboardingRequest
    ? { tenantId, tenantRegistrationId: `reg-${tenantId}`, tenantName: tenantId, email: `admin@${tenantId}.example.com`, tier: 'basic' }
    : { tenantId, tenantRegistrationId: `reg-${tenantId}` },
});

/** Moves the clock of this process (the REST API stand-in's authorizer cache) past the authorizer's cache time. */
function pastCacheTime(): void {
  const ttl = Number(synthesized.example.applicationPlane.router.shards[0].node.findAll()
    .map((c) => (c as any).authorizerResultTtlInSeconds).find((t) => t !== undefined) ?? 300);
  skew += (ttl + 1) * 1000;
}

beforeAll(async () => {
  jest.spyOn(Date, 'now').mockImplementation(() => realNow() + skew);
  synthesized = synthesizeExample();
  env = await LocalEnvironment.start(synthesized.outdir);
  bus = await controlPlaneBus(env);
  replies = await env.subscribe(bus, { source: [contract.applicationPlaneSource] });
  const plane = synthesized.example.applicationPlane;
  const stack = env.stack(APPLICATION_PLANE);
  const shard0 = await stack.nestedStack(logicalId(plane.router.shards[0].nestedStackResource!));
  basic = await env.startServiceGroup(APPLICATION_PLANE, `${APPLICATION_PLANE}/Basic/Services`);
  api = await env.restApi(shard0);
  authorizer = await env.lambda(APPLICATION_PLANE, `${APPLICATION_PLANE}/Router/Authorizer`);
  // A basic tenant onboarded through the lifecycle, and a user of it in the shared pool.
  const [onboarded] = await env.publish(APPLICATION_PLANE, bus, request(contract.onboardingRequest, 'teal'));
  expect(onboarded.status).toBe('SUCCEEDED');
  await replies.take();
  const poolId = (await stack.resource(logicalId(plane.userPool))).ref;
  const clientId = (await stack.resource(logicalId(plane.userPool.appClient))).ref;
  await createUser(env.admin.cognito, poolId, {
    username: 'user@teal.example.com',
    attributes: { 'email': 'user@teal.example.com', 'custom:tenantId': 'teal', 'custom:tenantTier': 'basic', 'custom:userRole': 'TenantAdmin' },
  });
  token = (await signIn(env.admin.cognito, poolId, clientId, 'user@teal.example.com')).idToken;
}, 300_000);

afterAll(async () => {
  await basic?.stop();
  await env?.stop();
  jest.restoreAllMocks();
});

const get = () => requestAt(api.url, 'GET', '/products', { token });

async function suspensionItem(tenantId: string) {
  const table = (await env.stack(APPLICATION_PLANE).resource(logicalId(synthesized.example.applicationPlane.router.suspensions!))).ref;
  return (await env.admin.dynamodb.send(new GetItemCommand({ TableName: table, Key: { tenantId: { S: tenantId } } }))).Item;
}

test('a suspended tenant\'s users get 403 once the cached answer expires; reactivated, they are served again', async () => {
  const created = await requestAt(api.url, 'POST', '/products', { token, body: JSON.stringify({ name: 'Teal widget', price: 2 }) });
  expect(created.status).toBe(201);
  expect((await get()).status).toBe(200);

  const [suspended] = await env.publish(APPLICATION_PLANE, bus, request(contract.deactivateRequest, 'teal'));
  expect(suspended).toMatchObject({ status: 'SUCCEEDED', states: ['ChangeStatus', 'StatusChanged'] });
  expect((await replies.take()).map((r) => [r['detail-type'], r.detail])).toEqual([
    [contract.deactivateSuccess, { tenantId: 'teal', tenantRegistrationId: 'reg-teal', tenantStatus: 'SUSPENDED' }],
  ]);
  expect(await suspensionItem('teal')).toBeDefined();
  // Within the authorizer's cache time, the cached answer still serves: the bound on suspension latency.
  expect((await get()).status).toBe(200);
  pastCacheTime();
  const before = authorizer.invocations;
  const refused = await get();
  expect(refused.status).toBe(403);
  expect(authorizer.invocations).toBe(before + 1);

  // Our own reactivation request (for control planes that never send activateRequest).
  const [reactivated] = await env.publish(APPLICATION_PLANE, bus, request('reactivateTenantRequest', 'teal'));
  expect(reactivated.status).toBe('SUCCEEDED');
  expect((await replies.take()).map((r) => r['detail-type'])).toEqual([contract.activateSuccess]);
  expect(await suspensionItem('teal')).toBeUndefined();
  pastCacheTime();
  const served = await get();
  // The data was kept: the product created before the suspension is still there.
  expect({ status: served.status, kept: served.body.includes('Teal widget') }).toEqual({ status: 200, kept: true });
}, 120_000);

test('a tenant that is not active here is refused with the reason, and nothing is written', async () => {
  const [execution] = await env.publish(APPLICATION_PLANE, bus, request(contract.deactivateRequest, 'nobody'));
  expect(execution.status).toBe('SUCCEEDED');
  expect((await replies.take()).map((r) => [r['detail-type'], r.detail.failureReason])).toEqual([
    [contract.deactivateFailure, 'tenant \'nobody\' is not active here'],
  ]);
  expect(await suspensionItem('nobody')).toBeUndefined();
});

test('every call of the worker and the authorizer was allowed by IAM', () => {
  expect(env.gate.calls.filter((c) => c.outcome === 'DENIED')).toEqual([]);
});
