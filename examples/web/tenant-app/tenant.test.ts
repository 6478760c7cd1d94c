import { describe, expect, it } from 'vitest';
import { TenantAppConfig } from '../shared/contract';
import { lookUpTenant, UnknownTenant, userOf } from './tenant';

const config: TenantAppConfig = {
  region: 'us-east-1',
  controlPlaneApiUrl: 'https://cp.example.com/',
  local: { cognitoEndpoint: 'http://127.0.0.1:9/', apiUrls: { 'https://a.execute-api.us-east-1.amazonaws.com/prod/': 'http://127.0.0.1:8/prod/' } },
};
const stored = JSON.stringify({ userPoolId: 'us-east-1_x', appClientId: 'c1', apiGatewayUrl: 'https://a.execute-api.us-east-1.amazonaws.com/prod/' });

describe('lookUpTenant', () => {
  it('reads the tenant-config route\'s JSON string, and maps the API URL where the local environment serves it', async () => {
    const urls: string[] = [];
    const fetchFn = (async (u: string) => {
      urls.push(String(u));
      return new Response(JSON.stringify(stored), { status: 200 });
    }) as unknown as typeof fetch;
    await expect(lookUpTenant(config, 'acme co', fetchFn)).resolves.toEqual({
      tenantName: 'acme co', userPoolId: 'us-east-1_x', appClientId: 'c1', apiUrl: 'http://127.0.0.1:8/prod/',
    });
    expect(urls).toEqual(['https://cp.example.com/tenant-config/acme%20co']);
  });

  it('keeps the AWS URL when deployed', async () => {
    const fetchFn = (async () => new Response(stored, { status: 200 })) as unknown as typeof fetch;
    expect((await lookUpTenant({ ...config, local: undefined }, 'acme', fetchFn)).apiUrl).toBe('https://a.execute-api.us-east-1.amazonaws.com/prod/');
  });

  it('says no tenant has the name on a 404', async () => {
    const fetchFn = (async () => new Response('{"message":"Not found"}', { status: 404 })) as unknown as typeof fetch;
    const error = await lookUpTenant(config, 'nobody', fetchFn).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownTenant);
    expect((error as Error).message).toBe("No tenant is named 'nobody'. Check the name your administrator gave you.");
  });

  it('says a tenant without its configuration is not ready', async () => {
    const fetchFn = (async () => new Response('null', { status: 200 })) as unknown as typeof fetch;
    await expect(lookUpTenant(config, 'new', fetchFn)).rejects.toThrow("'new' is not ready yet: its onboarding has not finished.");
  });
});

describe('userOf', () => {
  it('reads the tenant, role and email claims', () => {
    expect(userOf({ 'email': 'a@acme.example.com', 'custom:tenantId': 'acme', 'custom:userRole': 'TenantAdmin' })).toEqual({
      email: 'a@acme.example.com', tenantId: 'acme', role: 'TenantAdmin', isAdmin: true,
    });
    expect(userOf({ 'email': 'u@acme.example.com', 'custom:tenantId': 'acme', 'custom:userRole': 'TenantUser' }).isAdmin).toBe(false);
  });
});
