import { CognitoIdentityProviderClient, ListUsersInGroupCommand } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { mockClient } from 'aws-sdk-client-mock';
import type { FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { cognitoIdTokenVerifier, idTokenVerifier } from '../../examples/services/common/auth';
import { createOrdersApp } from '../../examples/services/orders/app';
import { createProductsApp } from '../../examples/services/products/app';
import { createUsersApp } from '../../examples/services/users/app';
import { TestUserPool } from '../util/jwt';
import { OutputCapture, RecordingDynamo, testTelemetry } from '../util/services';

/**
 * Authentication of all three services: `/health` is open; every other route (and unknown paths) needs a valid id
 * token of the configured pool and app client; a silo service serves its own tenant only. A refused request never
 * reaches DynamoDB or Cognito.
 */
const ID = '6c1b0a4e-4b7a-4a52-9a51-0d1f8b3c2e11';
const output = new OutputCapture();
const documents = mockClient(DynamoDBDocumentClient);
const cognito = mockClient(CognitoIdentityProviderClient);

let pool: TestUserPool;
let dynamo: RecordingDynamo;

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
interface Service {
  readonly name: string;
  readonly routes: Array<[Method, string, unknown?]>;
  build(siloTenantId?: string): FastifyInstance;
}

const SERVICES: Service[] = [
  {
    name: 'products',
    routes: [
      ['GET', '/products'],
      ['POST', '/products', { name: 'Widget', price: 1 }],
      ['GET', `/products/${ID}`],
      ['PUT', `/products/${ID}`, { name: 'Widget', price: 1 }],
      ['DELETE', `/products/${ID}`],
      ['GET', '/not-a-route'],
    ],
    build: (siloTenantId) => createProductsApp({ ...common('products', siloTenantId), dynamo, tableName: 'products', idempotencyTableName: 'idempotency' }),
  },
  {
    name: 'orders',
    routes: [
      ['GET', '/orders'],
      ['POST', '/orders', { lines: [{ productId: ID, quantity: 1 }] }],
      ['GET', `/orders/${ID}`],
      ['GET', '/not-a-route'],
    ],
    build: (siloTenantId) => createOrdersApp({ ...common('orders', siloTenantId), dynamo, ordersTableName: 'orders', productsTableName: 'products', idempotencyTableName: 'idempotency' }),
  },
  {
    name: 'users',
    routes: [
      ['GET', '/users'],
      ['POST', '/users', { email: 'a@acme.example', role: 'TenantUser' }],
      ['GET', '/users/alice'],
      ['DELETE', '/users/alice'],
      ['GET', '/not-a-route'],
    ],
    build: (siloTenantId) => createUsersApp({
      ...common('users', siloTenantId),
      cognito: new CognitoIdentityProviderClient({ region: 'us-east-1' }),
      userPoolId: pool.userPoolId,
      sharedPool: true,
    }),
  },
];

function common(service: string, siloTenantId?: string) {
  return {
    ...testTelemetry(service),
    verifier: cognitoIdTokenVerifier(pool.userPoolId, pool.appClientIds, pool.jwksCache()),
    siloTenantId,
  };
}

const apps = new Map<string, FastifyInstance>();
const silos = new Map<string, FastifyInstance>();

beforeAll(async () => {
  output.start();
  pool = await TestUserPool.create('us-east-1_TestPool', ['client-a', 'client-b']);
  dynamo = new RecordingDynamo(new DynamoDBClient({ region: 'us-east-1' }));
  for (const s of SERVICES) {
    apps.set(s.name, s.build());
    silos.set(s.name, s.build('acme'));
  }
});

afterAll(async () => {
  for (const app of [...apps.values(), ...silos.values()]) {
    await app.close();
  }
  documents.restore();
  cognito.restore();
  output.stop();
});

beforeEach(() => {
  documents.reset();
  cognito.reset();
  documents.on(QueryCommand).resolves({ Items: [] });
  documents.on(GetCommand).resolves({});
  cognito.on(ListUsersInGroupCommand).resolves({ Users: [] });
  dynamo.tenants.length = 0;
  output.clear();
});

async function send(app: FastifyInstance, [method, url, body]: [Method, string, unknown?], authorization?: string) {
  return app.inject({
    method,
    url,
    headers: {
      ...(authorization !== undefined ? { authorization } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  });
}

const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const acme = { tenantId: 'acme', role: 'TenantAdmin' as const };

/** Authorization headers that must be refused, and the reason logged for each. */
const REFUSED: Array<[string, () => Promise<string | undefined>, RegExp]> = [
  ['no Authorization header', async () => undefined, /no Authorization header/],
  ['a Basic credential', async () => 'Basic dXNlcjpwYXNz', /not a bearer JWT/],
  ['a bearer value that is not a JWT', async () => 'Bearer not-a-token', /not a bearer JWT/],
  ['a token signed by an unknown key', async () => `Bearer ${await pool.idToken(acme, { key: pool.unknownKey })}`, /signature/i],
  ['a token with a key id the pool does not publish', async () => `Bearer ${await pool.idToken(acme, { key: pool.unknownKey, kid: 'rogue' })}`, /kid|JWK/i],
  ['an expired token', async () => `Bearer ${await pool.idToken(acme, { expires: Math.floor(Date.now() / 1000) - 60 })}`, /expired/i],
  ['an access token', async () => `Bearer ${await pool.accessToken(acme)}`, /token use|token_use/i],
  ['a token for another app client', async () => `Bearer ${await pool.idToken(acme, { audience: 'client-other' })}`, /audience|aud/i],
  ['a token of another user pool', async () => `Bearer ${await pool.idToken(acme, { issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other' })}`, /issuer|iss/i],
  ['an unsigned token', async () => {
    const now = Math.floor(Date.now() / 1000);
    return `Bearer ${part({ alg: 'none', kid: 'test-key-1' })}.${part({ ...pool.claims(acme), iss: pool.issuer, aud: 'client-a', exp: now + 600 })}.`;
  }, /alg|signature|JWT/i],
  ['a tampered payload (tenant changed after signing)', async () => {
    const [h, p, s] = (await pool.idToken(acme)).split('.');
    return `Bearer ${[h, part({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), 'custom:tenantId': 'globex' }), s].join('.')}`;
  }, /signature/i],
  ['a token without the tenant claim', async () => {
    const { 'custom:tenantId': _, ...claims } = pool.claims(acme);
    return `Bearer ${await pool.sign(claims)}`;
  }, /custom:tenantId/],
  ['a token with an invalid tenant id', async () => `Bearer ${await pool.idToken({ ...acme, tenantId: 'Acme*' })}`, /not a valid tenant id/],
  ['a token with an unknown role', async () => `Bearer ${await pool.sign({ ...pool.claims(acme), 'custom:userRole': 'Root' })}`, /unknown role/],
];

describe.each(SERVICES)('$name', (service) => {
  test('GET /health answers 200 without a token, and with a bad one', async () => {
    const app = apps.get(service.name)!;
    for (const authorization of [undefined, 'Bearer not-a-token']) {
      const res = await send(app, ['GET', '/health'], authorization);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ok' });
    }
    expect((await send(silos.get(service.name)!, ['GET', '/health'])).statusCode).toBe(200);
  });

  test.each(REFUSED)('%s: every other route is 401, and nothing is read or written', async (_name, header, reason) => {
    const app = apps.get(service.name)!;
    const authorization = await header();
    for (const route of service.routes) {
      const res = await send(app, route, authorization);
      expect({ route, status: res.statusCode }).toEqual({ route, status: 401 });
      expect(res.json()).toEqual({ message: 'Unauthorized' });
    }
    expect(dynamo.tenants).toEqual([]);
    expect(documents.calls()).toHaveLength(0);
    expect(cognito.calls()).toHaveLength(0);
    // The reason is logged for operators, never told to the client.
    const reasons = output.logs.filter((l) => l.message === 'request not authenticated').map((l) => l.reason);
    expect(reasons).toHaveLength(service.routes.length);
    expect(reasons[0]).toMatch(reason);
  });

  test('a valid token of the configured pool and either app client is accepted', async () => {
    const app = apps.get(service.name)!;
    for (const audience of ['client-a', 'client-b']) {
      const res = await send(app, service.routes[0], `Bearer ${await pool.idToken(acme, { audience })}`);
      expect(res.statusCode).toBe(200);
    }
    // No key was fetched from anywhere but the pool's own JWKS URI (served from memory).
    expect(pool.fetched.every((uri) => uri === `${pool.issuer}/.well-known/jwks.json`)).toBe(true);
  });

  test('a silo service refuses a valid token of another tenant with 403, and serves its own tenant', async () => {
    const silo = silos.get(service.name)!;
    const globex = `Bearer ${await pool.idToken({ tenantId: 'globex', role: 'TenantAdmin' })}`;
    for (const route of service.routes) {
      const res = await send(silo, route, globex);
      expect({ route, status: res.statusCode }).toEqual({ route, status: 403 });
      expect(res.json()).toEqual({ message: 'Forbidden' });
    }
    expect(dynamo.tenants).toEqual([]);
    expect(documents.calls()).toHaveLength(0);
    expect(cognito.calls()).toHaveLength(0);
    expect(output.logs.filter((l) => l.message === 'token of another tenant refused by a silo service')[0]).toMatchObject({
      tenantId: 'globex',
      siloTenantId: 'acme',
    });

    const own = await send(silo, service.routes[0], `Bearer ${await pool.idToken(acme)}`);
    expect(own.statusCode).toBe(200);
  });
});

describe('a service can trust an issuer that is not a Cognito pool (TOKEN_ISSUER, JWKS_URI)', () => {
  test('its tokens are verified with the keys at the configured JWKS URI, and only its', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const fetched: string[] = [];
    const jwksCache = new SimpleJwksCache({
      fetcher: {
        fetch: async (uri: string) => {
          fetched.push(uri);
          return new TextEncoder().encode(JSON.stringify({ keys: [jwk] })).buffer as ArrayBuffer;
        },
      },
    });
    const verifier = idTokenVerifier({ issuer: 'https://login.example.com', audiences: ['web'], jwksUri: 'https://keys.example.com/jwks' }, jwksCache);
    const sign = (iss: string) => new SignJWT({ 'custom:tenantId': 'acme' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(iss).setAudience('web').setIssuedAt().setExpirationTime('1h').sign(privateKey);
    expect(await verifier.verify(await sign('https://login.example.com'))).toMatchObject({ 'custom:tenantId': 'acme' });
    await expect(verifier.verify(await sign('https://evil.example.com'))).rejects.toThrow(/issuer/i);
    expect(new Set(fetched)).toEqual(new Set(['https://keys.example.com/jwks']));
  });
});
