import { Token } from 'aws-cdk-lib';
import { TENANT_ID_PATTERN, TENANT_ID_RULE } from '../contract/tenant-id';

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
