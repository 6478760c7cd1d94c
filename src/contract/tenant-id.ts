/**
 * The tenant-id rule, with no CDK imports so the runtime helper can share it (services must not load
 * aws-cdk-lib). See docs/tenant-ids.md.
 *
 * Tenant ids end up in IAM session names, session tags, Cloud Map namespaces, ECS service names, stack names
 * and DynamoDB partition keys. This pattern is safe for all of them: 1 to 36 lowercase letters, digits and
 * hyphens, starting and ending with a letter or digit (a UUID fits).
 */
export const TENANT_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,34}[a-z0-9])?$/;

/** Human-readable form of TENANT_ID_PATTERN for error messages. */
export const TENANT_ID_RULE =
  '1 to 36 characters of lowercase letters, digits and hyphens, starting and ending with a letter or digit';
