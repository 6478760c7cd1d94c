import { ENV_ROLE_ARN, ENV_SCOPING, ENV_SESSION_POLICY, ENV_TAG_KEY, ENV_TENANT_ID, TENANT_ID_PLACEHOLDER } from '../../src/contract/environment';
import { TENANT_ID_PATTERN, TENANT_ID_RULE } from '../../src/contract/tenant-id';
import { TenantScoping } from '../../src/data/tenant-scoping';

/**
 * What a tenant-scoped DynamoDB helper in another language must share with the construct (docs/runtime-helper.md,
 * "Python and Java services"), by the name each sample gives the constant: the environment names, the session-policy
 * placeholder and the tenant-id rule. Its pattern must be used without flags, as Java's `matches()` and Python's
 * `fullmatch` read it the way JavaScript's `test` does only then.
 */
export const RUNTIME_CONTRACT = {
  ENV_SCOPING,
  ENV_ROLE_ARN,
  ENV_TAG_KEY,
  ENV_SESSION_POLICY,
  ENV_TENANT_ID,
  TENANT_ID_PLACEHOLDER,
  TENANT_ID_PATTERN: TENANT_ID_PATTERN.source,
  TENANT_ID_RULE,
};

/** The scopings, in the construct's order. */
export const SCOPINGS: string[] = Object.values(TenantScoping);

/** Whether the construct's rule accepts `tenantId` (its pattern has no flags, checked by `patternHasNoFlags`). */
export function isValidTenantId(tenantId: string): boolean {
  return TENANT_ID_PATTERN.test(tenantId);
}

export const patternHasNoFlags = (): boolean => TENANT_ID_PATTERN.flags === '';
