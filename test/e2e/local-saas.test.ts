/**
 * The example SaaS end to end, on this machine (docs/local.md): the synthesized example brought up by `LocalSaas`
 * (what `npx projen local` runs), driven over HTTP only, as its clients drive it: the control plane's API with its
 * administrator's token, the tenant APIs with tenant users' tokens, Cognito's public API to sign in (SRP, MFA).
 *
 * Every process is started here and stopped in afterAll; the whole run is bounded (jest's timeouts below).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { SignJWT } from 'jose';
import { call, signInAsClient } from '../../local/client';
import { EMULATOR_KEY_ID, emulatorSigningKey, LOCAL_PASSWORD } from '../../local/identity';
import { LocalSaas, SeededUser } from '../../local/saas';
import { ENV_LIFECYCLE_CONFIG } from '../../src/contract/environment';
import { LifecycleConfig } from '../../src/contract/lifecycle';
import { APPLICATION_PLANE, logicalId, synthesizeExample, SynthesizedExample } from '../deployed/example';

jest.setTimeout(180_000);

let synthesized: SynthesizedExample;
let saas: LocalSaas;
let controlPlane: string;
let admin: string;
const requests = { count: 0 };
const errors: string[] = [];
const startedAt = Date.now();

/** A request through the local SaaS, counted. */
async function req(method: string, url: string, token?: string, body?: unknown, headers?: Record<string, string>) {
  requests.count++;
  return call(method, url, token, body, headers);
}

/** Registers a tenant through the control plane, as its admin console does; answers the registration. */
async function register(tenantName: string, tier: string) {
  const res = await req('POST', `${controlPlane}tenant-registrations`, admin, {
    tenantData: { tenantName, email: `admin@${tenantName}.example.com`, tier },
    tenantRegistrationData: { registrationStatus: 'In progress' },
  });
  expect(res.status).toBe(201);
  return res.json.data as { tenantRegistrationId: string; tenantId: string };
}

/** Polls the registration until its status is `status` (or the deadline passes); answers the registration. */
async function waitForStatus(registrationId: string, status: string, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < deadline) {
    last = (await req('GET', `${controlPlane}tenant-registrations/${registrationId}`, admin)).json?.data;
    if (last?.registrationStatus === status || last?.registrationStatus === 'Failed') {
      break;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  // On a mismatch, the registration as the control plane has it (with a failure's reason) and the delivery errors.
  if (last?.registrationStatus !== status) {
    console.error(`registration ${registrationId}: ${JSON.stringify(last)}; delivery errors: ${JSON.stringify(errors)}`);
  }
  expect(last?.registrationStatus).toBe(status);
  return last;
}

/** A tenant's configuration, as the tenant app looks it up by name (the control plane's public route). */
async function tenantConfig(tenantName: string): Promise<{ userPoolId: string; appClientId: string; apiGatewayUrl: string }> {
  const res = await req('GET', `${controlPlane}tenant-config/${tenantName}`);
  expect(res.status).toBe(200);
  const config = typeof res.json === 'string' ? JSON.parse(res.json) : res.json;
  return typeof config.tenantConfig === 'string' ? JSON.parse(config.tenantConfig) : config;
}

/**
 * Signs in a tenant's administrator the first time: a new password (the pool's invitation asks for one), then TOTP set
 * up, as the pool requires; answers the tokens and the TOTP secret set up.
 */
async function firstSignIn(tenantName: string, config: { userPoolId: string; appClientId: string }) {
  const signedIn = await signInAsClient({
    endpoint: saas.endpoints.cognito,
    userPoolId: config.userPoolId,
    clientId: config.appClientId,
    username: `admin@${tenantName}.example.com`,
    // The invitation's temporary password is emailed, which the emulator does not do; it does not check the SRP
    // proof either (docs/local.md), so any password stands for it here.
    password: 'the-invitation-password',
    newPassword: 'E2e-Tenant-Passw0rd!',
  });
  expect(signedIn.challenges).toEqual(['NEW_PASSWORD_REQUIRED', 'MFA_SETUP']);
  return signedIn.idToken;
}

/** The local URL of a tenant API URL the control plane handed out (its AWS URL). */
function localApi(apiGatewayUrl: string): string {
  const local = saas.endpoints.tenantApis[apiGatewayUrl];
  if (!local) {
    throw new Error(`${apiGatewayUrl} is not served locally; served: ${JSON.stringify(saas.endpoints.tenantApis)}`);
  }
  return local;
}

interface Tenant {
  readonly registration: { tenantRegistrationId: string; tenantId: string };
  readonly config: { userPoolId: string; appClientId: string; apiGatewayUrl: string };
  readonly api: string;
  readonly token: string;
}
let basic: Tenant;
let advanced: Tenant;
let productOfBasic: any;
const totpSecrets = new Map<string, string>();

beforeAll(async () => {
  synthesized = synthesizeExample();
  saas = await LocalSaas.start(synthesized.outdir, { onError: (source, e) => errors.push(`${source}: ${String(e)}`) });
  const seeded: SeededUser[] = await saas.seed();
  const operator = seeded.find((u) => u.tenantId === undefined)!;
  controlPlane = Object.values(saas.endpoints.controlPlane)[0];
  const signedIn = await signInAsClient({
    endpoint: saas.endpoints.cognito,
    userPoolId: operator.userPoolId,
    clientId: operator.appClientId,
    username: operator.username,
    password: LOCAL_PASSWORD,
  });
  admin = signedIn.idToken;
  console.log(`local SaaS up in ${Date.now() - startedAt} ms`);
}, 240_000);

afterAll(async () => {
  const namespaces = [...(saas?.groups.values() ?? [])].map((g) => g.network.name);
  await saas?.stop();
  // Nothing is left behind: no process this test started (moto, functions, tasks), no network namespace of its groups.
  const children = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
    .split('\n').filter((l) => l.trim() && !/\bps -o\b/.test(l));
  expect(children).toEqual([]);
  const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  expect(namespaces.filter((n) => left.includes(n))).toEqual([]);
  console.log(`end to end: ${requests.count} requests to the APIs and ${saas?.cognitoOperations.length} to Cognito in ${Date.now() - startedAt} ms; `
    + `delivery errors: ${JSON.stringify(errors)}`);
});

test('the control plane refuses a caller without its administrator\'s token', async () => {
  expect((await req('GET', `${controlPlane}tenant-registrations`)).status).toBe(401);
  // A token of a pool the control plane does not trust (a tenant's), signed with the key that pool signs with.
  const tenantUser = saas.seeded.find((u) => u.tenantId === 'acme')!;
  const forged = await new SignJWT({ token_use: 'id' })
    .setProtectedHeader({ alg: 'RS256', kid: EMULATOR_KEY_ID })
    .setIssuer(`https://cognito-idp.us-east-1.amazonaws.com/${tenantUser.userPoolId}`)
    .setAudience(tenantUser.appClientId)
    .setExpirationTime('1h')
    .sign(emulatorSigningKey());
  const refused = await req('GET', `${controlPlane}tenant-registrations`, forged);
  expect(refused).toMatchObject({ status: 401, json: { message: 'Unauthorized' } });
});

test('the seeded administrator of each declared tenant signs in (TOTP set up on the first sign-in) and calls its API', async () => {
  const tenants = saas.seeded.filter((u) => u.tenantId !== undefined);
  expect(tenants.map((u) => u.tenantId)).toEqual(['basic-1', 'basic-2', 'acme', 'globex', 'initech']);
  for (const user of tenants.filter((u) => ['basic-1', 'acme', 'initech'].includes(u.tenantId!))) {
    const signedIn = await signInAsClient({
      endpoint: saas.endpoints.cognito,
      userPoolId: user.userPoolId,
      clientId: user.appClientId,
      username: user.username,
      password: user.password,
    });
    expect(signedIn.challenges).toEqual(['MFA_SETUP']);
    const listed = await req('GET', `${user.apiUrl}products`, signedIn.idToken);
    expect({ tenant: user.tenantId, status: listed.status }).toEqual({ tenant: user.tenantId, status: 200 });
    totpSecrets.set(user.username, signedIn.totpSecret!);
  }
  // The next sign-in asks for a TOTP code, which the client computes from the secret set up (a fresh one: Cognito
  // accepts each code once).
  const basic1 = tenants[0];
  const again = await signInAsClient({
    endpoint: saas.endpoints.cognito,
    userPoolId: basic1.userPoolId,
    clientId: basic1.appClientId,
    username: basic1.username,
    password: basic1.password,
    totpSecret: totpSecrets.get(basic1.username),
  });
  expect(again.challenges).toEqual(['SOFTWARE_TOKEN_MFA']);
  expect((await req('GET', `${basic1.apiUrl}products`, again.idToken)).status).toBe(200);
}, 240_000);

test('a basic and an advanced tenant are registered through the control plane and reach Created', async () => {
  const [b, a] = [await register('e2e-basic', 'basic'), await register('e2e-advanced', 'advanced')];
  await waitForStatus(b.tenantRegistrationId, 'Created');
  await waitForStatus(a.tenantRegistrationId, 'Created');
  const listed = await req('GET', `${controlPlane}tenant-registrations`, admin);
  expect(listed.status).toBe(200);
  expect(listed.json.data.map((r: any) => r.tenantRegistrationId)).toEqual(expect.arrayContaining([b.tenantRegistrationId, a.tenantRegistrationId]));

  // Their administrators sign in with the configuration the control plane hands out.
  const basicConfig = await tenantConfig('e2e-basic');
  const advancedConfig = await tenantConfig('e2e-advanced');
  basic = { registration: b, config: basicConfig, api: localApi(basicConfig.apiGatewayUrl), token: await firstSignIn('e2e-basic', basicConfig) };
  advanced = { registration: a, config: advancedConfig, api: localApi(advancedConfig.apiGatewayUrl), token: await firstSignIn('e2e-advanced', advancedConfig) };
  // The advanced tenant runs its own services, started from the product template's task definitions.
  expect([...saas.groups.keys()].filter((k) => k.includes(a.tenantId))).toHaveLength(1);
}, 300_000);

test('each tenant creates products and an order, and sees only its own', async () => {
  const created = await req('POST', `${basic.api}products`, basic.token, { name: 'Basic widget', price: 12.5 });
  expect(created.status).toBe(201);
  productOfBasic = created.json;
  const order = await req('POST', `${basic.api}orders`, basic.token, { lines: [{ productId: productOfBasic.id, quantity: 3 }] });
  expect(order.status).toBe(201);
  expect(order.json).toMatchObject({ total: 37.5, status: 'PLACED' });
  const advancedProduct = await req('POST', `${advanced.api}products`, advanced.token, { name: 'Advanced gadget', price: 99 });
  expect(advancedProduct.status).toBe(201);

  const basicList = await req('GET', `${basic.api}products`, basic.token);
  expect(basicList.status).toBe(200);
  expect(basicList.text).toContain(productOfBasic.id);
  expect(basicList.text).not.toContain(advancedProduct.json.id);

  // The other tenant sees none of them and cannot read them by id.
  const advancedList = await req('GET', `${advanced.api}products`, advanced.token);
  expect(advancedList.text).not.toContain(productOfBasic.id);
  expect((await req('GET', `${advanced.api}products/${productOfBasic.id}`, advanced.token)).status).toBe(404);
  expect((await req('GET', `${advanced.api}orders/${order.json.id}`, advanced.token)).status).toBe(404);
  expect((await req('GET', `${basic.api}orders/${order.json.id}`, basic.token)).json).toMatchObject({ id: order.json.id });
});

test('a token from a pool the router does not trust is refused', async () => {
  // The control plane administrator's token: real, valid, from a pool the router does not trust.
  const refused = await req('GET', `${basic.api}products`, admin);
  expect(refused.status).toBe(403);
  expect(refused.json).toEqual({ Message: 'User is not authorized to access this resource with an explicit deny' });
});

test('a basic tenant over its tier\'s rate is throttled with 429, and the advanced tenant is not', async () => {
  // Requests the products service answers without a table read (an id that is no id: 400), so that the burst reaches
  // the router faster than its rate refills the tier key's bucket, whatever this machine's speed.
  const burst = await Promise.all(Array.from({ length: 300 }, () => req('GET', `${basic.api}products/not-an-id`, basic.token)));
  const statuses = burst.map((r) => r.status);
  expect(statuses).toContain(429);
  expect(statuses.filter((s) => s !== 400 && s !== 429)).toEqual([]);
  const throttled = burst.find((r) => r.status === 429)!;
  expect(throttled.json).toEqual({ message: 'Too Many Requests' });
  expect((await req('GET', `${advanced.api}products`, advanced.token)).status).toBe(200);
});

test('a premium tenant registered at run time gets its services from the premium product\'s template, and loses them when offboarded', async () => {
  const registration = await register('e2e-premium', 'premium');
  await waitForStatus(registration.tenantRegistrationId, 'Created');
  const running = [...saas.groups.keys()].filter((k) => k.includes(registration.tenantId));
  expect(running).toHaveLength(1);
  const config = await tenantConfig('e2e-premium');
  // A load balancer of its own: a router shard opened for it at run time, not the shard the others share.
  expect(config.apiGatewayUrl).not.toBe(advanced.config.apiGatewayUrl);
  const token = await firstSignIn('e2e-premium', config);
  const api = localApi(config.apiGatewayUrl);
  const created = await req('POST', `${api}products`, token, { name: 'Premium part', price: 1500 });
  expect(created.status).toBe(201);
  expect(created.json).toMatchObject({ tenantId: registration.tenantId });
  // Its requests reach its own tasks: the route the lifecycle gave it leads to its group's proxy (nginx's access log).
  // (nginx writes the entry after it has answered: wait for it a little.)
  const logFile = path.join(saas.groups.get(running[0])!.network.etc, 'nginx', 'access.log');
  let accessLog = '';
  for (let i = 0; i < 40 && !/"POST \/products HTTP\/1\.1" 201/.test(accessLog); i++) {
    await new Promise((r) => setTimeout(r, 50));
    accessLog = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
  }
  expect(accessLog).toMatch(/"POST \/products HTTP\/1\.1" 201/);
  expect((await req('DELETE', `${controlPlane}tenant-registrations/${registration.tenantRegistrationId}`, admin)).status).toBe(200);
  await waitForStatus(registration.tenantRegistrationId, 'Deleted');
  expect([...saas.groups.keys()].filter((k) => k.includes(registration.tenantId))).toEqual([]);
});

test('offboarding removes the basic tenant\'s pooled items and the advanced tenant\'s services', async () => {
  for (const t of [basic, advanced]) {
    const res = await req('DELETE', `${controlPlane}tenant-registrations/${t.registration.tenantRegistrationId}`, admin);
    expect(res.status).toBe(200);
  }
  await waitForStatus(basic.registration.tenantRegistrationId, 'Deleted');
  await waitForStatus(advanced.registration.tenantRegistrationId, 'Deleted');
  // Nothing of the basic tenant is left in the pooled tables.
  const plane = saas.env.stack(APPLICATION_PLANE);
  const worker = plane.template.Resources[logicalId(synthesized.example.applicationPlane.lifecycle.worker)];
  const config: LifecycleConfig = JSON.parse(await plane.resolve(worker.Properties.Environment.Variables[ENV_LIFECYCLE_CONFIG]));
  expect(config.pooledTables.length).toBeGreaterThan(0);
  for (const table of config.pooledTables) {
    const items = await saas.env.admin.dynamodb.send(new ScanCommand({ TableName: table.tableName }));
    expect(JSON.stringify(items.Items)).not.toContain(basic.registration.tenantId);
  }
  expect([...saas.groups.keys()].filter((k) => k.includes(advanced.registration.tenantId))).toEqual([]);
  // Their administrators can no longer sign in. (Tokens issued before stay valid until they expire, and the router's
  // cached decision for them until its TTL ends: docs/local.md, "What the local run showed".)
  for (const [name, tenant] of [['e2e-basic', basic], ['e2e-advanced', advanced]] as const) {
    await expect(signInAsClient({
      endpoint: saas.endpoints.cognito,
      userPoolId: tenant.config.userPoolId,
      clientId: tenant.config.appClientId,
      username: `admin@${name}.example.com`,
      password: 'E2e-Tenant-Passw0rd!',
      // The shared pool no longer has the user; the advanced tenant's pool is gone with its stack.
    })).rejects.toMatchObject({ code: name === 'e2e-basic' ? 'UserNotFoundException' : 'ResourceNotFoundException' });
  }
});
