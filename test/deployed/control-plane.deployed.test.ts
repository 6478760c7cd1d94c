/**
 * The example's control plane (sbt-aws 0.5.25) as deployed: its API Gateway HTTP API stood in for from the template
 * (routes, JWT and IAM authorization, Lambda proxy integrations), sbt-aws's own Python functions run by the real Python
 * runtime interface client with their layers, every AWS call held to their roles' policies. An administrator of the
 * control plane's pool registers a tenant over HTTP only; the registration function calls the tenant management
 * routes at the API's AWS URL with SigV4, as deployed; the onboarding and offboarding requests reach the bus as the
 * application plane's lifecycle reads them.
 */
import { createHash, createHmac } from 'crypto';
import * as net from 'net';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SignJWT } from 'jose';
import { CONTROL_PLANE, synthesizeExample, SynthesizedExample } from './example';
import { EventInbox, LocalEnvironment } from '../../local/environment';
import { ExecuteApiProxy, LocalHttpApi } from '../../local/http-api';
import { createUser, EMULATOR_KEY_ID, emulatorSigningKey, signIn } from '../../local/identity';
import { SbtContract } from '../../src';
import { parseOffboarding, parseOnboarding } from '../../src/lifecycle/lambda/requests';

const contract = SbtContract.V0_5;
const ADMIN = 'platform-admin@example.com';
let synthesized: SynthesizedExample;
let env: LocalEnvironment;
let api: LocalHttpApi;
let token: string;
let pool: string;
let inbox: EventInbox;
/** The principals (assumed-role ARNs) of the registration and tenant management functions' roles. */
let registrationRole: string;
let managementRole: string;

/** The logical id of the control plane's resource at a construct path. */
function idOf(constructPath: string): string {
  const found = Object.entries<any>(env.stack(CONTROL_PLANE).template.Resources)
    .find(([, r]) => r.Metadata?.['aws:cdk:path'] === `${CONTROL_PLANE}/${constructPath}`);
  if (!found) {
    throw new Error(`no resource at ${constructPath}`);
  }
  return found[0];
}

async function ref(constructPath: string): Promise<string> {
  return (await env.stack(CONTROL_PLANE).resource(idOf(constructPath))).ref;
}

async function call(method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const res = await fetch(new URL(path, api.url), {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Events on the bus, waited for (the function puts them before it answers, so they are there or on their way). */
async function events(count: number): Promise<any[]> {
  const out: any[] = [];
  const deadline = Date.now() + 10_000;
  while (out.length < count && Date.now() < deadline) {
    out.push(...await inbox.take());
    if (out.length < count) {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return out;
}

/** A SigV4 signature as a caller with a role's credentials computes it (execute-api, us-east-1). */
function sigV4(method: string, url: URL, body: string, accessKeyId: string, secret: string, sessionToken: string): Record<string, string> {
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const date = amzDate.slice(0, 8);
  const hash = (s: string) => createHash('sha256').update(s).digest('hex');
  const hmac = (k: string | Buffer, s: string) => createHmac('sha256', k).update(s).digest();
  const signed = 'host;x-amz-date;x-amz-security-token';
  const canonical = [method, url.pathname, '', `host:${url.host}\nx-amz-date:${amzDate}\nx-amz-security-token:${sessionToken}\n`, signed, hash(body)].join('\n');
  const scope = `${date}/us-east-1/execute-api/aws4_request`;
  let key = hmac(`AWS4${secret}`, date);
  for (const part of ['us-east-1', 'execute-api', 'aws4_request']) {
    key = hmac(key, part);
  }
  const signature = createHmac('sha256', key).update(['AWS4-HMAC-SHA256', amzDate, scope, hash(canonical)].join('\n')).digest('hex');
  return {
    'authorization': `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${scope}, SignedHeaders=${signed}, Signature=${signature}`,
    'x-amz-date': amzDate,
    'x-amz-security-token': sessionToken,
  };
}

beforeAll(async () => {
  synthesized = synthesizeExample();
  env = await LocalEnvironment.start(synthesized.outdir);
  api = await env.httpApi(CONTROL_PLANE);
  pool = await ref('CognitoAuth/UserPool/Resource');
  const client = await ref('CognitoAuth/UserPoolUserClient/Resource');
  await createUser(env.admin.cognito, pool, { username: ADMIN, attributes: { 'email': ADMIN, 'email_verified': 'true', 'custom:userRole': 'SystemAdmin' } });
  token = (await signIn(env.admin.cognito, pool, client, ADMIN)).accessToken;
  registrationRole = (await env.stack(CONTROL_PLANE).principal(idOf('ControlPlane/tenantRegistrationService/tenantRegistrationLambda/TenantRegistrationFunc/ServiceRole/Resource'))).arn;
  managementRole = (await env.stack(CONTROL_PLANE).principal(idOf('ControlPlane/tenantManagementService/tenantManagementLambda/tenantManagementExecRole/Resource'))).arn;
  inbox = await env.subscribe(await ref('EventManager/SbtEventBus/Resource'), { source: [contract.controlPlaneSource] });
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

describe('authentication, as API Gateway decides it', () => {
  test('no token, a token of another pool signed as Cognito signs, and an expired one: 401, and no function runs', async () => {
    const signed = (issuer: string, exp: number) => new SignJWT({ token_use: 'access', client_id: 'x', scope: 'aws.cognito.signin.user.admin' })
      .setProtectedHeader({ alg: 'RS256', kid: EMULATOR_KEY_ID }).setIssuer(issuer).setSubject('intruder').setIssuedAt().setExpirationTime(exp)
      .sign(emulatorSigningKey());
    const otherPool = await signed('https://cognito-idp.us-east-1.amazonaws.com/us-east-1_NotOurPool', Math.floor(Date.now() / 1000) + 600);
    const expired = await signed(`https://cognito-idp.us-east-1.amazonaws.com/${pool}`, Math.floor(Date.now() / 1000) - 60);
    const before = env.gate.calls.length;
    for (const t of [undefined, otherPool, expired, 'not.a.jwt']) {
      expect(await call('GET', '/tenant-registrations', { token: t })).toEqual({ status: 401, body: { message: 'Unauthorized' } });
    }
    expect(api.requests.slice(-4).map((r) => r.reason)).toEqual([
      'no identity in the identity source',
      expect.stringMatching(/iss/),
      expect.stringMatching(/exp/),
      expect.stringMatching(/invalid|JWS|JWT/i),
    ]);
    expect(env.gate.calls.length).toBe(before);
  });

  test('a route the API does not have: 404', async () => {
    expect(await call('GET', '/nothing-here', { token })).toEqual({ status: 404, body: { message: 'Not Found' } });
    expect(await call('PATCH', '/tenants', { token })).toEqual({ status: 404, body: { message: 'Not Found' } });
  });
});

describe('a tenant registered, read and deleted over HTTP', () => {
  let registrationId: string;
  let tenantId: string;

  test('POST /tenant-registrations: 201, the tenant created through the IAM-authorized tenant API, the onboarding request on the bus', async () => {
    const res = await call('POST', '/tenant-registrations', {
      token,
      body: {
        tenantData: { tenantName: 'globex', email: 'admin@globex.example.com', tier: 'basic', prices: [] },
        tenantRegistrationData: { registrationStatus: 'In progress' },
      },
    });
    expect(res).toEqual({
      status: 201,
      body: { data: { tenantRegistrationId: expect.any(String), tenantId: expect.any(String), message: 'Tenant registration initiated' } },
    });
    ({ tenantRegistrationId: registrationId, tenantId } = res.body.data);
    // The registration function reached POST /tenants by the API's AWS URL, signed as its role.
    const fn = await env.lambdaByArn(String((await env.stack(CONTROL_PLANE).resource(idOf('ControlPlane/tenantRegistrationService/tenantRegistrationLambda/TenantRegistrationFunc/Resource'))).attributes.Arn));
    expect(api.requests.filter((r) => r.routeKey === 'POST /tenants')).toEqual([
      expect.objectContaining({ status: 201, caller: registrationRole, host: `${api.apiId}.execute-api.us-east-1.amazonaws.com` }),
    ]);
    expect(api.awsUrl).toBe(`https://${api.apiId}.execute-api.us-east-1.amazonaws.com/`);
    expect(fn.python).toBe(true);
    expect(ExecuteApiProxy.refused).toEqual([]);

    const [event, ...others] = await events(1);
    expect(others).toEqual([]);
    expect(event).toMatchObject({ 'source': contract.controlPlaneSource, 'detail-type': contract.onboardingRequest });
    expect(event.detail).toMatchObject({ tenantId, tenantRegistrationId: registrationId, tenantName: 'globex', email: 'admin@globex.example.com', tier: 'basic' });
    // The application plane's lifecycle accepts it as it is.
    expect(parseOnboarding(event.detail, ['basic', 'advanced', 'premium'])).toEqual({
      tenantId, tenantRegistrationId: registrationId, tier: 'basic', email: 'admin@globex.example.com', tenantName: 'globex',
    });

    // sbt-aws's tenant management function stored the tenant.
    const table = await ref('ControlPlane/tenantManagementService/tenantManagementTable/TenantDetails/Resource');
    const item = (await env.admin.dynamodb.send(new GetItemCommand({ TableName: table, Key: { tenantId: { S: tenantId } } }))).Item;
    expect(item).toMatchObject({
      tenantId: { S: tenantId }, tenantName: { S: 'globex' }, tier: { S: 'basic' }, tenantRegistrationId: { S: registrationId }, sbtaws_active: { BOOL: true },
    });
  });

  test('GET one and the list, as the function returns them', async () => {
    expect(await call('GET', `/tenant-registrations/${registrationId}`, { token })).toEqual({
      status: 200,
      body: { data: { tenantRegistrationId: registrationId, tenantId, registrationStatus: 'In progress', sbtaws_active: true } },
    });
    const list = await call('GET', '/tenant-registrations?limit=5', { token });
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual([{ tenantRegistrationId: registrationId, tenantId, registrationStatus: 'In progress', sbtaws_active: true }]);
    // Powertools validates the query against the handler's signature (limit > 0): 422, as deployed.
    expect((await call('GET', '/tenant-registrations?limit=0', { token })).status).toBe(422);
    expect(await call('GET', '/tenant-registrations/no-such-registration', { token })).toMatchObject({ status: 404 });
  });

  test('DELETE: the tenant deactivated through the tenant API, the offboarding request on the bus', async () => {
    expect(await call('DELETE', `/tenant-registrations/${registrationId}`, { token })).toEqual({
      status: 200, body: { data: { message: 'Tenant registration deletion initiated' } },
    });
    const [event, ...others] = await events(1);
    expect(others).toEqual([]);
    expect(event).toMatchObject({ 'source': contract.controlPlaneSource, 'detail-type': contract.offboardingRequest });
    expect(parseOffboarding(event.detail, ['basic', 'advanced', 'premium'])).toEqual({ tenantId, tenantRegistrationId: registrationId, tier: 'basic' });
    const table = await ref('ControlPlane/tenantManagementService/tenantManagementTable/TenantDetails/Resource');
    const item = (await env.admin.dynamodb.send(new GetItemCommand({ TableName: table, Key: { tenantId: { S: tenantId } } }))).Item;
    expect(item?.sbtaws_active).toEqual({ BOOL: false });
    expect((await call('GET', `/tenant-registrations/${registrationId}`, { token })).body.data.sbtaws_active).toBe(false);
  });
});

describe('the IAM-authorized tenant management routes', () => {
  test('refuse an unsigned request, a bad signature and a role that may not invoke them (403); a token does not do', async () => {
    const body = JSON.stringify({ tenantName: 'intruder' });
    const url = new URL('/tenants', api.url);
    expect(await call('POST', '/tenants', { token, body: { tenantName: 'intruder' } })).toEqual({ status: 403, body: { message: 'Forbidden' } });
    // The tenant config function's role: a role of the template with no execute-api:Invoke.
    const stack = env.stack(CONTROL_PLANE);
    const role = await stack.principal(idOf('ControlPlane/tenantConfigService/tenantConfigLambda/TenantConfigServiceLambda/ServiceRole/Resource'));
    const denied = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...sigV4('POST', url, body, role.accessKeyId, role.secretAccessKey, role.sessionToken) } });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { message: string }).message).toMatch(new RegExp(`^User: ${role.arn.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:123456789012:${api.apiId}/\\$default/POST/tenants$`));
    const forged = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...sigV4('POST', url, body, role.accessKeyId, 'not-the-secret', role.sessionToken) } });
    expect(forged.status).toBe(403);
    // The registration function's role may: signed as it, the same request is served.
    const registration = await stack.principal(idOf('ControlPlane/tenantRegistrationService/tenantRegistrationLambda/TenantRegistrationFunc/ServiceRole/Resource'));
    const allowed = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...sigV4('POST', url, body, registration.accessKeyId, registration.secretAccessKey, registration.sessionToken) } });
    expect(allowed.status).toBe(201);
    expect(api.requests.slice(-4).map((r) => [r.status, r.reason])).toEqual([
      [403, 'no SigV4 signature'],
      [403, expect.stringMatching(/^execute-api:Invoke on .* is not allowed$/)],
      [403, 'signature mismatch'],
      [201, undefined],
    ]);
  });

  test('every AWS call of the control plane\'s functions was allowed by their roles\' policies', () => {
    const registration = env.gate.calls.filter((c) => c.principal === registrationRole);
    const management = env.gate.calls.filter((c) => c.principal === managementRole);
    expect(new Set(registration.map((c) => `${c.service}:${c.operation}:${c.outcome}`))).toEqual(new Set([
      'dynamodb:PutItem:ALLOWED', 'dynamodb:UpdateItem:ALLOWED', 'dynamodb:GetItem:ALLOWED', 'dynamodb:Scan:ALLOWED', 'events:PutEvents:ALLOWED',
    ]));
    expect(new Set(management.map((c) => `${c.service}:${c.operation}:${c.outcome}`))).toEqual(new Set(['dynamodb:PutItem:ALLOWED', 'dynamodb:UpdateItem:ALLOWED']));
    expect(env.gate.calls.filter((c) => c.outcome !== 'ALLOWED')).toEqual([]);
  });
});

test('the functions\' proxy connects the running HTTP API and refuses any other host', async () => {
  const proxy = new URL(await ExecuteApiProxy.acquire());
  try {
    const connect = (host: string) => new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(proxy.port), proxy.hostname, () => socket.write(`CONNECT ${host} HTTP/1.1\r\nhost: ${host}\r\n\r\n`));
      socket.once('data', (d) => {
        resolve(d.toString('utf8').split('\r\n')[0]);
        socket.destroy();
      });
      socket.on('error', reject);
    });
    expect(await connect(`${api.apiId}.execute-api.us-east-1.amazonaws.com:443`)).toBe('HTTP/1.1 200 Connection Established');
    expect(await connect('example.com:443')).toBe('HTTP/1.1 403 Forbidden');
    expect(await connect('abcdefghij.execute-api.us-east-1.amazonaws.com:443')).toBe('HTTP/1.1 403 Forbidden');
    expect(await connect(`${api.apiId}.execute-api.us-east-1.amazonaws.com:80`)).toBe('HTTP/1.1 403 Forbidden');
    expect(ExecuteApiProxy.refused.slice(-3)).toEqual(['example.com:443', 'abcdefghij.execute-api.us-east-1.amazonaws.com:443', `${api.apiId}.execute-api.us-east-1.amazonaws.com:80`]);
  } finally {
    await ExecuteApiProxy.release();
  }
});
