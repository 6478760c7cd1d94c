import { describe, expect, it } from 'vitest';
import { TENANT_ID_RULE } from '../../../src/contract/tenant-id';
import { inProgress, lastFailure, nameTaken, parseTenantConfig, statusOf, validateOnboarding } from './tenants';
import { scriptedFetch, testApi } from '../shared/testing';

describe('statusOf', () => {
  const tenant = { tenantId: 't1', tenantRegistrationId: 'r1' };
  it.each([
    [{}, undefined, 'Onboarding'],
    [{}, { tenantRegistrationId: 'r1' }, 'Onboarding'],
    [{}, { tenantRegistrationId: 'r1', registrationStatus: 'Created' }, 'Active'],
    [{}, { tenantRegistrationId: 'r1', registrationStatus: 'Failed', failureReason: 'x' }, 'Failed'],
    [{ sbtaws_active: false }, { tenantRegistrationId: 'r1', registrationStatus: 'Created' }, 'Offboarding'],
    [{ sbtaws_active: false }, { tenantRegistrationId: 'r1', registrationStatus: 'Deleted' }, 'Offboarded'],
    [{ sbtaws_active: false }, { tenantRegistrationId: 'r1', registrationStatus: 'Failed' }, 'Offboarding'],
  ])('tenant %j with registration %j is %s', (extra, registration, status) => {
    expect(statusOf({ ...tenant, ...extra }, registration)).toBe(status);
  });

  it('polls only while onboarding or offboarding', () => {
    expect(['Onboarding', 'Active', 'Failed', 'Offboarding', 'Offboarded'].filter((s) => inProgress(s as never))).toEqual(['Onboarding', 'Offboarding']);
  });
});

describe('validateOnboarding', () => {
  const tiers = ['basic', 'advanced', 'premium'];
  it('accepts a name that is a valid tenant id, an email and a known tier', () => {
    expect(validateOnboarding({ tenantName: 'hooli-2', email: 'admin@hooli.example.com', tier: 'advanced' }, tiers)).toEqual({});
  });

  it.each(['', 'Hooli', 'hooli_2', '-hooli', 'hooli-', 'a'.repeat(37), 'hoo li'])('refuses the name %j with the tenant-id rule', (tenantName) => {
    expect(validateOnboarding({ tenantName, email: 'a@b.co', tier: 'basic' }, tiers).tenantName).toBe(`The name must be ${TENANT_ID_RULE}.`);
  });

  it('refuses a malformed email and an unknown tier', () => {
    expect(validateOnboarding({ tenantName: 'x', email: 'not-an-email', tier: 'gold' }, tiers)).toEqual({
      email: 'Enter the email address of the tenant\'s administrator, such as admin@example.com.',
      tier: 'Choose one of the tiers: basic, advanced, premium.',
    });
  });
});

describe('parseTenantConfig', () => {
  it('reads the JSON string the lifecycle stores, and nothing else', () => {
    expect(parseTenantConfig({ tenantId: 't', tenantConfig: '{"userPoolId":"p","appClientId":"c","apiGatewayUrl":"u"}' })).toEqual({ userPoolId: 'p', appClientId: 'c', apiGatewayUrl: 'u' });
    expect(parseTenantConfig({ tenantId: 't' })).toBeUndefined();
    expect(parseTenantConfig({ tenantId: 't', tenantConfig: 'not json' })).toBeUndefined();
  });
});

describe('lastFailure', () => {
  it('is the reason of the latest reply when it was a failure, whichever operation failed', () => {
    expect(lastFailure({ tenantRegistrationId: 'r', registrationStatus: 'Failed', failureReason: 'boom' })).toBe('boom');
    expect(lastFailure({ tenantRegistrationId: 'r', registrationStatus: 'Failed' })).toBe('The lifecycle reported a failure without a reason.');
    expect(lastFailure({ tenantRegistrationId: 'r', registrationStatus: 'Created', failureReason: 'old' })).toBeUndefined();
    expect(lastFailure(undefined)).toBeUndefined();
  });
});

describe('nameTaken', () => {
  it('finds a name the tenant-config route knows (an onboarded tenant, offboarded ones included)', async () => {
    await expect(nameTaken(testApi(scriptedFetch({ 'GET /tenant-config/acme': { body: '{}' } })), 'acme')).resolves.toBe(true);
  });

  it('finds a name still onboarding in the tenants list, page after page', async () => {
    const api = testApi(scriptedFetch({
      'GET /tenant-config/acme': { status: 404, body: { message: 'No tenant details found for acme' } },
      'GET /tenants?limit=100': { body: { data: [{ tenantId: 't1', tenantName: 'other' }], next_token: 't1' } },
      'GET /tenants?limit=100&next_token=t1': { body: { data: [{ tenantId: 't2', tenantName: 'acme' }] } },
    }));
    await expect(nameTaken(api, 'acme')).resolves.toBe(true);
  });

  it('is false when neither knows it', async () => {
    const api = testApi(scriptedFetch({
      'GET /tenant-config/new': { status: 404, body: { message: 'No tenant details found for new' } },
      'GET /tenants?limit=100': { body: { data: [] } },
    }));
    await expect(nameTaken(api, 'new')).resolves.toBe(false);
  });
});
