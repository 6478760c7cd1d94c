/**
 * Names of the environment variables that constructs give the code that runs in AWS, shared by both sides so that
 * they cannot drift. No CDK imports.
 *
 * ScopedDynamoAccess hands these to a container; the runtime helper (`cdk-ecs-saas/lib/runtime`) reads them.
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

/** The router's authorizer: its configuration (JSON `AuthorizerConfig`). */
export const ENV_AUTHORIZER_CONFIG = 'AUTHORIZER_CONFIG';
/** The router's authorizer: tier name → API key id of the tier's usage plan (JSON). */
export const ENV_TIER_API_KEYS = 'TIER_API_KEYS';
/** The router's authorizer: the value of the marker tag on this router's per-tenant API keys. */
export const ENV_TENANT_KEY_MARKER = 'TENANT_KEY_MARKER';
/** The router's authorizer: the table of suspended tenants, when the router keeps one. */
export const ENV_SUSPENSION_TABLE = 'SUSPENSION_TABLE';
/** The router's authorizer: the issuer registry table, when the router keeps one. */
export const ENV_ISSUER_REGISTRY_TABLE = 'ISSUER_REGISTRY_TABLE';
/** The lifecycle's worker: its configuration (JSON `LifecycleConfig`). */
export const ENV_LIFECYCLE_CONFIG = 'LIFECYCLE_CONFIG';
/** The cell placement function: its configuration (JSON `CellPlacementConfig`). */
export const ENV_CELL_PLACEMENT_CONFIG = 'CELL_PLACEMENT_CONFIG';
/** The tenant metering function: its configuration (JSON `MeteringConfig`). */
export const ENV_METERING_CONFIG = 'METERING_CONFIG';
