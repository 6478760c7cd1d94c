/**
 * A router shard opened at run time, as deployed (docs/tenant-router.md): the example's deploy-time shard open to
 * provisioned tenants is full (its free slots taken, as 97 onboarded tenants would take them), and the control
 * plane onboards one more advanced tenant. The onboarding state machine, run from its synthesized definition with the
 * bundled worker (the real Lambda runtime, its calls held to the worker role's policy), provisions the router's shard
 * template, records the shard when its stack is up, places the tenant on it, and provisions the tenant's stack with
 * the shard's listener, security group and API. A request of the tenant's administrator then goes through the new
 * shard's REST API (the router's authorizer, the shard's usage plan for the tier), its load balancer and the tenant's
 * services.
 */
import { PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { APPLICATION_PLANE, controlPlaneBus, logicalId, synthesizeExample, SynthesizedExample } from './example';
import { provisionedTenantToken, requestAt } from './services-support';
import { EventInbox, LocalEnvironment, LocalServiceGroup } from '../../local/environment';
import { LocalRestApi } from '../../local/rest-api';
import { SbtContract } from '../../src';
import { PROVISIONED_PRIORITY_BASE } from '../../src/contract/router';

const contract = SbtContract.V0_5;
let synthesized: SynthesizedExample;
let env: LocalEnvironment;
let bus: string;
let replies: EventInbox;
let group: LocalServiceGroup | undefined;

async function slotTable(): Promise<string> {
  return (await env.stack(APPLICATION_PLANE).resource(logicalId(synthesized.example.applicationPlane.lifecycle.slots))).ref;
}

beforeAll(async () => {
  synthesized = synthesizeExample();
  env = await LocalEnvironment.start(synthesized.outdir);
  bus = await controlPlaneBus(env);
  replies = await env.subscribe(bus, { source: [contract.applicationPlaneSource] });
}, 240_000);

afterAll(async () => {
  await group?.stop();
  await env?.stop();
});

test('every shard full: onboarding opens a shard from the router\'s template, places the tenant on it, and the tenant is served through it', async () => {
  const router = synthesized.example.applicationPlane.router;
  // The deploy-time shard open to provisioned tenants: its free slots taken (the declared routes hold the rest).
  const open = router.provisioningShards;
  expect(open).toHaveLength(1);
  const declared = router.placements.filter((p) => p.shard === open[0].index).reduce((n, p) => n + p.rules, 0);
  const free = router.quotas.rulesPerListener! - declared;
  const table = await slotTable();
  for (let i = 0; i < free; i++) {
    await env.admin.dynamodb.send(new PutItemCommand({
      TableName: table,
      Item: { shard: { N: '0' }, priority: { N: String(PROVISIONED_PRIORITY_BASE + i) }, tenantId: { S: `filler-${i}` } },
    }));
  }

  const [execution] = await env.publish(APPLICATION_PLANE, bus, {
    'source': contract.controlPlaneSource,
    'detail-type': contract.onboardingRequest,
    'detail': { tenantId: 'hooli', tenantRegistrationId: 'reg-hooli', tenantName: 'hooli', email: 'admin@hooli.example.com', tier: 'advanced' },
  });
  expect(execution).toMatchObject({ status: 'SUCCEEDED' });
  // The shard's record is in progress at the first look, like the tenant's: each wait loop runs twice.
  expect(execution.states).toEqual(['Init', 'StartOnboarding', 'Tier', 'ProvisionStack', 'ShardNeeded?',
    'OpenShard', 'WaitForShard', 'CheckShard', 'ShardOpen?', 'WaitForShard', 'CheckShard', 'ShardOpen?',
    'ProvisionStack', 'ShardNeeded?',
    'WaitForStack', 'CheckStack', 'StackReady?', 'WaitForStack', 'CheckStack', 'StackReady?', 'FinishStack', 'Onboarded']);

  // The shard: the router's template provisioned as shard 1, recorded open with its attributes.
  const shardName = `${APPLICATION_PLANE}-shard_1`;
  const products = env.serviceCatalog.provisionedProducts;
  expect(products.map((p) => p.name)).toEqual([shardName, `${APPLICATION_PLANE}-hooli`]);
  expect(products[0].parameters).toEqual({ ShardIndex: '1' });
  const shardStack = env.serviceCatalog.stackOf(shardName)!;
  const listenerArn = String(await shardStack.output('ListenerArn'));
  const apiId = String(await shardStack.output('ApiId'));
  const items = (await env.admin.dynamodb.send(new ScanCommand({ TableName: table }))).Items ?? [];
  const record = items.find((i) => i.shard.N === '1' && i.priority.N === '0')!;
  expect({ state: record.state.S, listenerArn: record.listenerArn.S, apiId: record.apiId.S }).toEqual({ state: 'OPEN', listenerArn, apiId });

  // The tenant: the first slot of the new shard, and its stack attached to that shard.
  expect(items.filter((i) => i.tenantId?.S === 'hooli').map((i) => [Number(i.shard.N), Number(i.priority.N)])).toEqual([[1, PROVISIONED_PRIORITY_BASE]]);
  expect(products[1].parameters).toMatchObject({
    RouterShard: '0',
    RulePriority: String(PROVISIONED_PRIORITY_BASE),
    ShardListenerArn: listenerArn,
    ShardSecurityGroupId: String(await shardStack.output('LoadBalancerSecurityGroupId')),
    ShardApiId: apiId,
  });
  const [reply] = await replies.take();
  expect(reply['detail-type']).toBe(contract.provisionSuccess);
  const config = JSON.parse(reply.detail.jobOutput.tenantData.tenantConfig);
  expect(config.apiGatewayUrl).toBe(`https://${apiId}.execute-api.us-east-1.amazonaws.com/prod/`);

  // A request of the tenant's administrator, through the new shard.
  const tenantStack = env.serviceCatalog.stackOf(`${APPLICATION_PLANE}-hooli`)!;
  const token = await provisionedTenantToken(tenantStack, env, 'hooli', 'advanced');
  group = await env.startServiceGroup(tenantStack, `${APPLICATION_PLANE}/AdvancedTenant/Advanced/Tenant/Services`);
  const api: LocalRestApi = await env.restApi(shardStack);
  const lb = await env.loadBalancer(shardStack);
  const answer = await requestAt(api.url, 'POST', '/products', { token, body: JSON.stringify({ name: 'Hooli widget', price: 1 }) });
  expect(answer.status).toBe(201);
  expect(lb.requests[lb.requests.length - 1]).toMatchObject({ rule: PROVISIONED_PRIORITY_BASE, target: `${group.url}:80` });
}, 300_000);

test('a premium tenant onboarded at run time gets a shard of its own (a dedicated load balancer), freed for the next when it leaves', async () => {
  const table = await slotTable();
  const [execution] = await env.publish(APPLICATION_PLANE, bus, {
    'source': contract.controlPlaneSource,
    'detail-type': contract.onboardingRequest,
    'detail': { tenantId: 'initrode', tenantRegistrationId: 'reg-initrode', tenantName: 'initrode', email: 'admin@initrode.example.com', tier: 'premium' },
  });
  expect(execution).toMatchObject({ status: 'SUCCEEDED' });
  expect(execution.states.slice(0, 6)).toEqual(['Init', 'StartOnboarding', 'Tier', 'ProvisionStack', 'ShardNeeded?', 'OpenShard']);

  // Shard 2, opened for initrode alone: its record names it, and the tenant holds the shard's first slot.
  const shardName = `${APPLICATION_PLANE}-shard_2`;
  const shardStack = env.serviceCatalog.stackOf(shardName)!;
  expect(shardStack).toBeDefined();
  const items = (await env.admin.dynamodb.send(new ScanCommand({ TableName: table }))).Items ?? [];
  const record = items.find((i) => i.shard.N === '2' && i.priority.N === '0')!;
  expect({ state: record.state.S, dedicated: record.dedicated?.BOOL, dedicatedTo: record.dedicatedTo?.S }).toEqual({ state: 'OPEN', dedicated: true, dedicatedTo: 'initrode' });
  expect(items.filter((i) => i.shard.N === '2' && i.priority.N !== '0').map((i) => i.tenantId.S)).toEqual(['initrode']);
  const product = env.serviceCatalog.provisionedProducts.find((p) => p.name === `${APPLICATION_PLANE}-initrode`)!;
  expect(product.parameters).toMatchObject({ ShardListenerArn: String(await shardStack.output('ListenerArn')), ShardApiId: String(await shardStack.output('ApiId')) });
  const [reply] = await replies.take();
  expect(JSON.parse(reply.detail.jobOutput.tenantData.tenantConfig).apiGatewayUrl)
    .toBe(`https://${String(await shardStack.output('ApiId'))}.execute-api.us-east-1.amazonaws.com/prod/`);

  // Offboarded: its stack goes, its slot is released, and the shard is free for the next premium tenant.
  const [offboarding] = await env.publish(APPLICATION_PLANE, bus, {
    'source': contract.controlPlaneSource,
    'detail-type': contract.offboardingRequest,
    'detail': { tenantId: 'initrode', tenantRegistrationId: 'reg-initrode', tier: 'premium' },
  });
  expect(offboarding).toMatchObject({ status: 'SUCCEEDED' });
  const after = (await env.admin.dynamodb.send(new ScanCommand({ TableName: table }))).Items ?? [];
  expect(after.filter((i) => i.tenantId?.S === 'initrode')).toEqual([]);
  expect(after.find((i) => i.shard.N === '2' && i.priority.N === '0')!.dedicatedTo).toBeUndefined();
}, 300_000);
