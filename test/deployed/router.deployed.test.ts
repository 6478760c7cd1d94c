/**
 * The tenant request path as synthesized, over HTTP only: a router shard's REST API (local/rest-api.ts: its resources,
 * methods, the authorizer Lambda run by the real runtime, API keys and usage plans), its integration through the VPC
 * link to the shard's load balancer (local/load-balancer.ts: the listener rules of every deployment that name the
 * listener), the target groups the ECS services register with, and each tenant's nginx proxy and services
 * (local/ecs.ts). Every AWS call is held to IAM by the gate.
 *
 * Tokens are real: users signed into the emulator's user pools. The example is synthesized without `sharedIssuer`:
 * the authorizer runs on this machine, where a JWKS URI of `aws.local` (the local issuer's) does not resolve, so the
 * basic tier trusts its Cognito pool here, as it does by default.
 */
import * as fs from 'fs';
import * as http from 'http';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { generateKeyPair, SignJWT } from 'jose';
import { APPLICATION_PLANE, logicalId, synthesizeExample, SynthesizedExample } from './example';
import { requestAt } from './services-support';
import { StackDeployment } from '../../local/deployment';
import { LocalEnvironment, LocalServiceGroup } from '../../local/environment';
import { createUser, EMULATOR_KEY_ID, emulatorSigningKey, signIn } from '../../local/identity';
import { LocalLambda } from '../../local/lambda';
import { LocalLoadBalancer } from '../../local/load-balancer';
import { LocalRestApi } from '../../local/rest-api';

let synthesized: SynthesizedExample;
let env: LocalEnvironment;
let api: LocalRestApi;
let lb: LocalLoadBalancer;
let authorizer: LocalLambda;
let basic: LocalServiceGroup;
let acme: LocalServiceGroup;
let basicToken: string;
let acmeToken: string;

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly headers: http.IncomingHttpHeaders;
}

/** One request to the API's stage (default: shard 0's); the raw path (after the stage) is sent as written. */
function call(method: string, rawPath: string,
  o: { token?: string; body?: string; headers?: Record<string, string>; api?: LocalRestApi } = {}): Promise<Answer> {
  return requestAt((o.api ?? api).url, method, rawPath, o);
}

/** A user of a pool (its id and app client), signed in; returns the ID token. */
async function tokenIn(poolId: string, clientId: string, username: string, tenantId: string, tier: string, role = 'TenantAdmin'): Promise<string> {
  await createUser(env.admin.cognito, poolId, {
    username,
    attributes: { 'email': username, 'custom:tenantId': tenantId, 'custom:tenantTier': tier, 'custom:userRole': role },
  });
  return (await signIn(env.admin.cognito, poolId, clientId, username)).idToken;
}

/** A user of a pool of the application plane, by its construct. */
async function tokenOf(pool: { node: any; appClient: any }, username: string, tenantId: string, tier: string, role?: string): Promise<string> {
  const stack = env.stack(APPLICATION_PLANE);
  const poolId = (await stack.resource(logicalId(pool as any))).ref;
  const clientId = (await stack.resource(logicalId(pool.appClient))).ref;
  return tokenIn(poolId, clientId, username, tenantId, tier, role);
}

/** The requests the listener forwarded since `from`. */
const forwardedSince = (from: number) => lb.requests.slice(from);

beforeAll(async () => {
  synthesized = synthesizeExample();
  env = await LocalEnvironment.start(synthesized.outdir);
  const plane = synthesized.example.applicationPlane;
  const shard0 = await env.stack(APPLICATION_PLANE).nestedStack(logicalId(plane.router.shards[0].nestedStackResource!));
  [basic, acme] = await Promise.all([
    env.startServiceGroup(APPLICATION_PLANE, `${APPLICATION_PLANE}/Basic/Services`),
    env.startServiceGroup(APPLICATION_PLANE, `${APPLICATION_PLANE}/Advanced/acme/Services`),
  ]);
  api = await env.restApi(shard0);
  lb = await env.loadBalancer(shard0);
  authorizer = await env.lambda(APPLICATION_PLANE, `${APPLICATION_PLANE}/Router/Authorizer`);
  basicToken = await tokenOf(plane.userPool, 'admin@basic-1.example.com', 'basic-1', 'basic');
  acmeToken = await tokenOf(plane.tenantPools.acme, 'admin@acme.example.com', 'acme', 'advanced');
}, 240_000);

afterAll(async () => {
  await env?.stop();
});

test('the stand-ins read the shard as synthesized: the listener\'s rules of the declared tenants, its 404 default, its header attribute', () => {
  expect(lb.rules.map((r) => [r.priority, r.conditions[0].HttpHeaderConfig?.Values])).toEqual([[1, ['basic']], [2, ['acme']], [3, ['globex']]]);
  expect(lb.options.defaultActions).toEqual([{ Type: 'fixed-response', FixedResponseConfig: { ContentType: 'application/json', MessageBody: '{"message":"Not Found"}', StatusCode: '404' } }]);
  expect(lb.options.attributes['routing.http.drop_invalid_header_fields.enabled']).toBe('true');
  expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/prod\/$/);
  expect(api.awsUrl).toBe(`https://${api.apiId}.execute-api.us-east-1.amazonaws.com/prod/`);
});

describe.each([
  ['the basic tier (pooled)', () => basicToken, () => basic, 'basic'],
  ['advanced tenant acme (its own services)', () => acmeToken, () => acme, 'acme'],
])('%s', (_name, token, group, route) => {
  test('creates and lists products through the API, the load balancer, nginx and the services', async () => {
    const from = lb.requests.length;
    const created = await call('POST', '/products', { token: token(), body: JSON.stringify({ name: `Widget of ${route}`, price: 3 }) });
    expect({ status: created.status, body: created.body }).toEqual({ status: 201, body: expect.stringContaining(`Widget of ${route}`) });
    expect(created.headers['x-amzn-requestid']).toBeDefined();
    const id = JSON.parse(created.body).id;
    const listed = await call('GET', '/products', { token: token() });
    expect(listed.status).toBe(200);
    expect(listed.body).toContain(id);
    const one = await call('GET', `/products/${id}`, { token: token() });
    expect({ status: one.status, id: JSON.parse(one.body).id }).toEqual({ status: 200, id });
    // Each went to this tenant's target, with the routing header the authorizer decided.
    for (const r of forwardedSince(from)) {
      expect({ target: r.target, route: r.forwarded?.['x-tenant-route'] }).toEqual({ target: `${group().url}:80`, route });
    }
    expect(forwardedSince(from)).toHaveLength(3);
  });
});

test('tenants do not see each other\'s products', async () => {
  const listed = await call('GET', '/products', { token: basicToken });
  expect(listed.body).not.toContain('Widget of acme');
  expect((await call('GET', '/products', { token: acmeToken })).body).not.toContain('Widget of basic');
});

test('a routing header the client forges is replaced by the authorizer\'s; an invalid header name is dropped by the load balancer', async () => {
  const from = lb.requests.length;
  const answer = await call('GET', '/products', {
    token: acmeToken,
    headers: { 'X-Tenant-Route': 'basic', 'x_tenant_route': 'basic' },
  });
  expect(answer.status).toBe(200);
  expect(answer.body).not.toContain('Widget of basic');
  const [forwarded] = forwardedSince(from);
  expect(forwarded.rule).toBe(2);
  expect(forwarded.target).toBe(`${acme.url}:80`);
  expect(forwarded.forwarded!['x-tenant-route']).toBe('acme');
  expect(forwarded.received.x_tenant_route).toBe('basic');
  expect(forwarded.forwarded!.x_tenant_route).toBeUndefined();
  // What nginx passed on reached the service: the request was served by acme's products service.
  expect(acme.logs.length).toBeGreaterThan(0);
});

test('without a token: 401 Unauthorized, and the authorizer is not invoked', async () => {
  const before = authorizer.invocations;
  const answer = await call('GET', '/products');
  expect({ status: answer.status, body: JSON.parse(answer.body) }).toEqual({ status: 401, body: { message: 'Unauthorized' } });
  expect(answer.headers['x-amzn-errortype']).toBe('UnauthorizedException');
  expect(authorizer.invocations).toBe(before);
});

test('a forged or broken token is denied by the authorizer: 403, nothing reaches the load balancer', async () => {
  const plane = synthesized.example.applicationPlane;
  const stack = env.stack(APPLICATION_PLANE);
  const pool = (await stack.resource(logicalId(plane.userPool))).ref;
  const client = (await stack.resource(logicalId(plane.userPool.appClient))).ref;
  const claims = { 'token_use': 'id', 'custom:tenantId': 'acme', 'custom:tenantTier': 'advanced', 'custom:userRole': 'TenantAdmin' };
  const sign = (key: any, kid: string, issuer: string) => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid })
    .setIssuer(issuer).setAudience(client).setSubject('mallory').setIssuedAt().setExpirationTime('1h').sign(key);
  const foreign = (await generateKeyPair('RS256')).privateKey;
  const forged = [
    await sign(foreign, EMULATOR_KEY_ID, `https://cognito-idp.us-east-1.amazonaws.com/${pool}`), // not the pool's key
    await sign(emulatorSigningKey(), EMULATOR_KEY_ID, 'https://issuer.example.com'), // an issuer nobody trusts
    `${basicToken.split('.').slice(0, 2).join('.')}.${Buffer.from('not a signature').toString('base64url')}`,
    'garbage',
  ];
  const from = lb.requests.length;
  for (const token of forged) {
    const before = authorizer.invocations;
    const answer = await call('GET', '/products', { token });
    expect({ status: answer.status, body: JSON.parse(answer.body) })
      .toEqual({ status: 403, body: { Message: 'User is not authorized to access this resource with an explicit deny' } });
    expect(authorizer.invocations).toBe(before + 1);
  }
  expect(lb.requests.length).toBe(from);
});

test('the authorizer\'s decision is cached per token for the TTL: a second request does not invoke it', async () => {
  const token = await tokenOf(synthesized.example.applicationPlane.tenantPools.acme, 'user@acme.example.com', 'acme', 'advanced', 'TenantUser');
  const before = authorizer.invocations;
  expect((await call('GET', '/products', { token })).status).toBe(200);
  expect(authorizer.invocations).toBe(before + 1);
  expect((await call('GET', '/orders', { token })).status).toBe(200);
  expect((await call('GET', '/products?limit=1', { token })).status).toBe(200);
  expect(authorizer.invocations).toBe(before + 1);
  expect(api.requests.slice(-2).map((r) => r.authorizerInvoked)).toEqual([false, false]);
});

test('a path or method with no method in the API: 403 Missing Authentication Token, before any authorizer', async () => {
  const before = authorizer.invocations;
  for (const [method, path] of [['GET', ''], ['GET', '/'], ['GET', '/admin'], ['GET', '/productsx'], ['TRACE', '/products']]) {
    const answer = await call(method, path, { token: acmeToken });
    expect({ method, path, status: answer.status, body: answer.body }).toEqual({ method, path, status: 403, body: '{"message":"Missing Authentication Token"}' });
  }
  const base = new URL(api.url);
  const otherStage = await fetch(`http://${base.host}/beta/products`, { headers: { Authorization: `Bearer ${acmeToken}` } });
  expect(otherStage.status).toBe(403);
  expect(authorizer.invocations).toBe(before);
});

test('a tenant with a rule and no registered target: 503 from the load balancer', async () => {
  // globex is declared (its rule is in the stack) but its services were not started: no target in its group.
  const token = await tokenOf(synthesized.example.applicationPlane.tenantPools.globex, 'admin@globex.example.com', 'globex', 'advanced');
  const answer = await call('GET', '/products', { token });
  expect(answer.status).toBe(503);
  expect(answer.body).toContain('503 Service Temporarily Unavailable');
  expect(lb.requests[lb.requests.length - 1]).toMatchObject({ rule: 3, status: 503 });
});

describe('a tenant provisioned at run time from the advanced tier\'s product template', () => {
  let product: StackDeployment;
  let token: string;
  let group: LocalServiceGroup | undefined;

  beforeAll(async () => {
    const file = fs.readdirSync(synthesized.outdir).find((f) => /AdvancedTenant.*\.product\.template\.json$/.test(f))!;
    product = env.deployment.templateStack('hooli-tenant', env.assembly.templateFile(file), {
      TenantId: 'hooli',
      RouterShard: '0',
      RulePriority: '10',
      TenantAdminEmail: 'admin@hooli.example.com',
      // A deploy-time shard: no shard opened at run time.
      ShardListenerArn: '',
      ShardSecurityGroupId: '',
      ShardApiId: '',
    });
    await product.deployAll();
    const poolId = String(await product.output('UserPoolId'));
    const clientId = String(await product.output('AppClientId'));
    // The lifecycle registers the tenant's pool with the router (tenant-lifecycle.deployed.test.ts proves it does).
    const registry = (await env.stack(APPLICATION_PLANE).resource(logicalId(synthesized.example.applicationPlane.router.issuerRegistry!))).ref;
    await env.admin.dynamodb.send(new PutItemCommand({
      TableName: registry,
      Item: {
        issuer: { S: String(await product.output('TenantIssuer')) },
        tenantId: { S: 'hooli' },
        tier: { S: 'advanced' },
        clientIds: { SS: [clientId] },
      },
    }));
    token = await tokenIn(poolId, clientId, 'user@hooli.example.com', 'hooli', 'advanced');
  }, 60_000);

  afterAll(async () => {
    await group?.stop();
  });

  test('before its stack\'s rule joins the listener: 404 from the default action; with the rule and no task: 503; with its tasks: served', async () => {
    const notFound = await call('GET', '/products', { token });
    expect({ status: notFound.status, body: notFound.body, type: notFound.headers['content-type'] }).toEqual({ status: 404, body: '{"message":"Not Found"}', type: 'application/json' });
    expect(lb.requests[lb.requests.length - 1]).toMatchObject({ rule: 'default', status: 404 });

    await env.addDeployment(product);
    expect(lb.rules.map((r) => r.priority)).toEqual([1, 2, 3, 10]);
    expect((await call('GET', '/products', { token })).status).toBe(503);

    group = await env.startServiceGroup(product, `${APPLICATION_PLANE}/AdvancedTenant/Advanced/Tenant/Services`);
    const created = await call('POST', '/products', { token, body: JSON.stringify({ name: 'Hooli widget', price: 1 }) });
    expect(created.status).toBe(201);
    expect(lb.requests[lb.requests.length - 1]).toMatchObject({ rule: 10, target: `${group.url}:80` });

    // Its stack deleted: its rule leaves the listener.
    await env.removeDeployment(product);
    expect((await call('GET', '/products', { token })).status).toBe(404);
  }, 120_000);
});

test('a path parameter hiding a dot segment reaches nginx decoded, and nginx refuses it', async () => {
  // API Gateway decodes `{proxy+}` and puts it in the integration URI; the proxy's traversal rule answers 400.
  for (const path of ['/products/%2e%2e', '/products/%2e%2e/users', '/products/..%2fusers']) {
    const from = lb.requests.length;
    const answer = await call('GET', path, { token: acmeToken });
    expect({ path, status: answer.status }).toEqual({ path, status: 400 });
    expect(lb.requests[from].path).toMatch(/^\/products\/\.\.(\/users)?$/);
  }
});

test('the basic plan\'s throttle answers 429 beyond its rate and burst, while another tier\'s key is unaffected', async () => {
  // The decision is cached first, so that the burst measures API Gateway's throttle, not the authorizer.
  expect((await call('GET', '/products', { token: basicToken })).status).toBe(200);
  await new Promise((r) => setTimeout(r, 1100)); // the bucket refills to its burst (50)
  const from = lb.requests.length;
  const started = Date.now();
  // Requests that nginx refuses (400, no AWS call behind it), so that the burst arrives faster than the plan's rate
  // even on a busy machine: the gate and the services run in this process.
  const answers = await Promise.all(Array.from({ length: 150 }, () => call('GET', '/products/%2e%2e', { token: basicToken })));
  const elapsed = (Date.now() - started) / 1000;
  const throttled = answers.filter((a) => a.status === 429);
  const passed = answers.filter((a) => a.status !== 429);
  expect(throttled.length).toBeGreaterThan(0);
  expect(JSON.parse(throttled[0].body)).toEqual({ message: 'Too Many Requests' });
  expect(throttled[0].headers['x-amzn-errortype']).toBe('TooManyRequestsException');
  expect(passed.length).toBeGreaterThanOrEqual(50);
  expect(passed.length).toBeLessThanOrEqual(50 + Math.ceil(50 * elapsed) + 1);
  expect(passed.every((a) => a.status === 400)).toBe(true);
  // Throttled requests never reached the load balancer.
  expect(lb.requests.length - from).toBe(passed.length);
  // The advanced tier's key has a bucket of its own.
  expect((await call('GET', '/products', { token: acmeToken })).status).toBe(200);
}, 60_000);

test('each declared basic tenant has a key of its own in the basic plan: basic-1 beyond its rate leaves basic-2 unthrottled', async () => {
  const plane = synthesized.example.applicationPlane;
  const otherToken = await tokenOf(plane.userPool, 'admin@basic-2.example.com', 'basic-2', 'basic');
  expect((await call('GET', '/products', { token: otherToken })).status).toBe(200);
  await new Promise((r) => setTimeout(r, 1100)); // both buckets refill to their burst (50)
  const from = api.requests.length;
  const burst = Promise.all(Array.from({ length: 150 }, () => call('GET', '/products/%2e%2e', { token: basicToken })));
  while (!api.requests.slice(from).some((r) => r.status === 429)) {
    await new Promise((r) => setTimeout(r, 2));
  }
  // Once basic-1 is throttled, basic-2 asks as much as its own burst allows at once: a shared key would refuse it.
  const other = await Promise.all(Array.from({ length: 40 }, () => call('GET', '/products/%2e%2e', { token: otherToken })));
  const first = await burst;
  expect(first.filter((a) => a.status === 429).length).toBeGreaterThan(0);
  expect(other.map((a) => a.status).filter((st) => st === 429)).toEqual([]);
  expect(other.every((a) => a.status === 400)).toBe(true);
}, 60_000);

test('a key\'s throttle spans every stage of its plan: the basic burst spent on shard 0 throttles the basic key on shard 1', async () => {
  // The tier plans include every shard's stage (one REST API per shard). Shard 1 routes premium tenant initech; the
  // basic tier has no rule on its listener (404), but its key's bucket is what matters: throttled requests never reach
  // a load balancer, so shard 1 needs no tasks.
  const plane = synthesized.example.applicationPlane;
  const api1 = await env.restApi(await env.stack(APPLICATION_PLANE).nestedStack(logicalId(plane.router.shards[1].nestedStackResource!)));
  expect(api1.apiId).not.toBe(api.apiId);
  // The key's bucket, shared by every stage of the plan, refills from the test before; then each shard's authorizer
  // decision is cached.
  await new Promise((r) => setTimeout(r, 1100));
  expect((await call('GET', '/products', { token: basicToken })).status).toBe(200);
  expect((await call('GET', '/products', { token: basicToken, api: api1 })).status).toBe(404);
  await new Promise((r) => setTimeout(r, 1100)); // the bucket refills to its burst (50)
  const from0 = api.requests.length;
  const from1 = api1.requests.length;
  const started = Date.now();
  const burst = Promise.all(Array.from({ length: 150 }, () => call('GET', '/products/%2e%2e', { token: basicToken })));
  // As soon as shard 0 has emptied the bucket, shard 1 is asked as often as a bucket of its own would allow at once.
  let emptied = false;
  void burst.then(() => (emptied = true));
  while (!emptied && !api.requests.slice(from0).some((r) => r.status === 429)) {
    await new Promise((r) => setTimeout(r, 2));
  }
  const onShard1 = await Promise.all(Array.from({ length: 50 }, () => call('GET', '/products', { token: basicToken, api: api1 })));
  const elapsed = (Date.now() - started) / 1000;
  const onShard0 = await burst;
  expect(onShard0.filter((a) => a.status === 429).length).toBeGreaterThan(0);
  const throttled1 = onShard1.filter((a) => a.status === 429);
  const passed1 = onShard1.filter((a) => a.status !== 429);
  // A bucket of its own on shard 1 would have let all 50 through; the shared one holds only what refilled since.
  expect(throttled1.length).toBeGreaterThan(0);
  expect(JSON.parse(throttled1[0].body)).toEqual({ message: 'Too Many Requests' });
  expect(throttled1[0].headers['x-amzn-errortype']).toBe('TooManyRequestsException');
  expect(passed1.length).toBeLessThanOrEqual(Math.ceil(50 * elapsed) + 1);
  expect(passed1.every((a) => a.status === 404)).toBe(true);
  expect(api1.requests.slice(from1).filter((r) => r.status === 429).every((r) => !r.authorizerInvoked)).toBe(true);
}, 60_000);

test('every AWS call of the authorizer and the tasks was allowed by IAM', () => {
  expect(env.gate.calls.filter((c) => c.outcome !== 'ALLOWED').map((c) => `${c.principal} ${c.service}:${c.operation}`)).toEqual([]);
  expect(env.gate.calls.some((c) => c.service === 'dynamodb')).toBe(true);
});
