import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { cognitoIdTokenVerifier } from '../../examples/services/common/auth';
import { createOrdersApp } from '../../examples/services/orders/app';
import { createTable, startDynamo } from '../util/dynalite';
import { TestUserPool } from '../util/jwt';
import { OutputCapture, RecordingDynamo, testTelemetry } from '../util/services';

/**
 * The orders service against dynalite: orders are priced from the caller's own products only.
 */
const ORDERS = 'orders';
const PRODUCTS = 'products';
const output = new OutputCapture();

// Products seeded straight into the table: two of acme's, one of globex's.
const WIDGET = '0b0e7b8e-8d1a-4c3c-9d43-5a2b7f0c0001';
const GADGET = '0b0e7b8e-8d1a-4c3c-9d43-5a2b7f0c0002';
const SECRET = '0b0e7b8e-8d1a-4c3c-9d43-5a2b7f0c0003';
const MISSING = '0b0e7b8e-8d1a-4c3c-9d43-5a2b7f0c0099';

let dynamo: Awaited<ReturnType<typeof startDynamo>>;
let pool: TestUserPool;
let recording: RecordingDynamo;
let app: FastifyInstance;
let acme: string;
let globex: string;

beforeAll(async () => {
  output.start();
  dynamo = await startDynamo();
  await createTable(dynamo.client, ORDERS, 'tenantId', 'id');
  await createTable(dynamo.client, PRODUCTS, 'tenantId', 'id');
  for (const [tenantId, id, name, price] of [['acme', WIDGET, 'Widget', '10.5'], ['acme', GADGET, 'Gadget', '0.1'], ['globex', SECRET, 'Secret', '1']]) {
    await dynamo.client.send(new PutItemCommand({
      TableName: PRODUCTS,
      Item: { tenantId: { S: tenantId }, id: { S: id }, name: { S: name }, price: { N: price } },
    }));
  }
  pool = await TestUserPool.create();
  acme = await pool.idToken({ tenantId: 'acme', tier: 'basic' });
  globex = await pool.idToken({ tenantId: 'globex', tier: 'basic' });
  recording = new RecordingDynamo(dynamo.client);
  app = ordersApp();
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

function ordersApp(overrides: Partial<Parameters<typeof createOrdersApp>[0]> = {}) {
  return createOrdersApp({
    ...testTelemetry('orders'),
    verifier: cognitoIdTokenVerifier(pool.userPoolId, pool.appClientIds, pool.jwksCache()),
    dynamo: recording,
    ordersTableName: ORDERS,
    productsTableName: PRODUCTS,
    idempotencyTableName: 'idempotency',
    retryDelayMs: 1,
    ...overrides,
  });
}

interface Call {
  readonly token?: string;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

async function call(method: 'GET' | 'POST', url: string, c: Call = {}, target = app): Promise<LightMyRequestResponse> {
  const hasBody = c.body !== undefined || c.rawBody !== undefined;
  return target.inject({
    method,
    url,
    headers: { ...(c.token ? { authorization: `Bearer ${c.token}` } : {}), ...(hasBody ? { 'content-type': 'application/json' } : {}), ...c.headers },
    ...(hasBody ? { payload: c.rawBody ?? JSON.stringify(c.body) } : {}),
  });
}

async function orderCount(): Promise<number> {
  return (await dynamo.client.send(new ScanCommand({ TableName: ORDERS, Select: 'COUNT' }))).Count ?? 0;
}

async function place(token: string, lines: Array<{ productId: string; quantity: number }>) {
  const res = await call('POST', '/orders', { token, body: { lines } });
  expect(res.statusCode).toBe(201);
  return res.json();
}

describe('placing and reading orders', () => {
  test('an order is priced from the tenant\'s products and stored', async () => {
    const order = await place(acme, [{ productId: WIDGET, quantity: 2 }, { productId: GADGET, quantity: 3 }]);
    expect(order).toEqual({
      tenantId: 'acme',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      lines: [
        { productId: WIDGET, name: 'Widget', unitPrice: 10.5, quantity: 2 },
        { productId: GADGET, name: 'Gadget', unitPrice: 0.1, quantity: 3 },
      ],
      // 21 + 0.30000000000000004, rounded to cents.
      total: 21.3,
      status: 'PLACED',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    const item = (await dynamo.client.send(new GetItemCommand({ TableName: ORDERS, Key: { tenantId: { S: 'acme' }, id: { S: order.id } } }))).Item;
    expect(item!.total).toEqual({ N: '21.3' });
    expect(item!.status).toEqual({ S: 'PLACED' });

    const read = await call('GET', `/orders/${order.id}`, { token: acme });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(order);
    expect((await call('GET', '/orders', { token: acme })).json().items.map((o: any) => o.id)).toContain(order.id);
    expect(new Set(recording.tenants)).toEqual(new Set(['acme']));
  });

  test('the same product on two lines is read once and priced on both', async () => {
    const order = await place(acme, [{ productId: WIDGET, quantity: 1 }, { productId: WIDGET, quantity: 1 }]);
    expect(order.lines).toHaveLength(2);
    expect(order.total).toBe(21);
  });

  test('an unknown order is 404, a malformed id 400', async () => {
    expect((await call('GET', `/orders/${MISSING}`, { token: acme })).json()).toEqual({ message: 'Order not found' });
    expect((await call('GET', '/orders/123', { token: acme })).statusCode).toBe(400);
  });

  test('lists page with limit and nextToken', async () => {
    const pager = await pool.idToken({ tenantId: 'pager' });
    // pager has no products: seed one for it.
    await dynamo.client.send(new PutItemCommand({
      TableName: PRODUCTS,
      Item: { tenantId: { S: 'pager' }, id: { S: WIDGET }, name: { S: 'Pager widget' }, price: { N: '1' } },
    }));
    const ids = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await place(pager, [{ productId: WIDGET, quantity: i + 1 }])).id);
    }
    const first = (await call('GET', '/orders?limit=2', { token: pager })).json();
    expect(first.items).toHaveLength(2);
    const second = (await call('GET', `/orders?limit=2&nextToken=${first.nextToken}`, { token: pager })).json();
    expect([...first.items, ...second.items].map((o: any) => o.id).sort()).toEqual(ids.sort());
    expect((await call('GET', '/orders?limit=101', { token: pager })).statusCode).toBe(400);
  });
});

describe('isolation between tenants', () => {
  test('an order naming another tenant\'s product is refused with 400 naming the product, and nothing is stored', async () => {
    const before = await orderCount();
    const res = await call('POST', '/orders', { token: acme, body: { lines: [{ productId: WIDGET, quantity: 1 }, { productId: SECRET, quantity: 1 }] } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ message: `Unknown productId: ${SECRET}` });
    expect(await orderCount()).toBe(before);
  });

  test('an order naming a product that does not exist is refused the same way', async () => {
    const res = await call('POST', '/orders', { token: globex, body: { lines: [{ productId: MISSING, quantity: 1 }, { productId: WIDGET, quantity: 1 }] } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ message: `Unknown productId: ${MISSING}, ${WIDGET}` });
  });

  test('another tenant\'s order is not found by its id and not listed', async () => {
    const theirs = await place(globex, [{ productId: SECRET, quantity: 5 }]);
    expect((await call('GET', `/orders/${theirs.id}`, { token: acme })).statusCode).toBe(404);
    expect((await call('GET', `/orders/${theirs.id}`, { token: acme, headers: { 'x-tenant-id': 'globex' } })).statusCode).toBe(404);
    for (const url of ['/orders', '/orders?tenantId=globex']) {
      const items: any[] = (await call('GET', url, { token: acme, headers: { 'x-tenant-id': 'globex' } })).json().items;
      expect(items.map((o) => o.id)).not.toContain(theirs.id);
      expect(items.every((o) => o.tenantId === 'acme')).toBe(true);
    }
  });

  test('a forged x-tenant-id header neither prices from nor stores under another tenant', async () => {
    const refused = await call('POST', '/orders', { token: acme, headers: { 'x-tenant-id': 'globex' }, body: { lines: [{ productId: SECRET, quantity: 1 }] } });
    expect(refused.statusCode).toBe(400);
    const placed = await call('POST', '/orders', { token: acme, headers: { 'x-tenant-id': 'globex' }, body: { lines: [{ productId: WIDGET, quantity: 1 }] } });
    expect(placed.statusCode).toBe(201);
    expect(placed.json().tenantId).toBe('acme');
    const underGlobex = await dynamo.client.send(new GetItemCommand({ TableName: ORDERS, Key: { tenantId: { S: 'globex' }, id: { S: placed.json().id } } }));
    expect(underGlobex.Item).toBeUndefined();
  });

  test('a body that names a tenant is refused and stores nothing', async () => {
    const before = await orderCount();
    const res = await call('POST', '/orders', { token: acme, body: { tenantId: 'globex', lines: [{ productId: WIDGET, quantity: 1 }] } });
    expect(res.statusCode).toBe(400);
    expect(await orderCount()).toBe(before);
  });
});

describe('invalid bodies are refused with 400 and store nothing', () => {
  const line = { productId: WIDGET, quantity: 1 };
  test.each<[string, Call]>([
    ['no body', { rawBody: '' }],
    ['malformed JSON', { rawBody: '{"lines": [' }],
    ['no lines', { body: {} }],
    ['lines that are not an array', { body: { lines: line } }],
    ['no line at all', { body: { lines: [] } }],
    ['51 lines', { body: { lines: Array.from({ length: 51 }, () => line) } }],
    ['a line without productId', { body: { lines: [{ quantity: 1 }] } }],
    ['a line without quantity', { body: { lines: [{ productId: WIDGET }] } }],
    ['a productId that is not a UUID', { body: { lines: [{ productId: 'widget', quantity: 1 }] } }],
    ['a quantity of 0', { body: { lines: [{ ...line, quantity: 0 }] } }],
    ['a quantity of 1001', { body: { lines: [{ ...line, quantity: 1001 }] } }],
    ['a fractional quantity', { body: { lines: [{ ...line, quantity: 1.5 }] } }],
    ['a quantity given as a string', { body: { lines: [{ ...line, quantity: '2' }] } }],
    ['an extra property on a line', { body: { lines: [{ ...line, unitPrice: 0 }] } }],
    ['an extra top-level property', { body: { lines: [line], total: 0 } }],
    ['an array body', { body: [line] }],
  ])('%s', async (_name, c) => {
    const before = await orderCount();
    const res = await call('POST', '/orders', { token: acme, ...c });
    expect(res.statusCode).toBe(400);
    expect(typeof res.json().message).toBe('string');
    expect(await orderCount()).toBe(before);
  });

  test('50 lines of quantity 1000 are accepted', async () => {
    const res = await call('POST', '/orders', { token: acme, body: { lines: Array.from({ length: 50 }, () => ({ productId: GADGET, quantity: 1000 })) } });
    expect(res.statusCode).toBe(201);
    expect(res.json().total).toBe(5000);
  });
});

describe('product reads DynamoDB leaves unprocessed', () => {
  let documents: ReturnType<typeof mockClient>;
  beforeAll(() => {
    documents = mockClient(DynamoDBDocumentClient);
  });
  afterEach(() => documents.reset());
  afterAll(() => documents.restore());

  test('are retried until every product is read', async () => {
    documents
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { [PRODUCTS]: [] }, UnprocessedKeys: { [PRODUCTS]: { Keys: [{ tenantId: 'acme', id: WIDGET }] } } })
      .resolvesOnce({ Responses: { [PRODUCTS]: [{ tenantId: 'acme', id: WIDGET, name: 'Widget', price: 2 }] } });
    documents.on(PutCommand).resolves({});
    const res = await call('POST', '/orders', { token: acme, body: { lines: [{ productId: WIDGET, quantity: 2 }] } });
    expect(res.statusCode).toBe(201);
    expect(res.json().total).toBe(4);
    expect(documents.commandCalls(BatchGetCommand)).toHaveLength(2);
    expect(documents.commandCalls(BatchGetCommand)[1].args[0].input.RequestItems![PRODUCTS].Keys).toEqual([{ tenantId: 'acme', id: WIDGET }]);
  });

  test('an order whose first put was applied but answered with an error is a 201, not a 500, when the retry finds it', async () => {
    documents.on(BatchGetCommand).resolves({ Responses: { [PRODUCTS]: [{ tenantId: 'acme', id: WIDGET, name: 'Widget', price: 2 }] } });
    // What the SDK's retry reports when DynamoDB stored the first attempt: the condition fails on the second.
    documents.on(PutCommand).rejects(Object.assign(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }), {
      $metadata: { httpStatusCode: 400, attempts: 2 },
    }));
    const res = await call('POST', '/orders', { token: acme, body: { lines: [{ productId: WIDGET, quantity: 1 }] } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ tenantId: 'acme', total: 2 });
    // On a first attempt, the same failure is not this request's own write: a 500 (a UUID collision is a bug).
    documents.on(PutCommand).rejects(Object.assign(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }), {
      $metadata: { httpStatusCode: 400, attempts: 1 },
    }));
    expect((await call('POST', '/orders', { token: acme, body: { lines: [{ productId: WIDGET, quantity: 1 }] } })).statusCode).toBe(500);
  });

  test('fail the request as throttled (503 with Retry-After, no detail) when they stay unprocessed', async () => {
    documents.on(BatchGetCommand).resolves({ UnprocessedKeys: { [PRODUCTS]: { Keys: [{ tenantId: 'acme', id: WIDGET }] } } });
    const res = await call('POST', '/orders', { token: acme, body: { lines: [{ productId: WIDGET, quantity: 2 }] } });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json()).toEqual({ message: 'Service temporarily unavailable: retry later' });
    expect(documents.commandCalls(BatchGetCommand)).toHaveLength(5);
    expect(documents.commandCalls(PutCommand)).toHaveLength(0);
  });

  test('an item of another tenant in the answer is never used to price', async () => {
    documents.on(BatchGetCommand).resolves({ Responses: { [PRODUCTS]: [{ tenantId: 'globex', id: WIDGET, name: 'Not yours', price: 1 }] } });
    const res = await call('POST', '/orders', { token: acme, body: { lines: [{ productId: WIDGET, quantity: 2 }] } });
    expect(res.statusCode).toBe(400);
    expect(documents.commandCalls(PutCommand)).toHaveLength(0);
  });
});
