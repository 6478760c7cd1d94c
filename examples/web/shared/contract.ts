/**
 * What crosses between the example's web applications and what serves them (docs/web-apps.md): the runtime
 * configuration each app reads at start, the directories of their builds, and where the local environment serves
 * them. Imported by the apps (browser code), by the hosting in the example app (examples/web-hosting.ts) and by the
 * local environment (local/web-apps.ts): defined once, here. No CDK or Node.js imports.
 */

/** The file, next to each app's `index.html`, that holds its runtime configuration. */
export const WEB_CONFIG_FILE = 'config.json';

/** The apps, by the directory of their build under `examples/web/build/` (and of their sources under `examples/web/`). */
export const WEB_APPS = { adminConsole: 'admin-console', tenantApp: 'tenant-app' } as const;

/**
 * Where the local environment serves the apps. Fixed, because a page's origin must be in the API's CORS policy at
 * synth time (the example's `localWebOrigins` option adds them).
 */
export const LOCAL_WEB_ORIGINS = { adminConsole: 'http://127.0.0.1:4701', tenantApp: 'http://127.0.0.1:4702' } as const;

/**
 * What only the local environment sets: where the AWS endpoints the apps would call are served on this machine. The
 * deployed configuration has none.
 */
export interface LocalEndpoints {
  /** Cognito's public API (AWS Amplify's `userPoolEndpoint`). */
  readonly cognitoEndpoint: string;
  /** The tenant APIs: the local base URL by the AWS base URL the control plane hands out (both ending with `/`). */
  readonly apiUrls: Record<string, string>;
}

/** The admin console's `config.json`. */
export interface AdminConsoleConfig {
  readonly region: string;
  /** The control plane's API (sbt-aws), ending with `/`. */
  readonly controlPlaneApiUrl: string;
  /** The control plane's administrators' user pool and the app client the console signs in with. */
  readonly userPoolId: string;
  readonly appClientId: string;
  /** The tiers a tenant can be onboarded into, as the tenant lifecycle names them. */
  readonly tiers: string[];
  readonly local?: LocalEndpoints;
}

/** The tenant app's `config.json`. Each tenant's pool and API come from the control plane's tenant-config route. */
export interface TenantAppConfig {
  readonly region: string;
  /** The control plane's API (sbt-aws), ending with `/`: the app looks tenants up by name there. */
  readonly controlPlaneApiUrl: string;
  readonly local?: LocalEndpoints;
}

/**
 * The apps' Content-Security-Policy, given the origins their pages may call (`connect-src`). The same policy is sent
 * by CloudFront (the hosting's response-headers policy) and by the local environment, so an app that breaks it
 * (an inline script or style element, an unlisted API) fails in the browser tests too.
 */
export function contentSecurityPolicy(connectSources: string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ${connectSources.join(' ')}`.trim(),
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');
}

/** The other security headers both servers send (CloudFront's response-headers policy sets the same values). */
export const SECURITY_HEADERS = {
  'Strict-Transport-Security': 'max-age=63072000; includeSubDomains',
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'strict-origin-when-cross-origin',
} as const;
