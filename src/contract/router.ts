/**
 * What the tenant router's constructs and its authorizer share, and the listener-rule priority bands that the router
 * (declared routes) and the tenant lifecycle (routes of tenants provisioned at run time) allocate from. No CDK imports.
 */
import { RunningHoursConfig } from './running-hours';
import { Sharing } from './sharing';

/** Header that carries a request's routing key from API Gateway to the router's load balancers. */
export const ROUTING_HEADER = 'x-tenant-route';

/**
 * The routing key of a tenant of a tier routed by a routing service (`TierRouting.ROUTING_SERVICE`): `<tier>/<tenant>`.
 * Neither part can hold a `/` (docs/tenant-ids.md, tier-name rule), so the split is unambiguous.
 */
export function routingServiceKey(tierName: string, tenantId: string): string {
  return `${tierName}/${tenantId}`;
}

/** The listener-rule value that matches every routing key of such a tier (`*` is the load balancer's wildcard). */
export function routingServicePattern(tierName: string): string {
  return `${tierName}/*`;
}

/** Tag that marks a router's per-tenant API keys (value: the router's `apiKeyMarker`). */
export const API_KEY_MARKER_TAG = 'cdk-ecs-saas:router';

/** Tag that names the tier of a router's usage plan (with the router's marker, `API_KEY_MARKER_TAG`). */
export const USAGE_PLAN_TIER_TAG = 'cdk-ecs-saas:tier';

/** Lambda allows 4 KB of environment variables per function. */
export const LAMBDA_ENVIRONMENT_LIMIT = 4096;

/** The highest listener-rule priority Elastic Load Balancing allows. */
export const LISTENER_PRIORITY_MAX = 50_000;
/** Declared routes take priorities 1 to this. */
export const DECLARED_PRIORITY_MAX = 25_000;
/** Routes of tenants provisioned at run time take priorities from this up: the two allocators never meet. */
export const PROVISIONED_PRIORITY_BASE = DECLARED_PRIORITY_MAX + 1;

/** A token issuer the router trusts. */
export interface IssuerConfig {
  /** The issuer URL (`iss`), for Cognito `https://cognito-idp.<region>.amazonaws.com/<user pool id>`. */
  readonly issuer: string;
  /** Accepted audiences: client ids (`aud` of ID tokens, `client_id` of Cognito access tokens). */
  readonly audiences: string[];
  /** Cognito token use to accept (`id` or `access`); other issuers leave it out. */
  readonly tokenUse?: 'id' | 'access';
  /** JWKS URI. Default: see `jwksUriFor`. */
  readonly jwksUri?: string;
  /** The one tenant the issuer may sign for (a user pool per tenant); tokens claiming another tenant are denied. */
  readonly tenantId?: string;
}

/** How a tier is routed. */
export interface TierConfig {
  /** `SHARED`: the tier's tenants share its route (routing key = tier name); `PER_TENANT`: routing key = tenant id. */
  readonly routing: Sharing;
  /** The tier's tenants are reached through its routing service: routing key `<tier>/<tenant>` (`routingServiceKey`). */
  readonly routingService?: boolean;
  /**
   * Each tenant of the tier has its own API key (in the tier's plan, or in a plan of its own): the authorizer finds it
   * by customer id and marker tag, and falls back to the tier's key, if the tier has one, for a tenant without one.
   */
  readonly apiKeyPerTenant?: boolean;
  /** When the tier's services run; outside these hours its requests take the routing key `stopped:<tier>`. */
  readonly runningHours?: RunningHoursConfig;
}

/** A path only some roles may use. */
export interface RoleRuleConfig {
  /** Path prefix, such as `/users`. */
  readonly pathPrefix: string;
  /** Roles allowed under it. */
  readonly allowedRoles: string[];
}

/** What the authorizer is told by the router (`AUTHORIZER_CONFIG`). */
export interface AuthorizerConfig {
  readonly issuers: IssuerConfig[];
  readonly claims: { readonly tenantId: string; readonly tier: string; readonly role: string };
  readonly tiers: Record<string, TierConfig>;
  readonly roleRules: RoleRuleConfig[];
}
