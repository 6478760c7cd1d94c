/**
 * The example's control plane (sbt-aws 0.5.25) as deployed: its API Gateway HTTP API stood in for from the template
 * (routes, JWT and IAM authorization, Lambda proxy integrations), sbt-aws's own Python functions run by the real Python
 * runtime interface client with their layers, every AWS call held to their roles' policies. An administrator of the
 * control plane's pool registers a tenant over HTTP only; the registration function calls the tenant management
 * routes at the API's AWS URL with SigV4, as deployed; the onboarding and offboarding requests reach the bus as the
 * application plane's lifecycle reads them.
 */
import { createHash, createHmac, Hash, Hmac } from 'crypto';
import * as http from 'http';
import * as net from 'net';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SignatureV4 } from '@smithy/signature-v4';
import { SignJWT } from 'jose';
import { CONTROL_PLANE, synthesizeExample, SynthesizedExample } from './example';
import { EventInbox, LocalEnvironment } from '../../local/environment';
import { ApiDestinations, ApiDestinationTarget, apiDestinationTarget } from '../../local/event-bus';
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

/** SHA-256 (and HMAC-SHA-256 with a secret) for the AWS SDK's signer, from Node.js's crypto. */
class Sha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = this.create();
  }
  public update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  public async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  public reset(): void {
    this.hash = this.create();
  }
  private create(): Hash | Hmac {
    return this.secret !== undefined ? createHmac('sha256', bytes(this.secret)) : createHash('sha256');
  }
}

function bytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') {
    return data;
  }
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}

/**
 * The headers of a request signed with SigV4 by the AWS SDK's own signer (`@smithy/signature-v4`, as botocore's and
 * aws-requests-auth's signatures are computed), so that the stand-in's verifier is not checked against itself.
 */
async function sigV4(method: string, url: URL, body: string, accessKeyId: string, secretAccessKey: string, sessionToken: string):
Promise<Record<string, string>> {
  const signer = new SignatureV4({ service: 'execute-api', region: 'us-east-1', sha256: Sha256, credentials: { accessKeyId, secretAccessKey, sessionToken } });
  const signed = await signer.sign({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    query: Object.fromEntries(url.searchParams.entries()),
    headers: { 'host': url.host, 'content-type': 'application/json' },
    body,
  });
  const { host: _, ...headers } = signed.headers;
  return headers;
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

  test('a token without exp, and one whose aud is not the authorizer\'s (whatever its client_id): 401', async () => {
    const client = await ref('CognitoAuth/UserPoolUserClient/Resource');
    const issuer = `https://cognito-idp.us-east-1.amazonaws.com/${pool}`;
    const key = emulatorSigningKey();
    const header = { alg: 'RS256', kid: EMULATOR_KEY_ID };
    const now = Math.floor(Date.now() / 1000);
    const noExp = await new SignJWT({ token_use: 'access', client_id: client, scope: 'aws.cognito.signin.user.admin' })
      .setProtectedHeader(header).setIssuer(issuer).setSubject('intruder').setIssuedAt().sign(key);
    // API Gateway checks `aud` when the token has one; `client_id` counts only when there is no `aud`.
    const otherAud = await new SignJWT({ token_use: 'id', client_id: client, aud: 'another-client' })
      .setProtectedHeader(header).setIssuer(issuer).setSubject('intruder').setIssuedAt().setExpirationTime(now + 600).sign(key);
    const before = env.gate.calls.length;
    for (const t of [noExp, otherAud]) {
      expect(await call('GET', '/tenant-registrations', { token: t })).toEqual({ status: 401, body: { message: 'Unauthorized' } });
    }
    expect(api.requests.slice(-2).map((r) => r.reason)).toEqual([expect.stringMatching(/exp/), expect.stringMatching(/audience/)]);
    expect(env.gate.calls.length).toBe(before);
  });

  test('a malformed percent-encoding in the path: 400, as API Gateway answers, with nothing internal in the body', async () => {
    const res = await fetch(new URL('/tenant-registrations/%E0%A4%A', api.url), { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('{"message":"Bad Request"}');
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
    const denied = await fetch(url, { method: 'POST', body, headers: await sigV4('POST', url, body, role.accessKeyId, role.secretAccessKey, role.sessionToken) });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { message: string }).message).toMatch(new RegExp(`^User: ${role.arn.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:123456789012:${api.apiId}/\\$default/POST/tenants$`));
    const forged = await fetch(url, { method: 'POST', body, headers: await sigV4('POST', url, body, role.accessKeyId, 'not-the-secret', role.sessionToken) });
    expect(forged.status).toBe(403);
    // The registration function's role may: signed with its access key and session token, but with the secret of
    // another principal (each principal has a secret of its own), the request is refused.
    const registration = await stack.principal(idOf('ControlPlane/tenantRegistrationService/tenantRegistrationLambda/TenantRegistrationFunc/ServiceRole/Resource'));
    expect(registration.secretAccessKey).not.toBe(role.secretAccessKey);
    const otherSecret = await fetch(url, { method: 'POST', body, headers: await sigV4('POST', url, body, registration.accessKeyId, role.secretAccessKey, registration.sessionToken) });
    expect(otherSecret.status).toBe(403);
    // A valid signature over another session's token: refused too.
    const otherToken = await fetch(url, { method: 'POST', body, headers: await sigV4('POST', url, body, registration.accessKeyId, registration.secretAccessKey, role.sessionToken) });
    expect(otherToken.status).toBe(403);
    expect(await otherToken.json()).toEqual({ message: 'The security token included in the request is invalid.' });
    // Signed as it, with its own secret and token, the same request is served.
    const allowed = await fetch(url, { method: 'POST', body, headers: await sigV4('POST', url, body, registration.accessKeyId, registration.secretAccessKey, registration.sessionToken) });
    expect(allowed.status).toBe(201);
    expect(api.requests.slice(-6).map((r) => [r.status, r.reason])).toEqual([
      [403, 'no SigV4 signature'],
      [403, expect.stringMatching(/^execute-api:Invoke on .* is not allowed$/)],
      [403, 'signature mismatch'],
      [403, 'signature mismatch'],
      [403, 'session token mismatch'],
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
    // A plain request through the proxy (`HTTP_PROXY`, an http:// URL): refused at once, with or without a body.
    const plain = (method: string, body?: string) => new Promise<number>((resolve, reject) => {
      const req = http.request({ host: proxy.hostname, port: Number(proxy.port), method, path: `http://${api.apiId}.execute-api.us-east-1.amazonaws.com/tenants`, timeout: 5_000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('timeout', () => req.destroy(new Error('the proxy did not answer')));
      req.on('error', reject);
      req.end(body);
    });
    expect(await plain('GET')).toBe(403);
    expect(await plain('POST', JSON.stringify({ tenantName: 'x' }))).toBe(403);
    expect(ExecuteApiProxy.refused.slice(-2)).toEqual([`${api.apiId}.execute-api.us-east-1.amazonaws.com:80`, `${api.apiId}.execute-api.us-east-1.amazonaws.com:80`]);
  } finally {
    await ExecuteApiProxy.release();
  }
});

describe('API destinations, delivered as EventBridge delivers them', () => {
  let server: http.Server;
  let answers: number[];
  const received: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders }> = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      received.push({ method: req.method!, url: req.url!, headers: req.headers });
      req.resume();
      res.writeHead(answers.shift() ?? 200);
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  const destinations = () => new ApiDestinations({
    token: async () => ({ access_token: 'token', expires_in: 3600 }),
    localUrl: async (url) => url.replace('https://api.example.com', `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`),
    attempts: 3,
  });
  const target = (pathParameterValues: string[], headerParameters: Record<string, string> = {}): ApiDestinationTarget => ({
    ruleId: 'Rule',
    destinationArn: 'arn:aws:events:us-east-1:123456789012:api-destination/d',
    endpoint: 'https://api.example.com/registrations/*',
    method: 'PATCH',
    pathParameterValues,
    headerParameters,
    connection: { tokenEndpoint: '', userPoolId: '', clientId: 'c', clientSecret: 's', bodyParameters: {} },
  });
  const event = { detail: { id: 'r-1', tenant: 'acme' } };

  test('407 and 409 are retried, as 429 and 5xx; header parameters that are JSON paths are evaluated', async () => {
    answers = [407, 409, 200];
    received.length = 0;
    const d = destinations();
    const last = await d.deliver(target(['$.detail.id'], { 'x-tenant': '$.detail.tenant', 'x-fixed': 'fixed' }), event);
    expect(last.status).toBe(200);
    expect(d.deliveries.map((x) => x.status)).toEqual([407, 409, 200]);
    expect(received.map((r) => [r.method, r.url, r.headers['x-tenant'], r.headers['x-fixed']])).toEqual(
      Array(3).fill(['PATCH', '/registrations/r-1', 'acme', 'fixed']));
  });

  test('another 4xx is not retried', async () => {
    answers = [400];
    const d = destinations();
    expect((await d.deliver(target(['$.detail.id']), event)).status).toBe(400);
    expect(d.deliveries).toHaveLength(1);
  });

  test('a path or header parameter that selects nothing fails the delivery: nothing is sent, "undefined" least of all', async () => {
    received.length = 0;
    const d = destinations();
    const missingPath = await d.deliver(target(['$.detail.registrationId']), event);
    expect(missingPath).toMatchObject({ status: 0, response: expect.stringMatching(/\$\.detail\.registrationId selects nothing/) });
    const missingHeader = await d.deliver(target(['$.detail.id'], { 'x-tenant': '$.detail.nobody' }), event);
    expect(missingHeader).toMatchObject({ status: 0, response: expect.stringMatching(/\$\.detail\.nobody selects nothing/) });
    expect(received).toEqual([]);
  });

  test('a target with Input or InputTransformer is refused when its rule is mirrored', async () => {
    const arn = 'arn:aws:events:us-east-1:123456789012:api-destination/d';
    const stack: any = {
      stackName: 'Stack',
      template: { Resources: { Destination: { Type: 'AWS::Events::ApiDestination', Properties: {} } } },
      resource: async () => ({ attributes: { Arn: arn } }),
    };
    await expect(apiDestinationTarget(stack, 'Rule', { Id: 'T', Arn: arn, Input: '{}' })).rejects.toThrow(/Input.*not support/);
    await expect(apiDestinationTarget(stack, 'Rule', { Id: 'T', Arn: arn, InputTransformer: { InputTemplate: '{}' } })).rejects.toThrow(/InputTransformer.*not support/);
  });
});
