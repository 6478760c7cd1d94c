/**
 * The Cognito group that holds a tenant's users in a user pool shared by many tenants. The tenant lifecycle creates
 * it at onboarding and removes it at offboarding; services list a tenant's users through it. No CDK imports: the
 * runtime helper re-exports it for services.
 */
export function tenantGroupName(tenantId: string): string {
  return `tenant-${tenantId}`;
}
