/**
 * Names of the environment variables that ScopedDynamoAccess hands to a container and the runtime helper
 * (`cdk-ecs-saas/lib/runtime`) reads. Shared by both sides so they cannot drift.
 */
export const ENV_SCOPING = 'SCOPED_DYNAMO_SCOPING';
export const ENV_ROLE_ARN = 'SCOPED_DYNAMO_ROLE_ARN';
export const ENV_TAG_KEY = 'SCOPED_DYNAMO_TAG_KEY';
export const ENV_SESSION_POLICY = 'SCOPED_DYNAMO_SESSION_POLICY';
export const ENV_TENANT_ID = 'SCOPED_DYNAMO_TENANT_ID';

/**
 * Placeholder for the tenant id in the session-policy template. The runtime replaces JSON string values that
 * equal it exactly (after parsing, never by text substitution, so a tenant id cannot inject policy text).
 */
export const TENANT_ID_PLACEHOLDER = '<<tenant-id>>';
