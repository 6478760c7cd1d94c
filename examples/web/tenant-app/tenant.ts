/** The tenant app's view of its tenant: the configuration the control plane hands out, and the signed-in user. */
import { TENANT_ADMIN_ROLE, TENANT_CLAIMS } from '../../../src/contract/identity';
import { apiBaseUrl } from '../shared/config';
import { TenantAppConfig } from '../shared/contract';

/** What the control plane's tenant-config route answers for a tenant name. */
export interface TenantSettings {
  readonly tenantName: string;
  readonly userPoolId: string;
  readonly appClientId: string;
  /** Where this tenant's API is reached from here (the local environment maps the AWS URL). */
  readonly apiUrl: string;
}

/** No tenant has that name (or it has no configuration yet). */
export class UnknownTenant extends Error {}

/**
 * Looks a tenant up by name through the control plane's tenant-config route (no sign-in needed). sbt-aws answers
 * the stored `tenantConfig`, a JSON string.
 */
export async function lookUpTenant(config: TenantAppConfig, tenantName: string, fetchFn: typeof fetch = fetch): Promise<TenantSettings> {
  let response: Response;
  try {
    response = await fetchFn(new URL(`tenant-config/${encodeURIComponent(tenantName)}`, config.controlPlaneApiUrl).toString());
  } catch {
    throw new Error('The control plane could not be reached. Check your connection and try again.');
  }
  if (response.status === 404) {
    throw new UnknownTenant(`No tenant is named '${tenantName}'. Check the name your administrator gave you.`);
  }
  if (!response.ok) {
    throw new Error(`The control plane could not look the tenant up (HTTP ${response.status}). Try again shortly.`);
  }
  let body: unknown = await response.json();
  for (let i = 0; i < 2 && typeof body === 'string'; i++) {
    body = JSON.parse(body);
  }
  const found = body as { userPoolId?: unknown; appClientId?: unknown; apiGatewayUrl?: unknown };
  if (typeof found?.userPoolId !== 'string' || typeof found.appClientId !== 'string' || typeof found.apiGatewayUrl !== 'string') {
    throw new UnknownTenant(`'${tenantName}' is not ready yet: its onboarding has not finished.`);
  }
  return { tenantName, userPoolId: found.userPoolId, appClientId: found.appClientId, apiUrl: apiBaseUrl(found.apiGatewayUrl, config.local) };
}

/** Who is signed in, from the ID token's claims. */
export interface TenantUser {
  readonly email: string;
  readonly tenantId: string;
  readonly role: string;
  readonly isAdmin: boolean;
}

export function userOf(claims: Record<string, unknown>): TenantUser {
  const role = String(claims[TENANT_CLAIMS.role] ?? '');
  return {
    email: String(claims.email ?? claims['cognito:username'] ?? ''),
    tenantId: String(claims[TENANT_CLAIMS.tenantId] ?? ''),
    role,
    isAdmin: role === TENANT_ADMIN_ROLE,
  };
}

const STORAGE_KEY = 'tenant-app.tenant';

/** The tenant chosen in this tab, kept across reloads (sessionStorage: not shared with other tabs). */
export function rememberedTenant(): TenantSettings | undefined {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as TenantSettings) : undefined;
  } catch {
    return undefined;
  }
}

export function rememberTenant(settings: TenantSettings | undefined): void {
  if (settings) {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(settings));
  } else {
    sessionStorage.removeItem(STORAGE_KEY);
  }
}
