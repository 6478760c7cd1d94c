/**
 * Lambda authorizer of the tenant router (API Gateway REST, REQUEST type, identity source `Authorization`).
 *
 * - Verifies the bearer token with aws-jwt-verify against the configured issuers only: a token from any other
 *   issuer is denied before any key is fetched (the reference read the issuer from the unverified token and trusted
 *   any Cognito pool in the region). Signature, expiry, audience (or Cognito client id) and token use are checked by
 *   the library; unsigned and HMAC tokens are refused by it.
 * - Reads the tenant id, tier and role from configurable claims; a token without them, with an invalid tenant id, or
 *   with a tier the router does not know is denied.
 * - Allows every method of the API except the paths the role may not use (explicit Deny), so API Gateway may cache
 *   the decision per token for the configured time.
 * - Gives the integration the routing key (the tier name for a pooled tier, `<tier>/<tenant>` for a tier routed by a
 *   routing service, the tenant id otherwise) in the context;
 *   the integration writes it over any routing header the client sent. Outside a tier's running hours the key is
 *   `stopped:<tier>`, which the load balancers answer with 503 and the hours (docs/cost.md).
 * - Denies a suspended tenant's requests (the router's table of suspended tenants, when it keeps one).
 * - Returns the tier's (or the tenant's) API key as `usageIdentifierKey`, so usage plans are enforced.
 *
 * Not part of the jsii API; bundled into the router's Lambda asset.
 */
import { JwtVerifier } from 'aws-jwt-verify';
import { decomposeUnverifiedJwt } from 'aws-jwt-verify/jwt';
import { DynamicIssuers, jwksUriFor } from './issuers';
import { AuthorizerConfig, routingServiceKey } from '../../contract/router';
import { isServing, stoppedRoutingKey } from '../../contract/running-hours';
import { SHARED } from '../../contract/sharing';
import { TENANT_ID_PATTERN } from '../../contract/tenant-id';

/** The authorizer's request (the fields of API Gateway's REQUEST authorizer event it uses). */
export interface AuthorizerEvent {
  readonly methodArn: string;
  readonly headers?: Record<string, string | undefined> | null;
}

/** An IAM policy statement of the authorizer's answer. */
export interface PolicyStatement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: 'execute-api:Invoke';
  readonly Resource: string[];
}

/** The authorizer's answer. */
export interface AuthorizerResult {
  readonly principalId: string;
  readonly policyDocument: { readonly Version: '2012-10-17'; readonly Statement: PolicyStatement[] };
  readonly context?: Record<string, string>;
  readonly usageIdentifierKey?: string;
}

/** Finds the API key value for a tier (or for a tenant with its own plan). */
export type ApiKeyLookup = (tier: string, tenantId: string) => Promise<string | undefined>;

/** Why a request was denied (logged, never returned to the client). */
export class Denied extends Error {}

/** Whether a tenant is suspended (the router's table of suspended tenants). */
export type SuspensionLookup = (tenantId: string) => Promise<boolean>;

/** Where denials are logged. */
export type DenialLog = (message: string, details: Record<string, string>) => void;

const consoleLog: DenialLog = (message, details) => console.log(JSON.stringify({ level: 'INFO', message, ...details }));

/**
 * Creates the handler. `apiKeyFor` resolves usage-plan keys; `verifier` may be given for tests (its JWKS cached);
 * `dynamic` serves the issuers registered at run time (tenants' own user pools), each bound to its tenant.
 */
export function createAuthorizer(
  config: AuthorizerConfig,
  apiKeyFor: ApiKeyLookup,
  verifier = verifierFor(config),
  log: DenialLog = consoleLog,
  dynamic?: DynamicIssuers,
  now: () => Date = () => new Date(),
  suspended?: SuspensionLookup,
) {
  const configured = new Set(config.issuers.map((i) => i.issuer));
  /** Verifies with the configured issuers, or with a registered one; returns the payload and the bound tenant. */
  const verify = async (token: string): Promise<{ payload: Record<string, unknown>; boundTo?: string }> => {
    if (dynamic) {
      let iss: unknown;
      try {
        iss = decomposeUnverifiedJwt(token).payload.iss;
      } catch (e) {
        throw new Denied(`token rejected: ${(e as Error).name}: ${(e as Error).message}`);
      }
      if (typeof iss === 'string' && !configured.has(iss)) {
        const registered = await dynamic.verifierFor(iss);
        if (!registered) {
          throw new Denied(`issuer ${iss} is neither configured nor registered`);
        }
        const payload = await registered.verify(token).catch((e: Error) => {
          throw new Denied(`token rejected: ${e.name}: ${e.message}`);
        });
        return { payload, boundTo: registered.tenantId };
      }
    }
    const payload = await verifier.verify(token).catch((e: Error) => {
      throw new Denied(`token rejected: ${e.name}: ${e.message}`);
    });
    // iss is verified by now: it is one of the configured issuers.
    return { payload, boundTo: config.issuers.find((i) => i.issuer === payload.iss)?.tenantId };
  };
  return async (event: AuthorizerEvent): Promise<AuthorizerResult> => {
    const arn = parseMethodArn(event.methodArn);
    try {
      const token = bearerToken(event.headers ?? {});
      const { payload, boundTo } = await verify(token);
      const tenantId = claim(payload, config.claims.tenantId);
      const tier = claim(payload, config.claims.tier);
      const role = claim(payload, config.claims.role);
      if (!TENANT_ID_PATTERN.test(tenantId)) {
        throw new Denied(`tenant id claim '${tenantId}' is not a valid tenant id`);
      }
      if (boundTo !== undefined && boundTo !== tenantId) {
        throw new Denied(`issuer ${String(payload.iss)} signs for tenant '${boundTo}' only; the token claims '${tenantId}'`);
      }
      const tierConfig = config.tiers[tier];
      if (!tierConfig) {
        throw new Denied(`unknown tier '${tier}'`);
      }
      // A suspended tenant keeps its data and infrastructure; its users are refused until it is activated again.
      if (suspended && await suspended(tenantId)) {
        throw new Denied(`tenant '${tenantId}' is suspended`);
      }
      // Outside the tier's running hours its services are stopped: the load balancers answer that, not the services.
      const stopped = tierConfig.runningHours !== undefined && !isServing(tierConfig.runningHours, now());
      const routingKey = stopped ? stoppedRoutingKey(tier)
        : tierConfig.routing === SHARED ? tier
          : tierConfig.routingService ? routingServiceKey(tier, tenantId)
            : tenantId;
      const denied = config.roleRules.filter((r) => !r.allowedRoles.includes(role));
      const statements: PolicyStatement[] = [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: [`${arn.base}/*/*`] }];
      if (denied.length > 0) {
        statements.push({
          Effect: 'Deny',
          Action: 'execute-api:Invoke',
          Resource: denied.flatMap((r) => [`${arn.base}/*${r.pathPrefix}`, `${arn.base}/*${r.pathPrefix}/*`]),
        });
      }
      return {
        principalId: `${tenantId}|${String(payload.sub ?? 'unknown')}`,
        policyDocument: { Version: '2012-10-17', Statement: statements },
        context: { tenantId, tier, role, routingKey },
        usageIdentifierKey: await apiKeyFor(tier, tenantId),
      };
    } catch (e) {
      if (!(e instanceof Denied)) {
        throw e; // a fault (for example the API key lookup): API Gateway answers 500, never Allow
      }
      log('denied', { reason: e.message });
      return {
        principalId: 'denied',
        policyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'execute-api:Invoke', Resource: [`${arn.base}/*/*`] }] },
      };
    }
  };
}

/** The verifier for the configured issuers (and nothing else). */
export function verifierFor(config: AuthorizerConfig) {
  if (config.issuers.length === 0) {
    throw new Error('issuers is empty: the authorizer must trust at least one issuer.');
  }
  const properties = config.issuers.map((i) => ({
    issuer: i.issuer,
    // Always a URI: a property given as undefined would replace the library's default with nothing.
    jwksUri: jwksUriFor(i.issuer, i.jwksUri),
    // Cognito access tokens carry the client id in client_id, not aud.
    audience: i.tokenUse === 'access' ? null : i.audiences,
    customJwtCheck: ({ payload }: { payload: Record<string, unknown> }) => {
      if (i.tokenUse && payload.token_use !== i.tokenUse) {
        throw new Error(`token_use must be '${i.tokenUse}'`);
      }
      if (i.tokenUse === 'access' && !i.audiences.includes(String(payload.client_id))) {
        throw new Error('client_id is not accepted');
      }
    },
  }));
  return JwtVerifier.create(properties as Parameters<typeof JwtVerifier.create>[0]);
}

function bearerToken(headers: Record<string, string | undefined>): string {
  const header = Object.entries(headers).find(([k]) => k.toLowerCase() === 'authorization')?.[1];
  const match = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(header ?? '');
  if (!match) {
    throw new Denied('no bearer token');
  }
  return match[1];
}

function claim(payload: Record<string, unknown>, name: string): string {
  const value = payload[name];
  if (typeof value !== 'string' || value.length === 0) {
    throw new Denied(`claim '${name}' is missing`);
  }
  return value;
}

/** `arn:aws:execute-api:region:account:api/stage/METHOD/path` → the `arn:...:api/stage` part. */
function parseMethodArn(methodArn: string): { base: string } {
  const [api, stage] = methodArn.split('/');
  if (!api?.startsWith('arn:') || !stage) {
    throw new Error(`unexpected methodArn '${methodArn}'`);
  }
  return { base: `${api}/${stage}` };
}
