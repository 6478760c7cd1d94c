import {
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  GetApiKeysCommand,
  GetUsagePlanKeysCommand,
} from '@aws-sdk/client-api-gateway';
import { CognitoIdentityProviderClient, CreateUserPoolCommand } from '@aws-sdk/client-cognito-identity-provider';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ProvisionProductCommand, ServiceCatalogClient } from '@aws-sdk/client-service-catalog';
import { mockClient } from 'aws-sdk-client-mock';
import { createSlotTable, createTable } from './util/dynalite';
import { AdminClients } from '../local/deployment';
import { MotoServer } from '../local/moto';
import { LifecycleConfig, parseShardUsagePlans } from '../src/contract/lifecycle';
import { API_KEY_MARKER_TAG } from '../src/contract/router';
import { SlotTable } from '../src/lifecycle/lambda/slots';
import { LifecycleWorker } from '../src/lifecycle/lambda/worker';

/**
 * The keys the lifecycle gives each tenant of a tier with keys per tenant (`TenantApiKeys.TENANT`), against a local
 * AWS API emulator (moto): API Gateway's keys and usage plans, DynamoDB and Cognito are the emulator's; Service
 * Catalog and EventBridge are mocked (aws-sdk-client-mock), since only the keys are under test here.
 */
const catalog = mockClient(ServiceCatalogClient);
const events = mockClient(EventBridgeClient);
const MARKER = 'AppPlane/c8abc';

let moto: MotoServer;
let admin: AdminClients;
let n = 0;

beforeAll(async () => {
  moto = await MotoServer.start();
  admin = new AdminClients(moto.endpoint);
}, 60_000);
afterAll(async () => {
  admin?.destroy();
  await moto?.stop();
});
beforeEach(() => {
  catalog.reset();
  events.reset();
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
  catalog.on(ProvisionProductCommand).resolves({ RecordDetail: { RecordId: 'rec-1' } });
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

interface Setup {
  readonly w: LifecycleWorker;
  readonly config: LifecycleConfig;
  readonly plans: { basic: string; advanced: string };
  readonly slots: SlotTable;
}

async function setup(over: { runtime?: boolean; tenantKeys?: boolean } = {}): Promise<Setup> {
  const i = n++;
  const plan = async (name: string) => (await admin.apigateway.send(new CreateUsagePlanCommand({ name: `${name}${i}` }))).id!;
  const plans = { basic: await plan('basic'), advanced: await plan('advanced') };
  const pool = (await admin.cognito.send(new CreateUserPoolCommand({ PoolName: `pool${i}` }))).UserPool!.Id!;
  const config: LifecycleConfig = {
    contract: {
      source: 'applicationPlaneEventSource',
      provisionSuccess: 'provisionSuccess',
      provisionFailure: 'provisionFailure',
      deprovisionSuccess: 'deprovisionSuccess',
      deprovisionFailure: 'deprovisionFailure',
    },
    eventBusName: 'sbt-bus',
    registryTable: `Registry${i}`,
    slotTable: `Slots${i}`,
    namePrefix: 'AppPlane',
    tiers: {
      basic: { kind: 'SHARED', userPoolId: pool, appClientId: 'shared-client', apiGatewayUrl: 'https://shard0/prod/' },
      advanced: { kind: 'PER_TENANT', productId: 'prod-123', provisioningArtifactName: 'v1', runtimeShardParameters: over.runtime || undefined },
    },
    pooledTables: [],
    // With a runtime shard: the one deploy-time shard is full (its only priority is reserved).
    shards: 1,
    rulesPerListener: over.runtime ? 1 : 100,
    reserved: over.runtime ? { 0: [1] } : {},
    runtimeShards: over.runtime ? { productId: 'prod-shard', provisioningArtifactName: 'v1', max: 9, reserved: [] } : undefined,
    tenantKeys: over.tenantKeys === false ? undefined : { marker: MARKER, tierPlans: plans },
  };
  await createTable(admin.dynamodb, config.registryTable, 'tenantId');
  await createSlotTable(admin.dynamodb, config.slotTable);
  const w = new LifecycleWorker(config, {
    dynamodb: admin.dynamodb,
    cognito: new CognitoIdentityProviderClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'admin', secretAccessKey: 'local' } }),
    catalog: new ServiceCatalogClient({}),
    events: new EventBridgeClient({}),
    apigateway: admin.apigateway,
  });
  const slots = new SlotTable({
    client: admin.dynamodb,
    tableName: config.slotTable,
    shards: config.shards,
    rulesPerListener: config.rulesPerListener,
    reserved: config.reserved,
    runtime: config.runtimeShards && { max: 9, reserved: [] },
  });
  return { w, config, plans, slots };
}

const request = (tenantId: string, tier: string) => ({
  tenantId,
  tier,
  email: `admin@${tenantId}.example`,
  tenantName: tenantId.toUpperCase(),
  tenantRegistrationId: `reg-${tenantId}`,
  registrationStatus: 'In progress',
});

/** Onboards through the first step, as the state machine does (the registry's claim), then the tier's step. */
async function onboard(w: LifecycleWorker, tenantId: string, tier: string): Promise<void> {
  const started = await w.startOnboarding(request(tenantId, tier), `exec-${tenantId}`);
  expect(started.next).toBe(tier === 'basic' ? 'SHARED' : 'PER_TENANT');
  await (tier === 'basic' ? w.onboardShared(request(tenantId, tier)) : w.provisionStack(request(tenantId, tier)));
}

async function offboard(w: LifecycleWorker, tenantId: string, tier: string): Promise<void> {
  const started = await w.startOffboarding({ tenantId, tenantRegistrationId: `reg-${tenantId}`, tier }, `off-${tenantId}`);
  expect(started.next).toBe('SHARED');
  await w.finishOffboarding(request(tenantId, tier));
}

/** The keys with this customer id (moto lists every key, whatever the filter: it is applied here). */
async function keysOf(tenantId: string) {
  const items = (await admin.apigateway.send(new GetApiKeysCommand({ customerId: tenantId, limit: 500 }))).items ?? [];
  return items.filter((k) => k.customerId === tenantId);
}

/**
 * The keys of a plan that exist. (API Gateway drops a deleted key from its plans; moto keeps listing it, so the keys
 * that are gone are left out here.)
 */
async function planKeys(planId: string): Promise<string[]> {
  const existing = new Set(((await admin.apigateway.send(new GetApiKeysCommand({ limit: 500 }))).items ?? []).map((k) => k.id!));
  const listed = (await admin.apigateway.send(new GetUsagePlanKeysCommand({ usagePlanId: planId }))).items ?? [];
  return listed.map((k) => k.id!).filter((id) => existing.has(id));
}

test('a shared-tier tenant gets one enabled key, named for it and marked for the router, in its tier\'s plan; a retried step adds none', async () => {
  const { w, plans } = await setup();
  const tenant = `pooled-${n}`;
  await onboard(w, tenant, 'basic');
  await w.onboardShared(request(tenant, 'basic'));
  const keys = await keysOf(tenant);
  expect(keys).toHaveLength(1);
  expect(keys[0]).toMatchObject({ customerId: tenant, enabled: true, tags: { [API_KEY_MARKER_TAG]: MARKER } });
  expect(await planKeys(plans.basic)).toEqual([keys[0].id]);
  expect(await planKeys(plans.advanced)).toEqual([]);
});

test('a stack-tier tenant\'s key joins its tier\'s plan before its product is provisioned', async () => {
  const { w, plans } = await setup();
  const tenant = `silo-${n}`;
  catalog.on(ProvisionProductCommand).callsFake(async () => {
    // The key is there when the stack starts, so its users are served as soon as it is up.
    expect(await keysOf(tenant)).toHaveLength(1);
    return { RecordDetail: { RecordId: 'rec-1' } };
  });
  await onboard(w, tenant, 'advanced');
  expect(catalog.commandCalls(ProvisionProductCommand)).toHaveLength(1);
  const [key] = await keysOf(tenant);
  expect(await planKeys(plans.advanced)).toEqual([key.id]);
});

test('on a shard opened at run time, the key joins that shard\'s plan of the tier, from its UsagePlans output', async () => {
  const { w, slots, plans } = await setup({ runtime: true });
  const shardPlan = (await admin.apigateway.send(new CreateUsagePlanCommand({ name: `shard-advanced-${n}` }))).id!;
  const { shard } = await slots.openShard('first');
  await slots.shardProvisioning(shard, 'rec-shard');
  await slots.shardOpened(shard, { listenerArn: 'arn:listener', securityGroupId: 'sg-1', apiId: 'api1', usagePlans: `basic=other,advanced=${shardPlan}` });
  const tenant = `runtime-${n}`;
  await onboard(w, tenant, 'advanced');
  const [key] = await keysOf(tenant);
  expect(await planKeys(shardPlan)).toEqual([key.id]);
  expect(await planKeys(plans.advanced)).toEqual([]);
});

test('a shard opened at run time without a plan of the tier fails the step, with the shard and tier named', async () => {
  const { w, slots } = await setup({ runtime: true });
  const { shard } = await slots.openShard('first');
  await slots.shardProvisioning(shard, 'rec-shard');
  await slots.shardOpened(shard, { listenerArn: 'arn:listener', securityGroupId: 'sg-1', apiId: 'api1', usagePlans: 'basic=other' });
  await expect(w.provisionStack(request(`lost-${n}`, 'advanced'))).rejects.toThrow(/router shard 1 opened at run time has no usage plan of tier 'advanced'/);
  expect(catalog.commandCalls(ProvisionProductCommand)).toHaveLength(0);
});

test('offboarding and a failed onboarding delete the tenant\'s keys marked for this router, and no other key', async () => {
  const { w, plans } = await setup();
  const tenant = `leaving-${n}`;
  await onboard(w, tenant, 'basic');
  // Another router's key for a tenant of the same id stays.
  const other = await admin.apigateway.send(new CreateApiKeyCommand({ name: 'other', customerId: tenant, enabled: true, tags: { [API_KEY_MARKER_TAG]: 'Other/router' } }));
  await offboard(w, tenant, 'basic');
  expect((await keysOf(tenant)).map((k) => k.id)).toEqual([other.id]);
  expect(await planKeys(plans.basic)).toEqual([]);

  const failed = `failing-${n}`;
  await onboard(w, failed, 'advanced');
  expect(await keysOf(failed)).toHaveLength(1);
  await w.failOnboarding(request(failed, 'advanced'), 'the stack failed');
  expect(await keysOf(failed)).toEqual([]);
  expect(await planKeys(plans.advanced)).toEqual([]);
});

test('without keys per tenant in the configuration, no key is created or looked up', async () => {
  const { w } = await setup({ tenantKeys: false });
  const tenant = `plain-${n}`;
  await onboard(w, tenant, 'basic');
  expect(await keysOf(tenant)).toEqual([]);
  await offboard(w, tenant, 'basic');
});

test('the UsagePlans output of a shard template reads back as plan ids by tier', () => {
  expect(parseShardUsagePlans('basic=abc123,advanced=def456')).toEqual({ basic: 'abc123', advanced: 'def456' });
  expect(parseShardUsagePlans('')).toEqual({});
  expect(parseShardUsagePlans(undefined)).toEqual({});
});
