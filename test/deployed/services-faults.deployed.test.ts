/**
 * The example's services as deployed (see services.deployed.test.ts: their images, their task definitions'
 * environment, their task roles held to IAM, requests through the group's nginx), under dependency faults injected by
 * the local IAM gate on their way to DynamoDB and STS:
 *
 * - an answer lost after the write took effect, on each kind of write (the SDK retries);
 * - a connection held open and never answered;
 * - STS and DynamoDB throttling or failing.
 *
 * Each test asserts what the client is told and what is stored, read from the tables themselves.
 */
import { AdminGetUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { APPLICATION_PLANE, logicalId, synthesizeExample, SynthesizedExample } from './example';
import { localOidcSharedIssuer, oidcAdminToken, ProxyAnswer, request, startLocalOidc } from './services-support';
import { LocalEnvironment, LocalServiceGroup } from '../../local/environment';
import { Fault } from '../../local/iam-gate';
import type { LocalOidcIssuer } from '../../local/identity';


let synthesized: SynthesizedExample;
let env: LocalEnvironment;
let oidc: LocalOidcIssuer;
let group: LocalServiceGroup;
/** Physical names of the basic tier's tables. */
const tables: { products: string; orders: string; idempotency: string } = { products: '', orders: '', idempotency: '' };

beforeAll(async () => {
  synthesized = synthesizeExample({
    sharedIssuer: localOidcSharedIssuer(),
  });
  env = await LocalEnvironment.start(synthesized.outdir);
  oidc = startLocalOidc(env);
  group = await env.startServiceGroup(APPLICATION_PLANE, `${APPLICATION_PLANE}/Basic/Services`);
  const basic = synthesized.example.applicationPlane.tiers[0];
  for (const name of ['products', 'orders', 'idempotency'] as const) {
    tables[name] = (await env.stack(APPLICATION_PLANE).resource(logicalId(basic.pooledTables[name]))).ref;
  }
}, 240_000);

afterAll(async () => {
  env?.gate.clearFaults();
  await group?.stop();
  await env?.stop();
});

afterEach(() => env.gate.clearFaults());

/** An administrator of a tenant of the basic tier (which trusts the OpenID Connect issuer). */
const tokenOf = (tenantId: string) => oidcAdminToken(oidc, tenantId, 'basic');

/** The items of a tenant in a table, read by the harness (not through the services). */
async function stored(table: keyof typeof tables, tenantId: string): Promise<Array<Record<string, any>>> {
  const result = await env.admin.dynamodb.send(new QueryCommand({
    TableName: tables[table], KeyConditionExpression: 'tenantId = :t', ExpressionAttributeValues: { ':t': { S: tenantId } },
  }));
  return result.Items ?? [];
}

const named = (items: Array<Record<string, any>>, name: string) => items.filter((i) => i.name?.S === name);

function send(method: string, path: string, token: string, body?: unknown, headers?: Record<string, string>): Promise<ProxyAnswer> {
  return request(group, method, path, { token, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
}

/** Injects a fault and returns the calls the gate recorded as faulted while `run` ran. */
async function withFault<T>(fault: Fault, run: () => Promise<T>): Promise<{ result: T; faulted: number }> {
  const before = env.gate.calls.filter((c) => c.outcome === 'FAULT').length;
  env.gate.inject(fault);
  try {
    const result = await run();
    return { result, faulted: env.gate.calls.filter((c) => c.outcome === 'FAULT').length - before };
  } finally {
    env.gate.clearFaults();
  }
}

describe('an answer lost after the write took effect: the write is reported as done, once', () => {
  const TENANT = 'basic-lost';
  let token: string;
  beforeAll(async () => {
    token = await tokenOf(TENANT);
  });

  test('POST /products: 201, one product stored, the one answered', async () => {
    const { result: res, faulted } = await withFault({ action: 'dynamodb:PutItem', resource: tables.products, times: 1, mode: 'LOST_ANSWER' },
      () => send('POST', '/products', token, { name: 'Lost answer', price: 3 }));
    expect(faulted).toBe(1);
    expect(res.status).toBe(201);
    const items = named(await stored('products', TENANT), 'Lost answer');
    expect(items.map((i) => i.id.S)).toEqual([JSON.parse(res.body).id]);
  });

  test('POST /orders: 201, one order stored', async () => {
    const product = JSON.parse((await send('POST', '/products', token, { name: 'Orderable', price: 2 })).body);
    const before = (await stored('orders', TENANT)).length;
    const { result: res, faulted } = await withFault({ action: 'dynamodb:PutItem', resource: tables.orders, times: 1, mode: 'LOST_ANSWER' },
      () => send('POST', '/orders', token, { lines: [{ productId: product.id, quantity: 3 }] }));
    expect(faulted).toBe(1);
    expect(res.status).toBe(201);
    const orders = await stored('orders', TENANT);
    expect(orders).toHaveLength(before + 1);
    expect(orders.map((o) => o.id.S)).toContain(JSON.parse(res.body).id);
  });

  test('PUT /products/:id: 200 with the new values, stored', async () => {
    const product = JSON.parse((await send('POST', '/products', token, { name: 'Before', price: 1 })).body);
    const { result: res, faulted } = await withFault({ action: 'dynamodb:UpdateItem', resource: tables.products, times: 1, mode: 'LOST_ANSWER' },
      () => send('PUT', `/products/${product.id}`, token, { name: 'After', price: 7 }));
    expect(faulted).toBe(1);
    expect({ status: res.status, body: JSON.parse(res.body) }).toMatchObject({ status: 200, body: { id: product.id, name: 'After', price: 7 } });
    expect(named(await stored('products', TENANT), 'After').map((i) => i.price.N)).toEqual(['7']);
  });

  test('DELETE /products/:id: 204, the product gone (not a 404)', async () => {
    const product = JSON.parse((await send('POST', '/products', token, { name: 'Doomed', price: 1 })).body);
    const { result: res, faulted } = await withFault({ action: 'dynamodb:DeleteItem', resource: tables.products, times: 1, mode: 'LOST_ANSWER' },
      () => send('DELETE', `/products/${product.id}`, token));
    expect(faulted).toBe(1);
    expect(res.status).toBe(204);
    expect(named(await stored('products', TENANT), 'Doomed')).toEqual([]);
  });

  test('100 concurrent keyed POSTs while 100 answers are lost: 201 or 503, never 500; the client\'s retries: 100 × 201, 100 products', async () => {
    const tenantId = 'basic-volume';
    const volumeToken = await tokenOf(tenantId);
    const post = (i: number) => send('POST', '/products', volumeToken, { name: `Volume ${i}`, price: 1 }, { 'idempotency-key': `volume-${i}` });
    // The 100 lost answers fall on whichever writes come first, retries included: some requests lose every attempt's
    // answer (4), and are told 503 although their product was stored.
    const { result: answers, faulted } = await withFault({ action: 'dynamodb:PutItem', resource: tables.products, times: 100, mode: 'LOST_ANSWER' },
      () => Promise.all(Array.from({ length: 100 }, (_, i) => post(i))));
    expect(faulted).toBe(100);
    expect(answers.filter((a) => a.status !== 201 && a.status !== 503).map((a) => a.status)).toEqual([]);
    // The client retries what failed, and (not trusting the rest) everything else too, with the same keys.
    const again = await Promise.all(Array.from({ length: 100 }, (_, i) => post(i)));
    expect(again.filter((a) => a.status !== 201).map((a) => a.status)).toEqual([]);
    answers.forEach((a, i) => {
      if (a.status === 201) {
        expect(JSON.parse(again[i].body).id).toBe(JSON.parse(a.body).id);
      }
    });
    expect(await stored('products', tenantId)).toHaveLength(100);
    expect(new Set(again.map((a) => JSON.parse(a.body).id)).size).toBe(100);
  }, 60_000);

  test('POST with an Idempotency-Key: 201, one product; the client\'s retries with the key get the same product', async () => {
    const headers = { 'idempotency-key': 'lost-answer-1' };
    const { result: first, faulted } = await withFault({ action: 'dynamodb:PutItem', resource: tables.products, times: 1, mode: 'LOST_ANSWER' },
      () => send('POST', '/products', token, { name: 'Keyed', price: 5 }, headers));
    expect(faulted).toBe(1);
    expect(first.status).toBe(201);
    const retries = [];
    for (let i = 0; i < 3; i++) {
      retries.push(await send('POST', '/products', token, { name: 'Keyed', price: 5 }, headers));
    }
    expect(retries.map((r) => [r.status, r.headers['idempotent-replayed'], r.body])).toEqual(Array(3).fill([201, 'true', first.body]));
    expect(named(await stored('products', TENANT), 'Keyed').map((i) => i.id.S)).toEqual([JSON.parse(first.body).id]);
    const records = (await stored('idempotency', TENANT)).filter((r) => r.id.S.startsWith('products.create#'));
    expect(records.map((r) => r.status.S)).toEqual(['COMPLETED']);
  });
});

describe('an answer lost after Cognito applied the change: the users service reports it as done', () => {
  const TENANT = 'basic-users';
  let token: string;
  let poolId: string;
  beforeAll(async () => {
    token = await tokenOf(TENANT);
    poolId = (await env.stack(APPLICATION_PLANE).resource(logicalId(synthesized.example.applicationPlane.userPool as any))).ref;
  });
  const userIn = (username: string) => env.admin.cognito.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: username }))
    .then((u) => u.UserAttributes?.find((a) => a.Name === 'custom:tenantId')?.Value, () => undefined);

  test('POST /users: 201, the user created once, in the caller\'s tenant', async () => {
    const { result: res, faulted } = await withFault({ action: 'cognito-idp:AdminCreateUser', times: 1, mode: 'LOST_ANSWER' },
      () => send('POST', '/users', token, { email: 'lost@basic-users.example.com', role: 'TenantUser' }));
    expect(faulted).toBe(1);
    expect({ status: res.status, body: JSON.parse(res.body) }).toMatchObject({ status: 201, body: { tenantId: TENANT, role: 'TenantUser' } });
    expect(await userIn(JSON.parse(res.body).username)).toBe(TENANT);
  });

  test('DELETE /users/:username: 204, the user gone', async () => {
    const created = JSON.parse((await send('POST', '/users', token, { email: 'gone@basic-users.example.com', role: 'TenantUser' })).body);
    const { result: res, faulted } = await withFault({ action: 'cognito-idp:AdminDeleteUser', times: 1, mode: 'LOST_ANSWER' },
      () => send('DELETE', `/users/${encodeURIComponent(created.username)}`, token));
    expect(faulted).toBe(1);
    expect(res.status).toBe(204);
    expect(await userIn(created.username)).toBeUndefined();
  });
});

describe('a connection held open: the request ends with a 503 well before the load balancer gives up', () => {
  test('DynamoDB holds every read: 503 with Retry-After 5, in less than 30 s', async () => {
    const token = await tokenOf('basic-held');
    const started = Date.now();
    const { result: res, faulted } = await withFault({ action: 'dynamodb:Query', resource: tables.products, mode: 'HOLD' },
      () => send('GET', '/products', token));
    const seconds = (Date.now() - started) / 1000;
    expect({ status: res.status, retryAfter: res.headers['retry-after'], body: JSON.parse(res.body) })
      .toEqual({ status: 503, retryAfter: '5', body: { message: 'Service temporarily unavailable: retry later' } });
    // The DynamoDB client's attempts (4 by default in SDK v3), each given up after its 3-second request timeout.
    expect(faulted).toBeGreaterThanOrEqual(3);
    expect(seconds).toBeLessThan(30);
    // Once DynamoDB answers again, so does the service.
    expect((await send('GET', '/products', token)).status).toBe(200);
  }, 60_000);
});

describe('a dependency throttling or failing: 503 with Retry-After, nothing stored', () => {
  test.each([
    ['STS throttling', '1', 'sts:AssumeRole', { code: 'Throttling', status: 400, message: 'Rate exceeded' }],
    ['STS unavailable', '5', 'sts:AssumeRole', { code: 'ServiceUnavailable', status: 503, message: 'Service unavailable' }],
    ['DynamoDB throttling', '1', 'dynamodb:PutItem', { code: 'ProvisionedThroughputExceededException', status: 400, message: 'Throughput exceeded' }],
    ['DynamoDB failing', '5', 'dynamodb:PutItem', { code: 'InternalServerError', status: 500, message: 'Internal server error' }],
  ])('%s: POST /products is a 503, Retry-After %s; after it recovers the same POST succeeds once', async (what, retryAfter, action, error) => {
    // A tenant of its own: the runtime helper caches each tenant's session, and STS is asked only for a new one.
    const tenantId = `basic-${what.toLowerCase().replace(/\W+/g, '-')}`;
    const token = await tokenOf(tenantId);
    const { result: res, faulted } = await withFault({ action, error }, () => send('POST', '/products', token, { name: 'During outage', price: 1 }));
    expect(faulted).toBeGreaterThan(0);
    expect({ status: res.status, retryAfter: res.headers['retry-after'], body: JSON.parse(res.body) })
      .toEqual({ status: 503, retryAfter, body: { message: 'Service temporarily unavailable: retry later' } });
    expect(await stored('products', tenantId)).toEqual([]);
    expect((await send('POST', '/products', token, { name: 'During outage', price: 1 })).status).toBe(201);
    expect(named(await stored('products', tenantId), 'During outage')).toHaveLength(1);
  });

  test('every 5xx was logged with the tenant and the request id', () => {
    const errors = group.logs.filter((l) => l.includes('"level":"ERROR"'));
    expect(errors.length).toBeGreaterThan(0);
    for (const line of errors) {
      const record = JSON.parse(line.slice(line.indexOf('{')));
      expect(record).toMatchObject({ tenantId: expect.stringMatching(/^basic-/), requestId: expect.any(String), statusCode: 503 });
    }
  });
});

test('no call was denied by IAM, and no answer was a 500', () => {
  expect(env.gate.calls.filter((c) => c.outcome === 'DENIED').map((c) => `${c.principal} ${c.service}:${c.operation}`)).toEqual([]);
  expect(group.logs.filter((l) => l.includes('"statusCode":500'))).toEqual([]);
});
