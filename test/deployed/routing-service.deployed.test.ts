/**
 * The shared routing mode as deployed (docs/service-group.md): the example synthesized with the advanced tier behind
 * one routing service (`advancedRoutingService`). A signed-in advanced tenant's request goes through the shard's REST
 * API, the authorizer run by the real Lambda runtime (routing key `advanced/<tenant>`), the shard's load balancer
 * (one rule for the whole tier, `advanced/*`), the routing service's nginx with its configuration as synthesized
 * (its resolver read from the task's resolv.conf at start-up), the Cloud Map DNS stand-in (the A records ECS
 * registers for each tenant's tasks), and that tenant's own services and tables.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { APPLICATION_PLANE, controlPlaneBus, logicalId, synthesizeExample, SynthesizedExample } from './example';
import { adminToken, provisionedTenantToken, requestAt } from './services-support';
import { LocalEnvironment, LocalServiceGroup } from '../../local/environment';
import { LocalLoadBalancer } from '../../local/load-balancer';
import { LocalRestApi } from '../../local/rest-api';
import { SbtContract } from '../../src';
import { ROUTING_DNS_TTL_SECONDS } from '../../src/tiers/nginx';

let synthesized: SynthesizedExample;
let env: LocalEnvironment;
let api: LocalRestApi;
let lb: LocalLoadBalancer;
let routing: LocalServiceGroup;
let acme: LocalServiceGroup;
let acmeToken: string;
let globexToken: string;

interface Answer {
  readonly status: number;
  readonly body: string;
}

interface CallOptions {
  readonly token?: string;
  readonly body?: string;
  readonly base?: string;
  readonly headers?: Record<string, string>;
}

function call(method: string, path: string, o: CallOptions = {}): Promise<Answer> {
  return requestAt(o.base ?? api.url, method, path, o);
}

beforeAll(async () => {
  synthesized = synthesizeExample({ advancedRoutingService: true });
  env = await LocalEnvironment.start(synthesized.outdir);
  const plane = synthesized.example.applicationPlane;
  const shard0 = await env.stack(APPLICATION_PLANE).nestedStack(logicalId(plane.router.shards[0].nestedStackResource!));
  // The routing tasks start first: globex's tasks start after them (a tenant onboarded later), below.
  routing = await env.startServiceGroup(APPLICATION_PLANE, `${APPLICATION_PLANE}/AdvancedRouting`);
  acme = await env.startServiceGroup(APPLICATION_PLANE, `${APPLICATION_PLANE}/Advanced/acme/Services`);
  api = await env.restApi(shard0);
  lb = await env.loadBalancer(shard0);
  acmeToken = await adminToken(env, plane.tenantPools.acme, 'acme', 'advanced');
  globexToken = await adminToken(env, plane.tenantPools.globex, 'globex', 'advanced');
}, 240_000);

afterAll(async () => {
  await env?.stop();
});

test('the shard has one listener rule for the whole advanced tier, whatever its number of tenants; no tenant has a target group', () => {
  const advancedRules = lb.rules.filter((r) => (r.conditions[0].HttpHeaderConfig?.Values ?? []).some((v) => v.startsWith('advanced')));
  expect(advancedRules.map((r) => r.conditions[0].HttpHeaderConfig?.Values)).toEqual([['advanced/*']]);
  const template = env.stack(APPLICATION_PLANE).template;
  const targetGroups = Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::ElasticLoadBalancingV2::TargetGroup')
    .map((r) => String(r.Metadata?.['aws:cdk:path']));
  expect(targetGroups.filter((p) => p.includes('/Advanced/'))).toEqual([]);
  expect(targetGroups.filter((p) => p.includes('/AdvancedRouting/'))).toHaveLength(1);
});

test('a tenant\'s request reaches its own services through the routing service, by the DNS name of its tasks', async () => {
  const from = lb.requests.length;
  const product = await call('POST', '/products', { token: acmeToken, body: JSON.stringify({ name: 'Acme widget', price: 2 }) });
  expect(product.status).toBe(201);
  const lines = [{ productId: JSON.parse(product.body).id, quantity: 2 }];
  const created = await call('POST', '/orders', { token: acmeToken, body: JSON.stringify({ lines }) });
  expect(created.status).toBe(201);
  const id = JSON.parse(created.body).id;
  const listed = await call('GET', '/orders', { token: acmeToken });
  expect(listed.status).toBe(200);
  expect(listed.body).toContain(id);
  // The load balancer forwarded to the routing service, with the routing key the authorizer decided.
  for (const r of lb.requests.slice(from)) {
    expect({ target: r.target, route: r.forwarded?.['x-tenant-route'] }).toEqual({ target: `${routing.url}:80`, route: 'advanced/acme' });
  }
  // nginx asked the VPC's resolver (the stand-in) for acme's orders service, and was answered with acme's task.
  const asked = env.cloudMapDns.questions.filter((q) => q.name.startsWith('orders-acme.advanced.'));
  expect(asked.length).toBeGreaterThan(0);
  expect(asked.every((q) => q.answers === 1)).toBe(true);
  expect(acme.logs.some((l) => l.startsWith('orders:'))).toBe(true);
});

test('a tenant whose tasks start after the routing tasks is reached without restarting them', async () => {
  const before = await call('GET', '/orders', { token: globexToken });
  // Globex has no running task yet: nginx finds no address for its name (and keeps that answer for the TTL at most).
  expect(before.status).toBe(502);
  const globex = await env.startServiceGroup(APPLICATION_PLANE, `${APPLICATION_PLANE}/Advanced/globex/Services`);
  const deadline = Date.now() + (ROUTING_DNS_TTL_SECONDS + 5) * 1000;
  let after = await call('GET', '/orders', { token: globexToken });
  while (after.status !== 200 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    after = await call('GET', '/orders', { token: globexToken });
  }
  expect(after.status).toBe(200);
  // Globex sees its own orders only: acme's order went to acme's table.
  expect(JSON.parse(after.body).items).toEqual([]);
  expect(globex.logs.some((l) => l.startsWith('orders:'))).toBe(true);
}, 60_000);

test('the routing service refuses what the verified header does not name: another tier, a malformed tenant, no header', async () => {
  const cases: Array<Record<string, string>> = [{ 'x-tenant-route': 'premium/acme' }, { 'x-tenant-route': 'advanced/ACME' }, { 'x-tenant-route': 'advanced/acme/../x' }, {}];
  for (const headers of cases) {
    expect({ headers, status: (await call('GET', '/orders', { base: routing.url, headers })).status }).toEqual({ headers, status: 404 });
  }
  expect((await call('GET', '/health', { base: routing.url })).status).toBe(200);
  expect((await call('GET', '/nothing', { base: routing.url, headers: { 'x-tenant-route': 'advanced/acme' } })).status).toBe(404);
});

test('a header the client sends is overwritten by the authorizer\'s decision: acme cannot reach globex', async () => {
  const from = lb.requests.length;
  const answer = await call('GET', '/orders', { token: acmeToken, headers: { 'x-tenant-route': 'advanced/globex' } });
  expect(answer.status).toBe(200);
  expect(lb.requests.slice(from).map((r) => r.forwarded?.['x-tenant-route'])).toEqual(['advanced/acme']);
});

test('onboarding a tenant at run time: its stack registers its tasks, takes no router slot, and it is served through the tier\'s route', async () => {
  const contract = SbtContract.V0_5;
  const bus = await controlPlaneBus(env);
  const replies = await env.subscribe(bus, { source: [contract.applicationPlaneSource] });
  const [execution] = await env.publish(APPLICATION_PLANE, bus, {
    'source': contract.controlPlaneSource,
    'detail-type': contract.onboardingRequest,
    'detail': { tenantId: 'hooli', tenantRegistrationId: 'reg-hooli', tenantName: 'hooli', email: 'admin@hooli.example.com', tier: 'advanced' },
  });
  expect(execution).toMatchObject({ status: 'SUCCEEDED' });
  const name = `${APPLICATION_PLANE}-hooli`;
  const provisioned = env.serviceCatalog.provisionedProducts.find((p) => p.name === name)!;
  expect(provisioned.parameters).toEqual({ TenantId: 'hooli', TenantAdminEmail: 'admin@hooli.example.com' });
  const slots = (await env.admin.dynamodb.send(new ScanCommand({
    TableName: (await env.stack(APPLICATION_PLANE).resource(logicalId(synthesized.example.applicationPlane.lifecycle.slots))).ref,
  }))).Items ?? [];
  expect(slots.filter((i) => i.tenantId?.S === 'hooli')).toEqual([]);
  const [reply] = await replies.take();
  expect(reply['detail-type']).toBe(contract.provisionSuccess);
  expect(JSON.parse(reply.detail.jobOutput.tenantData.tenantConfig).apiGatewayUrl).toBe(api.awsUrl);

  const tenantStack = env.serviceCatalog.stackOf(name)!;
  const token = await provisionedTenantToken(tenantStack, env, 'hooli', 'advanced');
  const hooli = await env.startServiceGroup(tenantStack, `${APPLICATION_PLANE}/AdvancedTenant/Advanced/Tenant/Services`);
  const from = lb.requests.length;
  const answer = await call('GET', '/orders', { token });
  expect(answer.status).toBe(200);
  expect(lb.requests.slice(from).map((r) => [r.target, r.forwarded?.['x-tenant-route']])).toEqual([[`${routing.url}:80`, 'advanced/hooli']]);
  expect(hooli.logs.some((l) => l.startsWith('orders:'))).toBe(true);
}, 300_000);
