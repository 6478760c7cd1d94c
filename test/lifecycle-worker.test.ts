import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  DeleteGroupCommand,
  GroupExistsException,
  ListUsersInGroupCommand,
  UsernameExistsException,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DescribeRecordCommand,
  ProvisionProductCommand,
  ResourceNotFoundException,
  ServiceCatalogClient,
  TerminateProvisionedProductCommand,
  UpdateProvisionedProductCommand,
} from '@aws-sdk/client-service-catalog';
import { mockClient } from 'aws-sdk-client-mock';
import { createSlotTable, createTable, startDynamo } from './util/dynalite';
import { LifecycleConfig } from '../src/contract/lifecycle';
import { TenantRegistry } from '../src/lifecycle/lambda/registry';
import { SlotTable } from '../src/lifecycle/lambda/slots';
import { LifecycleWorker } from '../src/lifecycle/lambda/worker';

/**
 * The lifecycle's steps: DynamoDB is real (dynalite: registry, slots, pooled table); Cognito, Service Catalog and
 * EventBridge are mocked (aws-sdk-client-mock), and each test reads what was sent to them.
 */
const cognito = mockClient(CognitoIdentityProviderClient);
const catalog = mockClient(ServiceCatalogClient);
const events = mockClient(EventBridgeClient);

let dynamodb: DynamoDBClient;
let stop: () => Promise<void>;
let n = 0;

beforeAll(async () => ({ client: dynamodb, stop } = await startDynamo()));
afterAll(async () => stop());
beforeEach(() => {
  cognito.reset();
  catalog.reset();
  events.reset();
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

async function worker(overrides: Partial<LifecycleConfig> = {}) {
  const i = n++;
  const config: LifecycleConfig = {
    contract: {
      source: 'applicationPlaneEventSource',
      provisionSuccess: 'provisionSuccess',
      provisionFailure: 'provisionFailure',
      deprovisionSuccess: 'deprovisionSuccess',
      deprovisionFailure: 'deprovisionFailure',
      activateRequest: 'activateRequest',
      deactivateRequest: 'deactivateRequest',
      activateSuccess: 'activateSuccess',
      activateFailure: 'activateFailure',
      deactivateSuccess: 'deactivateSuccess',
      deactivateFailure: 'deactivateFailure',
    },
    eventBusName: 'sbt-bus',
    registryTable: `Registry${i}`,
    slotTable: `Slots${i}`,
    issuerTable: `Issuers${i}`,
    namePrefix: 'AppPlane',
    tiers: {
      basic: { kind: 'SHARED', userPoolId: 'us-east-1_shared', appClientId: 'shared-client', apiGatewayUrl: 'https://shard0/prod/' },
      advanced: { kind: 'PER_TENANT', productId: 'prod-123', provisioningArtifactName: 'v1' },
    },
    pooledTables: [{ tableName: `Products${i}`, partitionKey: 'tenantId', sortKey: 'id' }],
    shards: 2,
    rulesPerListener: 100,
    reserved: { 0: [1, 2] },
    ...overrides,
  };
  await createTable(dynamodb, config.registryTable, 'tenantId');
  await createSlotTable(dynamodb, config.slotTable);
  await createTable(dynamodb, `Products${i}`, 'tenantId', 'id');
  await createTable(dynamodb, `Issuers${i}`, 'issuer');
  const cognitoClient = new CognitoIdentityProviderClient({});
  const clients = { dynamodb, cognito: cognitoClient, catalog: new ServiceCatalogClient({}), events: new EventBridgeClient({}) };
  const w = new LifecycleWorker(config, clients);
  return { w, config, registry: new TenantRegistry(dynamodb, config.registryTable) };
}

const request = (tenantId: string, tier: string, registration = `reg-${tenantId}`) => ({
  tenantId,
  tier,
  email: `admin@${tenantId}.example`,
  tenantName: tenantId.toUpperCase(),
  tenantRegistrationId: registration,
  registrationStatus: 'In progress',
});

function replies() {
  return events.commandCalls(PutEventsCommand).map((c) => {
    const e = c.args[0].input.Entries![0];
    return { bus: e.EventBusName, source: e.Source, type: e.DetailType, detail: JSON.parse(e.Detail!) };
  });
}

describe('onboarding a shared-tier tenant', () => {
  test('creates the tenant group and admin user in the shared pool and answers with the tenant config', async () => {
    const { w, registry } = await worker();
    const start = await w.startOnboarding(request('blue', 'basic'));
    expect(start.next).toBe('SHARED');
    await w.onboardShared(start.request as any);

    expect(cognito.commandCalls(CreateGroupCommand)[0].args[0].input).toMatchObject({ UserPoolId: 'us-east-1_shared', GroupName: 'tenant-blue' });
    expect(cognito.commandCalls(AdminCreateUserCommand)[0].args[0].input).toMatchObject({
      UserPoolId: 'us-east-1_shared',
      Username: 'admin@blue.example',
      UserAttributes: expect.arrayContaining([
        { Name: 'custom:tenantId', Value: 'blue' },
        { Name: 'custom:tenantTier', Value: 'basic' },
        { Name: 'custom:userRole', Value: 'TenantAdmin' },
      ]),
    });
    expect(cognito.commandCalls(AdminAddUserToGroupCommand)[0].args[0].input).toMatchObject({ Username: 'admin@blue.example', GroupName: 'tenant-blue' });
    expect(replies()).toEqual([{
      bus: 'sbt-bus',
      source: 'applicationPlaneEventSource',
      type: 'provisionSuccess',
      detail: {
        tenantRegistrationId: 'reg-blue',
        tenantId: 'blue',
        jobOutput: {
          tenantRegistrationData: { registrationStatus: 'Created' },
          tenantData: { tenantConfig: JSON.stringify({ userPoolId: 'us-east-1_shared', appClientId: 'shared-client', apiGatewayUrl: 'https://shard0/prod/' }), tier: 'basic' },
        },
      },
    }]);
    expect(await registry.get('blue')).toMatchObject({ status: 'ACTIVE' });
  });

  test('a failure half-way removes what was created (group and users) before answering with the reason', async () => {
    const { w, registry } = await worker();
    cognito.on(AdminAddUserToGroupCommand).rejects(new Error('throttled'));
    cognito.on(ListUsersInGroupCommand).resolves({ Users: [] }); // the administrator never joined the group
    cognito.on(AdminGetUserCommand).resolves({ UserAttributes: [{ Name: 'custom:tenantId', Value: 'blue' }] });
    const start = await w.startOnboarding(request('blue', 'basic'));
    await expect(w.onboardShared(start.request as any)).rejects.toThrow('throttled');
    await w.failOnboarding(start.request as any, 'Error: throttled');
    expect(cognito.commandCalls(AdminDeleteUserCommand).map((c) => c.args[0].input.Username)).toEqual(['admin@blue.example']);
    expect(cognito.commandCalls(DeleteGroupCommand)[0].args[0].input.GroupName).toBe('tenant-blue');
    expect(await registry.get('blue')).toMatchObject({ status: 'FAILED', reason: 'Error: throttled' });
    expect(replies()).toEqual([expect.objectContaining({ type: 'provisionFailure' })]);
  });

  test('a failure never removes another tenant\'s user with the administrator\'s email, nor a user that is gone', async () => {
    const { w } = await worker();
    cognito.on(ListUsersInGroupCommand).resolves({ Users: [] });
    cognito.on(AdminGetUserCommand).resolves({ UserAttributes: [{ Name: 'custom:tenantId', Value: 'green' }] });
    const start = await w.startOnboarding(request('blue', 'basic'));
    await w.failOnboarding(start.request as any, 'Error: boom');
    cognito.on(AdminGetUserCommand).rejects(new UserNotFoundException({ message: 'gone', $metadata: {} }));
    await w.failOnboarding(start.request as any, 'Error: boom');
    expect(cognito.commandCalls(AdminDeleteUserCommand)).toHaveLength(0);
    expect(replies().map((r) => r.type)).toEqual(['provisionFailure', 'provisionFailure']);
  });

  test('an existing user of another tenant with the same email is never adopted', async () => {
    const { w } = await worker();
    cognito.on(AdminCreateUserCommand).rejects(new UsernameExistsException({ message: 'exists', $metadata: {} }));
    cognito.on(AdminGetUserCommand).resolves({ UserAttributes: [{ Name: 'custom:tenantId', Value: 'green' }] });
    const start = await w.startOnboarding(request('blue', 'basic'));
    await expect(w.onboardShared(start.request as any)).rejects.toThrow('user admin@blue.example already exists in the tier\'s pool for another tenant');
    expect(cognito.commandCalls(AdminAddUserToGroupCommand)).toHaveLength(0);
  });

  test('a retried step tolerates the group and user it created before', async () => {
    const { w } = await worker();
    cognito.on(CreateGroupCommand).rejects(new GroupExistsException({ message: 'exists', $metadata: {} }));
    const start = await w.startOnboarding(request('blue', 'basic'));
    await w.onboardShared(start.request as any);
    expect(replies()[0].type).toBe('provisionSuccess');
  });

  test('a duplicate delivery does nothing while provisioning, and answers success again once active, with no new user', async () => {
    const { w } = await worker();
    const first = await w.startOnboarding(request('blue', 'basic'));
    expect(await w.startOnboarding(request('blue', 'basic'))).toEqual({ next: 'DONE' });
    expect(replies()).toEqual([]);
    await w.onboardShared(first.request as any);
    expect(await w.startOnboarding(request('blue', 'basic'))).toEqual({ next: 'DONE' });
    expect(replies().map((r) => r.type)).toEqual(['provisionSuccess', 'provisionSuccess']);
    expect(replies()[1].detail).toEqual(replies()[0].detail);
    expect(cognito.commandCalls(AdminCreateUserCommand)).toHaveLength(1);
  });
});

describe('refusals answer with the reason', () => {
  test('an invalid request', async () => {
    const { w } = await worker();
    expect(await w.startOnboarding({ ...request('blue', 'basic'), tenantId: 'Blue Corp' })).toEqual({ next: 'DONE' });
    expect(replies()[0]).toMatchObject({
      type: 'provisionFailure',
      detail: { tenantRegistrationId: 'reg-blue', jobOutput: { tenantRegistrationData: { registrationStatus: 'Failed', failureReason: expect.stringMatching(/tenantId 'Blue Corp' is not a valid tenant id/) } } },
    });
  });

  test('a request without a registration id cannot be answered: it is logged and dropped', async () => {
    const { w } = await worker();
    expect(await w.startOnboarding({ tenantId: 'blue' })).toEqual({ next: 'DONE' });
    expect(replies()).toEqual([]);
  });

  test('a second registration of a live tenant id', async () => {
    const { w } = await worker();
    await w.startOnboarding(request('blue', 'basic', 'reg-1'));
    await w.startOnboarding(request('blue', 'advanced', 'reg-2'));
    expect(replies()).toEqual([expect.objectContaining({
      type: 'provisionFailure',
      detail: expect.objectContaining({ tenantRegistrationId: 'reg-2', jobOutput: { tenantRegistrationData: { registrationStatus: 'Failed', failureReason: "tenant id 'blue' is held by registration reg-1 (PROVISIONING)" } } }),
    })]);
  });
});

describe('onboarding a stack-tier tenant', () => {
  test('takes a router slot around the declared routes and provisions the product with it, once per registration', async () => {
    const { w } = await worker();
    catalog.on(ProvisionProductCommand).resolves({ RecordDetail: { RecordId: 'rec-1' } });
    const start = await w.startOnboarding(request('acme', 'advanced'));
    expect(start.next).toBe('PER_TENANT');
    const provisioned = await w.provisionStack(start.request as any);
    expect(provisioned).toMatchObject({ slot: { shard: 0, priority: 25001 }, recordId: 'rec-1' });
    expect(catalog.commandCalls(ProvisionProductCommand)[0].args[0].input).toEqual({
      ProductId: 'prod-123',
      ProvisioningArtifactName: 'v1',
      ProvisionedProductName: 'AppPlane-acme',
      ProvisionToken: 'reg-acme',
      ProvisioningParameters: [
        { Key: 'TenantId', Value: 'acme' },
        { Key: 'RouterShard', Value: '0' },
        { Key: 'RulePriority', Value: '25001' },
        { Key: 'TenantAdminEmail', Value: 'admin@acme.example' },
      ],
      Tags: [{ Key: 'TenantId', Value: 'acme' }, { Key: 'TenantTier', Value: 'advanced' }],
    });
  });

  test('a tier routed by its routing service: no router slot, and the product gets neither RouterShard nor RulePriority', async () => {
    const { w, config } = await worker({
      tiers: { standard: { kind: 'PER_TENANT', productId: 'prod-456', provisioningArtifactName: 'v1', takesNoRoute: true } },
    });
    catalog.on(ProvisionProductCommand).resolves({ RecordDetail: { RecordId: 'rec-1' } });
    const start = await w.startOnboarding(request('hooli', 'standard'));
    const provisioned = await w.provisionStack(start.request as any);
    expect(provisioned).toEqual({ request: start.request, slot: undefined, recordId: 'rec-1' });
    expect(catalog.commandCalls(ProvisionProductCommand)[0].args[0].input.ProvisioningParameters).toEqual([
      { Key: 'TenantId', Value: 'hooli' },
      { Key: 'TenantAdminEmail', Value: 'admin@hooli.example' },
    ]);
    const slots = await dynamodb.send(new ScanCommand({ TableName: config.slotTable }));
    expect(slots.Items).toEqual([]);
    // Failing or offboarding it frees no slot, and finds none to free.
    await w.failOnboarding(start.request as any, 'test');
  });

  test('waits while the record runs, and answers with the stack\'s outputs once it succeeded', async () => {
    const { w } = await worker();
    catalog.on(DescribeRecordCommand)
      .resolvesOnce({ RecordDetail: { Status: 'IN_PROGRESS' } })
      .resolves({
        RecordDetail: { Status: 'SUCCEEDED' },
        RecordOutputs: [{ OutputKey: 'UserPoolId', OutputValue: 'us-east-1_acme' }, { OutputKey: 'AppClientId', OutputValue: 'acme-client' }, { OutputKey: 'ApiUrl', OutputValue: 'https://shard0/prod/' }],
      });
    const start = await w.startOnboarding(request('acme', 'advanced'));
    expect(await w.checkRecord('rec-1')).toEqual({ status: 'WAIT' });
    const done = await w.checkRecord('rec-1');
    await w.finishStack(start.request as any, done.outputs!);
    expect(JSON.parse(replies()[0].detail.jobOutput.tenantData.tenantConfig)).toEqual({ userPoolId: 'us-east-1_acme', appClientId: 'acme-client', apiGatewayUrl: 'https://shard0/prod/' });
  });

  test('a failed record is an error with the service\'s reasons; a stack without the outputs too', async () => {
    const { w } = await worker();
    catalog.on(DescribeRecordCommand).resolves({ RecordDetail: { Status: 'FAILED', RecordErrors: [{ Code: 'CREATE_FAILED', Description: 'ECS service did not stabilize' }] } });
    await expect(w.checkRecord('rec-1')).rejects.toThrow('provisioning record rec-1 is FAILED: CREATE_FAILED: ECS service did not stabilize');
    const start = await w.startOnboarding(request('acme', 'advanced'));
    await expect(w.finishStack(start.request as any, { UserPoolId: 'p' })).rejects.toThrow('the tenant stack has no output AppClientId, ApiUrl');
  });

  test('after a failure the product is terminated, the slot freed, the tenant FAILED and the control plane told why', async () => {
    const { w, config, registry } = await worker();
    catalog.on(ProvisionProductCommand).resolves({ RecordDetail: { RecordId: 'rec-1' } });
    catalog.on(TerminateProvisionedProductCommand).resolves({ RecordDetail: { RecordId: 'rec-2' } });
    const start = await w.startOnboarding(request('acme', 'advanced'));
    const provisioned = await w.provisionStack(start.request as any);
    expect(await w.terminateStack('acme', 'reg-acme')).toEqual({ recordId: 'rec-2' });
    expect(catalog.commandCalls(TerminateProvisionedProductCommand)[0].args[0].input).toMatchObject({ ProvisionedProductName: 'AppPlane-acme', TerminateToken: 'reg-acme' });
    await w.failOnboarding(start.request as any, 'provisioning record rec-1 is FAILED', provisioned.slot);
    expect(await registry.get('acme')).toMatchObject({ status: 'FAILED', reason: 'provisioning record rec-1 is FAILED' });
    expect(replies()[0]).toMatchObject({ type: 'provisionFailure', detail: { jobOutput: { tenantRegistrationData: { registrationStatus: 'Failed' } } } });
    const slots = new SlotTable({ client: dynamodb, tableName: config.slotTable, shards: 2, rulesPerListener: 100, reserved: config.reserved });
    expect(await slots.find('acme')).toBeUndefined();
  });

  test('a slot taken before ProvisionProduct failed is found and freed by the failure step', async () => {
    const { w, config } = await worker();
    catalog.on(ProvisionProductCommand).rejects(new Error('throttled'));
    const start = await w.startOnboarding(request('acme', 'advanced'));
    await expect(w.provisionStack(start.request as any)).rejects.toThrow('throttled');
    const slots = new SlotTable({ client: dynamodb, tableName: config.slotTable, shards: 2, rulesPerListener: 100, reserved: config.reserved });
    expect(await slots.find('acme')).toBeDefined();
    await w.failOnboarding(start.request as any, 'Error: throttled');
    expect(await slots.find('acme')).toBeUndefined();
  });

  test('terminating a product that was never created is not an error', async () => {
    const { w } = await worker();
    catalog.on(TerminateProvisionedProductCommand).rejects(new ResourceNotFoundException({ message: 'none', $metadata: {} }));
    expect(await w.terminateStack('acme', 'reg-acme')).toEqual({});
  });
});

describe('offboarding', () => {
  async function active(w: LifecycleWorker, tenantId: string, tier: string) {
    const start = await w.startOnboarding(request(tenantId, tier));
    if (tier === 'basic') {
      await w.onboardShared(start.request as any);
    } else {
      catalog.on(ProvisionProductCommand).resolves({ RecordDetail: { RecordId: 'rec-1' } });
      await w.provisionStack(start.request as any);
      await w.finishStack(start.request as any, { UserPoolId: 'p', AppClientId: 'c', ApiUrl: 'u' });
    }
    events.resetHistory();
  }

  test('a shared-tier tenant: its own users (never another tenant\'s) and group removed, its pooled items purged, DELETED, answered', async () => {
    const { w, config, registry } = await worker();
    await active(w, 'blue', 'basic');
    for (const [tenant, id] of [['blue', 'p1'], ['blue', 'p2'], ['green', 'p1']]) {
      await dynamodb.send(new PutItemCommand({ TableName: config.pooledTables[0].tableName, Item: { tenantId: { S: tenant }, id: { S: id } } }));
    }
    const of = (tenant: string) => [{ Name: 'custom:tenantId', Value: tenant }];
    cognito.on(ListUsersInGroupCommand)
      .resolvesOnce({ Users: [{ Username: 'admin@blue.example', Attributes: of('blue') }, { Username: 'admin@green.example', Attributes: of('green') }], NextToken: 'n' })
      .resolves({ Users: [{ Username: 'user@blue.example', Attributes: of('blue') }] });
    const start = await w.startOffboarding({ ...request('blue', 'basic'), sbtaws_active: true });
    expect(start.next).toBe('SHARED');
    await w.removeSharedUsers(start.request as any);
    await w.finishOffboarding(start.request as any);
    expect(cognito.commandCalls(AdminDeleteUserCommand).map((c) => c.args[0].input.Username)).toEqual(['admin@blue.example', 'user@blue.example']);
    expect(cognito.commandCalls(DeleteGroupCommand)[0].args[0].input.GroupName).toBe('tenant-blue');
    const left = await dynamodb.send(new QueryCommand({ TableName: config.pooledTables[0].tableName, KeyConditionExpression: 'tenantId = :t', ExpressionAttributeValues: { ':t': { S: 'green' } } }));
    expect(left.Count).toBe(1);
    const gone = await dynamodb.send(new QueryCommand({ TableName: config.pooledTables[0].tableName, KeyConditionExpression: 'tenantId = :t', ExpressionAttributeValues: { ':t': { S: 'blue' } } }));
    expect(gone.Count).toBe(0);
    expect(await registry.get('blue')).toMatchObject({ status: 'DELETED' });
    expect(replies()).toEqual([expect.objectContaining({ type: 'deprovisionSuccess', detail: expect.objectContaining({ jobOutput: { tenantRegistrationData: { registrationStatus: 'Deleted' } } }) })]);
  });

  test('a stack-tier tenant frees its router slot; a duplicate request is answered again without work', async () => {
    const { w, config } = await worker();
    await active(w, 'acme', 'advanced');
    const start = await w.startOffboarding(request('acme', 'advanced'));
    expect(start.next).toBe('PER_TENANT');
    await w.finishOffboarding(start.request as any);
    const slots = new SlotTable({ client: dynamodb, tableName: config.slotTable, shards: 2, rulesPerListener: 100, reserved: config.reserved });
    expect(await slots.find('acme')).toBeUndefined();
    expect(await w.startOffboarding(request('acme', 'advanced'))).toEqual({ next: 'DONE' });
    expect(replies().map((r) => r.type)).toEqual(['deprovisionSuccess', 'deprovisionSuccess']);
  });

  test('an unknown tenant is refused, and a failed offboarding is answered with its reason', async () => {
    const { w } = await worker();
    await w.startOffboarding(request('nobody', 'basic'));
    expect(replies()[0]).toMatchObject({ type: 'deprovisionFailure', detail: { jobOutput: { tenantRegistrationData: { failureReason: "tenant 'nobody' has no registration reg-nobody here" } } } });
    await active(w, 'blue', 'basic');
    const start = await w.startOffboarding(request('blue', 'basic'));
    await w.failOffboarding(start.request as any, 'DeleteGroup throttled');
    expect(replies()[0]).toMatchObject({ type: 'deprovisionFailure', detail: { jobOutput: { tenantRegistrationData: { failureReason: 'DeleteGroup throttled' } } } });
  });
});

test('a success reply EventBridge refuses is a ReplyFailed error, and the tenant stays ACTIVE (the state machine keeps it)', async () => {
  const { w, registry } = await worker();
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });
  const start = await w.startOnboarding(request('blue', 'basic'));
  const error = await w.onboardShared(start.request as any).then(() => undefined, (e: Error) => e);
  expect(error).toMatchObject({ name: 'ReplyFailed', message: 'tenant blue is ACTIVE, but its success reply was not sent: the reply was not accepted: InternalFailure try again' });
  expect(await registry.get('blue')).toMatchObject({ status: 'ACTIVE' });
  // Delivering the request again answers from the registry once EventBridge accepts replies.
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
  const again = await w.startOnboarding(request('blue', 'basic'));
  expect(again.next).toBe('DONE');
  expect(replies().at(-1)).toMatchObject({ type: 'provisionSuccess' });
});

test('a failure reply EventBridge refuses stays a plain error (retried, never ReplyFailed)', async () => {
  const { w } = await worker();
  const start = await w.startOnboarding(request('blue', 'basic'));
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });
  const error = await w.failOnboarding(start.request as any, 'boom').then(() => undefined, (e: Error) => e);
  expect(error).toMatchObject({ message: 'the reply was not accepted: InternalFailure try again' });
  expect(error?.name).not.toBe('ReplyFailed');
});

describe('updates in waves', () => {
  test('active tenants of the tier are planned in waves of the given size, in tenant order', async () => {
    const { w } = await worker();
    catalog.on(ProvisionProductCommand).resolves({ RecordDetail: { RecordId: 'rec' } });
    for (const t of ['delta', 'acme', 'charlie', 'bravo', 'echo']) {
      const start = await w.startOnboarding(request(t, 'advanced'));
      await w.provisionStack(start.request as any);
      if (t !== 'echo') {
        await w.finishStack(start.request as any, { UserPoolId: 'p', AppClientId: 'c', ApiUrl: 'u' });
      }
    }
    const basic = await w.startOnboarding(request('blue', 'basic'));
    await w.onboardShared(basic.request as any);
    // echo is still provisioning and blue is in another tier: neither is updated.
    expect(await w.planWaves('advanced', 2)).toEqual({ waves: [['acme', 'bravo'], ['charlie', 'delta']], tenants: 4 });
    await expect(w.planWaves('advanced', 0)).rejects.toThrow('waveSize must be a whole number of at least 1; got 0');
    await expect(w.planWaves('basic', 2)).rejects.toThrow("tier 'basic' is not a stack tier (stackTiers) of this lifecycle");
  });

  test('a tenant\'s stack is updated to the version by name, keeping every parameter, with an idempotent token', async () => {
    const { w } = await worker();
    catalog.on(UpdateProvisionedProductCommand).resolves({ RecordDetail: { RecordId: 'rec-u' } });
    expect(await w.updateStack('acme', 'advanced', 'v2', 'exec-1')).toEqual({ recordId: 'rec-u' });
    expect(catalog.commandCalls(UpdateProvisionedProductCommand)[0].args[0].input).toEqual({
      ProvisionedProductName: 'AppPlane-acme',
      ProductId: 'prod-123',
      ProvisioningArtifactName: 'v2',
      UpdateToken: 'exec-1-acme',
      ProvisioningParameters: [
        { Key: 'TenantId', UsePreviousValue: true },
        { Key: 'RouterShard', UsePreviousValue: true },
        { Key: 'RulePriority', UsePreviousValue: true },
        { Key: 'TenantAdminEmail', UsePreviousValue: true },
      ],
    });
  });

  test('a template without a route of its own (behind a routing service) is updated without RouterShard or RulePriority', async () => {
    const { w } = await worker({ tiers: { standard: { kind: 'PER_TENANT', productId: 'prod-456', provisioningArtifactName: 'v1', takesNoRoute: true } } });
    catalog.on(UpdateProvisionedProductCommand).resolves({ RecordDetail: { RecordId: 'rec-u' } });
    await w.updateStack('hooli', 'standard', 'v2', 'exec-1');
    expect(catalog.commandCalls(UpdateProvisionedProductCommand)[0].args[0].input.ProvisioningParameters).toEqual([
      { Key: 'TenantId', UsePreviousValue: true },
      { Key: 'TenantAdminEmail', UsePreviousValue: true },
    ]);
  });
});

describe('tenant user pools', () => {
  const ISSUER = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_acme';
  const outputs = { UserPoolId: 'us-east-1_acme', AppClientId: 'acme-client', ApiUrl: 'u', TenantIssuer: ISSUER };
  const issuerItem = async (table: string) => (await dynamodb.send(new GetItemCommand({ TableName: table, Key: { issuer: { S: ISSUER } } }))).Item;

  test('a stack with its own pool registers it with the router for its tenant, and offboarding removes it', async () => {
    const { w, config } = await worker();
    catalog.on(ProvisionProductCommand).resolves({ RecordDetail: { RecordId: 'rec' } });
    const start = await w.startOnboarding(request('acme', 'advanced'));
    await w.provisionStack(start.request as any);
    await w.finishStack(start.request as any, outputs);
    expect(await issuerItem(config.issuerTable!)).toEqual({
      issuer: { S: ISSUER }, tenantId: { S: 'acme' }, tier: { S: 'advanced' }, clientIds: { SS: ['acme-client'] },
    });
    const off = await w.startOffboarding(request('acme', 'advanced'));
    await w.finishOffboarding(off.request as any);
    expect(await issuerItem(config.issuerTable!)).toBeUndefined();
  });

  test('a pool registered for another tenant is never taken over', async () => {
    const { w, config } = await worker();
    await dynamodb.send(new PutItemCommand({ TableName: config.issuerTable!, Item: { issuer: { S: ISSUER }, tenantId: { S: 'globex' }, clientIds: { SS: ['x'] } } }));
    const start = await w.startOnboarding(request('acme', 'advanced'));
    await expect(w.finishStack(start.request as any, outputs)).rejects.toThrow(/conditional request failed/i);
  });

  test('a tenant pool without an issuer registry is an error, not a tenant nobody can sign in to', async () => {
    const { w } = await worker({ issuerTable: undefined });
    const start = await w.startOnboarding(request('acme', 'advanced'));
    await expect(w.finishStack(start.request as any, outputs)).rejects.toThrow('the tenant stack has its own user pool, but the router keeps no issuer registry (issuerRegistry: true)');
  });
});

describe('shards opened at run time', () => {
  const runtime = {
    shards: 1,
    rulesPerListener: 1,
    reserved: {},
    runtimeShards: { productId: 'prod-shard', provisioningArtifactName: 'v1', max: 2, reserved: [] },
    tiers: { advanced: { kind: 'PER_TENANT' as const, productId: 'prod-123', provisioningArtifactName: 'v1', runtimeShardParameters: true } },
  };

  test('every shard full: provisionStack provisions nothing and asks for a shard; openShard provisions the router\'s template once', async () => {
    const { w } = await worker(runtime);
    catalog.on(ProvisionProductCommand).resolves({ RecordDetail: { RecordId: 'rec-1' } });
    await w.provisionStack(request('acme', 'advanced'));
    catalog.resetHistory();
    expect(await w.provisionStack(request('globex', 'advanced'))).toEqual({ request: request('globex', 'advanced'), openShard: true });
    expect(catalog.commandCalls(ProvisionProductCommand)).toHaveLength(0);
    expect(await w.openShard('globex')).toEqual({ shard: 1 });
    expect(await w.openShard('initech')).toEqual({ shard: 1 }); // another onboarding joins the same opening
    const calls = catalog.commandCalls(ProvisionProductCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([{
      ProductId: 'prod-shard',
      ProvisioningArtifactName: 'v1',
      ProvisionedProductName: 'AppPlane-shard_1',
      ProvisionToken: 'shard_1',
      ProvisioningParameters: [{ Key: 'ShardIndex', Value: '1' }],
      Tags: [{ Key: 'RouterShard', Value: '1' }],
    }]);
  });

  test('checkShard waits for the record, records the shard\'s outputs, and the next provisionStack places the tenant on it', async () => {
    const { w } = await worker(runtime);
    catalog.on(ProvisionProductCommand).resolves({ RecordDetail: { RecordId: 'rec-1' } });
    await w.provisionStack(request('acme', 'advanced'));
    await w.openShard('globex');
    catalog.on(DescribeRecordCommand).resolvesOnce({ RecordDetail: { Status: 'IN_PROGRESS' } }).resolves({
      RecordDetail: { Status: 'SUCCEEDED' },
      RecordOutputs: [
        { OutputKey: 'ListenerArn', OutputValue: 'arn:listener/1' },
        { OutputKey: 'LoadBalancerSecurityGroupId', OutputValue: 'sg-1' },
        { OutputKey: 'ApiId', OutputValue: 'api1' },
      ],
    });
    expect(await w.checkShard(1)).toEqual({ status: 'WAIT' });
    expect(await w.checkShard(1)).toEqual({ status: 'READY' });
    catalog.resetHistory();
    const state = await w.provisionStack(request('globex', 'advanced'));
    expect(state.slot).toEqual({ shard: 1, priority: 25001, runtime: { listenerArn: 'arn:listener/1', securityGroupId: 'sg-1', apiId: 'api1' } });
    expect(catalog.commandCalls(ProvisionProductCommand)[0].args[0].input.ProvisioningParameters).toEqual([
      { Key: 'TenantId', Value: 'globex' },
      { Key: 'RouterShard', Value: '0' },
      { Key: 'RulePriority', Value: '25001' },
      { Key: 'TenantAdminEmail', Value: 'admin@globex.example' },
      { Key: 'ShardListenerArn', Value: 'arn:listener/1' },
      { Key: 'ShardSecurityGroupId', Value: 'sg-1' },
      { Key: 'ShardApiId', Value: 'api1' },
    ]);
  });

  test('a failed opening, or a shard stack without its outputs, is forgotten (opened again next time) and fails the onboarding', async () => {
    const { w } = await worker(runtime);
    catalog.on(ProvisionProductCommand).resolves({ RecordDetail: { RecordId: 'rec-1' } });
    await w.provisionStack(request('acme', 'advanced'));
    await w.openShard('globex');
    catalog.on(DescribeRecordCommand).resolvesOnce({ RecordDetail: { Status: 'FAILED', RecordErrors: [{ Code: 'CFN', Description: 'quota' }] } });
    await expect(w.checkShard(1)).rejects.toThrow('provisioning record rec-1 is FAILED: CFN: quota');
    catalog.resetHistory();
    expect(await w.openShard('globex')).toEqual({ shard: 1 });
    expect(catalog.commandCalls(ProvisionProductCommand)).toHaveLength(1);
    catalog.on(DescribeRecordCommand).resolves({ RecordDetail: { Status: 'SUCCEEDED' }, RecordOutputs: [{ OutputKey: 'ApiId', OutputValue: 'api1' }] });
    await expect(w.checkShard(1)).rejects.toThrow("the router shard's stack has no output ListenerArn, LoadBalancerSecurityGroupId");
    expect(await w.openShard('globex')).toEqual({ shard: 1 });
  });

  test('a tenant of a tier with a load balancer per tenant opens a shard of its own, even with room in the shared ones', async () => {
    const premium = { kind: 'PER_TENANT' as const, productId: 'prod-456', provisioningArtifactName: 'v1', runtimeShardParameters: true, dedicatedShard: true };
    const { w } = await worker({ ...runtime, tiers: { ...runtime.tiers, premium } });
    catalog.on(ProvisionProductCommand).resolves({ RecordDetail: { RecordId: 'rec-1' } });
    expect(await w.provisionStack(request('initech', 'premium'))).toEqual({ request: request('initech', 'premium'), openShard: true });
    expect(catalog.commandCalls(ProvisionProductCommand)).toHaveLength(0);
    expect(await w.openShard('initech', 'premium')).toEqual({ shard: 1 });
    // An advanced tenant still goes to the deploy-time shard's free slot; one more opens a shard of the tier's kind.
    await w.provisionStack(request('acme', 'advanced'));
    expect(await w.provisionStack(request('globex', 'advanced'))).toMatchObject({ openShard: true });
    expect(await w.openShard('globex', 'advanced')).toEqual({ shard: 2 });
    catalog.on(DescribeRecordCommand).resolves({
      RecordDetail: { Status: 'SUCCEEDED' },
      RecordOutputs: [{ OutputKey: 'ListenerArn', OutputValue: 'arn:listener/1' }, { OutputKey: 'LoadBalancerSecurityGroupId', OutputValue: 'sg-1' }, { OutputKey: 'ApiId', OutputValue: 'api1' }],
    });
    expect(await w.checkShard(1)).toEqual({ status: 'READY' });
    catalog.resetHistory();
    const state = await w.provisionStack(request('initech', 'premium'));
    expect(state.slot).toEqual({ shard: 1, priority: 25001, runtime: { listenerArn: 'arn:listener/1', securityGroupId: 'sg-1', apiId: 'api1' } });
    expect(catalog.commandCalls(ProvisionProductCommand)[0].args[0].input.ProvisioningParameters).toEqual(expect.arrayContaining([
      { Key: 'ShardListenerArn', Value: 'arn:listener/1' },
      { Key: 'ShardApiId', Value: 'api1' },
    ]));
    const names = catalog.commandCalls(ProvisionProductCommand).map((c) => c.args[0].input.ProvisionedProductName);
    expect(names).toEqual(['AppPlane-initech']);
  });

  test('a template without the runtime shard parameters gets none, and cannot be placed on a shard opened at run time', async () => {
    const { w } = await worker({ ...runtime, tiers: { advanced: { kind: 'PER_TENANT', productId: 'prod-123', provisioningArtifactName: 'v1' } } });
    catalog.on(ProvisionProductCommand).resolves({ RecordDetail: { RecordId: 'rec-1' } });
    await w.provisionStack(request('acme', 'advanced'));
    expect(catalog.commandCalls(ProvisionProductCommand)[0].args[0].input.ProvisioningParameters!.map((p) => p.Key))
      .toEqual(['TenantId', 'RouterShard', 'RulePriority', 'TenantAdminEmail']);
    await w.openShard('globex');
    catalog.on(DescribeRecordCommand).resolves({
      RecordDetail: { Status: 'SUCCEEDED' },
      RecordOutputs: [{ OutputKey: 'ListenerArn', OutputValue: 'l' }, { OutputKey: 'LoadBalancerSecurityGroupId', OutputValue: 'g' }, { OutputKey: 'ApiId', OutputValue: 'a' }],
    });
    await w.checkShard(1);
    await expect(w.provisionStack(request('globex', 'advanced'))).rejects.toThrow(
      "tier 'advanced' has a slot on a shard opened at run time, but its template takes no runtime shard parameters (TenantTemplate.runtimeShard)");
  });
});

describe('suspending and reactivating a tenant', () => {
  async function active(tenantId: string) {
    const ctx = await worker({ suspensionTable: `Suspensions${n}` });
    await createTable(dynamodb, ctx.config.suspensionTable!, 'tenantId');
    await ctx.w.startOnboarding(request(tenantId, 'basic'));
    await ctx.registry.markActive(tenantId, `reg-${tenantId}`, '{}');
    events.resetHistory();
    return ctx;
  }
  const suspension = async (table: string, tenantId: string) =>
    (await dynamodb.send(new GetItemCommand({ TableName: table, Key: { tenantId: { S: tenantId } } }))).Item;

  test('sbt-aws\'s deactivateRequest suspends: the router\'s table and the registry, then the reply; activateRequest undoes it', async () => {
    const { w, config, registry } = await active('blue');
    await w.changeStatus('deactivateRequest', { tenantId: 'blue', tenantRegistrationId: 'reg-blue' });
    expect(await suspension(config.suspensionTable!, 'blue')).toBeDefined();
    expect((await registry.get('blue'))?.suspended).toBe(true);
    expect(replies()).toEqual([{
      bus: 'sbt-bus',
      source: 'applicationPlaneEventSource',
      type: 'deactivateSuccess',
      detail: { tenantId: 'blue', tenantRegistrationId: 'reg-blue', tenantStatus: 'SUSPENDED' },
    }]);
    // Delivered again: the same answer, nothing else.
    await w.changeStatus('deactivateRequest', { tenantId: 'blue', tenantRegistrationId: 'reg-blue' });
    expect(replies()[1].type).toBe('deactivateSuccess');
    await w.changeStatus('activateRequest', { tenantId: 'blue' });
    expect(await suspension(config.suspensionTable!, 'blue')).toBeUndefined();
    expect((await registry.get('blue'))?.suspended).toBeUndefined();
    expect(replies()[2]).toMatchObject({ type: 'activateSuccess', detail: { tenantId: 'blue', tenantStatus: 'ACTIVE' } });
  });

  test('our own requests do the same, answered with the contract\'s replies', async () => {
    const { w, config } = await active('green');
    await w.changeStatus('suspendTenantRequest', { tenantId: 'green' });
    expect(await suspension(config.suspensionTable!, 'green')).toBeDefined();
    await w.changeStatus('reactivateTenantRequest', { tenantId: 'green' });
    expect(await suspension(config.suspensionTable!, 'green')).toBeUndefined();
    expect(replies().map((r) => r.type)).toEqual(['deactivateSuccess', 'activateSuccess']);
  });

  test('a tenant that is not active here, or a router without suspensions, is refused with the reason; nothing is written', async () => {
    const { w, config } = await active('red');
    await w.changeStatus('deactivateRequest', { tenantId: 'nobody', tenantRegistrationId: 'reg-x' });
    expect(await suspension(config.suspensionTable!, 'nobody')).toBeUndefined();
    expect(replies()).toEqual([expect.objectContaining({
      type: 'deactivateFailure', detail: { tenantId: 'nobody', tenantRegistrationId: 'reg-x', failureReason: 'tenant \'nobody\' is not active here' },
    })]);
    const plain = await worker();
    events.resetHistory();
    await plain.w.changeStatus('activateRequest', { tenantId: 'red' });
    expect(replies()[0]).toMatchObject({
      type: 'activateFailure', detail: { failureReason: 'the router keeps no table of suspended tenants (TenantRouter suspensions: true)' },
    });
    // No valid tenant id: nothing to answer about.
    events.resetHistory();
    expect(await w.changeStatus('deactivateRequest', { tenantId: '../x' })).toEqual({ next: 'DONE' });
    expect(replies()).toEqual([]);
  });

  test('offboarding a suspended tenant clears its suspension, so that its id does not come back suspended', async () => {
    const { w, config } = await active('gold');
    await w.changeStatus('deactivateRequest', { tenantId: 'gold' });
    const start = await w.startOffboarding({ tenantId: 'gold', tenantRegistrationId: 'reg-gold', tier: 'basic' });
    cognito.on(ListUsersInGroupCommand).resolves({ Users: [] });
    await w.finishOffboarding(start.request as any);
    expect(await suspension(config.suspensionTable!, 'gold')).toBeUndefined();
  });

  test('a failure after every retry is answered with the reason', async () => {
    const { w } = await active('pink');
    await w.failStatusChange('activateRequest', { tenantId: 'pink', tenantRegistrationId: 'reg-pink' }, 'ThrottlingException: slow down');
    expect(replies()).toEqual([expect.objectContaining({
      type: 'activateFailure', detail: { tenantId: 'pink', tenantRegistrationId: 'reg-pink', failureReason: 'ThrottlingException: slow down' },
    })]);
  });
});
