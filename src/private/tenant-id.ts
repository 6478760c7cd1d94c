import { Token } from 'aws-cdk-lib';

/**
 * Tenant ids end up in IAM session names, session tags, Cloud Map namespaces, ECS service names, stack names
 * and DynamoDB partition keys. This pattern is safe for all of them: 1 to 36 lowercase letters, digits and
 * hyphens, starting and ending with a letter or digit (a UUID fits). See docs/tenant-ids.md.
 */
export const TENANT_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,34}[a-z0-9])?$/;

/** Human-readable form of TENANT_ID_PATTERN for error messages. */
export const TENANT_ID_RULE =
  '1 to 36 characters of lowercase letters, digits and hyphens, starting and ending with a letter or digit';

/**
 * Throws when `tenantId` is a resolved string that does not match TENANT_ID_PATTERN. Tokens (for example a
 * CloudFormation parameter) are accepted as they are: their value is only known at deploy time.
 */
export function validateTenantId(prop: string, tenantId: string): void {
  if (Token.isUnresolved(tenantId)) {
    return;
  }
  if (!TENANT_ID_PATTERN.test(tenantId)) {
    throw new Error(`${prop} must be ${TENANT_ID_RULE}; got '${tenantId}'.`);
  }
}
