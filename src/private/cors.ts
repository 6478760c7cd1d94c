import { Token, Tokenization } from 'aws-cdk-lib';
import { CorsPolicy } from '../application/cors-policy';
import { HttpMethod } from '../application/http-method';

/** The defaults of a CorsPolicy. */
export const CORS_DEFAULTS = {
  allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key'],
  exposeHeaders: ['Retry-After', 'X-Request-Id', 'Idempotent-Replayed'],
  maxAgeSeconds: 600,
} as const;

/** A CorsPolicy with its defaults applied and checked. */
export interface ResolvedCors {
  readonly allowOrigins: string[];
  readonly allowMethods?: HttpMethod[];
  readonly allowHeaders: string[];
  readonly exposeHeaders: string[];
  readonly maxAgeSeconds: number;
}

/** `https://host[:port]`, or plain http to localhost or 127.0.0.1 only. Hosts: DNS labels or IPv4. */
const ORIGIN_PATTERN = /^(https:\/\/[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|http:\/\/(?:localhost|127\.0\.0\.1))(?::[1-9][0-9]{0,4})?$/;
/**
 * An origin known only at deploy time: exactly `https://`, then a token (a CloudFront or custom domain name), then only
 * host and port characters or more tokens. Matched against the origin's literal text, each token marked `\0`.
 */
const DEPLOY_TIME_ORIGIN_PATTERN = /^https:\/\/\0[a-z0-9.:\0-]*$/;
const DEPLOY_TIME_ORIGIN_EXAMPLE = '`https://${distribution.distributionDomainName}`';
/** An HTTP field name (RFC 9110 token). */
const HEADER_PATTERN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
/** At most 2 hours: Chromium ignores more. */
const MAX_AGE_LIMIT_SECONDS = 7200;

/** Applies the defaults and checks every rule; `prop` names the policy in errors (`cors`). */
export function resolveCors(policy: CorsPolicy, prop: string): ResolvedCors {
  if (policy.allowOrigins.length === 0) {
    throw new Error(`${prop}.allowOrigins is empty: name at least one origin, such as 'https://app.example.com'.`);
  }
  policy.allowOrigins.forEach((origin, i) => {
    if (Token.isUnresolved(origin)) {
      // Everything the origins go into resolves tokens at deploy time (the nginx map is an environment variable, the
      // preflight's template and the gateway responses are template properties), so only the literal text is checked.
      if (!DEPLOY_TIME_ORIGIN_PATTERN.test(markTokens(origin))) {
        throw new Error(
          `${prop}.allowOrigins[${i}] holds a token (a value known at deploy time), so it must start with exactly 'https://' followed by the token, `
          + `as ${DEPLOY_TIME_ORIGIN_EXAMPLE} does, and resolve to 'https://<host>[:<port>]' (its other literal text may hold only `
          + `a-z, 0-9, '.', '-' and ':'); got '${origin}'.`,
        );
      }
      return;
    }
    if (!ORIGIN_PATTERN.test(origin)) {
      throw new Error(
        `${prop}.allowOrigins[${i}] must be an origin 'https://<host>[:<port>]' in lowercase (or 'http://localhost[:<port>]' or 'http://127.0.0.1[:<port>]'), `
        + `without a path, a trailing '/' or a wildcard; got '${origin}'.`,
      );
    }
  });
  rejectRepeats(policy.allowOrigins, `${prop}.allowOrigins`);
  if (policy.allowMethods !== undefined) {
    if (policy.allowMethods.length === 0) {
      throw new Error(`${prop}.allowMethods is empty: leave it out to allow each service's own methods.`);
    }
    const options = policy.allowMethods.indexOf(HttpMethod.OPTIONS);
    if (options >= 0) {
      throw new Error(`${prop}.allowMethods[${options}] is OPTIONS: preflights are answered by the router, not allowed as a method of the API.`);
    }
  }
  const headers = (name: 'allowHeaders' | 'exposeHeaders', given: string[] | undefined, defaults: readonly string[]) => {
    const list = given ?? [...defaults];
    list.forEach((h, i) => {
      if (!HEADER_PATTERN.test(h)) {
        throw new Error(`${prop}.${name}[${i}] must be an HTTP header name (letters, digits and !#$%&'*+.^_\`|~-); got '${h}'.`);
      }
    });
    rejectRepeats(list.map((h) => h.toLowerCase()), `${prop}.${name}`);
    return list;
  };
  const maxAgeSeconds = policy.maxAge?.toSeconds() ?? CORS_DEFAULTS.maxAgeSeconds;
  if (!Number.isInteger(maxAgeSeconds) || maxAgeSeconds < 0 || maxAgeSeconds > MAX_AGE_LIMIT_SECONDS) {
    throw new Error(`${prop}.maxAge must be whole seconds from 0 to ${MAX_AGE_LIMIT_SECONDS} (2 hours, the most Chromium honours); got ${maxAgeSeconds} seconds.`);
  }
  return {
    allowOrigins: [...policy.allowOrigins],
    allowMethods: policy.allowMethods ? [...policy.allowMethods] : undefined,
    allowHeaders: headers('allowHeaders', policy.allowHeaders, CORS_DEFAULTS.allowHeaders),
    exposeHeaders: headers('exposeHeaders', policy.exposeHeaders, CORS_DEFAULTS.exposeHeaders),
    maxAgeSeconds,
  };
}

/** The methods a page may use on a service's paths: its own, limited by the policy's, never OPTIONS. */
export function corsMethodsFor(cors: ResolvedCors, serviceMethods: HttpMethod[]): HttpMethod[] {
  return serviceMethods.filter((m) => m !== HttpMethod.OPTIONS && (cors.allowMethods === undefined || cors.allowMethods.includes(m)));
}

/** A string's literal text, with each token in it replaced by `\0`. */
function markTokens(s: string): string {
  return String(Tokenization.reverseString(s).mapTokens({ mapToken: () => '\0' }).join({ join: (left: unknown, right: unknown) => `${left}${right}` }));
}

function rejectRepeats(values: string[], prop: string): void {
  values.forEach((v, i) => {
    const first = values.indexOf(v);
    if (first !== i) {
      throw new Error(`${prop}[${i}] '${v}' repeats ${prop}[${first}]: each must be unique.`);
    }
  });
}
