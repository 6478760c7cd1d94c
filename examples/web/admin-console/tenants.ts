/**
 * The control plane's tenants as the console shows them: sbt-aws's tenant and registration records, their status,
 * and the onboarding form's rules (the library's tenant-id rule, the lifecycle's tiers).
 */
import { TENANT_ID_PATTERN, TENANT_ID_RULE } from '../../../src/contract/tenant-id';
import { ApiClient, ApiError } from '../shared/api';

/** A tenant record of sbt-aws's tenant management service. */
export interface TenantRecord {
  readonly tenantId: string;
  readonly tenantName?: string;
  readonly email?: string;
  readonly tier?: string;
  readonly tenantRegistrationId?: string;
  /** False once offboarding has started. */
  readonly sbtaws_active?: boolean;
  /** JSON: the user pool, app client and API URL of the tenant, written by the lifecycle's reply. */
  readonly tenantConfig?: string;
}

/** A registration record: the lifecycle's replies write its status and, on failure, the reason. */
export interface RegistrationRecord {
  readonly tenantRegistrationId: string;
  readonly tenantId?: string;
  readonly registrationStatus?: string;
  readonly failureReason?: string;
  readonly sbtaws_active?: boolean;
}

export interface TenantConfig {
  readonly userPoolId?: string;
  readonly appClientId?: string;
  readonly apiGatewayUrl?: string;
}

export type TenantStatus = 'Onboarding' | 'Active' | 'Failed' | 'Offboarding' | 'Offboarded';

/**
 * Where a tenant is in its life, from its tenant and registration records. Once offboarding has started
 * (`sbtaws_active` false), the tenant is `Offboarding` until the lifecycle's reply says `Deleted`, even if an earlier
 * reply said `Failed`: the registration keeps only the latest reply, so a failure then may be the onboarding's or the
 * offboarding's, and the page shows its reason (`lastFailure`) and offers to offboard again.
 */
export function statusOf(tenant: TenantRecord, registration?: RegistrationRecord): TenantStatus {
  const replied = registration?.registrationStatus;
  if (replied === 'Deleted') {
    return 'Offboarded';
  }
  if (tenant.sbtaws_active === false) {
    return 'Offboarding';
  }
  if (replied === 'Failed') {
    return 'Failed';
  }
  return replied === 'Created' ? 'Active' : 'Onboarding';
}

/** The reason of the lifecycle's latest failure reply, if the latest reply was one. */
export function lastFailure(registration?: RegistrationRecord): string | undefined {
  return registration?.registrationStatus === 'Failed' ? registration.failureReason ?? 'The lifecycle reported a failure without a reason.' : undefined;
}

/** Onboarding and offboarding are running: the pages poll until they end. */
export function inProgress(status: TenantStatus): boolean {
  return status === 'Onboarding' || status === 'Offboarding';
}

export function parseTenantConfig(tenant: TenantRecord): TenantConfig | undefined {
  if (!tenant.tenantConfig) {
    return undefined;
  }
  try {
    const parsed = JSON.parse(tenant.tenantConfig) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as TenantConfig) : undefined;
  } catch {
    return undefined;
  }
}

/** A tenant with its registration, as a row of the list or the detail page. */
export interface TenantView {
  readonly tenant: TenantRecord;
  readonly registration?: RegistrationRecord;
  readonly status: TenantStatus;
}

export async function loadRegistration(api: ApiClient, tenant: TenantRecord): Promise<RegistrationRecord | undefined> {
  if (!tenant.tenantRegistrationId) {
    return undefined;
  }
  try {
    return (await api.get<{ data: RegistrationRecord }>(`tenant-registrations/${encodeURIComponent(tenant.tenantRegistrationId)}`)).data;
  } catch (e) {
    if (e instanceof ApiError && e.kind === 'not-found') {
      return undefined;
    }
    throw e;
  }
}

export async function viewOf(api: ApiClient, tenant: TenantRecord): Promise<TenantView> {
  const registration = await loadRegistration(api, tenant);
  return { tenant, registration, status: statusOf(tenant, registration) };
}

/** One page of tenants (sbt-aws pages with `limit` and `next_token`). */
export async function loadTenantPage(api: ApiClient, pageSize: number, nextToken?: string): Promise<{ rows: TenantView[]; nextToken?: string }> {
  const page = await api.get<{ data: TenantRecord[]; next_token?: string }>('tenants', { limit: pageSize, next_token: nextToken });
  const rows = await Promise.all(page.data.map((t) => viewOf(api, t)));
  rows.sort((a, b) => (a.tenant.tenantName ?? '').localeCompare(b.tenant.tenantName ?? ''));
  return { rows, nextToken: page.next_token };
}

/** What the onboarding form sends. */
export interface OnboardingInput {
  readonly tenantName: string;
  readonly email: string;
  readonly tier: string;
}

/** The form's problems, by field (empty when it can be sent). */
export function validateOnboarding(input: OnboardingInput, tiers: string[]): Partial<Record<keyof OnboardingInput, string>> {
  const problems: Partial<Record<keyof OnboardingInput, string>> = {};
  if (!TENANT_ID_PATTERN.test(input.tenantName)) {
    problems.tenantName = `The name must be ${TENANT_ID_RULE}.`;
  }
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(input.email) || input.email.length > 254) {
    problems.email = 'Enter the email address of the tenant\'s administrator, such as admin@example.com.';
  }
  if (!tiers.includes(input.tier)) {
    problems.tier = `Choose one of the tiers: ${tiers.join(', ')}.`;
  }
  return problems;
}

/**
 * Whether a tenant already has the name. The tenant app looks tenants up by name, and the control plane answers the
 * first tenant of a name, offboarded ones included: a name is never given twice. The control plane's tenant-config
 * route finds a name once its onboarding has finished; the tenants list finds the ones still onboarding.
 */
export async function nameTaken(api: ApiClient, tenantName: string): Promise<boolean> {
  try {
    await api.get(`tenant-config/${encodeURIComponent(tenantName)}`);
    return true;
  } catch (e) {
    if (!(e instanceof ApiError && e.kind === 'not-found')) {
      throw e;
    }
  }
  let nextToken: string | undefined;
  do {
    const page = await api.get<{ data: TenantRecord[]; next_token?: string }>('tenants', { limit: 100, next_token: nextToken });
    if (page.data.some((t) => t.tenantName === tenantName)) {
      return true;
    }
    nextToken = page.next_token;
  } while (nextToken);
  return false;
}

export async function onboard(api: ApiClient, input: OnboardingInput): Promise<{ tenantId: string; tenantRegistrationId: string }> {
  const answer = await api.post<{ data: { tenantId: string; tenantRegistrationId: string } }>('tenant-registrations', {
    tenantData: { tenantName: input.tenantName, email: input.email, tier: input.tier },
    tenantRegistrationData: {},
  });
  return answer.data;
}

export async function offboard(api: ApiClient, registrationId: string): Promise<void> {
  await api.delete(`tenant-registrations/${encodeURIComponent(registrationId)}`);
}
