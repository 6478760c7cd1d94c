import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTable, startDynamo } from './util/dynalite';
import { TenantRegistry } from '../src/lifecycle/lambda/registry';

/** The tenant registry against an in-memory DynamoDB (dynalite): real conditional-write semantics. */
let client: DynamoDBClient;
let stop: () => Promise<void>;
let registry: TenantRegistry;
let table = 0;

beforeAll(async () => ({ client, stop } = await startDynamo()));
afterAll(async () => stop());
beforeEach(async () => {
  const name = `Tenants${table++}`;
  await createTable(client, name, 'tenantId');
  registry = new TenantRegistry(client, name);
});

describe('onboarding', () => {
  test('a new tenant is claimed once: a duplicate delivery is ignored while provisioning, answered again once active', async () => {
    expect(await registry.claimOnboarding('acme', 'r1', 'advanced')).toEqual({ action: 'PROVISION' });
    expect(await registry.claimOnboarding('acme', 'r1', 'advanced')).toMatchObject({ action: 'IGNORE', record: { status: 'PROVISIONING' } });
    await registry.markActive('acme', 'r1', '{"userPoolId":"p"}');
    expect(await registry.claimOnboarding('acme', 'r1', 'advanced')).toMatchObject({ action: 'ANSWER_AGAIN', record: { status: 'ACTIVE', config: '{"userPoolId":"p"}' } });
  });

  test('concurrent deliveries of one request: exactly one provisions', async () => {
    const claims = await Promise.all(Array.from({ length: 10 }, () => registry.claimOnboarding('acme', 'r1', 'advanced')));
    expect(claims.filter((c) => c.action === 'PROVISION')).toHaveLength(1);
    expect(claims.filter((c) => c.action === 'IGNORE')).toHaveLength(9);
  });

  test('another registration of a live tenant id is refused with the holder', async () => {
    await registry.claimOnboarding('acme', 'r1', 'advanced');
    expect(await registry.claimOnboarding('acme', 'r2', 'basic')).toEqual({ action: 'REFUSE', reason: "tenant id 'acme' is held by registration r1 (PROVISIONING)" });
  });

  test('a failed attempt may be retried by the same registration; a deleted tenant id may be registered again', async () => {
    await registry.claimOnboarding('acme', 'r1', 'advanced');
    await registry.markFailed('acme', 'r1', 'stack rolled back');
    expect(await registry.get('acme')).toMatchObject({ status: 'FAILED', reason: 'stack rolled back' });
    expect(await registry.claimOnboarding('acme', 'r1', 'advanced')).toEqual({ action: 'PROVISION' });
    await registry.markActive('acme', 'r1', '{}');
    await registry.claimOffboarding('acme', 'r1');
    await registry.markDeleted('acme', 'r1');
    expect(await registry.claimOnboarding('acme', 'r9', 'basic')).toEqual({ action: 'PROVISION' });
    expect(await registry.get('acme')).toMatchObject({ registrationId: 'r9', tier: 'basic', status: 'PROVISIONING' });
  });
});

describe('offboarding', () => {
  test('an active tenant is claimed once; a duplicate is ignored while deprovisioning and answered again once deleted', async () => {
    await registry.claimOnboarding('acme', 'r1', 'advanced');
    await registry.markActive('acme', 'r1', '{}');
    expect(await registry.claimOffboarding('acme', 'r1')).toMatchObject({ action: 'DEPROVISION', record: { status: 'DEPROVISIONING', tier: 'advanced' } });
    expect(await registry.claimOffboarding('acme', 'r1')).toMatchObject({ action: 'IGNORE' });
    await registry.markDeleted('acme', 'r1');
    expect(await registry.claimOffboarding('acme', 'r1')).toMatchObject({ action: 'ANSWER_AGAIN', record: { status: 'DELETED' } });
  });

  test('an unknown tenant, another registration, or a tenant still provisioning is refused', async () => {
    expect(await registry.claimOffboarding('nobody', 'r1')).toEqual({ action: 'REFUSE', reason: "tenant 'nobody' has no registration r1 here" });
    await registry.claimOnboarding('acme', 'r1', 'advanced');
    expect(await registry.claimOffboarding('acme', 'r2')).toEqual({ action: 'REFUSE', reason: "tenant 'acme' has no registration r2 here" });
    expect(await registry.claimOffboarding('acme', 'r1')).toEqual({ action: 'REFUSE', reason: "tenant 'acme' is PROVISIONING" });
  });

  test('transitions out of order are refused by the table, not only by the code', async () => {
    await registry.claimOnboarding('acme', 'r1', 'advanced');
    await expect(registry.markDeleted('acme', 'r1')).rejects.toThrow(/conditional request failed/i);
    await expect(registry.markActive('acme', 'r2', '{}')).rejects.toThrow(/conditional request failed/i);
  });
});

describe('retries of one state-machine execution', () => {
  test('the execution that claimed may claim again (its step was retried); another delivery may not', async () => {
    expect(await registry.claimOnboarding('acme', 'r1', 'advanced', 'exec-1')).toEqual({ action: 'PROVISION' });
    expect(await registry.claimOnboarding('acme', 'r1', 'advanced', 'exec-1')).toEqual({ action: 'PROVISION' });
    expect(await registry.claimOnboarding('acme', 'r1', 'advanced', 'exec-2')).toMatchObject({ action: 'IGNORE' });
    expect(await registry.claimOnboarding('acme', 'r1', 'advanced')).toMatchObject({ action: 'IGNORE' });
  });

  test('the same for offboarding', async () => {
    await registry.claimOnboarding('acme', 'r1', 'advanced', 'exec-1');
    await registry.markActive('acme', 'r1', '{}');
    await registry.markActive('acme', 'r1', '{}'); // a retried finish step writes the same again
    expect(await registry.claimOffboarding('acme', 'r1', 'exec-9')).toMatchObject({ action: 'DEPROVISION' });
    expect(await registry.claimOffboarding('acme', 'r1', 'exec-9')).toMatchObject({ action: 'DEPROVISION' });
    expect(await registry.claimOffboarding('acme', 'r1', 'exec-10')).toMatchObject({ action: 'IGNORE' });
  });
});
