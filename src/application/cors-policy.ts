import { Duration } from 'aws-cdk-lib';
import { HttpMethod } from './http-method';

/**
 * Which browser pages may call the application's API from another origin (CORS), and with what.
 *
 * It is a property of the application, because two places answer a browser: the tenant router (API Gateway) answers
 * preflights and its own errors (401, 403, 429), and each tenant's proxy (nginx) adds the headers to the services'
 * answers. Both read this one policy. Credentials (cookies) are never allowed: the API takes bearer tokens, which a
 * page sends in `Authorization`. See docs/cors.md.
 */
export interface CorsPolicy {
  /**
   * The origins whose pages may call the API: `https://<host>[:<port>]`, or `http://localhost[:<port>]` and
   * `http://127.0.0.1[:<port>]` for development. No path, no trailing `/`, never `*`.
   *
   * An origin known only at deploy time (a CloudFront distribution's domain name, from this or another stack) is
   * accepted when it starts with exactly `https://` followed by the token, such as
   * `` `https://${distribution.distributionDomainName}` ``. Only that prefix (and any other literal text) is checked
   * at synth: the value must resolve to `https://<host>[:<port>]` in lowercase at deploy time. A token alone, or
   * `http://` with a token, is refused.
   */
  readonly allowOrigins: string[];

  /**
   * The methods a page may use, on the paths of the services that answer them.
   *
   * @default - each service's own methods
   */
  readonly allowMethods?: HttpMethod[];

  /**
   * The request headers a page may send.
   *
   * @default ['Authorization', 'Content-Type', 'Idempotency-Key']
   */
  readonly allowHeaders?: string[];

  /**
   * The response headers a page may read, besides those every page may read (Content-Type and a few others).
   *
   * @default ['Retry-After', 'X-Request-Id', 'Idempotent-Replayed']
   */
  readonly exposeHeaders?: string[];

  /**
   * How long a browser may reuse a preflight's answer. Browsers cap it (Chromium at 2 hours, Firefox at 24 hours).
   *
   * @default Duration.minutes(10)
   */
  readonly maxAge?: Duration;
}
