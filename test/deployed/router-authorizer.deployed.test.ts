/**
 * The tenant router's authorizer as deployed: the Lambda asset and environment of the example's application plane,
 * resolved against the local environment, run by the real runtime interface client, its keys fetched from the user
 * pools' JWKS and its AWS calls held to its role's policy. Tokens are real: signed by the emulator's user pools.
 */
import { GetApiKeyCommand } from '@aws-sdk/client-api-gateway';
import { CreateUserPoolClientCommand, CreateUserPoolCommand } from '@aws-sdk/client-cognito-identity-provider';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { APPLICATION_PLANE, logicalId, synthesizeExample, SynthesizedExample } from './example';
import { LocalEnvironment } from '../../local/environment';
import { createUser, signIn } from '../../local/identity';
import { LocalLambda } from '../../local/lambda';

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
