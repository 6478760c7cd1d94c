import { DynamoDBClient, PutItemCommand, QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { cognitoIdTokenVerifier } from '../../examples/services/common/auth';
import { IDEMPOTENCY_EXPIRY_ATTRIBUTE } from '../../examples/services/common/environment';
import { keyedUuid } from '../../examples/services/common/idempotency';
import { createOrdersApp } from '../../examples/services/orders/app';
import { createProductsApp } from '../../examples/services/products/app';
import { createTable, startDynamo } from '../util/dynalite';
import { TestUserPool } from '../util/jwt';
import { OutputCapture, testTelemetry } from '../util/services';

/**
 * `Idempotency-Key` on POST /products and POST /orders, against dynalite: a repeated key returns the first result
 * and creates nothing; the records are the tenant's items in the idempotency table. Counted in the tables.
 */
const PRODUCTS = 'products';
const ORDERS = 'orders';
const IDEMPOTENCY = 'idempotency';
const output = new OutputCapture();

let dynamo: Awaited<ReturnType<typeof startDynamo>>;
let pool: TestUserPool;
let products: FastifyInstance;
let orders: FastifyInstance;
let acme: string;
let acmeOther: string;
let globex: string;
/** Holds PutItem on the products table while set: a request stays in progress. */
let held: Promise<void> | undefined;
/** While set, calls to the idempotency table fail with this error (as the SDK's retries would end). */
let idempotencyFailure: Error | undefined;
/** While set, product writes are applied and then fail as if every answer were lost (the SDK's attempts exhausted). */
let loseProductAnswers = false;

beforeAll(async () => {
  output.start();
  dynamo = await startDynamo();
  for (const table of [PRODUCTS, ORDERS, IDEMPOTENCY]) {
    await createTable(dynamo.client, table, 'tenantId', 'id');
  }
  pool = await TestUserPool.create();
  acme = await pool.idToken({ tenantId: 'acme', username: 'ann' });
  acmeOther = await pool.idToken({ tenantId: 'acme', username: 'bob' });
  globex = await pool.idToken({ tenantId: 'globex', username: 'ann' });
  const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  client.middlewareStack.add((next, context) => async (args) => {
    if (held && context.commandName === 'PutItemCommand' && (args.input as { TableName?: string }).TableName === PRODUCTS) {
      await held;
    }
    if (idempotencyFailure && (args.input as { TableName?: string }).TableName === IDEMPOTENCY) {
      throw idempotencyFailure;
    }
    if (loseProductAnswers && context.commandName === 'PutItemCommand' && (args.input as { TableName?: string }).TableName === PRODUCTS) {
      await next(args);
      throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: { attempts: 4 } });
    }
    return next(args);
  }, { step: 'initialize', name: 'holdProductWrites' });
  const deps = { ...testTelemetry('test'), verifier: cognitoIdTokenVerifier(pool.userPoolId, pool.appClientIds, pool.jwksCache()), dynamo: { client: () => client } };
  products = createProductsApp({ ...deps, tableName: PRODUCTS, idempotencyTableName: IDEMPOTENCY });
  orders = createOrdersApp({ ...deps, ordersTableName: ORDERS, productsTableName: PRODUCTS, idempotencyTableName: IDEMPOTENCY, retryDelayMs: 1 });
  await Promise.all([products.ready(), orders.ready()]);
});

afterAll(async () => {
  await Promise.all([products.close(), orders.close()]);
  await dynamo.stop();
  output.stop();
});

function post(app: FastifyInstance, url: string, token: string, body: unknown, key?: string | string[]): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url,
    headers: { 'authorization': `Bearer ${token}`, 'content-type': 'application/json', ...(key !== undefined ? { 'idempotency-key': key } : {}) },
    payload: JSON.stringify(body),
  });
}

async function count(table: string, tenantId: string): Promise<number> {
  const result = await dynamo.client.send(new QueryCommand({
    TableName: table, KeyConditionExpression: 'tenantId = :t', ExpressionAttributeValues: { ':t': { S: tenantId } }, Select: 'COUNT',
  }));
  return result.Count ?? 0;
}

describe('POST /products with an Idempotency-Key', () => {
  test('the same key again: the first answer (201, same id), marked as a replay; one product stored', async () => {
    const before = await count(PRODUCTS, 'acme');
    const first = await post(products, '/products', acme, { name: 'Lamp', price: 12 }, 'key-lamp-1');
    const second = await post(products, '/products', acme, { name: 'Lamp', price: 12 }, 'key-lamp-1');
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect({ status: second.statusCode, replayed: second.headers['idempotent-replayed'], body: second.json() })
      .toEqual({ status: 201, replayed: 'true', body: first.json() });
    expect(await count(PRODUCTS, 'acme')).toBe(before + 1);
  });

  test('the record is an item of the caller\'s tenant, expiring after 24 hours, keyed by the operation', async () => {
    await post(products, '/products', acme, { name: 'Desk', price: 120 }, 'key-desk');
    const records = (await dynamo.client.send(new ScanCommand({ TableName: IDEMPOTENCY }))).Items ?? [];
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) {
      expect(record.tenantId.S).toMatch(/^(acme|globex)$/);
      expect(record.id.S).toMatch(/^(products|orders)\.create#[A-Za-z0-9+/]{22}==$/);
      expect(record.status.S).toBe('COMPLETED');
      const expiresIn = Number(record[IDEMPOTENCY_EXPIRY_ATTRIBUTE].N) - Date.now() / 1000;
      expect(expiresIn).toBeGreaterThan(24 * 3600 - 60);
      expect(expiresIn).toBeLessThanOrEqual(24 * 3600 + 1); // whole seconds, rounded up
    }
  });

  test('the same key with another body: 422, nothing stored', async () => {
    await post(products, '/products', acme, { name: 'Chair', price: 40 }, 'key-chair');
    const before = await count(PRODUCTS, 'acme');
    const res = await post(products, '/products', acme, { name: 'Chair', price: 41 }, 'key-chair');
    expect({ status: res.statusCode, body: res.json() }).toEqual({ status: 422, body: { message: 'Idempotency-Key was already used with a different request body' } });
    expect(await count(PRODUCTS, 'acme')).toBe(before);
  });

  test('a key is its user\'s: another user of the tenant, or a user of another tenant, with the same key gets a product of their own', async () => {
    const mine = (await post(products, '/products', acme, { name: 'Pen', price: 1 }, 'key-shared')).json();
    const colleague = await post(products, '/products', acmeOther, { name: 'Pen', price: 1 }, 'key-shared');
    const stranger = await post(products, '/products', globex, { name: 'Pen', price: 1 }, 'key-shared');
    expect([colleague.statusCode, stranger.statusCode]).toEqual([201, 201]);
    expect([colleague.headers['idempotent-replayed'], stranger.headers['idempotent-replayed']]).toEqual([undefined, undefined]);
    expect(new Set([mine.id, colleague.json().id, stranger.json().id]).size).toBe(3);
    expect(stranger.json().tenantId).toBe('globex');
  });

  test('the same key on another route is another request', async () => {
    const product = (await post(products, '/products', acme, { name: 'Mug', price: 5 }, 'key-route')).json();
    const order = await post(orders, '/orders', acme, { lines: [{ productId: product.id, quantity: 1 }] }, 'key-route');
    expect({ status: order.statusCode, replayed: order.headers['idempotent-replayed'] }).toEqual({ status: 201, replayed: undefined });
  });

  test('while the first request is in progress, the same key is a 409 with Retry-After, and nothing is stored twice', async () => {
    let release!: () => void;
    held = new Promise((resolve) => { release = resolve; });
    const before = await count(PRODUCTS, 'acme');
    const first = post(products, '/products', acme, { name: 'Slow', price: 2 }, 'key-slow');
    await new Promise((r) => setTimeout(r, 100));
    const concurrent = await post(products, '/products', acme, { name: 'Slow', price: 2 }, 'key-slow');
    held = undefined;
    release();
    expect({ status: concurrent.statusCode, retryAfter: concurrent.headers['retry-after'], body: concurrent.json() })
      .toEqual({ status: 409, retryAfter: '1', body: { message: 'A request with this Idempotency-Key is in progress: retry later' } });
    expect((await first).statusCode).toBe(201);
    const retry = await post(products, '/products', acme, { name: 'Slow', price: 2 }, 'key-slow');
    expect({ status: retry.statusCode, id: retry.json().id }).toEqual({ status: 201, id: (await first).json().id });
    expect(await count(PRODUCTS, 'acme')).toBe(before + 1);
  });

  test.each([
    ['empty', ''],
    ['256 characters', 'k'.repeat(256)],
    ['a space', 'my key'],
    ['non-ASCII', 'clé'],
    ['two values', ['a', 'b']],
  ])('a key that is %s: 400 with a fixed message, nothing stored', async (_what, key) => {
    const before = await count(PRODUCTS, 'acme');
    const res = await post(products, '/products', acme, { name: 'Bad key', price: 1 }, key);
    expect({ status: res.statusCode, body: res.json() }).toEqual({ status: 400, body: { message: 'Idempotency-Key must be one header of 1 to 255 printable ASCII characters' } });
    expect(await count(PRODUCTS, 'acme')).toBe(before);
  });

  test('without a key, every POST creates a product (the key is optional)', async () => {
    const a = await post(products, '/products', acme, { name: 'Free', price: 1 });
    const b = await post(products, '/products', acme, { name: 'Free', price: 1 });
    expect(a.json().id).not.toBe(b.json().id);
  });
});

describe('POST /orders with an Idempotency-Key', () => {
  let product: { id: string };
  beforeAll(async () => {
    product = (await post(products, '/products', globex, { name: 'Widget', price: 2.5 })).json();
  });

  test('a client retrying three times places one order', async () => {
    const before = await count(ORDERS, 'globex');
    const answers = [];
    for (let i = 0; i < 3; i++) {
      answers.push(await post(orders, '/orders', globex, { lines: [{ productId: product.id, quantity: 4 }] }, 'order-7f3a'));
    }
    expect(answers.map((a) => a.statusCode)).toEqual([201, 201, 201]);
    expect(new Set(answers.map((a) => a.json().id)).size).toBe(1);
    expect(answers[2].json()).toMatchObject({ total: 10, lines: [{ productId: product.id, quantity: 4 }] });
    expect(await count(ORDERS, 'globex')).toBe(before + 1);
  });

  test('a request that fails (400, an unknown product) does not use up its key', async () => {
    const unknown = '5f0c7b52-8f43-4a55-9a0e-9d2b6f0f7a11';
    const failed = await post(orders, '/orders', globex, { lines: [{ productId: unknown, quantity: 1 }] }, 'order-later');
    expect(failed.statusCode).toBe(400);
    await dynamo.client.send(new PutItemCommand({ TableName: PRODUCTS, Item: { tenantId: { S: 'globex' }, id: { S: unknown }, name: { S: 'Late' }, price: { N: '3' } } }));
    const retried = await post(orders, '/orders', globex, { lines: [{ productId: unknown, quantity: 1 }] }, 'order-later');
    expect({ status: retried.statusCode, replayed: retried.headers['idempotent-replayed'], total: retried.json().total })
      .toEqual({ status: 201, replayed: undefined, total: 3 });
  });
});

test.each([
  ['throttled', Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), { name: 'ProvisionedThroughputExceededException', $metadata: { httpStatusCode: 400 } }), '1'],
  ['failing', Object.assign(new Error('Internal server error'), { name: 'InternalServerError', $fault: 'server', $metadata: { httpStatusCode: 500 } }), '5'],
])('the idempotency table %s: 503 with Retry-After, nothing stored, the key still free', async (_what, error, retryAfter) => {
  const before = await count(PRODUCTS, 'acme');
  idempotencyFailure = error;
  try {
    const res = await post(products, '/products', acme, { name: 'Outage', price: 1 }, `key-outage-${retryAfter}`);
    expect({ status: res.statusCode, retryAfter: res.headers['retry-after'] }).toEqual({ status: 503, retryAfter });
  } finally {
    idempotencyFailure = undefined;
  }
  expect(await count(PRODUCTS, 'acme')).toBe(before);
  const retry = await post(products, '/products', acme, { name: 'Outage', price: 1 }, `key-outage-${retryAfter}`);
  expect({ status: retry.statusCode, replayed: retry.headers['idempotent-replayed'] }).toEqual({ status: 201, replayed: undefined });
  expect(await count(PRODUCTS, 'acme')).toBe(before + 1);
});

test('every answer of a keyed write lost (503, the key released): the client\'s retry answers the product stored, and stores nothing new', async () => {
  const before = await count(PRODUCTS, 'acme');
  loseProductAnswers = true;
  let first;
  try {
    first = await post(products, '/products', acme, { name: 'Unknown outcome', price: 8 }, 'key-unknown');
  } finally {
    loseProductAnswers = false;
  }
  expect({ status: first.statusCode, retryAfter: first.headers['retry-after'] }).toEqual({ status: 503, retryAfter: '5' });
  expect(await count(PRODUCTS, 'acme')).toBe(before + 1);
  const retry = await post(products, '/products', acme, { name: 'Unknown outcome', price: 8 }, 'key-unknown');
  expect({ status: retry.statusCode, body: retry.json() }).toMatchObject({ status: 201, body: { name: 'Unknown outcome', price: 8 } });
  expect(retry.json().id).toBe(keyedUuid('acme', 'ann', 'products.create', 'key-unknown'));
  expect(await count(PRODUCTS, 'acme')).toBe(before + 1);
});

test('keyed ids: RFC 9562 version 8 UUIDs, the same for the same request, different for any other tenant, user, operation or key', () => {
  const id = keyedUuid('acme', 'ann', 'products.create', 'k1');
  expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(keyedUuid('acme', 'ann', 'products.create', 'k1')).toBe(id);
  const others = [
    keyedUuid('globex', 'ann', 'products.create', 'k1'),
    keyedUuid('acme', 'bob', 'products.create', 'k1'),
    keyedUuid('acme', 'ann', 'orders.create', 'k1'),
    keyedUuid('acme', 'ann', 'products.create', 'k2'),
    // No ambiguity from concatenation.
    keyedUuid('acme', 'annproducts.create', '', 'k1'),
  ];
  expect(new Set([id, ...others]).size).toBe(6);
});
