/**
 * EventBridge targets that are not state machines, delivered locally as EventBridge delivers them: an API destination
 * (AWS::Events::ApiDestination with its AWS::Events::Connection), the way the sbt-aws control plane receives the
 * application plane's replies (a PATCH of the registration, authorized with an OAuth client-credentials token).
 *
 * - The endpoint's `*` wildcards are replaced, in order, by the target's `HttpParameters.PathParameterValues` (JSON
 *   paths into the event, or fixed values); a JSON path that selects nothing fails the delivery (recorded with status
 *   0), nothing is sent. `HeaderParameters` values that are JSON paths (`$.detail...`) are evaluated the same way. The
 *   body is the event, or what the target's `InputPath` selects, as JSON. A target with `Input` or `InputTransformer`
 *   is refused when the rule is mirrored: not delivered locally (it would otherwise get the whole event).
 * - The connection's OAuth client-credentials grant goes to the Cognito token endpoint it names, stood in for by
 *   `clientCredentialsToken` (local/identity.ts); the token is cached until a minute before it expires, as
 *   EventBridge caches it, and fetched again after a 401.
 * - The target's role must allow `events:InvokeApiDestination` on the destination (checked with the IAM gate).
 * - A 401 (with a new token), 407, 409, 429 or 5xx answer, or no answer, is retried with back-off, as EventBridge
 *   retries (for up to 24 hours; here 5 times over about 6 s); any other 4xx is dropped, as EventBridge drops it without
 *   a dead-letter queue. Every attempt is
 *   recorded in `deliveries`.
 */
import * as http from 'http';
import * as https from 'https';
import { StackDeployment } from './deployment';

/** A rule's API-destination target, resolved. */
export interface ApiDestinationTarget {
  readonly ruleId: string;
  readonly destinationArn: string;
  /** The invocation endpoint, with its `*` wildcards. */
  readonly endpoint: string;
  readonly method: string;
  readonly pathParameterValues: string[];
  readonly headerParameters: Record<string, string>;
  readonly inputPath?: string;
  readonly connection: OAuthConnection;
}

/** An OAUTH_CLIENT_CREDENTIALS connection, resolved, with the user pool its token endpoint belongs to. */
export interface OAuthConnection {
  readonly tokenEndpoint: string;
  readonly userPoolId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly bodyParameters: Record<string, string>;
}

/** One attempt to deliver an event to an API destination. */
export interface ApiDestinationDelivery {
  readonly ruleId: string;
  readonly method: string;
  readonly url: string;
  readonly body: string;
  /** The status answered, or 0 when the request failed. */
  readonly status: number;
  readonly response: string;
}

/** How API destinations are reached locally. */
export interface ApiDestinationOptions {
  /** A client-credentials token from a user pool's token endpoint. */
  readonly token: (connection: OAuthConnection) => Promise<{ access_token: string; expires_in: number }>;
  /** Where a URL of AWS (an API Gateway endpoint) is served locally. */
  readonly localUrl: (url: string) => Promise<string>;
  /** @default 5 */
  readonly attempts?: number;
}

/** Resolves a rule's target whose ARN is an API destination of the stack; undefined if it is not one. */
export async function apiDestinationTarget(stack: StackDeployment, ruleId: string, target: any): Promise<ApiDestinationTarget | undefined> {
  for (const [id, r] of Object.entries<any>(stack.template.Resources).filter(([, x]) => x.Type === 'AWS::Events::ApiDestination')) {
    if ((await stack.resource(id)).attributes.Arn !== target.Arn) {
      continue;
    }
    if (target.Input !== undefined || target.InputTransformer !== undefined) {
      throw new Error(`rule ${ruleId}: its target ${target.Id ?? target.Arn} (API destination ${id}) has ${target.Input !== undefined ? 'Input' : 'InputTransformer'}, `
        + 'which the local environment does not support for API destinations (only the event, or its InputPath, is sent)');
    }
    const destination = await stack.resolve(r.Properties);
    const [connectionId, connection] = Object.entries<any>(stack.template.Resources)
      .find(([cid, c]) => c.Type === 'AWS::Events::Connection' && r.Properties.ConnectionArn?.['Fn::GetAtt']?.[0] === cid) ?? [];
    if (!connection) {
      throw new Error(`rule ${ruleId}: the connection of API destination ${id} is not a connection of ${stack.stackName}`);
    }
    const auth = await stack.resolve(connection.Properties);
    if (auth.AuthorizationType !== 'OAUTH_CLIENT_CREDENTIALS') {
      throw new Error(`connection ${connectionId}: ${auth.AuthorizationType} is not delivered locally (only OAUTH_CLIENT_CREDENTIALS)`);
    }
    const oauth = auth.AuthParameters.OAuthParameters;
    return {
      ruleId,
      destinationArn: target.Arn,
      endpoint: destination.InvocationEndpoint,
      method: destination.HttpMethod,
      pathParameterValues: target.HttpParameters?.PathParameterValues ?? [],
      headerParameters: target.HttpParameters?.HeaderParameters ?? {},
      inputPath: target.InputPath,
      connection: {
        tokenEndpoint: oauth.AuthorizationEndpoint,
        userPoolId: await userPoolOfDomain(stack, oauth.AuthorizationEndpoint),
        clientId: oauth.ClientParameters.ClientID,
        clientSecret: oauth.ClientParameters.ClientSecret,
        bodyParameters: Object.fromEntries((oauth.OAuthHttpParameters?.BodyParameters ?? []).map((p: any) => [p.Key, p.Value])),
      },
    };
  }
  return undefined;
}

/** The answers EventBridge retries an API destination after (with 5xx, and no answer: 0); 401 after a new token. */
const RETRIED = new Set([0, 401, 407, 409, 429]);

/** Delivers events to API destinations, with their connections' tokens. */
export class ApiDestinations {
  public readonly deliveries: ApiDestinationDelivery[] = [];
  private readonly tokens = new Map<string, { token: string; expires: number }>();

  constructor(private readonly options: ApiDestinationOptions) {}

  public async deliver(target: ApiDestinationTarget, event: unknown): Promise<ApiDestinationDelivery> {
    let url = target.endpoint;
    const body = JSON.stringify(target.inputPath ? jsonPath(event, target.inputPath) : event);
    // Path and header parameters that are JSON paths select from the event; one that selects nothing fails the
    // delivery: nothing is sent (EventBridge cannot build the request either).
    const missing: string[] = [];
    const parameter = (value: string, what: string): string => {
      if (!value.startsWith('$')) {
        return value;
      }
      const v = jsonPath(event, value);
      if (v === undefined || v === null) {
        missing.push(`${what} ${value}`);
        return '';
      }
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
    };
    target.pathParameterValues.forEach((p, i) => {
      url = url.replace('*', encodeURIComponent(parameter(p, `path parameter ${i + 1}`)));
    });
    const headers = Object.fromEntries(Object.entries(target.headerParameters).map(([k, v]) => [k, parameter(String(v), `header ${k}`)]));
    if (missing.length > 0) {
      const failed = { ruleId: target.ruleId, method: target.method, url, body, status: 0, response: `not delivered: ${missing.join(', ')} selects nothing in the event` };
      this.deliveries.push(failed);
      return failed;
    }
    const attempts = this.options.attempts ?? 5;
    let last: ApiDestinationDelivery | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) {
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
      }
      let status = 0;
      let response = '';
      try {
        // Node's http, not fetch: fetch turns a 407 into a network error, and EventBridge sees the status.
        ({ status, response } = await request(await this.options.localUrl(url), target.method, {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'Amazon/EventBridge/ApiDestinations',
          ...headers,
          'authorization': `Bearer ${await this.token(target.connection)}`,
        }, target.method === 'GET' || target.method === 'HEAD' ? undefined : body));
      } catch (e) {
        response = String(e);
      }
      last = { ruleId: target.ruleId, method: target.method, url, body, status, response };
      this.deliveries.push(last);
      if (status === 401) {
        this.tokens.delete(target.connection.clientId);
      }
      if (!RETRIED.has(status) && status < 500) {
        return last;
      }
    }
    return last!;
  }

  private async token(connection: OAuthConnection): Promise<string> {
    const cached = this.tokens.get(connection.clientId);
    if (cached && cached.expires > Date.now() + 60_000) {
      return cached.token;
    }
    const t = await this.options.token(connection);
    this.tokens.set(connection.clientId, { token: t.access_token, expires: Date.now() + t.expires_in * 1000 });
    return t.access_token;
  }
}

/** One HTTP(S) request (5 s at most): the status and the body answered. */
function request(url: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; response: string }> {
  return new Promise((resolve, reject) => {
    const req = (url.startsWith('https:') ? https : http).request(url, { method, headers, timeout: 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, response: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', reject);
    req.end(body);
  });
}

/** A JSON path of the form EventBridge targets use here (`$`, `$.a.b`); anything else is refused. */
export function jsonPath(value: unknown, p: string): unknown {
  if (!/^\$(\.[A-Za-z0-9_-]+)*$/.test(p)) {
    throw new Error(`JSON path ${p} is not supported locally (only $ and $.a.b)`);
  }
  let v: any = value;
  for (const key of p.split('.').slice(1)) {
    v = v?.[key];
  }
  return v;
}

/** The user pool whose domain serves a token endpoint (`https://<prefix>.auth.<region>.amazoncognito.com/oauth2/token`). */
async function userPoolOfDomain(stack: StackDeployment, tokenEndpoint: string): Promise<string> {
  const prefix = /^https:\/\/([^.]+)\.auth\.[^.]+\.amazoncognito\.com\/oauth2\/token$/.exec(tokenEndpoint)?.[1];
  for (const [, r] of Object.entries<any>(stack.template.Resources).filter(([, x]) => x.Type === 'AWS::Cognito::UserPoolDomain')) {
    const props = await stack.resolve(r.Properties);
    if (props.Domain === prefix) {
      return props.UserPoolId;
    }
  }
  throw new Error(`${tokenEndpoint} is no token endpoint of a user pool domain of ${stack.stackName}`);
}
