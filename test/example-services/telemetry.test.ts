import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { FastifyInstance } from 'fastify';
import { cognitoIdTokenVerifier } from '../../examples/services/common/auth';
import { createProductsApp } from '../../examples/services/products/app';
import { TestUserPool } from '../util/jwt';
import { OutputCapture, RecordingDynamo, testTelemetry } from '../util/services';

/**
 * What a service writes to stdout for CloudWatch: one structured log line per request with the tenant, and one
 * EMF line per request with the tenantId dimension.
 */
const ID = '6c1b0a4e-4b7a-4a52-9a51-0d1f8b3c2e11';
const output = new OutputCapture();
const documents = mockClient(DynamoDBDocumentClient);

let pool: TestUserPool;
let app: FastifyInstance;
let acme: string;
let globex: string;

beforeAll(async () => {
  output.start();
  pool = await TestUserPool.create();
  acme = await pool.idToken({ tenantId: 'acme', tier: 'premium' });
  globex = await pool.idToken({ tenantId: 'globex', tier: 'basic' });
  app = createProductsApp({
    ...testTelemetry('products'),
    verifier: cognitoIdTokenVerifier(pool.userPoolId, pool.appClientIds, pool.jwksCache()),
    dynamo: new RecordingDynamo(new DynamoDBClient({ region: 'us-east-1' })),
    tableName: 'products',
    idempotencyTableName: 'idempotency',
    tierName: 'premium',
  });
});

afterAll(async () => {
  await app.close();
  documents.restore();
  output.stop();
});

beforeEach(() => {
  documents.reset();
  documents.on(GetCommand).resolves({ Item: { tenantId: 'acme', id: ID, name: 'Widget', price: 1 } });
  output.clear();
});

const get = (url: string, token?: string) => app.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });

test('a request is logged once with the service, tenant, tier, route, status and latency', async () => {
  const res = await get(`/products/${ID}`, acme);
  expect(res.statusCode).toBe(200);
  const requests = output.logs.filter((l) => l.message === 'request');
  expect(requests).toHaveLength(1);
  expect(requests[0]).toMatchObject({
    level: 'INFO',
    service: 'products',
    tenantId: 'acme',
    tier: 'premium',
    role: 'TenantUser',
    method: 'GET',
    route: '/products/:id',
    statusCode: 200,
    requestId: res.headers['x-request-id'],
  });
  expect(requests[0].latencyMs).toEqual(expect.any(Number));
  // The path (which may carry ids or emails) is logged as its route template only.
  expect(JSON.stringify(requests[0])).not.toContain(ID);
});

test('a request publishes one EMF line: Requests and Latency, dimensions service and tenantId', async () => {
  await get(`/products/${ID}`, acme);
  const emf = output.metrics;
  expect(emf).toHaveLength(1);
  expect(emf[0]._aws.CloudWatchMetrics).toEqual([{
    Namespace: 'EcsSaasTest',
    Dimensions: [['service', 'tenantId']],
    Metrics: [{ Name: 'Requests', Unit: 'Count' }, { Name: 'Latency', Unit: 'Milliseconds' }],
  }]);
  expect(emf[0]).toMatchObject({ service: 'products', tenantId: 'acme', Requests: 1, statusCode: '200', route: '/products/:id', method: 'GET' });
  expect(emf[0].Latency).toBeGreaterThanOrEqual(0);
});

test('requests of several tenants served at once each count for their own tenant', async () => {
  await Promise.all([...Array(5)].map((_, i) => get(`/products/${ID}`, i % 2 === 0 ? acme : globex)));
  const tenants = output.metrics.map((m) => m.tenantId).sort();
  expect(tenants).toEqual(['acme', 'acme', 'acme', 'globex', 'globex']);
  const logged = output.logs.filter((l) => l.message === 'request').map((l) => `${l.tenantId}/${l.tier}`).sort();
  expect(logged).toEqual(['acme/premium', 'acme/premium', 'acme/premium', 'globex/basic', 'globex/basic']);
});

test('a refused request counts as unauthenticated and is logged with the deployment tier and the reason', async () => {
  const res = await get('/products');
  expect(res.statusCode).toBe(401);
  expect(output.metrics.map((m) => m.tenantId)).toEqual(['unauthenticated']);
  const request = output.logs.find((l) => l.message === 'request')!;
  expect(request).toMatchObject({ statusCode: 401, tier: 'premium', service: 'products' });
  expect(request).not.toHaveProperty('tenantId');
  expect(output.logs.find((l) => l.message === 'request not authenticated')).toMatchObject({ reason: 'no Authorization header' });
});

test('health checks publish no metric and log nothing at the default level', async () => {
  expect((await get('/health')).statusCode).toBe(200);
  expect(output.metrics).toEqual([]);
  expect(output.logs).toEqual([]);
});
