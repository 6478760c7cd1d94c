/**
 * The tenant router's authorizer as deployed: the Lambda asset and environment of the example's application plane,
 * resolved against the local environment, run by the real runtime interface client, its keys fetched from the user
 * pools' JWKS and its AWS calls held to its role's policy. Tokens are real: signed by the emulator's user pools.
 */
import * as fs from 'fs';
import { GetApiKeyCommand } from '@aws-sdk/client-api-gateway';
import { CreateUserPoolClientCommand, CreateUserPoolCommand } from '@aws-sdk/client-cognito-identity-provider';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { generateKeyPair, SignJWT } from 'jose';
import { APPLICATION_PLANE, logicalId, synthesizeExample, SynthesizedExample } from './example';
import { bundleCalls } from '../../local/bundle-calls';
import { LocalEnvironment } from '../../local/environment';
import { isAllowed } from '../../local/iam';
import { createUser, EMULATOR_KEY_ID, emulatorSigningKey, signIn } from '../../local/identity';
import { LocalLambda } from '../../local/lambda';
import { LOCAL_ACCOUNT } from '../../local/moto';

let synthesized: SynthesizedExample;
let env: LocalEnvironment;
let authorizer: LocalLambda;

const METHOD_ARN = 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/products';

/** API Gateway's REQUEST authorizer event for a GET /products with this bearer token. */
function requestEvent(token: string) {
  return {
    type: 'REQUEST',
    methodArn: METHOD_ARN,
    resource: '/products',
    path: '/products',
    httpMethod: 'GET',
    headers: { Authorization: `Bearer ${token}`, Host: 'abcdef1234.execute-api.us-east-1.amazonaws.com' },
    multiValueHeaders: { Authorization: [`Bearer ${token}`] },
    queryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: { resourcePath: '/products', httpMethod: 'GET', stage: 'prod', apiId: 'abcdef1234', accountId: '123456789012' },
  };
}

/** A user of a pool of the application plane (by its construct), signed in; returns the ID token. */
async function tokenOf(pool: { node: any; appClient: any }, username: string, attributes: Record<string, string>): Promise<string> {
  const stack = env.stack(APPLICATION_PLANE);
  const poolId = (await stack.resource(logicalId(pool as any))).ref;
  const clientId = (await stack.resource(logicalId(pool.appClient))).ref;
  await createUser(env.admin.cognito, poolId, { username, attributes: { email: username, ...attributes } });
  return (await signIn(env.admin.cognito, poolId, clientId, username)).idToken;
}

beforeAll(async () => {
  synthesized = synthesizeExample();
  env = await LocalEnvironment.start(synthesized.outdir);
  authorizer = await env.lambda(APPLICATION_PLANE, `${APPLICATION_PLANE}/Router/Authorizer`);
}, 240_000);

afterAll(async () => {
  await env?.stop();
});

test('runs the template\'s handler on the Lambda runtime named by the template', () => {
  expect(authorizer.options.handler).toBe('index.handler');
  expect(authorizer.options.runtime).toMatch(/^nodejs\d+\.x$/);
  expect(authorizer.options.environment.AUTHORIZER_CONFIG).toContain('"issuers"');
});

test('a valid ID token of the shared pool is allowed, with the tier\'s routing key and usage-plan key', async () => {
  const token = await tokenOf(synthesized.example.applicationPlane.userPool, 'admin@basic-1.example.com', {
    'custom:tenantId': 'basic-1',
    'custom:tenantTier': 'basic',
    'custom:userRole': 'TenantAdmin',
  });
  const result = await authorizer.invoke(requestEvent(token));
  expect(result.error).toBeUndefined();
  const answer = result.payload as any;
  expect(answer.policyDocument.Statement).toEqual([
    { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: ['arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/*/*'] },
  ]);
  expect(answer.context).toEqual({ tenantId: 'basic-1', tier: 'basic', role: 'TenantAdmin', routingKey: 'basic' });
  // The usage-plan key is the basic tier's key, read from API Gateway with the authorizer's own role.
  const basicKey = (await env.stack(APPLICATION_PLANE).resource(logicalId(synthesized.example.applicationPlane.router.node.findChild('BasicApiKey')))).ref;
  const value = (await env.admin.apigateway.send(new GetApiKeyCommand({ apiKey: basicKey, includeValue: true }))).value;
  expect(answer.usageIdentifierKey).toBe(value);
});

test.each(['acme', 'globex', 'initech'])('a valid ID token of declared tenant %s\'s own pool is allowed for that tenant', async (tenantId) => {
  const tier = tenantId === 'initech' ? 'premium' : 'advanced';
  const token = await tokenOf(synthesized.example.applicationPlane.tenantPools[tenantId], `user@${tenantId}.example.com`, {
    'custom:tenantId': tenantId,
    'custom:tenantTier': tier,
    'custom:userRole': 'TenantUser',
  });
  const result = await authorizer.invoke(requestEvent(token));
  expect((result.payload as any).policyDocument.Statement[0].Effect).toBe('Allow');
  expect((result.payload as any).context).toEqual({ tenantId, tier, role: 'TenantUser', routingKey: tenantId });
});

test('a tenant pool\'s token that claims another tenant is denied', async () => {
  const token = await tokenOf(synthesized.example.applicationPlane.tenantPools.acme, 'mallory@acme.example.com', {
    'custom:tenantId': 'globex',
    'custom:tenantTier': 'advanced',
    'custom:userRole': 'TenantAdmin',
  });
  const result = await authorizer.invoke(requestEvent(token));
  expect((result.payload as any).policyDocument.Statement).toEqual([
    { Effect: 'Deny', Action: 'execute-api:Invoke', Resource: ['arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/*/*'] },
  ]);
  expect(authorizer.logs.join('\n')).toContain("signs for tenant 'acme' only; the token claims 'globex'");
});

test('a pool registered at run time in the issuer registry is trusted for its tenant', async () => {
  const pool = (await env.admin.cognito.send(new CreateUserPoolCommand({
    PoolName: 'provisioned-tenant',
    Schema: ['tenantId', 'tenantTier', 'userRole'].map((Name) => ({ Name, AttributeDataType: 'String', Mutable: false })),
  }))).UserPool!;
  const client = (await env.admin.cognito.send(new CreateUserPoolClientCommand({ UserPoolId: pool.Id, ClientName: 'app' }))).UserPoolClient!;
  const registry = (await env.stack(APPLICATION_PLANE).resource(logicalId(synthesized.example.applicationPlane.router.issuerRegistry!))).ref;
  await env.admin.dynamodb.send(new PutItemCommand({
    TableName: registry,
    Item: {
      issuer: { S: `https://cognito-idp.us-east-1.amazonaws.com/${pool.Id}` },
      tenantId: { S: 'hooli' },
      tier: { S: 'advanced' },
      clientIds: { SS: [client.ClientId!] },
    },
  }));
  await createUser(env.admin.cognito, pool.Id!, {
    username: 'user@hooli.example.com',
    attributes: { 'custom:tenantId': 'hooli', 'custom:tenantTier': 'advanced', 'custom:userRole': 'TenantUser' },
  });
  const token = (await signIn(env.admin.cognito, pool.Id!, client.ClientId!, 'user@hooli.example.com')).idToken;
  const result = await authorizer.invoke(requestEvent(token));
  expect((result.payload as any).context).toEqual({ tenantId: 'hooli', tier: 'advanced', role: 'TenantUser', routingKey: 'hooli' });
});

test('a request without a token is denied without any AWS call', async () => {
  const before = env.gate.calls.length;
  const result = await authorizer.invoke({ ...requestEvent('x'), headers: {} });
  expect((result.payload as any).policyDocument.Statement[0].Effect).toBe('Deny');
  expect(env.gate.calls.length).toBe(before);
});

test('every AWS call the authorizer made was allowed by its role\'s policy in the template', () => {
  const calls = env.gate.calls;
  const actions = new Set(calls.flatMap((c) => c.checks.map((k) => k.action)));
  expect([...actions].sort()).toEqual(['apigateway:GET', 'dynamodb:GetItem']);
  expect(calls.filter((c) => c.outcome !== 'ALLOWED')).toEqual([]);
});

test('the authorizer\'s policy in the template grants exactly the calls its bundle can make, on what its configuration names', async () => {
  const stack = env.stack(APPLICATION_PLANE);
  const artifact = env.assembly.lambdaFunction(stack.template, `${APPLICATION_PLANE}/Router/Authorizer`);
  const calls = bundleCalls(fs.readFileSync(`${artifact.codeDir}/index.js`, 'utf8'));
  expect(calls.map((c) => `${c.operation} (${c.action})`)).toEqual(['GetApiKey (apigateway:GET)', 'GetApiKeys (apigateway:GET)', 'GetItem (dynamodb:GetItem)']);
  const principal = await stack.principal(artifact.roleLogicalId);
  const environment = await stack.resolve(artifact.environment);
  const keyArn = (id: string) => `arn:aws:apigateway:us-east-1::/apikeys/${id}`;
  const allowed = (action: string, resource: string) => isAllowed({
    principal: principal.arn, action, resource, accountId: LOCAL_ACCOUNT, identityPolicies: principal.identityPolicies,
  });
  for (const id of Object.values<string>(JSON.parse(environment.TIER_API_KEYS))) {
    expect(await allowed('apigateway:GET', keyArn(id))).toBe(true);
  }
  expect(await allowed('apigateway:GET', keyArn('someone-elses-key'))).toBe(false);
  expect(await allowed('dynamodb:GetItem', `arn:aws:dynamodb:us-east-1:${LOCAL_ACCOUNT}:table/${environment.ISSUER_REGISTRY_TABLE}`)).toBe(true);
  const granted = new Set<string>(principal.identityPolicies.flatMap((d: any) => d.Statement).flatMap((st: any) => [st.Action].flat()));
  expect([...granted].filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:')).sort()).toEqual(['apigateway:GET', 'dynamodb:GetItem']);
});

describe('forged and broken tokens are denied as deployed', () => {
  const BASIC_USER = { 'custom:tenantId': 'basic-2', 'custom:tenantTier': 'basic', 'custom:userRole': 'TenantUser' };
  let pool: string;
  let client: string;
  let issuer: string;
  let valid: string;
  let trustedKey: ReturnType<typeof emulatorSigningKey>;
  let foreignKey: Awaited<ReturnType<typeof generateKeyPair>>;

  /** A token signed as the pool signs (the emulator's key), with these claims. */
  interface SignOptions { key?: any; issuer?: string; audience?: string; expires?: string | number; kid?: string }
  const signed = (claims: Record<string, unknown>, o: SignOptions = {}) =>
    new SignJWT({ token_use: 'id', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: o.kid ?? EMULATOR_KEY_ID })
      .setIssuer(o.issuer ?? issuer)
      .setAudience(o.audience ?? client)
      .setSubject('sub-forged')
      .setIssuedAt()
      .setExpirationTime(o.expires ?? '1h')
      .sign(o.key ?? trustedKey);

  const decision = async (token: string | undefined) => {
    const event = token === undefined ? { ...requestEvent('x'), headers: {} } : requestEvent(token);
    const result = await authorizer.invoke(event);
    expect(result.error).toBeUndefined();
    return (result.payload as any).policyDocument.Statement[0].Effect as string;
  };

  beforeAll(async () => {
    const stack = env.stack(APPLICATION_PLANE);
    pool = (await stack.resource(logicalId(synthesized.example.applicationPlane.userPool))).ref;
    client = (await stack.resource(logicalId(synthesized.example.applicationPlane.userPool.appClient))).ref;
    issuer = `https://cognito-idp.us-east-1.amazonaws.com/${pool}`;
    await createUser(env.admin.cognito, pool, { username: 'user@basic-2.example.com', attributes: { email: 'user@basic-2.example.com', ...BASIC_USER } });
    valid = (await signIn(env.admin.cognito, pool, client, 'user@basic-2.example.com')).idToken;
    trustedKey = emulatorSigningKey();
    foreignKey = await generateKeyPair('RS256');
  });

  test('a valid token of the pool, and one signed as the pool signs, are allowed (the baseline)', async () => {
    expect(await decision(valid)).toBe('Allow');
    expect(await decision(await signed(BASIC_USER))).toBe('Allow');
  });

  test.each<[string, () => Promise<string | undefined>]>([
    ['no token', async () => undefined],
    ['a token of an issuer that is not configured', async () => signed(BASIC_USER, { issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_NotOurs' })],
    ['a token of a non-Cognito issuer', async () => signed(BASIC_USER, { issuer: 'https://login.example.com' })],
    ['a token signed by another key under the configured issuer', async () => signed(BASIC_USER, { key: foreignKey.privateKey })],
    ['an expired token', async () => signed(BASIC_USER, { expires: Math.floor(Date.now() / 1000) - 60 })],
    ['a token for another app client', async () => signed(BASIC_USER, { audience: 'another-client' })],
    ['a tampered payload (tenant changed after signing)', async () => {
      const [h, p, sig] = valid.split('.');
      const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
      payload['custom:tenantId'] = 'basic-1';
      return `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${sig}`;
    }],
    ['an unsigned token (alg none)', async () => {
      const [, p] = valid.split('.');
      return `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`;
    }],
    ['an HMAC token keyed with the pool\'s public key (algorithm confusion)', async () => {
      const jwks = await (await fetch(`${env.admin.endpoint}/${pool}/.well-known/jwks.json`)).text();
      const secret = new TextEncoder().encode(jwks);
      return new SignJWT({ token_use: 'id', ...BASIC_USER }).setProtectedHeader({ alg: 'HS256', kid: EMULATOR_KEY_ID }).setIssuer(issuer).setAudience(client)
        .setIssuedAt().setExpirationTime('1h').sign(secret);
    }],
    ['an access token where ID tokens are configured', async () => (await signIn(env.admin.cognito, pool, client, 'user@basic-2.example.com')).accessToken],
    ['a token without the tenant claim', async () => signed({ 'custom:tenantTier': 'basic', 'custom:userRole': 'TenantUser' })],
    ['a tenant id that is not a valid tenant id', async () => signed({ ...BASIC_USER, 'custom:tenantId': 'Not_A_Tenant' })],
    ['an unknown tier', async () => signed({ ...BASIC_USER, 'custom:tenantTier': 'platinum' })],
    ['a token without the role claim', async () => signed({ 'custom:tenantId': 'basic-2', 'custom:tenantTier': 'basic' })],
    ['a token of a declared tenant\'s pool, signed as that pool, claiming another tenant', async () => {
      const acmePool = (await env.stack(APPLICATION_PLANE).resource(logicalId(synthesized.example.applicationPlane.tenantPools.acme))).ref;
      const acme = synthesized.example.applicationPlane.tenantPools.acme;
      const acmeClient = (await env.stack(APPLICATION_PLANE).resource(logicalId(acme.appClient))).ref;
      return signed({ 'custom:tenantId': 'globex', 'custom:tenantTier': 'advanced', 'custom:userRole': 'TenantAdmin' },
        { issuer: `https://cognito-idp.us-east-1.amazonaws.com/${acmePool}`, audience: acmeClient });
    }],
    ['a token of a Cognito pool that exists but is not registered', async () => {
      const other = (await env.admin.cognito.send(new CreateUserPoolCommand({ PoolName: 'unregistered' }))).UserPool!.Id!;
      return signed(BASIC_USER, { issuer: `https://cognito-idp.us-east-1.amazonaws.com/${other}` });
    }],
    ['a bearer that is not a JWT', async () => 'not.a.jwt'],
  ])('%s', async (_name, make) => {
    expect(await decision(await make())).toBe('Deny');
  });

  test('every denial was decided without a call the role may not make', () => {
    expect(env.gate.calls.filter((c) => c.outcome !== 'ALLOWED')).toEqual([]);
  });
});
