import { createHmac, KeyObject } from 'crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { AuthorizerConfig } from '../src/contract/router';
import { createAuthorizer, verifierFor } from '../src/router/lambda/authorizer';
import { DynamicIssuers, jwksUriFor } from '../src/router/lambda/issuers';

/**
 * The router's authorizer against tokens signed with locally generated keys. The JWKS is cached into the verifier,
 * so nothing is fetched: a test that needed the network would fail here.
 */
const ISSUER = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Tenants';
const FOREIGN = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Foreign';
const METHOD_ARN = 'arn:aws:execute-api:us-east-1:111111111111:api123/prod/GET/products/7';
const BASE = 'arn:aws:execute-api:us-east-1:111111111111:api123/prod';

const config: AuthorizerConfig = {
  issuers: [{ issuer: ISSUER, audiences: ['client-1'], tokenUse: 'id' }],
  claims: { tenantId: 'custom:tenantId', tier: 'custom:tenantTier', role: 'custom:userRole' },
  tiers: {
    basic: { routing: 'SHARED' },
    advanced: { routing: 'PER_TENANT' },
    premium: { routing: 'PER_TENANT' },
    standard: { routing: 'PER_TENANT', routingService: true },
  },
  roleRules: [{ pathPrefix: '/users', allowedRoles: ['TenantAdmin'] }],
};

let privateKey: KeyObject;
let foreignKey: KeyObject;
let publicKey: KeyObject;
let jwks: { keys: any[] };
let authorize: ReturnType<typeof createAuthorizer>;

/** An authorizer whose verifier has the test JWKS cached (no network). */
function authorizerWith(lookup: (tier: string, tenantId: string) => Promise<string | undefined>) {
  const verifier = verifierFor(config);
  verifier.cacheJwks(jwks as any, ISSUER);
  return createAuthorizer(config, lookup, verifier);
}

beforeAll(async () => {
  // The authorizer logs each denial's reason; keep test output quiet (one test reads the log itself).
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  const own = await generateKeyPair('RS256', { extractable: true });
  const foreign = await generateKeyPair('RS256', { extractable: true });
  privateKey = own.privateKey as unknown as KeyObject;
  publicKey = own.publicKey as unknown as KeyObject;
  foreignKey = foreign.privateKey as unknown as KeyObject;
  jwks = { keys: [{ ...(await exportJWK(own.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] };
  authorize = authorizerWith(async (tier) => `key-of-${tier}`);
});

const CLAIMS = { 'token_use': 'id', 'custom:tenantId': 'acme', 'custom:tenantTier': 'advanced', 'custom:userRole': 'TenantUser' };

interface TokenOptions {
  readonly key?: KeyObject;
  readonly issuer?: string;
  readonly audience?: string;
  readonly expires?: string | number;
}

async function token(claims: Record<string, unknown> = CLAIMS, o: TokenOptions = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(o.issuer ?? ISSUER)
    .setAudience(o.audience ?? 'client-1')
    .setSubject('user-1')
    .setIssuedAt()
    .setExpirationTime(o.expires ?? '1h')
    .sign(o.key ?? privateKey);
}

const call = (t: string | undefined, headers: Record<string, string> = {}) =>
  authorize({ methodArn: METHOD_ARN, headers: t === undefined ? headers : { ...headers, Authorization: `Bearer ${t}` } });

function expectDenied(result: Awaited<ReturnType<typeof call>>) {
  expect(result.policyDocument.Statement).toEqual([{ Effect: 'Deny', Action: 'execute-api:Invoke', Resource: [`${BASE}/*/*`] }]);
  expect(result.context).toBeUndefined();
  expect(result.usageIdentifierKey).toBeUndefined();
}

describe('a valid token', () => {
  test('is allowed, with the tenant, tier, role and routing key in the context and the tier\'s API key', async () => {
    const result = await call(await token());
    expect(result.policyDocument.Statement[0]).toEqual({ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: [`${BASE}/*/*`] });
    expect(result.context).toEqual({ tenantId: 'acme', tier: 'advanced', role: 'TenantUser', routingKey: 'acme' });
    expect(result.usageIdentifierKey).toBe('key-of-advanced');
    expect(result.principalId).toBe('acme|user-1');
  });

  test('of a pooled tier routes by the tier name', async () => {
    const result = await call(await token({ ...CLAIMS, 'custom:tenantTier': 'basic' }));
    expect(result.context!.routingKey).toBe('basic');
  });

  test('of a tier routed by its routing service routes by `<tier>/<tenant>`', async () => {
    const result = await call(await token({ ...CLAIMS, 'custom:tenantTier': 'standard' }), { 'x-tenant-route': 'standard/globex' });
    expect(result.context).toEqual({ tenantId: 'acme', tier: 'standard', role: 'TenantUser', routingKey: 'standard/acme' });
    expect(result.usageIdentifierKey).toBe('key-of-standard');
  });

  test('ignores a routing header sent by the client: the routing key comes from the verified token only', async () => {
    const result = await call(await token(), { 'x-tenant-route': 'globex' });
    expect(result.context!.routingKey).toBe('acme');
  });

  test('of an ordinary user is denied the paths its role may not use, explicitly, so a cached policy stays right', async () => {
    const result = await call(await token());
    expect(result.policyDocument.Statement[1]).toEqual({
      Effect: 'Deny',
      Action: 'execute-api:Invoke',
      Resource: [`${BASE}/*/users`, `${BASE}/*/users/*`],
    });
    const admin = await call(await token({ ...CLAIMS, 'custom:userRole': 'TenantAdmin' }));
    expect(admin.policyDocument.Statement).toHaveLength(1);
  });
});

describe('denied', () => {
  test('no token', async () => expectDenied(await call(undefined)));
  test('a token from an issuer that is not configured', async () => {
    expectDenied(await call(await token(CLAIMS, { issuer: FOREIGN, key: foreignKey })));
  });
  test('a token signed with the trusted key but naming another issuer: the issuer check itself refuses it', async () => {
    const log = console.log as jest.Mock;
    log.mockClear();
    expectDenied(await call(await token(CLAIMS, { issuer: FOREIGN })));
    expect(log.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(/Issuer not allowed/i);
  });

  test('a token signed by another key under the configured issuer', async () => {
    expectDenied(await call(await token(CLAIMS, { key: foreignKey })));
  });
  test('an expired token', async () => {
    expectDenied(await call(await token(CLAIMS, { expires: Math.floor(Date.now() / 1000) - 60 })));
  });
  test('a wrong audience', async () => expectDenied(await call(await token(CLAIMS, { audience: 'client-2' }))));
  test('a tampered payload (tenant changed after signing)', async () => {
    const [h, p, s] = (await token()).split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    payload['custom:tenantId'] = 'globex';
    expectDenied(await call([h, Buffer.from(JSON.stringify(payload)).toString('base64url'), s].join('.')));
  });
  test('an unsigned token (alg none)', async () => {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    expectDenied(await call(`${part({ alg: 'none', kid: 'k1' })}.${part({ ...CLAIMS, iss: ISSUER, aud: 'client-1', exp: now + 3600 })}.`));
  });
  test('an HMAC token keyed with the public key (algorithm confusion)', async () => {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const body = `${part({ alg: 'HS256', kid: 'k1' })}.${part({ ...CLAIMS, iss: ISSUER, aud: 'client-1', exp: now + 3600 })}`;
    const pem = publicKey.export({ type: 'spki', format: 'pem' });
    expectDenied(await call(`${body}.${createHmac('sha256', pem).update(body).digest('base64url')}`));
  });
  test('an access token where ID tokens are configured', async () => {
    expectDenied(await call(await token({ ...CLAIMS, token_use: 'access' })));
  });
  test('a token without the tenant claim', async () => {
    const { 'custom:tenantId': _, ...rest } = CLAIMS;
    expectDenied(await call(await token(rest)));
  });
  test('a tenant id that is not a valid tenant id', async () => {
    expectDenied(await call(await token({ ...CLAIMS, 'custom:tenantId': 'Acme*' })));
  });
  test('an unknown tier', async () => expectDenied(await call(await token({ ...CLAIMS, 'custom:tenantTier': 'platinum' }))));
  test('a missing role claim', async () => {
    const { 'custom:userRole': _, ...rest } = CLAIMS;
    expectDenied(await call(await token(rest)));
  });
});

describe('faults', () => {
  test('a failing API key lookup is an error (API Gateway answers 500), never an Allow', async () => {
    const failing = authorizerWith(async () => {
      throw new Error('GetApiKey throttled');
    });
    await expect(failing({ methodArn: METHOD_ARN, headers: { Authorization: `Bearer ${await token()}` } })).rejects.toThrow('GetApiKey throttled');
  });

  test('an empty issuer list is refused', () => {
    expect(() => verifierFor({ ...config, issuers: [] })).toThrow('issuers is empty: the authorizer must trust at least one issuer.');
  });

  test('a malformed method ARN is an error', async () => {
    await expect(authorize({ methodArn: 'nonsense', headers: {} })).rejects.toThrow("unexpected methodArn 'nonsense'");
  });
});

describe('an issuer bound to one tenant (a user pool per tenant)', () => {
  const BOUND = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Acme';
  const bound: AuthorizerConfig = { ...config, issuers: [...config.issuers, { issuer: BOUND, audiences: ['acme-client'], tokenUse: 'id', tenantId: 'acme' }] };

  function boundAuthorizer(log: (m: string, d: Record<string, string>) => void = () => undefined) {
    const verifier = verifierFor(bound);
    verifier.cacheJwks(jwks as any, ISSUER);
    verifier.cacheJwks(jwks as any, BOUND);
    return createAuthorizer(bound, async (tier) => `key-of-${tier}`, verifier, log);
  }

  test('signs for its tenant', async () => {
    const t = await token(CLAIMS, { issuer: BOUND, audience: 'acme-client' });
    const result = await boundAuthorizer()({ methodArn: METHOD_ARN, headers: { Authorization: `Bearer ${t}` } });
    expect(result.context).toEqual({ tenantId: 'acme', tier: 'advanced', role: 'TenantUser', routingKey: 'acme' });
  });

  test('cannot sign for another tenant: the token is denied and the reason logged', async () => {
    const reasons: string[] = [];
    const t = await token({ ...CLAIMS, 'custom:tenantId': 'globex' }, { issuer: BOUND, audience: 'acme-client' });
    const result = await boundAuthorizer((_m, d) => reasons.push(d.reason))({ methodArn: METHOD_ARN, headers: { Authorization: `Bearer ${t}` } });
    expectDenied(result);
    expect(reasons).toEqual([`issuer ${BOUND} signs for tenant 'acme' only; the token claims 'globex'`]);
  });

  test('the shared issuer still signs for any tenant', async () => {
    const t = await token({ ...CLAIMS, 'custom:tenantId': 'globex' });
    const result = await boundAuthorizer()({ methodArn: METHOD_ARN, headers: { Authorization: `Bearer ${t}` } });
    expect(result.context?.tenantId).toBe('globex');
  });
});

describe('issuers registered at run time (tenant user pools)', () => {
  const POOL = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Initech';
  const UNREGISTERED = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Nobody';
  let lookups: string[];

  function withRegistry(log: (m: string, d: Record<string, string>) => void = () => undefined) {
    lookups = [];
    const dynamic = new DynamicIssuers(async (issuer) => {
      lookups.push(issuer);
      return issuer === POOL ? { tenantId: 'initech', clientIds: ['initech-client'] } : undefined;
    }, { onVerifier: (v, issuer) => v.cacheJwks(jwks as any, issuer) });
    const verifier = verifierFor(config);
    verifier.cacheJwks(jwks as any, ISSUER);
    return createAuthorizer(config, async (tier) => `key-of-${tier}`, verifier, log, dynamic);
  }
  const premium = { ...CLAIMS, 'custom:tenantId': 'initech', 'custom:tenantTier': 'premium', 'custom:userRole': 'TenantAdmin' };

  test('a token of a registered pool is verified against that pool and allowed for its tenant', async () => {
    const authorize2 = withRegistry();
    const t = await token(premium, { issuer: POOL, audience: 'initech-client' });
    const result = await authorize2({ methodArn: METHOD_ARN, headers: { Authorization: `Bearer ${t}` } });
    expect(result.context).toEqual({ tenantId: 'initech', tier: 'premium', role: 'TenantAdmin', routingKey: 'initech' });
    await authorize2({ methodArn: METHOD_ARN, headers: { Authorization: `Bearer ${t}` } });
    expect(lookups).toEqual([POOL]); // the registration is cached
  });

  test('a registered pool cannot sign for another tenant, nor for another client, nor with another key', async () => {
    const reasons: string[] = [];
    const authorize2 = withRegistry((_m, d) => reasons.push(d.reason));
    const other = await token({ ...premium, 'custom:tenantId': 'acme' }, { issuer: POOL, audience: 'initech-client' });
    expectDenied(await authorize2({ methodArn: METHOD_ARN, headers: { Authorization: `Bearer ${other}` } }));
    const client = await token(premium, { issuer: POOL, audience: 'someone-else' });
    expectDenied(await authorize2({ methodArn: METHOD_ARN, headers: { Authorization: `Bearer ${client}` } }));
    const forged = await token(premium, { issuer: POOL, audience: 'initech-client', key: foreignKey });
    expectDenied(await authorize2({ methodArn: METHOD_ARN, headers: { Authorization: `Bearer ${forged}` } }));
    expect(reasons[0]).toBe(`issuer ${POOL} signs for tenant 'initech' only; the token claims 'acme'`);
    expect(reasons[1]).toMatch(/token rejected: .*Audience not allowed: someone-else/);
    expect(reasons[2]).toMatch(/token rejected: .*signature/i);
  });

  test('an unregistered pool, or an issuer that is not a Cognito pool, is refused without a key fetch', async () => {
    const reasons: string[] = [];
    const authorize2 = withRegistry((_m, d) => reasons.push(d.reason));
    const t = await token(premium, { issuer: UNREGISTERED, audience: 'x' });
    expectDenied(await authorize2({ methodArn: METHOD_ARN, headers: { Authorization: `Bearer ${t}` } }));
    const evil = await token(premium, { issuer: 'https://evil.example.com', audience: 'x' });
    expectDenied(await authorize2({ methodArn: METHOD_ARN, headers: { Authorization: `Bearer ${evil}` } }));
    expect(lookups).toEqual([UNREGISTERED]);
    expect(reasons).toEqual([`issuer ${UNREGISTERED} is neither configured nor registered`, 'issuer https://evil.example.com is neither configured nor registered']);
  });

  test('configured issuers still verify as before, and garbage is denied', async () => {
    const authorize2 = withRegistry();
    const result = await authorize2({ methodArn: METHOD_ARN, headers: { Authorization: `Bearer ${await token()}` } });
    expect(result.context?.tenantId).toBe('acme');
    expectDenied(await authorize2({ methodArn: METHOD_ARN, headers: { Authorization: 'Bearer not.a.jwt' } }));
    expect(lookups).toEqual([]);
  });

  test('a missing registration is retried after its short cache time', async () => {
    let t = 0;
    let registered = false;
    const dynamic = new DynamicIssuers(async () => (registered ? { tenantId: 'initech', clientIds: ['c'] } : undefined), { now: () => t });
    expect(await dynamic.verifierFor(POOL)).toBeUndefined();
    registered = true;
    t = 29_000;
    expect(await dynamic.verifierFor(POOL)).toBeUndefined();
    t = 31_000;
    expect((await dynamic.verifierFor(POOL))?.tenantId).toBe('initech');
  });
});

describe('where signing keys are fetched', () => {
  const pool = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123';
  test('a configured JWKS URI wins; otherwise the issuer\'s well-known URI', () => {
    expect(jwksUriFor(pool, 'https://keys.example.com/jwks', {})).toBe('https://keys.example.com/jwks');
    expect(jwksUriFor(pool, undefined, {})).toBe(`${pool}/.well-known/jwks.json`);
    expect(jwksUriFor('https://login.example.com', undefined, { AWS_ENDPOINT_URL: 'https://127.0.0.1:4566' })).toBe('https://login.example.com/.well-known/jwks.json');
  });

  test('a Cognito pool\'s keys follow the AWS SDK\'s Cognito endpoint, as emulators serve them', () => {
    expect(jwksUriFor(pool, undefined, { AWS_ENDPOINT_URL: 'https://127.0.0.1:4566/' })).toBe('https://127.0.0.1:4566/eu-west-1_AbC123/.well-known/jwks.json');
    expect(jwksUriFor(pool, undefined, { AWS_ENDPOINT_URL: 'https://a:1', AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: 'https://b:2' }))
      .toBe('https://b:2/eu-west-1_AbC123/.well-known/jwks.json');
  });

  test('every configured issuer\'s verifier has a JWKS URI (a missing one must not replace the default with nothing)', () => {
    const verifier = verifierFor({ ...config, issuers: [{ issuer: pool, audiences: ['c'], tokenUse: 'id' }] }) as any;
    const uris = JSON.stringify(verifier, (_k, v) => (v instanceof Map ? Object.fromEntries(v) : v === undefined ? 'UNDEFINED' : v));
    expect(uris).toContain(`"jwksUri":"${pool}/.well-known/jwks.json"`);
    expect(uris).not.toContain('"jwksUri":"UNDEFINED"');
  });
});

describe('a suspended tenant', () => {
  test('is denied with a valid token, without a key lookup; another tenant is not; reactivated, it is allowed again', async () => {
    const suspended = new Set(['acme']);
    const keys: string[] = [];
    const verifier = verifierFor(config);
    verifier.cacheJwks(jwks as any, ISSUER);
    const withSuspensions = createAuthorizer(config, async (tier, tenantId) => {
      keys.push(tenantId);
      return `key-of-${tier}`;
    }, verifier, () => undefined, undefined, undefined, async (tenantId) => suspended.has(tenantId));
    const ask = async (claims: Record<string, unknown>) => withSuspensions({ methodArn: METHOD_ARN, headers: { Authorization: `Bearer ${await token(claims)}` } });
    expectDenied(await ask(CLAIMS));
    expect(keys).toEqual([]);
    expect((await ask({ ...CLAIMS, 'custom:tenantId': 'globex' })).policyDocument.Statement[0].Effect).toBe('Allow');
    suspended.delete('acme');
    expect((await ask(CLAIMS)).policyDocument.Statement[0].Effect).toBe('Allow');
  });
});
