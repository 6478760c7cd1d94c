/**
 * A stand-in for an API Gateway HTTP API (`AWS::ApiGatewayV2::Api`): its routes, integrations, authorizers and stage
 * read from the stack template and resolved as deployed, served on 127.0.0.1, as API Gateway v2 serves them:
 *
 * - Routes: `METHOD /path/{param}`, `{proxy+}`, `ANY`, `$default`; the most specific match wins; otherwise 404
 *   `{"message":"Not Found"}`; a malformed percent-encoding in the path, 400 `{"message":"Bad Request"}`. The stand-in's
 *   own failures answer 500 `{"message":"Internal Server Error"}` and are logged, never described in the body.
 * - Authorization per route: `JWT` (the authorizer's issuer and audiences; the signature checked against the issuer's
 *   keys, fetched where the emulator serves a Cognito pool's keys, `jwksUriFor`; `iss`; `exp`, required; `nbf`; `aud`,
 *   or `client_id` only when there is no `aud`; the route's scopes), answered 401 `{"message":"Unauthorized"}` or 403
 *   `{"message":"Forbidden"}`;
 *   `AWS_IAM` (a SigV4 signature by a principal the IAM gate knows, verified with that principal's own secret, its
 *   session token required to be that principal's, and `execute-api:Invoke` on the request's ARN allowed by its
 *   policy), answered 403; `NONE`.
 * - Integrations: `AWS_PROXY` to a Lambda function of the assembly, payload format 2.0, the function run by its
 *   runtime interface client (`LocalEnvironment.lambdaByArn`) if an `AWS::Lambda::Permission` of the deployments lets
 *   `apigateway.amazonaws.com` invoke it for the route (`mayInvoke`, local/lambda-permission.ts); its result mapped as
 *   API Gateway maps it; a function error is 500 `{"message":"Internal Server Error"}`.
 *
 * - CORS, when the API has a `CorsConfiguration` (as API Gateway applies it, "Configuring CORS for an HTTP API"): a
 *   preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) that no `OPTIONS` or `ANY` route and no
 *   `$default` route catches is answered by API Gateway itself, 204, without authorization: with
 *   `Access-Control-Allow-Origin`, `-Allow-Methods`, `-Allow-Headers`, `-Max-Age` and `-Allow-Credentials` when the
 *   origin is allowed, with none of them otherwise. Every other answer (an integration's, the authorizer's 401 and 403,
 *   the stand-in's 404 and 500) loses the `Access-Control-*` headers the integration returned, and gets
 *   `Access-Control-Allow-Origin` (the request's origin, or `*` when `*` is allowed), `-Expose-Headers` and
 *   `-Allow-Credentials` when the request's origin is allowed. Without a `CorsConfiguration`, an integration's headers
 *   pass through as they are.
 *
 * The API is also reached by its AWS URL (`https://<api id>.execute-api.<region>.amazonaws.com/`, as a function's
 * environment names it): Python functions get `HTTPS_PROXY` and `HTTP_PROXY` pointing at `ExecuteApiProxy`, which
 * connects only the host names of the running stand-ins to their HTTPS listeners (whose certificate, the gate's, covers
 * `*.execute-api.<region>.amazonaws.com`), refuses every other host, and refuses every plain (non-CONNECT) request.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'crypto';
import * as http from 'http';
import * as https from 'https';
import * as net from 'net';
import { createLocalJWKSet, errors as joseErrors, JSONWebKeySet, jwtVerify } from 'jose';
import type { StackDeployment } from './deployment';
import type { IamGate } from './iam-gate';
import type { InvokeResult } from './lambda';
import { mayInvoke } from './lambda-permission';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './moto';
import { jwksUriFor } from '../src/contract/issuers';

/** What the stand-in needs of the local environment. */
export interface HttpApiEnvironment {
  readonly gate: IamGate;
  lambdaByArn(arn: string): Promise<{ invoke(event: unknown): Promise<InvokeResult> }>;
  /** The deployments whose `AWS::Lambda::Permission`s count (the assembly's stacks, nested stacks and products'). */
  deployments(): Promise<StackDeployment[]>;
}

/** A request the stand-in answered. */
export interface HttpApiRequest {
  readonly method: string;
  readonly path: string;
  /** The Host header: `<api id>.execute-api.<region>.amazonaws.com` when a function called the API by its AWS URL. */
  readonly host?: string;
  /** The route it matched, if any. */
  readonly routeKey?: string;
  readonly status: number;
  /** The IAM principal (ARN) of a SigV4-signed request, the `sub` of a JWT. */
  readonly caller?: string;
  /** Why it was refused (401, 403, 500), or that API Gateway answered a CORS preflight itself (204). */
  readonly reason?: string;
}

interface Route {
  readonly routeKey: string;
  readonly method: string;
  /** Path segments; `{x}` a variable, `{x+}` greedy. Empty for `$default`. */
  readonly segments: string[];
  readonly authorizationType: string;
  readonly authorizer?: { readonly issuer: string; readonly audience: string[]; readonly identitySource: string[] };
  readonly scopes: string[];
  readonly integration: { readonly type: string; readonly uri: string; readonly payloadFormatVersion: string };
}

/** AWS's error bodies. */
const NOT_FOUND = { message: 'Not Found' };
const UNAUTHORIZED = { message: 'Unauthorized' };
const FORBIDDEN = { message: 'Forbidden' };
const INTERNAL = { message: 'Internal Server Error' };
const BAD_REQUEST = { message: 'Bad Request' };

export class LocalHttpApi {
  /** Starts the stand-in of the stack's HTTP API (`apiLogicalId` if the stack has several). */
  public static async start(stack: StackDeployment, environment: HttpApiEnvironment, apiLogicalId?: string): Promise<LocalHttpApi> {
    const resources = Object.entries<any>(stack.template.Resources);
    const apis = resources.filter(([id, r]) => r.Type === 'AWS::ApiGatewayV2::Api' && r.Properties?.ProtocolType === 'HTTP' && (!apiLogicalId || id === apiLogicalId));
    if (apis.length !== 1) {
      throw new Error(`${stack.stackName}: expected one HTTP API${apiLogicalId ? ` ${apiLogicalId}` : ''}; found ${apis.map(([id]) => id).join(', ') || 'none'}`);
    }
    const [apiId] = apis[0];
    const of = (type: string) => resources.filter(([, r]) => r.Type === type && r.Properties?.ApiId?.Ref === apiId);
    const api = await stack.resource(apiId);
    const stages = await Promise.all(of('AWS::ApiGatewayV2::Stage').map(([, r]) => stack.resolve(r.Properties)));
    if (stages.length === 0) {
      throw new Error(`${stack.stackName}: HTTP API ${apiId} has no stage, so it serves nothing`);
    }
    const integrations = new Map<string, Route['integration']>();
    for (const [id, r] of of('AWS::ApiGatewayV2::Integration')) {
      const p = await stack.resolve(r.Properties);
      integrations.set(`integrations/${(await stack.resource(id)).ref}`, {
        type: p.IntegrationType, uri: String(p.IntegrationUri), payloadFormatVersion: p.PayloadFormatVersion ?? '1.0',
      });
    }
    const authorizers = new Map<string, NonNullable<Route['authorizer']>>();
    for (const [id, r] of of('AWS::ApiGatewayV2::Authorizer')) {
      const p = await stack.resolve(r.Properties);
      if (p.AuthorizerType !== 'JWT') {
        throw new Error(`${stack.stackName}: authorizer ${id} is ${p.AuthorizerType}; the HTTP API stand-in knows JWT authorizers only`);
      }
      authorizers.set((await stack.resource(id)).ref, {
        issuer: p.JwtConfiguration.Issuer, audience: p.JwtConfiguration.Audience ?? [], identitySource: p.IdentitySource ?? ['$request.header.Authorization'],
      });
    }
    const routes: Route[] = [];
    for (const [id, r] of of('AWS::ApiGatewayV2::Route')) {
      const p = await stack.resolve(r.Properties);
      const integration = integrations.get(p.Target);
      if (!integration) {
        throw new Error(`${stack.stackName}: route ${id} (${p.RouteKey}) targets ${p.Target}, which is no integration of the API`);
      }
      if (integration.type !== 'AWS_PROXY' || integration.payloadFormatVersion !== '2.0') {
        throw new Error(`${stack.stackName}: route ${p.RouteKey}: integration ${integration.type} ${integration.payloadFormatVersion} is not stood in for (AWS_PROXY 2.0 only)`);
      }
      const type = p.AuthorizationType ?? 'NONE';
      const authorizer = type === 'JWT' ? authorizers.get(p.AuthorizerId) : undefined;
      if (type === 'JWT' && !authorizer) {
        throw new Error(`${stack.stackName}: route ${p.RouteKey} names authorizer ${p.AuthorizerId}, which the API does not have`);
      }
      if (!['NONE', 'JWT', 'AWS_IAM'].includes(type)) {
        throw new Error(`${stack.stackName}: route ${p.RouteKey}: authorization ${type} is not stood in for`);
      }
      const [method, routePath] = p.RouteKey === '$default' ? ['ANY', ''] : String(p.RouteKey).split(' ');
      routes.push({
        routeKey: p.RouteKey,
        method,
        segments: routePath.split('/').filter(Boolean),
        authorizationType: type,
        authorizer,
        scopes: p.AuthorizationScopes ?? [],
        integration,
      });
    }
    const definition = stack.template.Resources[apiId];
    const cors = definition.Properties?.CorsConfiguration !== undefined
      ? corsConfig(await stack.resolve(definition.Properties.CorsConfiguration))
      : undefined;
    const stand = new LocalHttpApi(api.ref, stages[0].StageName, routes, environment, cors);
    await stand.listen();
    return stand;
  }

  /** Every request answered, in order. */
  public readonly requests: HttpApiRequest[] = [];
  private readonly server: http.Server;
  private readonly tlsServer: https.Server;
  private readonly jwks = new Map<string, Promise<ReturnType<typeof createLocalJWKSet>>>();

  private constructor(
    /** The API's id, as `Ref` gives it: the first label of its AWS host name. */
    public readonly apiId: string,
    public readonly stageName: string,
    private readonly routes: Route[],
    private readonly environment: HttpApiEnvironment,
    /** The API's `CorsConfiguration`, resolved; undefined when it has none. */
    public readonly cors?: HttpApiCors,
  ) {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        this.handle(req, Buffer.concat(chunks)).then(
          (answer) => send(res, answer),
          (e) => {
            // As API Gateway answers its own failures: no detail in the body; the detail goes to the log.
            console.error(`local HTTP API ${this.apiId}: ${req.method} ${req.url}: ${(e as Error).stack ?? e}`);
            this.requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', host: req.headers.host, status: 500, reason: `stand-in error: ${(e as Error).message}` });
            send(res, this.withCors(req, json(500, INTERNAL)));
          },
        );
      });
    };
    this.server = http.createServer(handler);
    const certificate = environment.gate.certificate;
    this.tlsServer = https.createServer({ key: certificate.key, cert: certificate.cert }, handler);
  }

  /** The stand-in's address: `http://127.0.0.1:<port>/`. */
  public get url(): string {
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}/`;
  }

  /** The host name of the API in AWS (`<api id>.execute-api.<region>.amazonaws.com`), which functions reach it by. */
  public get awsHost(): string {
    return `${this.apiId}.execute-api.${LOCAL_REGION}.amazonaws.com`;
  }

  /** The JWT authorizers its routes use: the issuer and the audiences each accepts. */
  public get jwtAuthorizers(): Array<{ readonly issuer: string; readonly audience: string[] }> {
    const seen = new Map<string, { issuer: string; audience: string[] }>();
    for (const r of this.routes) {
      if (r.authorizer) {
        seen.set(`${r.authorizer.issuer} ${r.authorizer.audience.join(' ')}`, { issuer: r.authorizer.issuer, audience: r.authorizer.audience });
      }
    }
    return [...seen.values()];
  }

  /** The API's URL in AWS, as the template's functions are given it. */
  public get awsUrl(): string {
    return `https://${this.awsHost}/`;
  }

  public async stop(): Promise<void> {
    ExecuteApiProxy.unregister(this.awsHost);
    for (const server of [this.server, this.tlsServer]) {
      if (server.listening) {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
    }
    await ExecuteApiProxy.release();
  }

  private async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => this.tlsServer.listen(0, '127.0.0.1', resolve));
    await ExecuteApiProxy.acquire();
    ExecuteApiProxy.register(this.awsHost, (this.tlsServer.address() as net.AddressInfo).port);
  }

  /** A request's answer, with the API's CORS configuration applied (a preflight is answered whole by `route`). */
  private async handle(req: http.IncomingMessage, body: Buffer): Promise<Answer> {
    return this.withCors(req, await this.route(req, body));
  }

  private async route(req: http.IncomingMessage, body: Buffer): Promise<Answer> {
    const url = new URL(req.url ?? '/', 'http://local');
    const method = req.method ?? 'GET';
    const record = (answer: Answer, extra: Partial<HttpApiRequest> = {}): Answer => {
      this.requests.push({ method, path: url.pathname, host: req.headers.host, status: answer.status, ...extra });
      return answer;
    };
    // A stage other than $default is the path's first segment.
    let path = url.pathname;
    if (this.stageName !== '$default') {
      const prefix = `/${this.stageName}`;
      if (path !== prefix && !path.startsWith(`${prefix}/`)) {
        return record(json(404, NOT_FOUND));
      }
      path = path.slice(prefix.length) || '/';
    }
    // A malformed percent-encoding in the path: API Gateway answers 400 before routing.
    if (path.split('/').some((segment) => decodeSegment(segment) === undefined)) {
      return record(json(400, BAD_REQUEST), { reason: 'malformed percent-encoding in the path' });
    }
    const match = this.match(method, path);
    // A CORS preflight no route catches (an OPTIONS or ANY route, or $default, would): API Gateway answers it itself.
    if (!match && this.cors && isPreflight(req)) {
      return record(this.preflight(req), { reason: 'CORS preflight, answered by API Gateway' });
    }
    if (!match) {
      return record(json(404, NOT_FOUND));
    }
    const { route, pathParameters } = match;
    const requestId = randomBytes(8).toString('base64url');
    let authorizer: any;
    let caller: string | undefined;
    if (route.authorizationType === 'JWT') {
      const verdict = await this.verifyJwt(route, req);
      if ('refuse' in verdict) {
        return record(verdict.refuse, { routeKey: route.routeKey, reason: verdict.reason });
      }
      caller = String(verdict.claims.sub ?? '');
      authorizer = {
        jwt: {
          claims: Object.fromEntries(Object.entries(verdict.claims).map(([k, v]) => [k, Array.isArray(v) ? `[${v.join(' ')}]` : String(v)])),
          scopes: typeof verdict.claims.scope === 'string' ? verdict.claims.scope.split(' ') : null,
        },
      };
    } else if (route.authorizationType === 'AWS_IAM') {
      const resource = `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${this.apiId}/${this.stageName}/${method}${url.pathname}`;
      const verdict = await this.verifySigV4(req, method, url, body, resource);
      if ('refuse' in verdict) {
        return record(verdict.refuse, { routeKey: route.routeKey, reason: verdict.reason, caller: verdict.caller });
      }
      caller = verdict.arn;
      authorizer = {
        iam: {
          accessKey: verdict.accessKeyId,
          accountId: LOCAL_ACCOUNT,
          callerId: verdict.accessKeyId,
          cognitoIdentity: null,
          principalOrgId: null,
          userArn: verdict.arn,
          userId: verdict.accessKeyId,
        },
      };
    }
    const functionArn = route.integration.uri;
    const sourceArn = `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${this.apiId}/${this.stageName}/${method}/${route.segments.join('/')}`;
    if (!(await mayInvoke(await this.environment.deployments(), functionArn, 'apigateway.amazonaws.com', sourceArn))) {
      return record(json(500, INTERNAL), { routeKey: route.routeKey, caller, reason: `no AWS::Lambda::Permission lets API Gateway invoke ${functionArn} as ${sourceArn}` });
    }
    const event = this.event(req, method, url, body, route, pathParameters, authorizer, requestId);
    const fn = await this.environment.lambdaByArn(functionArn);
    const result = await fn.invoke(event);
    if (result.error) {
      return record(json(500, INTERNAL, requestId), { routeKey: route.routeKey, caller, reason: `${result.error.errorType}: ${result.error.errorMessage}` });
    }
    return record(proxyResult(result.payload, requestId), { routeKey: route.routeKey, caller });
  }

  /**
   * API Gateway's own answer to a CORS preflight: 204, with the configured headers when the origin is allowed, none
   * when it is not (the browser then refuses the request). The requested method and headers are left to the browser to
   * compare with the lists.
   */
  private preflight(req: http.IncomingMessage): Answer {
    const cors = this.cors!;
    const allowed = allowedOrigin(cors, requestHeader(req, 'origin'));
    const headers: Record<string, string> = { 'apigw-requestid': randomBytes(8).toString('base64url') };
    if (allowed !== undefined) {
      headers['access-control-allow-origin'] = allowed;
      if (cors.allowMethods.length > 0) {
        headers['access-control-allow-methods'] = cors.allowMethods.join(',');
      }
      if (cors.allowHeaders.length > 0) {
        headers['access-control-allow-headers'] = cors.allowHeaders.join(',');
      }
      if (cors.maxAge !== undefined) {
        headers['access-control-max-age'] = String(cors.maxAge);
      }
      if (cors.allowCredentials) {
        headers['access-control-allow-credentials'] = 'true';
      }
    }
    return { status: 204, headers, body: Buffer.alloc(0), preflight: true };
  }

  /**
   * An answer as API Gateway sends it when the API has a CORS configuration: the integration's own `Access-Control-*`
   * headers dropped, the configured ones added for an allowed origin. Unchanged without a configuration.
   */
  private withCors(req: http.IncomingMessage, answer: Answer): Answer {
    const cors = this.cors;
    if (!cors || answer.preflight) {
      return answer;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(answer.headers)) {
      if (!name.toLowerCase().startsWith('access-control-')) {
        headers[name] = value;
      }
    }
    const allowed = allowedOrigin(cors, requestHeader(req, 'origin'));
    if (allowed !== undefined) {
      headers['access-control-allow-origin'] = allowed;
      if (cors.exposeHeaders.length > 0) {
        headers['access-control-expose-headers'] = cors.exposeHeaders.join(',');
      }
      if (cors.allowCredentials) {
        headers['access-control-allow-credentials'] = 'true';
      }
    }
    return { ...answer, headers };
  }

  /** The most specific route for a request, as API Gateway picks it. */
  private match(method: string, path: string): { route: Route; pathParameters: Record<string, string> } | undefined {
    const segments = path.split('/').filter(Boolean);
    const candidates: Array<{ route: Route; pathParameters: Record<string, string>; rank: number[] }> = [];
    for (const route of this.routes) {
      if (route.routeKey === '$default' || (route.method !== 'ANY' && route.method !== method)) {
        continue;
      }
      const params: Record<string, string> = {};
      const rank: number[] = [];
      let ok = true;
      let greedy = 0;
      for (let i = 0; i < route.segments.length && ok; i++) {
        const s = route.segments[i];
        const variable = /^\{(.+?)(\+)?\}$/.exec(s);
        if (variable?.[2]) {
          // Greedy: the rest of the path (at least one segment), and nothing may follow it.
          ok = i === route.segments.length - 1 && segments.length > i;
          params[variable[1]] = segments.slice(i).map((x) => decodeSegment(x) ?? x).join('/');
          greedy = 1;
          rank.push(2);
        } else if (variable) {
          ok = i < segments.length;
          params[variable[1]] = ok ? decodeSegment(segments[i]) ?? segments[i] : '';
          rank.push(1);
        } else {
          ok = segments[i] !== undefined && decodeSegment(segments[i]) === s;
          rank.push(0);
        }
      }
      if (ok && (greedy || route.segments.length === segments.length)) {
        // Exact matches before greedy ones; then literal segments before variables, from the left; a method before ANY.
        candidates.push({ route, pathParameters: params, rank: [greedy, -route.segments.length * greedy, ...rank, route.method === 'ANY' ? 1 : 0] });
      }
    }
    candidates.sort((a, b) => compareRanks(a.rank, b.rank));
    const best = candidates[0] ?? this.routes.filter((r) => r.routeKey === '$default').map((route) => ({ route, pathParameters: {} }))[0];
    return best ? { route: best.route, pathParameters: best.pathParameters } : undefined;
  }

  /** A JWT authorizer's decision: the token's claims, or the answer API Gateway gives. */
  private async verifyJwt(route: Route, req: http.IncomingMessage): Promise<{ claims: Record<string, any> } | { refuse: Answer; reason: string }> {
    const authorizer = route.authorizer!;
    const unauthorized = (reason: string) => ({ refuse: { ...json(401, UNAUTHORIZED), headers: { 'content-type': 'application/json', 'www-authenticate': `Bearer error="invalid_token" error_description="${reason}"` } }, reason });
    const source = authorizer.identitySource[0] ?? '$request.header.Authorization';
    const header = /^\$request\.header\.(.+)$/.exec(source)?.[1];
    if (!header) {
      throw new Error(`identity source ${source} is not stood in for`);
    }
    const raw = req.headers[header.toLowerCase()];
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (!value) {
      return unauthorized('no identity in the identity source');
    }
    const token = value.replace(/^Bearer\s+/i, '');
    let claims: Record<string, any>;
    try {
      const verified = await jwtVerify(token, await this.keysOf(authorizer.issuer), { issuer: authorizer.issuer, algorithms: ['RS256'], requiredClaims: ['exp'] });
      claims = verified.payload;
    } catch (e) {
      return unauthorized(e instanceof joseErrors.JOSEError ? `${e.code}: ${e.message}` : `invalid token: ${(e as Error).message}`);
    }
    // API Gateway checks `aud` when the token has one, and `client_id` only when it has none (Cognito's access tokens).
    const audiences = claims.aud !== undefined ? [claims.aud].flat() : claims.client_id !== undefined ? [claims.client_id] : [];
    if (authorizer.audience.length > 0 && !audiences.some((a) => authorizer.audience.includes(a))) {
      return unauthorized(`the token's audience ${JSON.stringify(audiences)} is not the authorizer's`);
    }
    if (route.scopes.length > 0) {
      const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
      if (!route.scopes.some((s) => scopes.includes(s))) {
        return { refuse: json(403, FORBIDDEN), reason: `the token's scopes ${JSON.stringify(scopes)} include none of ${JSON.stringify(route.scopes)}` };
      }
    }
    return { claims };
  }

  /** The issuer's keys, fetched once from where the emulator serves them (`jwksUriFor`, through the gate). */
  private keysOf(issuer: string): Promise<ReturnType<typeof createLocalJWKSet>> {
    let keys = this.jwks.get(issuer);
    if (!keys) {
      const gate = this.environment.gate;
      const uri = jwksUriFor(issuer, undefined, { AWS_ENDPOINT_URL: gate.endpoint });
      keys = new Promise<ReturnType<typeof createLocalJWKSet>>((resolve, reject) => {
        https.get(uri, { ca: gate.certificate.cert }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            if (res.statusCode !== 200) {
              reject(new Error(`the keys of ${issuer} (${uri}) answered ${res.statusCode}`));
              return;
            }
            resolve(createLocalJWKSet(JSON.parse(Buffer.concat(chunks).toString('utf8')) as JSONWebKeySet));
          });
        }).on('error', reject);
      });
      keys.catch(() => this.jwks.delete(issuer));
      this.jwks.set(issuer, keys);
    }
    return keys;
  }

  /**
   * An IAM-authorized request: the session token must be the principal's, the signature is verified with the
   * principal's own secret, then `execute-api:Invoke` must be allowed.
   */
  private async verifySigV4(req: http.IncomingMessage, method: string, url: URL, body: Buffer, resource: string):
  Promise<{ accessKeyId: string; arn: string } | { refuse: Answer; reason: string; caller?: string }> {
    const header = String(req.headers.authorization ?? '');
    const auth = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$/.exec(header);
    if (!auth) {
      return { refuse: json(403, FORBIDDEN), reason: 'no SigV4 signature' };
    }
    const [, accessKeyId, date, region, service, signedHeaders, signature] = auth;
    const principal = this.environment.gate.principal(accessKeyId);
    const invalidToken = json(403, { message: 'The security token included in the request is invalid.' });
    if (!principal) {
      return { refuse: invalidToken, reason: `unknown access key ${accessKeyId}` };
    }
    if (principal.secretAccessKey === undefined) {
      return { refuse: invalidToken, reason: `the principal of ${accessKeyId} has no secret to sign with`, caller: principal.arn };
    }
    // Temporary credentials: the request carries the session's token, which only its holder knows.
    const token = req.headers['x-amz-security-token'];
    if (principal.sessionToken !== undefined && !sameText(Array.isArray(token) ? token[0] : token ?? '', principal.sessionToken)) {
      return { refuse: invalidToken, reason: 'session token mismatch', caller: principal.arn };
    }
    const amzDate = String(req.headers['x-amz-date'] ?? '');
    const signedAt = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
    if (region !== LOCAL_REGION || service !== 'execute-api' || !amzDate.startsWith(date) || !(Math.abs(Date.now() - signedAt) < 5 * 60_000)) {
      return { refuse: json(403, { message: 'Signature expired or not scoped to execute-api in this region' }), reason: `bad scope ${date}/${region}/${service} at ${amzDate}`, caller: principal.arn };
    }
    const names = signedHeaders.split(';');
    if (!names.includes('host')) {
      return { refuse: json(403, FORBIDDEN), reason: 'the host header is not signed', caller: principal.arn };
    }
    const canonicalHeaders = names.map((n) => {
      const v = req.headers[n];
      return `${n}:${(Array.isArray(v) ? v.join(',') : String(v ?? '')).trim().replace(/\s+/g, ' ')}\n`;
    }).join('');
    const canonicalUri = url.pathname.split('/').map((s) => rfc3986(safeDecode(s))).join('/') || '/';
    const byKeyThenValue = ([a, x]: string[], [b, y]: string[]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0);
    const canonicalQuery = [...url.searchParams.entries()].map(([k, v]) => [rfc3986(k), rfc3986(v)]).sort(byKeyThenValue)
      .map(([k, v]) => `${k}=${v}`).join('&');
    const canonicalRequest = [method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaders, sha256(body)].join('\n');
    const scope = `${date}/${region}/${service}/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(Buffer.from(canonicalRequest))].join('\n');
    let key: Buffer = hmac(`AWS4${principal.secretAccessKey}`, date);
    for (const part of [region, service, 'aws4_request']) {
      key = hmac(key, part);
    }
    const expected = hmac(key, stringToSign);
    if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
      return {
        refuse: json(403, { message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.' }),
        reason: 'signature mismatch',
        caller: principal.arn,
      };
    }
    if (!(await this.environment.gate.authorize(accessKeyId, { action: 'execute-api:Invoke', resource }))) {
      return {
        refuse: json(403, { message: `User: ${principal.arn} is not authorized to perform: execute-api:Invoke on resource: ${resource}` }),
        reason: `execute-api:Invoke on ${resource} is not allowed`,
        caller: principal.arn,
      };
    }
    return { accessKeyId, arn: principal.arn };
  }

  /** The event of payload format 2.0. */
  private event(req: http.IncomingMessage, method: string, url: URL, body: Buffer, route: Route, pathParameters: Record<string, string>,
    authorizer: unknown, requestId: string): Record<string, unknown> {
    const headers: Record<string, string> = {};
    let cookies: string[] | undefined;
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i].toLowerCase();
      const value = req.rawHeaders[i + 1];
      if (name === 'cookie') {
        cookies = [...(cookies ?? []), ...value.split(';').map((c) => c.trim()).filter(Boolean)];
        continue;
      }
      headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
    }
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams.entries()) {
      query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
    }
    const now = new Date();
    const contentType = headers['content-type'] ?? '';
    const text = body.length === 0 || contentType === '' || /json|text|xml|x-www-form-urlencoded|javascript/i.test(contentType);
    const host = headers.host ?? this.awsHost;
    return {
      version: '2.0',
      routeKey: route.routeKey,
      rawPath: url.pathname,
      rawQueryString: url.search.replace(/^\?/, ''),
      ...(cookies ? { cookies } : {}),
      headers,
      ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
      requestContext: {
        accountId: LOCAL_ACCOUNT,
        apiId: this.apiId,
        ...(authorizer ? { authorizer } : {}),
        domainName: host,
        domainPrefix: host.split('.')[0],
        http: {
          method,
          path: url.pathname,
          protocol: `HTTP/${req.httpVersion}`,
          sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
          userAgent: headers['user-agent'] ?? '',
        },
        requestId,
        routeKey: route.routeKey,
        stage: this.stageName,
        time: apiGatewayTime(now),
        timeEpoch: now.getTime(),
      },
      ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
      ...(body.length > 0 ? { body: text ? body.toString('utf8') : body.toString('base64') } : {}),
      isBase64Encoded: body.length > 0 && !text,
    };
  }
}

/**
 * The CONNECT proxy Python functions are given as `HTTPS_PROXY` and `HTTP_PROXY` (one per process, shared by the
 * environments in it): it connects `<api id>.execute-api.<region>.amazonaws.com:443` of a running HTTP API stand-in to
 * that stand-in's HTTPS listener, and refuses every other destination and every plain (non-CONNECT) request (403,
 * recorded in `refused`), so nothing a function calls leaves the machine unnoticed.
 */
export class ExecuteApiProxy {
  /** Destinations refused so far (`host:port`; a plain request's is its URL's, port 80 by default). */
  public static readonly refused: string[] = [];

  /** Starts the proxy if it is not running; returns its URL. Pair with `release`. */
  public static acquire(): Promise<string> {
    this.users++;
    if (!this.listening) {
      const server = http.createServer((req, res) => {
        // Any request but CONNECT (plain HTTP through the proxy, `HTTP_PROXY`): nothing is reached that way. Refused at
        // once, whatever its body, and the connection closed, so a client never waits on it.
        this.refused.push(plainDestination(req));
        req.resume();
        res.writeHead(403, { 'content-type': 'text/plain', 'connection': 'close' });
        res.end('local execute-api proxy: only CONNECT to a local HTTP API is allowed\n');
      });
      server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
        const destination = String(req.url ?? '');
        const [host, port] = destination.split(':');
        const target = port === '443' && /^[a-z0-9]+\.execute-api\.[a-z0-9-]+\.amazonaws\.com$/.test(host) ? this.targets.get(host) : undefined;
        if (target === undefined) {
          this.refused.push(destination);
          socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
          return;
        }
        const upstream = net.connect(target, '127.0.0.1', () => {
          socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          if (head.length > 0) {
            upstream.write(head);
          }
          upstream.pipe(socket);
          socket.pipe(upstream);
        });
        upstream.on('error', () => socket.destroy());
        socket.on('error', () => upstream.destroy());
      });
      this.server = server;
      this.listening = new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`)));
    }
    return this.listening;
  }

  /** Stops the proxy when its last user releases it. */
  public static async release(): Promise<void> {
    this.users = Math.max(0, this.users - 1);
    if (this.users === 0 && this.server) {
      const server = this.server;
      this.server = undefined;
      this.listening = undefined;
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  }

  public static register(host: string, port: number): void {
    this.targets.set(host, port);
  }

  public static unregister(host: string): void {
    this.targets.delete(host);
  }

  private static readonly targets = new Map<string, number>();
  private static server?: http.Server;
  private static listening?: Promise<string>;
  private static users = 0;
}

/** The `host:port` a plain request through the proxy is for (its absolute URL's, else its Host header's). */
function plainDestination(req: http.IncomingMessage): string {
  try {
    const url = new URL(req.url ?? '', `http://${req.headers.host ?? 'unknown'}`);
    return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
  } catch {
    return String(req.headers.host ?? req.url);
  }
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer;
  /** API Gateway's own answer to a CORS preflight, its CORS headers final. */
  readonly preflight?: boolean;
}

/** An HTTP API's `CorsConfiguration`, resolved. */
export interface HttpApiCors {
  readonly allowOrigins: string[];
  readonly allowMethods: string[];
  readonly allowHeaders: string[];
  readonly exposeHeaders: string[];
  readonly maxAge?: number;
  readonly allowCredentials: boolean;
}

function corsConfig(p: any): HttpApiCors {
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
  return {
    allowOrigins: list(p?.AllowOrigins),
    allowMethods: list(p?.AllowMethods),
    allowHeaders: list(p?.AllowHeaders),
    exposeHeaders: list(p?.ExposeHeaders),
    maxAge: p?.MaxAge === undefined ? undefined : Number(p.MaxAge),
    allowCredentials: p?.AllowCredentials === true || p?.AllowCredentials === 'true',
  };
}

/**
 * What `Access-Control-Allow-Origin` says to a request from `origin`: `*` when every origin is allowed (`*`), the
 * origin itself when it is in the list or its scheme's wildcard is (`https://*`, `http://*`); undefined when the
 * request has no origin or one not allowed.
 */
function allowedOrigin(cors: HttpApiCors, origin: string | undefined): string | undefined {
  if (origin === undefined || origin === '') {
    return undefined;
  }
  if (cors.allowOrigins.includes('*')) {
    return '*';
  }
  const allowed = cors.allowOrigins.some((o) => o === origin || (/^[a-z][a-z0-9+.-]*:\/\/\*$/i.test(o) && origin.startsWith(o.slice(0, -1))));
  return allowed ? origin : undefined;
}

/** A CORS preflight: `OPTIONS` with `Origin` and `Access-Control-Request-Method`. */
function isPreflight(req: http.IncomingMessage): boolean {
  return req.method === 'OPTIONS' && requestHeader(req, 'origin') !== undefined && requestHeader(req, 'access-control-request-method') !== undefined;
}

/** A request header's (first) value. */
function requestHeader(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function json(status: number, body: unknown, requestId?: string): Answer {
  return { status, headers: { 'content-type': 'application/json', ...(requestId ? { 'apigw-requestid': requestId } : {}) }, body: Buffer.from(JSON.stringify(body)) };
}

/** A function's result, as API Gateway maps it for payload format 2.0. */
function proxyResult(payload: unknown, requestId: string): Answer {
  if (payload && typeof payload === 'object' && 'statusCode' in payload) {
    const p = payload as { statusCode: number; headers?: Record<string, unknown>; cookies?: string[]; body?: unknown; isBase64Encoded?: boolean };
    const headers: Record<string, string | string[]> = { 'apigw-requestid': requestId };
    for (const [k, v] of Object.entries(p.headers ?? {})) {
      headers[k.toLowerCase()] = String(v);
    }
    if (p.cookies?.length) {
      headers['set-cookie'] = p.cookies;
    }
    const text = p.body === undefined || p.body === null ? '' : String(p.body);
    return { status: Number(p.statusCode), headers, body: p.isBase64Encoded ? Buffer.from(text, 'base64') : Buffer.from(text) };
  }
  // Anything else is the body of a 200 answer.
  return { status: 200, headers: { 'content-type': 'application/json', 'apigw-requestid': requestId }, body: Buffer.from(JSON.stringify(payload)) };
}

function send(res: http.ServerResponse, answer: Answer): void {
  res.writeHead(answer.status, { ...answer.headers, 'content-length': String(answer.body.length) });
  res.end(answer.body);
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? -1) - (b[i] ?? -1);
    if (d !== 0) {
      return d;
    }
  }
  return 0;
}

function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function safeDecode(s: string): string {
  return decodeSegment(s) ?? s;
}

/** A path segment, percent-decoded; undefined if its percent-encoding is malformed. */
function decodeSegment(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** Equal strings, compared in constant time. */
function sameText(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y) && a === b;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** `12/Mar/2020:19:03:58 +0000`. */
function apiGatewayTime(d: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
