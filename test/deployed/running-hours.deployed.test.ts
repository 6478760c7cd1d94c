/**
 * Running hours as deployed (docs/cost.md): the example synthesized with the advanced tier's running hours set to a
 * window that excludes this moment. A signed-in advanced tenant's request goes through the shard's REST API, the
 * authorizer run by the real Lambda runtime with the environment the template gives it, and the shard's load
 * balancer, which answers from the stopped tier's listener rule: 503 and the hours, and nothing reaches a task. The
 * basic tier, which always runs, is served on the same shard.
 */
import * as http from 'http';
import { APPLICATION_PLANE, logicalId, synthesizeExample, SynthesizedExample } from './example';
import { LocalEnvironment, LocalServiceGroup } from '../../local/environment';
import { createUser, signIn } from '../../local/identity';
import { LocalLoadBalancer } from '../../local/load-balancer';
import { LocalRestApi } from '../../local/rest-api';
import { RunningHours } from '../../src';
import { isServing } from '../../src/contract/running-hours';

let synthesized: SynthesizedExample;
let env: LocalEnvironment;
let api: LocalRestApi;
let lb: LocalLoadBalancer;
let basic: LocalServiceGroup;
let hours: RunningHours;

/** Hours that exclude now and the next two hours, every day (so the test does not depend on the day or the hour). */
function hoursExcludingNow(): RunningHours {
  const h = new Date().getUTCHours();
  const [startHour, stopHour] = h < 12 ? [16, 18] : [2, 4];
  return RunningHours.of({ startHour, stopHour, weekdaysOnly: false });
}

function get(path: string, token: string): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const base = new URL(api.url);
  return new Promise((resolve, reject) => {
    http.get({ host: base.hostname, port: base.port, path: `${base.pathname.replace(/\/$/, '')}${path}`, headers: { Authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    }).on('error', reject);
  });
}

async function tokenOf(pool: { node: any; appClient: any }, username: string, tenantId: string, tier: string): Promise<string> {
  const stack = env.stack(APPLICATION_PLANE);
  const poolId = (await stack.resource(logicalId(pool as any))).ref;
  const clientId = (await stack.resource(logicalId(pool.appClient))).ref;
  await createUser(env.admin.cognito, poolId, {
    username,
    attributes: { 'email': username, 'custom:tenantId': tenantId, 'custom:tenantTier': tier, 'custom:userRole': 'TenantAdmin' },
  });
  return (await signIn(env.admin.cognito, poolId, clientId, username)).idToken;
}

beforeAll(async () => {
  hours = hoursExcludingNow();
  synthesized = synthesizeExample({ advancedRunningHours: hours });
  env = await LocalEnvironment.start(synthesized.outdir);
  const plane = synthesized.example.applicationPlane;
  const shard0 = await env.stack(APPLICATION_PLANE).nestedStack(logicalId(plane.router.shards[0].nestedStackResource!));
  basic = await env.startServiceGroup(APPLICATION_PLANE, `${APPLICATION_PLANE}/Basic/Services`);
  api = await env.restApi(shard0);
  lb = await env.loadBalancer(shard0);
}, 240_000);

afterAll(async () => {
  await env?.stop();
});

test('the window excludes this moment (the test checks what it means to)', () => {
  expect(isServing(hours, new Date())).toBe(false);
});

test('outside its running hours, an advanced tenant gets 503 and the hours from the load balancer; nothing reaches a task', async () => {
  const token = await tokenOf(synthesized.example.applicationPlane.tenantPools.acme, 'admin@acme.example.com', 'acme', 'advanced');
  const from = lb.requests.length;
  const answer = await get('/products', token);
  expect(answer.status).toBe(503);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  expect(JSON.parse(answer.body)).toEqual({ message: `This tenant's services are stopped outside their running hours (${hours.description}).` });
  const forwarded = lb.requests.slice(from);
  expect(forwarded).toHaveLength(1);
  expect(forwarded[0]).toMatchObject({ rule: 49999, status: 503, received: expect.objectContaining({ 'x-tenant-route': 'stopped:advanced' }) });
  expect(forwarded[0].target).toBeUndefined();
});

test('the basic tier, which always runs, is served on the same shard', async () => {
  const token = await tokenOf(synthesized.example.applicationPlane.userPool, 'admin@basic-1.example.com', 'basic-1', 'basic');
  const answer = await get('/products', token);
  expect(answer.status).toBe(200);
  void basic;
});
