/**
 * How a grantee's DynamoDB access is scoped to one tenant.
 */
export enum TenantScoping {
  /**
   * The grantee serves many tenants. Per request it assumes a tenant-access role with a session tag that
   * carries the verified tenant id; the role's policy fences every action by `dynamodb:LeadingKeys` against
   * that tag. The fence lives in the role, so a caller that forgets it gets no access at all.
   */
  SESSION_TAGS = 'SESSION_TAGS',
  /**
   * The grantee serves many tenants. Per request it assumes a tenant-access role and passes an inline session
   * policy rendered for the tenant (`ScopedDynamoAccess.renderSessionPolicy`); the effective permissions are
   * the intersection of the role's policy and the session policy. Use it for runtimes that cannot tag sessions.
   * The role alone is not tenant-fenced, so the caller must always pass the session policy.
   */
  SESSION_POLICY = 'SESSION_POLICY',
  /**
   * The grantee serves exactly one tenant, known when the stack is built (a literal or a CloudFormation
   * token). The grantee's own policy is fenced to that tenant; no role is assumed at run time.
   */
  FIXED_TENANT = 'FIXED_TENANT',
}
