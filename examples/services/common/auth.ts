/**
 * Token verification. Each service verifies the caller's Cognito id token itself (signature, expiry, issuer = the
 * one configured user pool, audience = one of the configured app clients, token_use = id) and takes the tenant,
 * tier and role from the verified claims only: never from the path, the query, the body or a header.
 */
import { JwtVerifier } from 'aws-jwt-verify';
import type { JwksCache } from 'aws-jwt-verify/jwk';
import { decomposeUnverifiedJwt } from 'aws-jwt-verify/jwt';
import { HttpError } from './errors';
import { COGNITO_ISSUER, cognitoIssuerUrl, jwksUriFor, TENANT_CLAIMS, TENANT_ID_PATTERN, TENANT_ROLES } from '../../../src/runtime';

/** The roles the tenant lifecycle gives users (`custom:userRole`). */
export const ROLES = TENANT_ROLES;
export type Role = (typeof ROLES)[number];

/** Who is calling, from a verified token. */
export interface TenantClaims {
  /** `custom:tenantId`. */
  readonly tenantId: string;
  /** `custom:tenantTier`. */
  readonly tier: string;
  /** `custom:userRole`. */
  readonly role: Role;
  /** `cognito:username`. */
  readonly username: string;
  /** `email`, when the token has it. */
  readonly email?: string;
}

/** Verifies a JWT and returns its payload; throws when the token is not acceptable. */
export interface TokenVerifier {
  verify(token: string): Promise<Record<string, unknown>>;
  /** Loads the signing keys ahead of the first request. */
  hydrate?(): Promise<void>;
}

/** The token was missing or not acceptable. The reason is logged; the client is only told 401. */
export class Unauthenticated extends HttpError {
  constructor(public readonly reason: string) {
    super(401, 'Unauthorized');
    this.name = 'Unauthenticated';
  }
}

/** Whose id tokens a service trusts. */
export interface TrustedIssuer {
  /** The issuer (`iss`): a Cognito user pool's URL, or any OpenID Connect issuer. */
  readonly issuer: string;
  /** The app clients whose tokens are accepted (`aud`). */
  readonly audiences: string[];
  /** Where its signing keys are. Default: `jwksUriFor(issuer)` (the issuer's well-known JWKS, or a local emulator's). */
  readonly jwksUri?: string;
}

/**
 * A verifier of an issuer's id tokens for the given app clients (signature, expiry, issuer, audience, `token_use` =
 * id where the issuer sets it, as Cognito does). `jwksCache` is for tests (local keys); by default the issuer's JWKS
 * is fetched once and cached.
 */
export function idTokenVerifier(trusted: TrustedIssuer, jwksCache?: JwksCache): TokenVerifier {
  if (trusted.audiences.length === 0) {
    throw new Error('appClientIds is empty: the service must accept the id tokens of at least one app client.');
  }
  const cognito = COGNITO_ISSUER.test(trusted.issuer);
  const verifier = JwtVerifier.create({
    issuer: trusted.issuer,
    audience: trusted.audiences,
    jwksUri: jwksUriFor(trusted.issuer, trusted.jwksUri),
    customJwtCheck: ({ payload }) => {
      if (cognito && payload.token_use !== 'id') {
        throw new Error(`token_use must be 'id'; got '${String(payload.token_use)}'`);
      }
    },
  }, jwksCache ? { jwksCache } : undefined);
  return {
    verify: async (token) => {
      // An access token is refused for what it is (Cognito's verifier checks token_use before the audience, which an
      // access token does not have); the signature is verified below all the same.
      if (cognito && decomposeUnverifiedJwt(token).payload.token_use !== 'id') {
        throw new Error(`token_use must be 'id'; got '${String(decomposeUnverifiedJwt(token).payload.token_use)}'`);
      }
      return (await verifier.verify(token)) as unknown as Record<string, unknown>;
    },
    hydrate: () => verifier.hydrate(),
  };
}

/** A verifier of a Cognito user pool's id tokens for the given app clients. */
export function cognitoIdTokenVerifier(userPoolId: string, appClientIds: string[], jwksCache?: JwksCache): TokenVerifier {
  return idTokenVerifier({ issuer: cognitoIssuerUrl(userPoolId), audiences: appClientIds }, jwksCache);
}

/** `Bearer <JWT>` (base64url parts). */
const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i;

/** Verifies the `Authorization` header's bearer token and returns the caller's claims. */
export async function authenticate(verifier: TokenVerifier, authorization: string | undefined): Promise<TenantClaims> {
  if (!authorization) {
    throw new Unauthenticated('no Authorization header');
  }
  const match = BEARER.exec(authorization.trim());
  if (!match) {
    throw new Unauthenticated('the Authorization header is not a bearer JWT');
  }
  let payload: Record<string, unknown>;
  try {
    payload = await verifier.verify(match[1]);
  } catch (e) {
    throw new Unauthenticated(`token rejected: ${errorClass(e)}: ${(e as Error).message}`);
  }
  const tenantId = stringClaim(payload, TENANT_CLAIMS.tenantId);
  if (!TENANT_ID_PATTERN.test(tenantId)) {
    throw new Unauthenticated(`the tenant id claim '${tenantId}' is not a valid tenant id`);
  }
  const role = stringClaim(payload, TENANT_CLAIMS.role);
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new Unauthenticated(`unknown role '${role}'`);
  }
  const email = payload.email;
  return {
    tenantId,
    tier: stringClaim(payload, TENANT_CLAIMS.tier),
    role: role as Role,
    // Cognito names the user in `cognito:username`; any other OpenID Connect issuer, in `sub`.
    username: stringClaim(payload, typeof payload['cognito:username'] === 'string' ? 'cognito:username' : 'sub'),
    ...(typeof email === 'string' && email ? { email } : {}),
  };
}

function stringClaim(payload: Record<string, unknown>, name: string): string {
  const value = payload[name];
  if (typeof value !== 'string' || value.length === 0) {
    throw new Unauthenticated(`the token has no ${name} claim`);
  }
  return value;
}

/** The class of an error (aws-jwt-verify's errors all have the name 'Error'; their classes say what failed). */
function errorClass(e: unknown): string {
  return (e as { constructor?: { name?: string } })?.constructor?.name ?? 'Error';
}
