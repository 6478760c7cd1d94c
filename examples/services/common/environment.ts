/**
 * Names of the identity variables the example app sets on each service container and the services read: defined
 * once, for both sides (examples/saas-app.ts and common/config.ts). No CDK imports: this runs in the containers.
 */
export const IDENTITY_ENV = {
  /** The Cognito user pool of the service's users (the users service administers it). */
  userPoolId: 'USER_POOL_ID',
  /** Comma-separated audiences (app client ids) whose id tokens are accepted. */
  appClientIds: 'APP_CLIENT_IDS',
  /** `true` when the pool holds the users of many tenants. */
  userPoolShared: 'USER_POOL_SHARED',
  /** The issuer (`iss`) of trusted tokens. Default: the user pool's issuer. */
  tokenIssuer: 'TOKEN_ISSUER',
  /** Where the issuer's signing keys are published. Default: `<issuer>/.well-known/jwks.json`. */
  jwksUri: 'JWKS_URI',
} as const;

/**
 * The attribute the idempotency records expire by: the example app makes it the table's time-to-live attribute, the
 * services' idempotency records (common/idempotency.ts) carry it.
 */
export const IDEMPOTENCY_EXPIRY_ATTRIBUTE = 'expiration';
