/**
 * The example's services as deployed: every task definition of a service group run from its image (the image asset's
 * Dockerfile, the bundle it copies) with exactly its task definition's environment and its task role's credentials
 * from the credentials endpoint ECS would serve, in a network namespace of the group's where the Service Connect names
 * resolve; requests enter through the group's proxy, Debian's nginx running the configuration the template carries.
 * Every AWS call is held to IAM: the task roles, the tenant sessions they assume (session tags or a fixed tenant).
 *
 * The basic tier trusts an OpenID Connect issuer that is not Cognito (the example's `sharedIssuer`): its services are
 * told where its keys are (JWKS_URI, from the TokenIssuer's `jwksUri`), which the local IAM gate publishes. The silo
 * tenants' services trust their own Cognito pools, whose keys they find through the SDK's endpoint.
 */
import { APPLICATION_PLANE, synthesizeExample, SynthesizedExample } from './example';
import { adminToken, localOidcSharedIssuer, oidcAdminToken, request, startLocalOidc } from './services-support';
import { LocalEnvironment, LocalServiceGroup } from '../../local/environment';
import type { LocalOidcIssuer } from '../../local/identity';


let synthesized: SynthesizedExample;
let env: LocalEnvironment;
let oidc: LocalOidcIssuer;

beforeAll(async () => {
  synthesized = synthesizeExample({
    sharedIssuer: localOidcSharedIssuer(),
  });
  env = await LocalEnvironment.start(synthesized.outdir);
  oidc = startLocalOidc(env);
}, 240_000);

afterAll(async () => {
  await env?.stop();
});

/** A user of the basic tier, signed in at the OpenID Connect issuer the basic tier trusts. */
const oidcToken = (tenantId: string, tier: string) => oidcAdminToken(oidc, tenantId, tier);

const GROUPS: Array<[string, string, string, (tenantId: string, tier: string) => Promise<string>]> = [
  ['the basic tier (pooled; an OpenID Connect issuer)', 'Basic/Services', 'basic-1', oidcToken],
  ['advanced tenant acme (services of its own, on EC2 capacity)', 'Advanced/acme/Services', 'acme',
    (t, tier) => adminToken(env, synthesized.example.applicationPlane.tenantPools.acme, t, tier)],
  ['premium tenant initech (a cluster of its own)', 'Premium/initech/Services', 'initech',
    (t, tier) => adminToken(env, synthesized.example.applicationPlane.tenantPools.initech, t, tier)],
];

describe.each(GROUPS)('%s', (_name, path, tenantId, tokenOf) => {
  let group: LocalServiceGroup;
  let token: string;
  const tier = path.split('/')[0].toLowerCase();

  beforeAll(async () => {
    group = await env.startServiceGroup(APPLICATION_PLANE, `${APPLICATION_PLANE}/${path}`);
    token = await tokenOf(tenantId, tier);
  }, 120_000);

  afterAll(async () => {
    await group?.stop();
  });

  test('every container started with its task definition\'s environment, and the proxy configuration passes nginx -t', () => {
    for (const name of ['products', 'orders', 'users', 'proxy']) {
      expect({ name, running: group.container(name).exitCode === null }).toEqual({ name, running: true });
    }
    const check = group.network.run(['nginx', '-t']);
    expect(check.output).toContain('syntax is ok');
    expect(check.status).toBe(0);
  });

  test('a token of the group\'s issuer is served on every service\'s routes, through the proxy', async () => {
    expect(await request(group, 'GET', '/health')).toMatchObject({ status: 200, body: 'ok' });
    const created = await request(group, 'POST', '/products', { token, body: JSON.stringify({ name: 'Widget', price: 9.5 }) });
    expect(created.status).toBe(201);
    const product = JSON.parse(created.body);
    expect(product).toMatchObject({ name: 'Widget', price: 9.5 });
    const listed = await request(group, 'GET', '/products', { token });
    expect(listed.status).toBe(200);
    expect(JSON.stringify(JSON.parse(listed.body))).toContain(product.id);
    const order = await request(group, 'POST', '/orders', { token, body: JSON.stringify({ lines: [{ productId: product.id, quantity: 2 }] }) });
    expect(order.status).toBe(201);
    expect((await request(group, 'GET', '/orders', { token })).status).toBe(200);
    expect((await request(group, 'GET', '/users', { token })).status).toBe(200);
  });

  test('user management as a tenant administrator: create, list by pages, change a role, disable, enable, resend the invitation', async () => {
    const created: string[] = [];
    for (const n of [1, 2, 3]) {
      const res = await request(group, 'POST', '/users', { token, body: JSON.stringify({ email: `managed-${n}@${tenantId}.example.com`, role: 'TenantUser' }) });
      expect(res.status).toBe(201);
      created.push(JSON.parse(res.body).username);
    }
    // Pages of two, followed by their tokens, hold every user once.
    const seen: string[] = [];
    let next: string | undefined;
    do {
      const page = JSON.parse((await request(group, 'GET', `/users?limit=2${next ? `&nextToken=${encodeURIComponent(next)}` : ''}`, { token })).body);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((u: { username: string }) => u.username));
      next = page.nextToken;
    } while (next);
    expect(seen).toEqual(expect.arrayContaining(created));
    expect(new Set(seen).size).toBe(seen.length);
    const [first] = created;
    const patched = await request(group, 'PATCH', `/users/${encodeURIComponent(first)}`, { token, body: JSON.stringify({ role: 'TenantAdmin' }) });
    expect({ status: patched.status, role: JSON.parse(patched.body).role }).toEqual({ status: 200, role: 'TenantAdmin' });
    expect(JSON.parse((await request(group, 'GET', `/users/${encodeURIComponent(first)}`, { token })).body).role).toBe('TenantAdmin');
    expect(JSON.parse((await request(group, 'POST', `/users/${encodeURIComponent(first)}/disable`, { token })).body).enabled).toBe(false);
    expect(JSON.parse((await request(group, 'GET', `/users/${encodeURIComponent(first)}`, { token })).body).enabled).toBe(false);
    expect(JSON.parse((await request(group, 'POST', `/users/${encodeURIComponent(first)}/enable`, { token })).body).enabled).toBe(true);
    const resent = await request(group, 'POST', `/users/${encodeURIComponent(created[1])}/invitation`, { token });
    expect(resent.status).toBe(202);
  });

  test('Idempotency-Key: the same POST again answers the first product, marked as a replay, and stores nothing new', async () => {
    const body = JSON.stringify({ name: 'Once only', price: 4 });
    const headers = { 'idempotency-key': `deployed-${tenantId}` };
    const first = await request(group, 'POST', '/products', { token, body, headers });
    const again = await request(group, 'POST', '/products', { token, body, headers });
    expect([first.status, again.status]).toEqual([201, 201]);
    expect({ replayed: again.headers['idempotent-replayed'], body: again.body }).toEqual({ replayed: 'true', body: first.body });
    const listed = JSON.parse((await request(group, 'GET', '/products?limit=100', { token })).body).items;
    expect(listed.filter((p: { name: string }) => p.name === 'Once only')).toHaveLength(1);
  });

  test('without a token, every service answers 401', async () => {
    for (const route of ['/products', '/orders', '/users']) {
      expect((await request(group, 'GET', route)).status).toBe(401);
    }
  });

  test('the proxy: 404 for any other path, 405 for a refused method, 413 for a body over 1 MB, 400 for an encoded path traversal', async () => {
    expect((await request(group, 'GET', '/admin')).status).toBe(404);
    expect((await request(group, 'TRACE', '/products')).status).toBe(405);
    expect((await request(group, 'POST', '/products', { token, body: 'x'.repeat(1024 * 1024 + 1) })).status).toBe(413);
    for (const traversal of ['/products/%2e%2e/users/x', '/products/%2E%2E%2Fusers', '/products/..%2fusers', '/products/a%5c..%5cusers', '/products/./x', '/products/../users']) {
      expect({ traversal, status: (await request(group, 'GET', traversal, { token })).status }).toEqual({ traversal, status: 400 });
    }
    // A query may carry encoded characters.
    expect((await request(group, 'GET', '/products?next=%2Fx', { token })).status).toBe(200);
  });
});

test('every AWS call of every task was allowed by IAM; tenant data was reached through tenant sessions only', () => {
  expect(env.gate.calls.filter((c) => c.outcome !== 'ALLOWED').map((c) => `${c.principal} ${c.service}:${c.operation}`)).toEqual([]);
  const dynamo = env.gate.calls.filter((c) => c.service === 'dynamodb');
  expect(dynamo.length).toBeGreaterThan(0);
  // The pooled tier's services reach their tables with a session tagged with the tenant; the silo tenants' own roles
  // are fenced to their tenant (no session).
  expect(env.sts.sessions.map((s) => s.tags)).toEqual(expect.arrayContaining([{ TenantId: 'basic-1' }]));
  for (const call of dynamo) {
    const keys = call.checks.flatMap((c) => c.context?.['dynamodb:LeadingKeys'] ?? []);
    expect(keys.every((k) => ['basic-1', 'acme', 'initech'].includes(String(k)))).toBe(true);
  }
});
