import * as http from 'http';
import * as net from 'net';
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { cognitoIdTokenVerifier } from '../../examples/services/common/auth';
import type { TenantDynamo } from '../../examples/services/common/dynamo';
import { createProductsApp } from '../../examples/services/products/app';
import { TenantScopedDynamo } from '../../src/runtime';
import { createTable, startDynamo } from '../util/dynalite';
import { TestUserPool } from '../util/jwt';
import { OutputCapture, RecordingDynamo, testTelemetry } from '../util/services';

/**
 * The products service against dynalite, with tokens signed by a test user pool. Isolation is checked in the table
 * itself, not only in the answers.
 */
const TABLE = 'products';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const output = new OutputCapture();

let dynamo: Awaited<ReturnType<typeof startDynamo>>;
let pool: TestUserPool;
let recording: RecordingDynamo;
let app: FastifyInstance;
let acme: string;
let globex: string;

beforeAll(async () => {
  output.start();
  dynamo = await startDynamo();
  await createTable(dynamo.client, TABLE, 'tenantId', 'id');
  pool = await TestUserPool.create();
  acme = await pool.idToken({ tenantId: 'acme', tier: 'basic', role: 'TenantAdmin' });
  globex = await pool.idToken({ tenantId: 'globex', tier: 'basic', role: 'TenantUser' });
  recording = new RecordingDynamo(dynamo.client);
  app = productsApp();
  await app.ready();
});

afterAll(async () => {
  await app.close();
  await dynamo.stop();
  output.stop();
});

beforeEach(() => {
  output.clear();
  recording.tenants.length = 0;
});

function productsApp(overrides: Partial<Parameters<typeof createProductsApp>[0]> = {}) {
  return createProductsApp({
    ...testTelemetry('products'),
    verifier: cognitoIdTokenVerifier(pool.userPoolId, pool.appClientIds, pool.jwksCache()),
    dynamo: recording,
    tableName: TABLE,
    idempotencyTableName: 'idempotency',
    ...overrides,
  });
}

interface Call {
  readonly token?: string;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

async function call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, c: Call = {}, target = app): Promise<LightMyRequestResponse> {
  return target.inject({
    method,
    url,
    headers: {
      ...(c.token ? { authorization: `Bearer ${c.token}` } : {}),
      ...(c.body !== undefined || c.rawBody !== undefined ? { 'content-type': 'application/json' } : {}),
      ...c.headers,
    },
    ...(c.rawBody !== undefined ? { payload: c.rawBody } : c.body !== undefined ? { payload: JSON.stringify(c.body) } : {}),
  });
}

async function create(token: string, body: Record<string, unknown> = { name: 'Widget', price: 9.99 }) {
  const res = await call('POST', '/products', { token, body });
  expect(res.statusCode).toBe(201);
  return res.json();
}

/** The item as stored, read straight from the table. */
async function stored(tenantId: string, id: string) {
  return (await dynamo.client.send(new GetItemCommand({ TableName: TABLE, Key: { tenantId: { S: tenantId }, id: { S: id } } }))).Item;
}

async function tableSize(): Promise<number> {
  return (await dynamo.client.send(new ScanCommand({ TableName: TABLE, Select: 'COUNT' }))).Count ?? 0;
}

describe('a tenant\'s own products', () => {
  test('create, read, replace, list and delete', async () => {
    const product = await create(acme, { name: 'Widget', price: 9.99, sku: 'W-1', description: 'A widget' });
    expect(product).toEqual({
      tenantId: 'acme',
      id: expect.stringMatching(UUID),
      name: 'Widget',
      price: 9.99,
      sku: 'W-1',
      description: 'A widget',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect((await call('GET', `/products/${product.id}`, { token: acme })).json()).toEqual(product);

    const replaced = await call('PUT', `/products/${product.id}`, { token: acme, body: { name: 'Widget 2', price: 0 } });
    expect(replaced.statusCode).toBe(200);
    // PUT replaces: the optional fields left out are gone; the creation time stays.
    expect(replaced.json()).toEqual({ ...product, name: 'Widget 2', price: 0, sku: undefined, description: undefined, updatedAt: expect.any(String) });
    expect(replaced.json()).not.toHaveProperty('sku');
    expect((await stored('acme', product.id))!.name).toEqual({ S: 'Widget 2' });

    const list = await call('GET', '/products', { token: acme });
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((p: any) => p.id)).toContain(product.id);

    const deleted = await call('DELETE', `/products/${product.id}`, { token: acme });
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    expect(await stored('acme', product.id)).toBeUndefined();
    expect((await call('GET', `/products/${product.id}`, { token: acme })).statusCode).toBe(404);
    expect((await call('DELETE', `/products/${product.id}`, { token: acme })).statusCode).toBe(404);
  });

  test('every data access uses the client scoped to the token\'s tenant', async () => {
    const product = await create(acme);
    await call('GET', `/products/${product.id}`, { token: acme, headers: { 'x-tenant-id': 'globex' } });
    await call('GET', '/products?tenantId=globex', { token: acme });
    expect(recording.tenants.length).toBeGreaterThanOrEqual(3);
    expect(new Set(recording.tenants)).toEqual(new Set(['acme']));
  });

  test('an unknown id is 404, a malformed id 400', async () => {
    expect((await call('GET', '/products/6c1b0a4e-4b7a-4a52-9a51-0d1f8b3c2e11', { token: acme })).json()).toEqual({ message: 'Product not found' });
    expect((await call('GET', '/products/not-a-uuid', { token: acme })).statusCode).toBe(400);
  });
});

describe('isolation between tenants', () => {
  test('another tenant\'s product cannot be read, replaced or deleted by its id, and stays as it was', async () => {
    const theirs = await create(globex, { name: 'Secret', price: 42, sku: 'G-1' });
    const before = await stored('globex', theirs.id);
    expect(before).toBeDefined();
    const size = await tableSize();

    expect((await call('GET', `/products/${theirs.id}`, { token: acme })).statusCode).toBe(404);
    const put = await call('PUT', `/products/${theirs.id}`, { token: acme, body: { name: 'Pwned', price: 0 } });
    expect(put.statusCode).toBe(404);
    expect(put.json()).toEqual({ message: 'Product not found' });
    expect((await call('DELETE', `/products/${theirs.id}`, { token: acme })).statusCode).toBe(404);

    expect(await stored('globex', theirs.id)).toEqual(before);
    // The conditional write created nothing under the caller's tenant either.
    expect(await stored('acme', theirs.id)).toBeUndefined();
    expect(await tableSize()).toBe(size);
  });

  test('a list shows the caller\'s products only, whatever the query or headers say', async () => {
    const mine = await create(acme, { name: 'Mine', price: 1 });
    const theirs = await create(globex, { name: 'Theirs', price: 2 });
    for (const [url, headers] of [['/products', {}], ['/products?tenantId=globex', {}], ['/products', { 'x-tenant-id': 'globex' }]] as const) {
      const items: any[] = (await call('GET', `${url}`, { token: acme, headers: { ...headers } })).json().items;
      expect(items.map((p) => p.id)).toContain(mine.id);
      expect(items.map((p) => p.id)).not.toContain(theirs.id);
      expect(items.every((p) => p.tenantId === 'acme')).toBe(true);
    }
  });

  test('a body that names a tenant is refused and writes nothing', async () => {
    const size = await tableSize();
    const res = await call('POST', '/products', { token: acme, body: { name: 'Sneaky', price: 1, tenantId: 'globex' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/additional properties/);
    const mine = await create(acme);
    expect((await call('PUT', `/products/${mine.id}`, { token: acme, body: { name: 'Sneaky', price: 1, tenantId: 'globex' } })).statusCode).toBe(400);
    expect(await tableSize()).toBe(size + 1);
    expect((await stored('acme', mine.id))!.name).toEqual({ S: 'Widget' });
  });

  test('a forged x-tenant-id header is ignored: the product is the token\'s tenant\'s', async () => {
    const res = await call('POST', '/products', { token: acme, body: { name: 'Forged', price: 3 }, headers: { 'x-tenant-id': 'globex' } });
    expect(res.statusCode).toBe(201);
    expect(res.json().tenantId).toBe('acme');
    expect(await stored('acme', res.json().id)).toBeDefined();
    expect(await stored('globex', res.json().id)).toBeUndefined();
    expect((await call('GET', `/products/${res.json().id}`, { token: globex, headers: { 'x-tenant-id': 'acme' } })).statusCode).toBe(404);
  });

  test('with the real TenantScopedDynamo, credentials are assumed for the token\'s tenant only', async () => {
    const sts = mockClient(STSClient);
    sts.on(AssumeRoleCommand).resolves({
      Credentials: { AccessKeyId: 'AKIA', SecretAccessKey: 'secret', SessionToken: 'token', Expiration: new Date(Date.now() + 3600_000) },
    });
    try {
      const scoped = new TenantScopedDynamo({
        scoping: 'SESSION_TAGS',
        roleArn: 'arn:aws:iam::111111111111:role/tenant-access',
        tagKey: 'TenantID',
        sts: new STSClient({ region: 'us-east-1' }),
        clientConfig: { endpoint: dynamo.endpoint, region: 'us-east-1' },
      });
      const scopedApp = productsApp({ dynamo: scoped });
      const res = await call('POST', '/products', { token: globex, body: { name: 'Scoped', price: 5 }, headers: { 'x-tenant-id': 'acme' } }, scopedApp);
      expect(res.statusCode).toBe(201);
      expect((await call('GET', '/products', { token: globex }, scopedApp)).json().items.map((p: any) => p.id)).toContain(res.json().id);
      const calls = sts.commandCalls(AssumeRoleCommand);
      expect(calls).toHaveLength(1);
      expect(calls[0].args[0].input.Tags).toEqual([{ Key: 'TenantID', Value: 'globex' }]);
      await scopedApp.close();
    } finally {
      sts.restore();
    }
  });
});

describe('pagination', () => {
  test('pages through the tenant\'s products with limit and nextToken', async () => {
    const pager = await pool.idToken({ tenantId: 'pager' });
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      ids.add((await create(pager, { name: `P${i}`, price: i })).id);
    }
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const res = await call('GET', `/products?limit=2${token ? `&nextToken=${token}` : ''}`, { token: pager });
      expect(res.statusCode).toBe(200);
      const page = res.json();
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((p: any) => p.id));
      token = page.nextToken;
      pages++;
    } while (token && pages < 10);
    expect(seen.sort()).toEqual([...ids].sort());
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  test('a token carrying another tenant\'s key still lists only the caller\'s products', async () => {
    const theirs = await create(globex, { name: 'Theirs', price: 2 });
    const forged = Buffer.from(JSON.stringify({ tenantId: 'globex', id: theirs.id })).toString('base64url');
    const res = await call('GET', `/products?nextToken=${forged}`, { token: acme });
    expect(res.statusCode).toBe(200);
    expect(res.json().items.every((p: any) => p.tenantId === 'acme')).toBe(true);
  });

  test.each(['0', '101', 'abc', '1.5', '-1', ''])('limit=%p is refused', async (limit) => {
    const res = await call('GET', `/products?limit=${limit}`, { token: acme });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ message: 'limit must be a whole number from 1 to 100' });
  });

  test.each(['garbage', Buffer.from('{"id":5}').toString('base64url'), Buffer.from('[]').toString('base64url')])('nextToken %p is refused', async (t) => {
    const res = await call('GET', `/products?nextToken=${t}`, { token: acme });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ message: 'nextToken is invalid' });
  });
});

describe('invalid bodies are refused with 400 and write nothing', () => {
  const valid = { name: 'Widget', price: 1 };
  const cases: Array<[string, Call]> = [
    ['no body', { rawBody: '' }],
    ['malformed JSON', { rawBody: '{"name": "Widget", "price": ' }],
    ['an array', { body: [valid] }],
    ['a string', { body: 'Widget' }],
    ['null', { rawBody: 'null' }],
    ['a missing name', { body: { price: 1 } }],
    ['a missing price', { body: { name: 'Widget' } }],
    ['an empty name', { body: { ...valid, name: '' } }],
    ['a blank name', { body: { ...valid, name: '   ' } }],
    ['a name of 201 characters', { body: { ...valid, name: 'x'.repeat(201) } }],
    ['a numeric name', { body: { ...valid, name: 12 } }],
    ['a price given as a string', { body: { ...valid, price: '12' } }],
    ['a null price', { body: { ...valid, price: null } }],
    ['a negative price', { body: { ...valid, price: -0.01 } }],
    ['a price over 1,000,000', { body: { ...valid, price: 1_000_000.01 } }],
    ['an empty sku', { body: { ...valid, sku: '' } }],
    ['a sku with a space', { body: { ...valid, sku: 'A B' } }],
    ['a sku of 65 characters', { body: { ...valid, sku: 'a'.repeat(65) } }],
    ['a description of 2001 characters', { body: { ...valid, description: 'd'.repeat(2001) } }],
    ['an extra property', { body: { ...valid, colour: 'red' } }],
    ['a prototype-poisoning key', { rawBody: '{"name":"Widget","price":1,"__proto__":{"admin":true}}' }],
  ];

  test.each(cases)('POST with %s', async (_name, c) => {
    const size = await tableSize();
    const res = await call('POST', '/products', { token: acme, ...c });
    expect(res.statusCode).toBe(400);
    expect(typeof res.json().message).toBe('string');
    expect(res.body).not.toMatch(/\bat .*\.(ts|js):\d+/);
    expect(await tableSize()).toBe(size);
  });

  test.each(cases)('PUT with %s', async (_name, c) => {
    const mine = await create(acme, { name: 'Original', price: 7 });
    const before = await stored('acme', mine.id);
    const res = await call('PUT', `/products/${mine.id}`, { token: acme, ...c });
    expect(res.statusCode).toBe(400);
    expect(await stored('acme', mine.id)).toEqual(before);
  });

  test('the limits themselves are accepted', async () => {
    const res = await call('POST', '/products', {
      token: acme,
      body: { name: 'n'.repeat(200), price: 1_000_000, sku: `${'a'.repeat(62)}-_`, description: 'd'.repeat(2000) },
    });
    expect(res.statusCode).toBe(201);
    expect((await call('POST', '/products', { token: acme, body: { name: 'Free', price: 0 } })).statusCode).toBe(201);
  });
});

describe('failures', () => {
  test('a DynamoDB failure is a 500 without detail, logged with the tenant', async () => {
    const broken = productsApp({
      dynamo: {
        client: () => {
          throw new Error('AccessDenied: secret internal detail');
        },
      },
    });
    const res = await call('GET', '/products', { token: acme }, broken);
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ message: 'Internal error' });
    expect(res.body).not.toMatch(/secret|stack|\.ts/);
    const error = output.logs.find((l) => l.level === 'ERROR');
    expect(error).toMatchObject({ message: 'request failed', tenantId: 'acme', service: 'products' });
    expect(error!.error.message).toMatch(/secret internal detail/);
    await broken.close();
  });
});

describe('input that DynamoDB or a reader would choke on is refused, and nothing of it is echoed (400/415)', () => {
  const existing = async () => create(acme, { name: 'Widget', price: 9.99 });

  test.each([
    ['a price below a cent, which DynamoDB refuses as a number underflow', { name: 'Dust', price: 1e-131 }, 'body/price must have at most 2 decimal places'],
    ['a price with a float artefact', { name: 'Sum', price: 0.1 + 0.2 }, 'body/price must have at most 2 decimal places'],
    ['a name with NUL', { name: 'bad\u0000name', price: 1 }, 'body/name must be one line without control characters'],
    ['a name with an ANSI escape', { name: '\u001b[31mred\u001b[0m', price: 1 }, 'body/name must be one line without control characters'],
    ['a name with a lone surrogate', { name: 'half \ud800 pair', price: 1 }, 'body/name must be one line without control characters'],
    ['a name with a bidirectional override', { name: 'abc\u202Efdp.exe', price: 1 }, 'body/name must be one line without control characters'],
    ['a name over two lines', { name: 'two\nlines', price: 1 }, 'body/name must be one line without control characters'],
    ['a description with a C1 control', { name: 'ok', price: 1, description: 'x\u0085y' }, 'body/description must not contain control characters'],
  ])('%s: 400 on create and on replace, nothing stored', async (_what, body, message) => {
    const before = await tableSize();
    const created = await call('POST', '/products', { token: acme, body });
    expect(created.statusCode).toBe(400);
    expect(created.json().message).toContain(message);
    const product = await existing();
    const replaced = await call('PUT', `/products/${product.id}`, { token: acme, body });
    expect(replaced.statusCode).toBe(400);
    expect(await tableSize()).toBe(before + 1);
    expect(await stored('acme', product.id)).toMatchObject({ name: { S: 'Widget' }, price: { N: '9.99' } });
    for (const res of [created, replaced]) {
      expect(res.body).not.toContain(String((body as any).name).slice(0, 8));
    }
  });

  test('what is allowed is stored exactly as sent: cents, zero, the maximum, multi-line descriptions, emoji', async () => {
    for (const body of [
      { name: 'Cents', price: 19.99, description: 'line one\nline two\ttabbed' },
      { name: 'Free', price: 0 },
      { name: 'Dear', price: 1_000_000 },
      { name: 'Emoji 👩‍💻 ok', price: 0.01 },
    ]) {
      const product = await create(acme, body);
      expect(product).toMatchObject(body);
      expect(await stored('acme', product.id)).toMatchObject({ price: { N: String(body.price) }, name: { S: body.name } });
    }
  });

  test.each([
    ['text/plain', 'hello'],
    ['application/xml', '<product/>'],
    ['application/x-www-form-urlencoded', 'name=x&price=1'],
  ])('a %s body is 415 with a fixed message', async (contentType, payload) => {
    const res = await app.inject({ method: 'POST', url: '/products', headers: { 'authorization': `Bearer ${acme}`, 'content-type': contentType }, payload });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toEqual({ message: 'Unsupported media type: send application/json' });
  });

  test('malformed JSON is 400 with a fixed message that repeats none of it', async () => {
    const res = await call('POST', '/products', { token: acme, rawBody: '{"name": "secret-input-xyz", price: }' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ message: 'Bad request' });
  });

  test('a 10,000-character path parameter is refused with a fixed message, with or without a token', async () => {
    const long = `/products/${'z'.repeat(10_000)}`;
    for (const headers of [{}, { authorization: `Bearer ${acme}` }]) {
      const res = await app.inject({ method: 'GET', url: long, headers });
      expect(res.statusCode).toBe(414);
      expect(res.json()).toEqual({ message: 'URI too long' });
    }
  });
});

describe('a dependency that throttles or fails is a 503 with Retry-After; a bug stays a 500', () => {
  /** A DynamoDB (or STS) endpoint that answers every request with `status` and `body`. */
  async function failingEndpoint(status: number, body: string, contentType = 'application/x-amz-json-1.0') {
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(status, { 'content-type': contentType }).end(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
  }
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
  const fixed = (endpoint: string) => new TenantScopedDynamo({
    scoping: 'FIXED_TENANT', tenantId: 'acme', clientConfig: { endpoint, region: 'us-east-1', credentials, maxAttempts: 1 },
  });

  async function expect503(dependency: TenantDynamo, retryAfter: string) {
    const broken = productsApp({ dynamo: dependency });
    try {
      for (const [method, url, body] of [['GET', '/products', undefined], ['POST', '/products', { name: 'Widget', price: 1 }]] as const) {
        output.clear();
        const res = await call(method, url, { token: acme, body }, broken);
        expect({ status: res.statusCode, retryAfter: res.headers['retry-after'], body: res.json() })
          .toEqual({ status: 503, retryAfter, body: { message: 'Service temporarily unavailable: retry later' } });
        const error = output.logs.find((l) => l.level === 'ERROR');
        expect(error).toMatchObject({ message: 'dependency unavailable', tenantId: 'acme', requestId: res.headers['x-request-id'], statusCode: 503 });
      }
    } finally {
      await broken.close();
    }
  }

  test.each([
    ['throttling', 400, 'ProvisionedThroughputExceededException', '1'],
    ['failing (500)', 500, 'InternalServerError', '5'],
  ])('DynamoDB %s: 503, Retry-After as the kind of failure says', async (_what, status, type, retryAfter) => {
    const endpoint = await failingEndpoint(status, JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: 'injected' }));
    try {
      await expect503(fixed(endpoint.url), retryAfter);
    } finally {
      await endpoint.close();
    }
  });

  test('DynamoDB holding the connection: the request times out and is a 503, Retry-After 5', async () => {
    // (A refused connection is not tried here: under jest, Node's own errors come from another realm, and the SDK's
    // retry middleware then drops their code. The as-deployed tests run the services as processes.)
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
      await expect503(new TenantScopedDynamo({
        scoping: 'FIXED_TENANT', tenantId: 'acme', requestTimeoutMs: 200, clientConfig: { endpoint, region: 'us-east-1', credentials, maxAttempts: 1 },
      }), '5');
      expect(sockets.length).toBe(2);
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test('a bug (not a dependency failure) is still a 500', async () => {
    const broken = productsApp({ dynamo: { client: () => { throw new TypeError('undefined is not a function'); } } });
    const res = await call('GET', '/products', { token: acme }, broken);
    expect({ status: res.statusCode, retryAfter: res.headers['retry-after'] }).toEqual({ status: 500, retryAfter: undefined });
    await broken.close();
  });

  test('STS failing (503) for the tenant session: 503, Retry-After 5', async () => {
    const endpoint = await failingEndpoint(503, '<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>down</Message></Error></ErrorResponse>', 'text/xml');
    try {
      const realSts = new STSClient({ endpoint: endpoint.url, region: 'us-east-1', credentials, maxAttempts: 1 });
      await expect503(new TenantScopedDynamo({ scoping: 'SESSION_TAGS', roleArn: 'arn:aws:iam::111111111111:role/Access', tagKey: 'TenantId', sts: realSts, clientConfig: { endpoint: dynamo.endpoint, region: 'us-east-1' } }), '5');
    } finally {
      await endpoint.close();
    }
  });
});

test('inbound timeouts: a request must arrive within 30 s; idle connections outlive the proxy\'s and the load balancer\'s 60 s', () => {
  expect((app.initialConfig as { requestTimeout?: number }).requestTimeout).toBe(30_000);
  expect(app.server.requestTimeout).toBe(30_000);
  expect(app.initialConfig.keepAliveTimeout).toBeGreaterThan(60_000);
});

describe('a write whose answer is lost is reported as done, once (no 500, no 404, no duplicate)', () => {
  /**
   * A DynamoDB endpoint in front of dynalite that applies the first `operation` request it sees, then answers it 500
   * as if the answer were lost on the way back; the AWS SDK retries, and the retry reaches dynalite.
   */
  async function losingFirstAnswer(operation: 'PutItem' | 'DeleteItem') {
    let lost = 0;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const forward = http.request(`${dynamo.endpoint}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
          const body: Buffer[] = [];
          answer.on('data', (c: Buffer) => body.push(c));
          answer.on('end', () => {
            if (lost === 0 && String(req.headers['x-amz-target']).endsWith(`.${operation}`)) {
              lost++;
              res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' })
                .end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'answer lost' }));
              return;
            }
            res.writeHead(answer.statusCode ?? 500, answer.headers).end(Buffer.concat(body));
          });
        });
        forward.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const scoped = new TenantScopedDynamo({
      scoping: 'FIXED_TENANT',
      tenantId: 'acme',
      clientConfig: { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } },
    });
    return { app: productsApp({ dynamo: scoped }), lost: () => lost, close: () => new Promise<void>((r) => server.close(() => r())) };
  }

  test('POST /products: 201, and exactly one product stored', async () => {
    const lossy = await losingFirstAnswer('PutItem');
    try {
      const before = await tableSize();
      const res = await call('POST', '/products', { token: acme, body: { name: 'Once', price: 3 } }, lossy.app);
      expect(lossy.lost()).toBe(1);
      expect(res.statusCode).toBe(201);
      expect(await tableSize()).toBe(before + 1);
      expect(await stored('acme', res.json().id)).toMatchObject({ name: { S: 'Once' } });
    } finally {
      await lossy.app.close();
      await lossy.close();
    }
  });

  test('DELETE /products/:id: 204, and the product is gone', async () => {
    const product = await create(acme, { name: 'Doomed', price: 1 });
    const lossy = await losingFirstAnswer('DeleteItem');
    try {
      const res = await call('DELETE', `/products/${product.id}`, { token: acme }, lossy.app);
      expect(lossy.lost()).toBe(1);
      expect(res.statusCode).toBe(204);
      expect(await stored('acme', product.id)).toBeUndefined();
      // A later DELETE of the same product is a 404: only a retry within the request counts as its own.
      expect((await call('DELETE', `/products/${product.id}`, { token: acme })).statusCode).toBe(404);
    } finally {
      await lossy.app.close();
      await lossy.close();
    }
  });
});
