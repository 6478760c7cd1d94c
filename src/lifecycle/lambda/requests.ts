/**
 * The control plane's requests and the application plane's replies (SaaS Builder Toolkit contract; see
 * docs/tenant-lifecycle.md). Not part of the jsii API: used by the lifecycle's Lambda functions.
 */
import { TENANT_ID_PATTERN } from '../../contract/tenant-id';

/** An onboarding request, validated. */
export interface OnboardingRequest {
  readonly tenantId: string;
  readonly tenantRegistrationId: string;
  readonly tier: string;
  readonly email: string;
  readonly tenantName?: string;
}

/** An offboarding request, validated. */
export interface OffboardingRequest {
  readonly tenantId: string;
  readonly tenantRegistrationId: string;
  readonly tier: string;
}

/** A request that cannot be served, with the reason the failure reply carries. */
export class InvalidRequest extends Error {
  constructor(message: string, public readonly tenantRegistrationId?: string) {
    super(message);
    this.name = 'InvalidRequest';
  }
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,253}\.[^\s@]{2,63}$/;
const REGISTRATION_ID = /^[A-Za-z0-9-]{1,64}$/;

/** Reads an onboarding request's detail; `tiers` are the tiers the application plane serves. */
export function parseOnboarding(detail: unknown, tiers: readonly string[]): OnboardingRequest {
  const d = asObject(detail);
  const tenantRegistrationId = registrationId(d);
  const tenantId = tenantIdOf(d, tenantRegistrationId);
  const tier = tierOf(d, tiers, tenantRegistrationId);
  const email = str(d, 'email', tenantRegistrationId);
  if (!EMAIL.test(email)) {
    throw new InvalidRequest(`email '${email}' is not an email address`, tenantRegistrationId);
  }
  const tenantName = typeof d.tenantName === 'string' && d.tenantName.length > 0 ? d.tenantName : undefined;
  return { tenantId, tenantRegistrationId, tier, email, tenantName };
}

/** Reads an offboarding request's detail. */
export function parseOffboarding(detail: unknown, tiers: readonly string[]): OffboardingRequest {
  const d = asObject(detail);
  const tenantRegistrationId = registrationId(d);
  return { tenantId: tenantIdOf(d, tenantRegistrationId), tenantRegistrationId, tier: tierOf(d, tiers, tenantRegistrationId) };
}

/** A request to suspend (deactivate) or reactivate a tenant, validated. */
export interface StatusRequest {
  readonly tenantId: string;
  /** Given when the control plane names the tenant's registration: the replies carry it back. */
  readonly tenantRegistrationId?: string;
}

/** Reads a suspension or reactivation request's detail: a tenant id, and a registration id if the control plane gives one. */
export function parseStatusRequest(detail: unknown): StatusRequest {
  const d = asObject(detail);
  const registration = typeof d.tenantRegistrationId === 'string' && REGISTRATION_ID.test(d.tenantRegistrationId) ? d.tenantRegistrationId : undefined;
  const tenantId = d.tenantId;
  if (typeof tenantId !== 'string' || !TENANT_ID_PATTERN.test(tenantId)) {
    throw new InvalidRequest(`tenantId '${String(tenantId ?? '').slice(0, 80)}' is not a valid tenant id`, registration);
  }
  return { tenantId, tenantRegistrationId: registration };
}

/** The reply to a suspension or reactivation: the tenant and its status now (`SUSPENDED` or `ACTIVE`), or why not. */
export interface StatusReplyDetail {
  readonly tenantId: string;
  readonly tenantRegistrationId?: string;
  readonly tenantStatus?: 'SUSPENDED' | 'ACTIVE';
  readonly failureReason?: string;
}

export function statusReply(request: StatusRequest, suspended: boolean): StatusReplyDetail {
  return { tenantId: request.tenantId, tenantRegistrationId: request.tenantRegistrationId, tenantStatus: suspended ? 'SUSPENDED' : 'ACTIVE' };
}

export function statusFailure(tenantId: string, tenantRegistrationId: string | undefined, reason: string): StatusReplyDetail {
  return { tenantId, tenantRegistrationId, failureReason: reason.slice(0, 1000) };
}

/** What a tenant's users need: the control plane stores it on the tenant record as `tenantConfig`. */
export interface TenantConfig {
  readonly userPoolId: string;
  readonly appClientId: string;
  readonly apiGatewayUrl: string;
}

/**
 * The detail of a reply. The control plane PATCHes `jobOutput` onto the registration: `tenantRegistrationData` into
 * the registration record, `tenantData` into the tenant record; other keys are ignored, so a failure's reason goes
 * into `tenantRegistrationData`.
 */
export interface ReplyDetail {
  readonly tenantRegistrationId: string;
  readonly tenantId: string;
  readonly jobOutput: {
    readonly tenantRegistrationData: Record<string, string>;
    readonly tenantData?: Record<string, string>;
  };
}

export function provisionedReply(request: OnboardingRequest, config: TenantConfig): ReplyDetail {
  return {
    tenantRegistrationId: request.tenantRegistrationId,
    tenantId: request.tenantId,
    jobOutput: {
      tenantRegistrationData: { registrationStatus: 'Created' },
      // A JSON string, as the reference's control plane and admin console expect.
      tenantData: { tenantConfig: JSON.stringify(config), tier: request.tier },
    },
  };
}

export function deprovisionedReply(request: OffboardingRequest): ReplyDetail {
  return { tenantRegistrationId: request.tenantRegistrationId, tenantId: request.tenantId, jobOutput: { tenantRegistrationData: { registrationStatus: 'Deleted' } } };
}

export function failedReply(tenantRegistrationId: string, tenantId: string, reason: string): ReplyDetail {
  return {
    tenantRegistrationId,
    tenantId,
    jobOutput: { tenantRegistrationData: { registrationStatus: 'Failed', failureReason: reason.slice(0, 1000) } },
  };
}

function asObject(detail: unknown): Record<string, unknown> {
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
    throw new InvalidRequest('the event detail is not an object');
  }
  return detail as Record<string, unknown>;
}

function str(d: Record<string, unknown>, name: string, registration?: string): string {
  const v = d[name];
  if (typeof v !== 'string' || v.length === 0) {
    throw new InvalidRequest(`the request has no ${name}`, registration);
  }
  return v;
}

function registrationId(d: Record<string, unknown>): string {
  const id = str(d, 'tenantRegistrationId');
  if (!REGISTRATION_ID.test(id)) {
    throw new InvalidRequest(`tenantRegistrationId '${id.slice(0, 80)}' is not a registration id`);
  }
  return id;
}

function tenantIdOf(d: Record<string, unknown>, registration: string): string {
  const id = str(d, 'tenantId', registration);
  if (!TENANT_ID_PATTERN.test(id)) {
    throw new InvalidRequest(
      `tenantId '${id.slice(0, 80)}' is not a valid tenant id (1 to 36 lowercase letters, digits and hyphens, starting and ending with a letter or digit)`,
      registration,
    );
  }
  return id;
}

function tierOf(d: Record<string, unknown>, tiers: readonly string[], registration: string): string {
  const tier = str(d, 'tier', registration);
  if (!tiers.includes(tier)) {
    throw new InvalidRequest(`tier '${tier.slice(0, 40)}' is not served; the tiers are ${tiers.join(', ')}`, registration);
  }
  return tier;
}
