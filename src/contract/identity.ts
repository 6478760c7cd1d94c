/**
 * Who a user is, as its tokens say: the user-pool attributes (ID-token claims) that carry a user's tenant, tier and
 * role, the roles, and the group of a tenant's users in a pool shared by many tenants. Written by the tenant lifecycle
 * and tenant templates, read by the router's authorizer and the services (through the runtime helper).
 *
 * Part of the contract between constructs and the code that runs in AWS: no CDK imports.
 */

/** The custom attributes of a tenant user pool, by what they hold (Cognito prefixes them with `custom:`). */
export const TENANT_ATTRIBUTES = { tenantId: 'tenantId', tier: 'tenantTier', role: 'userRole' } as const;

/** The claims of a tenant user's ID token: `custom:tenantId`, `custom:tenantTier`, `custom:userRole`. */
export const TENANT_CLAIMS = {
  tenantId: `custom:${TENANT_ATTRIBUTES.tenantId}`,
  tier: `custom:${TENANT_ATTRIBUTES.tier}`,
  role: `custom:${TENANT_ATTRIBUTES.role}`,
} as const;

/** The role of a tenant's administrator, given to the user every onboarding creates. */
export const TENANT_ADMIN_ROLE = 'TenantAdmin';
/** The role of a tenant's other users. */
export const TENANT_USER_ROLE = 'TenantUser';
/** Every role a tenant user may have. */
export const TENANT_ROLES = [TENANT_ADMIN_ROLE, TENANT_USER_ROLE] as const;

/**
 * The attributes of the administrator an onboarding creates (name, value): a verified email, the tenant, the tier, and
 * the administrator role. The lifecycle worker creates it in a shared pool, a tenant template in the tenant's own.
 */
export function administratorAttributes(email: string, tenantId: string, tier: string): Array<[string, string]> {
  return [
    ['email', email],
    ['email_verified', 'true'],
    [TENANT_CLAIMS.tenantId, tenantId],
    [TENANT_CLAIMS.tier, tier],
    [TENANT_CLAIMS.role, TENANT_ADMIN_ROLE],
  ];
}

/**
 * The Cognito group that holds a tenant's users in a user pool shared by many tenants. The tenant lifecycle creates
 * it at onboarding and removes it at offboarding; services list a tenant's users through it.
 */
export function tenantGroupName(tenantId: string): string {
  return `tenant-${tenantId}`;
}
