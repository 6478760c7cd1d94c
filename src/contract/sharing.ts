/**
 * Whether tenants share something (a tier's services and route, a table, a user pool) or each tenant has its own.
 * The one vocabulary of the configurations that constructs write and the running code reads. No CDK imports.
 *
 * The public enums say the same in their own words: `TierRouting.SHARED` and `TierRouting.PER_TENANT` (whose values
 * these are), and `TableSharing.POOLED` (shared) and `TableSharing.PER_TENANT`.
 */
export const SHARED = 'SHARED';
export const PER_TENANT = 'PER_TENANT';

export type Sharing = typeof SHARED | typeof PER_TENANT;
