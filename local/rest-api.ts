/**
 * An API Gateway REST API, stood in for from its template (docs/as-deployed.md): each stage served at
 * `http://127.0.0.1:<port>/<stage>/...`, the way API Gateway answers a request:
 *
 * 1. The resource tree and methods of the template (static path parts before `{param}` before `{proxy+}`); a path or
 *    method with no method → 403 `Missing Authentication Token`. A request over 10 MB → 413.
 * 2. A REQUEST (or TOKEN) Lambda authorizer: a missing identity source → 401 without invoking it; the function (found by
 *    the ARN in `AuthorizerUri`) invoked with API Gateway's event only if a `AWS::Lambda::Permission` of the assembly
 *    lets `apigateway.amazonaws.com` invoke it from this authorizer's ARN (else 500); its error `Unauthorized` → 401,
 *    any other error or an invalid answer → 500; the policy evaluated for the method ARN (explicit Deny → 403, no Allow
 *    → 403); the whole answer cached per identity source value for `AuthorizerResultTtlInSeconds`, so a cached policy
 *    is evaluated again for the next method ARN. A method with `AuthorizationType: NONE` runs no authorizer.
 * 3. `ApiKeyRequired` with `ApiKeySourceType: AUTHORIZER`: the authorizer's `usageIdentifierKey` must be the value of an
 *    enabled API key (the emulator's) in a usage plan (the deployments' templates) that includes this API and stage,
 *    else 403 `Forbidden`; the plan's throttle (token bucket of `RateLimit`/`BurstLimit`, per key, per method where the
 *    plan's stage says so) → 429 `Too Many Requests`, its quota per period → 429 `Limit Exceeded`. Buckets and quotas
 *    are the environment's (`UsagePlanCounters`), shared by every stand-in: a plan's limits hold across all its API
 *    stages, as in API Gateway. A key in two plans that include the same stage fails at start-up (API Gateway refuses
 *    the second `UsagePlanKey`). A method with `ApiKeyRequired: false` needs no key.
 * 4. The request validator's required parameters → 400.
 * 5. The integration (`HTTP_PROXY`, `HTTP` passed through as a proxy): the `Uri` with its path parameters substituted,
 *    the request parameter mappings (`context.authorizer.*`, `method.request.{path,header,querystring}.*`,
 *    `context.*`, literals), the client's headers but hop-by-hop ones, a mapped header replacing the client's; over a
 *    `VPC_LINK` to the load balancer its `IntegrationTarget` names (`LocalLoadBalancer`), else to the URI itself;
 *    `TimeoutInMillis` (default 29 s) → 504, a failed connection → 500.
 * 6. A `MOCK` integration (what `addCorsPreflight` synthesizes), answered by the stand-in itself:
 *    - the request template of the request's `Content-Type` (default `application/json`; media type compared without
 *      its parameters) is rendered; with no template for it, `PassthroughBehavior` decides (`WHEN_NO_MATCH`, the
 *      default: the body passes as it is; `WHEN_NO_TEMPLATES` with templates, or `NEVER`: a request with a body → 415
 *      `Unsupported Media Type`). The `statusCode` is read from the result leniently (`{ statusCode: 200 }` is no strict
 *      JSON);
 *    - the integration response whose `SelectionPattern` (a regular expression, the whole status code) matches it, else
 *      the one without a pattern (the default); none → 500 `Internal server error`;
 *    - its `ResponseParameters` (static `'value'`s only) are sent as the headers they name. Each must be declared in the
 *      method's `MethodResponses` for the integration response's status, and that method response must exist: API
 *      Gateway refuses such a method at deployment (`Invalid mapping expression parameter specified`, `No method
 *      response exists for method`), so the stand-in refuses it at start-up;
 *    - the response template of the request's `Accept` (its first media type, as API Gateway honours only the first;
 *      `application/json` without one), else the first template, is rendered, and is the body as rendered (whitespace
 *      too), with its content type (`application/json` when there is no template: the body is then empty, a mock having
 *      no integration body). A 204 or 304 carries no body;
 *    - templates are Velocity (VTL), rendered by `velocityjs`, with API Gateway's variables: `$input.params()` (a map of
 *      `path`, `querystring` and `header` maps: names as the client sent them, case-sensitive, `get(name)` of a missing
 *      name is null), `$input.params(name)` (path, then query string, then header; missing → ""), `$input.body`,
 *      `$input.json(path)` and `$input.path(path)` (simple JSONPath: `$`, `.name`, `['name']`, `[index]`), `$context`
 *      (`requestId`, `extendedRequestId`, `httpMethod`, `resourceId`, `resourcePath`, `path`, `stage`, `apiId`,
 *      `accountId`, `domainName`, `domainPrefix`, `protocol`, `requestTime` (CLF), `requestTimeEpoch`, `identity.*`,
 *      `authorizer.*`), `$stageVariables`, `$util` (`escapeJavaScript`, `parseJson`, `urlEncode`, `urlDecode`,
 *      `base64Encode`, `base64Decode`). A response template's `$context.responseOverride.header.<Name>` and
 *      `$context.responseOverride.status` are applied after rendering (an override header replaces a mapped one);
 *      overriding one of them twice → 500, as AWS documents ("Overrides are final").
 * 7. Gateway responses: each error the stand-in answers itself has API Gateway's response type (401 `UNAUTHORIZED`,
 *    403 `MISSING_AUTHENTICATION_TOKEN`, `ACCESS_DENIED` (the policy), `INVALID_API_KEY` (a key missing, unknown,
 *    disabled or in no plan of the stage), 429 `THROTTLED` and `QUOTA_EXCEEDED`, 400 `BAD_REQUEST_PARAMETERS`, 415
 *    `UNSUPPORTED_MEDIA_TYPE`, 500 `AUTHORIZER_CONFIGURATION_ERROR` (the authorizer could not be invoked, failed or
 *    answered nonsense), `API_CONFIGURATION_ERROR` (no integration response, a template failing), `INTEGRATION_FAILURE`
 *    (a failed connection), 504 `INTEGRATION_TIMEOUT`; the stand-in's own failures `DEFAULT_5XX`), and the API's
 *    `AWS::ApiGateway::GatewayResponse` of that type applies, else, as documented, `DEFAULT_4XX` or `DEFAULT_5XX` by the
 *    status (`UNAUTHORIZED` is not documented to fall back, and does not). Its `StatusCode` replaces the status (a
 *    default's only for the types that fall back to it); its `ResponseParameters` set `gatewayresponse.header.<Name>`
 *    from a static `'value'` or from `method.request.{header,path,querystring}.<name>` (a header looked up in any case;
 *    no value → the header is left out), replacing API Gateway's own header of that name; its `ResponseTemplates`
 *    (chosen by `Accept` as above) are no VTL: `$context.*` and `$stageVariables.*` are substituted, nothing else
 *    (`$context.error.message`, `.messageString` (quoted), `.responseType`, `.validationErrorString`; an unknown
 *    variable → ""). Without a template the body is API Gateway's default (`{"message":"Unauthorized"}`...).
 *    `REQUEST_TOO_LARGE` cannot be customized (AWS's known issues): 413 stays as it is. A request to a stage that does
 *    not exist gets no gateway response (no deployment to take it from).
 */
import { randomBytes, randomUUID } from 'crypto';
import * as http from 'http';
import { APIGatewayClient, GetApiKeysCommand, GetUsagePlanKeysCommand } from '@aws-sdk/client-api-gateway';
import { Compile as VtlCompile, parse as parseVtl } from 'velocityjs';
import { StackDeployment } from './deployment';
import { clientIp, endToEndHeaders, forward, forwardedFor, traceRoot, xForwarded } from './http-forward';
import { LocalLambda } from './lambda';
import { mayInvoke } from './lambda-permission';
import { LocalLoadBalancer, wildcardMatch } from './load-balancer';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './moto';
import { UsagePlanCounters } from './usage-plans';

export interface LocalRestApiOptions {
  /** The deployment holding the `AWS::ApiGateway::RestApi` (a router shard's nested stack). */
  readonly stack: StackDeployment;
  /** The logical id of the REST API, when the stack has several. */
  readonly restApiLogicalId?: string;
  /** The deployments whose usage plans, usage-plan keys and Lambda permissions count (the assembly's and products'). */
  readonly deployments: () => Promise<StackDeployment[]>;
  /** A Lambda function of the assembly by ARN. */
  readonly lambdaByArn: (arn: string) => Promise<LocalLambda>;
  /** The listener stand-in of a load balancer (its stack and logical id). */
  readonly loadBalancer: (stack: StackDeployment, logicalId: string) => Promise<LocalLoadBalancer>;
  /** API Gateway of the emulator, as the service itself reads it (API keys). */
  readonly apigateway: APIGatewayClient;
  /** The usage plans' token buckets and quota counters, shared by every REST API stand-in of the environment. */
  readonly usage: UsagePlanCounters;
  readonly onLog?: (line: string) => void;
}

interface ApiResource {
  readonly logicalId: string;
  readonly pathPart: string;
  readonly path: string;
  readonly children: ApiResource[];
  readonly methods: Map<string, ApiMethod>;
}

interface ApiMethod {
  readonly logicalId: string;
  readonly httpMethod: string;
  readonly props: any;
  /** The raw (unresolved) integration, for the logical id its target names. */
  readonly rawIntegration: any;
  /** A `MOCK` integration, read and checked at start-up. */
  readonly mock?: MockIntegration;
}

/** A parsed VTL template. */
type VtlTemplate = ReturnType<typeof parseVtl>;

interface MockIntegration {
  /** Content type (lower case) → request template. */
  readonly requestTemplates: Map<string, VtlTemplate>;
  readonly passthroughBehavior: string;
  readonly responses: MockResponse[];
}

interface MockResponse {
  readonly statusCode: string;
  /** The whole status code must match (undefined: the default response). */
  readonly selectionPattern?: RegExp;
  /** Method response header name → static value. */
  readonly headers: Array<[string, string]>;
  /** Content type → response template, in the template's order. */
  readonly templates: Array<[string, VtlTemplate]>;
}

interface Authorizer {
  readonly id: string;
  readonly type: string;
  readonly identitySource: string[];
  readonly functionArn: string;
  readonly ttlSeconds: number;
  readonly cache: Map<string, { expires: number; answer: AuthorizerAnswer }>;
}

interface AuthorizerAnswer {
  readonly principalId: string;
  readonly statements: Array<{ Effect: string; Action: string[]; Resource: string[] }>;
  readonly context: Record<string, string>;
  readonly usageIdentifierKey?: string;
}

interface UsagePlan {
  readonly id: string;
  /** The plan's id in the emulator, where keys added at run time (`CreateUsagePlanKey`) are found. */
  readonly planId: string;
  readonly keyIds: Set<string>;
  readonly rateLimit?: number;
  readonly burstLimit?: number;
  readonly quota?: { limit: number; period: string };
  /** Per-method throttles of this API's stage (`<resource path>/<METHOD>`). */
  readonly methodThrottle: Record<string, { RateLimit?: number; BurstLimit?: number }>;
}

/** A request as the API answered it. */
export interface RestApiRecord {
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** `x-amzn-ErrorType` of a gateway response. */
  readonly errorType?: string;
  /** Whether the authorizer was invoked (false: answered from its cache, or not needed). */
  readonly authorizerInvoked: boolean;
}

const MAX_PAYLOAD = 10 * 1024 * 1024;

/**
 * The gateway response types (https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html)
 * and their default status codes (none for the two defaults).
 */
const GATEWAY_RESPONSE_TYPES: Readonly<Record<string, number | undefined>> = {
  ACCESS_DENIED: 403,
  API_CONFIGURATION_ERROR: 500,
  AUTHORIZER_CONFIGURATION_ERROR: 500,
  AUTHORIZER_FAILURE: 500,
  BAD_REQUEST_PARAMETERS: 400,
  BAD_REQUEST_BODY: 400,
  DEFAULT_4XX: undefined,
  DEFAULT_5XX: undefined,
  EXPIRED_TOKEN: 403,
  INTEGRATION_FAILURE: 504,
  INTEGRATION_TIMEOUT: 504,
  INVALID_API_KEY: 403,
  INVALID_SIGNATURE: 403,
  MISSING_AUTHENTICATION_TOKEN: 403,
  QUOTA_EXCEEDED: 429,
  REQUEST_TOO_LARGE: 413,
  RESOURCE_NOT_FOUND: 404,
  THROTTLED: 429,
  UNAUTHORIZED: 401,
  UNSUPPORTED_MEDIA_TYPE: 415,
  WAF_FILTERED: 403,
};
/** Types AWS does not document as falling back to `DEFAULT_4XX`/`DEFAULT_5XX`. */
const NO_FALLBACK: ReadonlySet<string> = new Set(['UNAUTHORIZED']);
/** Types that cannot be customized (API Gateway's known issues). */
const NOT_CUSTOMIZABLE: ReadonlySet<string> = new Set(['REQUEST_TOO_LARGE']);

/** An `AWS::ApiGateway::GatewayResponse` of the API, resolved. */
interface GatewayResponseDefinition {
  readonly statusCode?: number;
  /** Header name → mapping source (`'value'`, `method.request.header.X`...). */
  readonly headers: Array<[string, string]>;
  readonly templates: Record<string, string>;
}

class GatewayError extends Error {
  constructor(
    public readonly status: number,
    public readonly errorType: string,
    public readonly body: unknown,
    /** The gateway response type that answers it. */
    public readonly responseType: string,
  ) {
    super(`${status} ${errorType}`);
  }
}

const missingToken = () => new GatewayError(403, 'MissingAuthenticationTokenException', { message: 'Missing Authentication Token' }, 'MISSING_AUTHENTICATION_TOKEN');
const unauthorized = () => new GatewayError(401, 'UnauthorizedException', { message: 'Unauthorized' }, 'UNAUTHORIZED');
const authorizerFailure = () => new GatewayError(500, 'AuthorizerConfigurationException', { message: null }, 'AUTHORIZER_CONFIGURATION_ERROR');
const forbidden = () => new GatewayError(403, 'ForbiddenException', { message: 'Forbidden' }, 'INVALID_API_KEY');
const configurationError = () => new GatewayError(500, 'InternalServerErrorException', { message: 'Internal server error' }, 'API_CONFIGURATION_ERROR');
const internalError = () => new GatewayError(500, 'InternalServerErrorException', { message: 'Internal server error' }, 'DEFAULT_5XX');

/** What a request is known to be when API Gateway answers it: filled in as the request is processed. */
interface RequestInfo {
  readonly requestId: string;
  /** A request header, looked up in any case. */
  readonly header: (name: string) => string | undefined;
  /** The request's headers, names as the client sent them (the last value of a repeated header). */
  readonly headers: Record<string, string>;
  readonly query: URLSearchParams;
  pathParameters: Record<string, string>;
  /** The stage's properties, once the stage is known. */
  stage?: any;
  /** API Gateway's request context (`$context`), as far as it is known. */
  context: Record<string, unknown>;
}

export class LocalRestApi {
  /** Reads the REST API of `options.stack` and serves its stages on 127.0.0.1 (a port of its own). */
  public static async start(options: LocalRestApiOptions): Promise<LocalRestApi> {
    const stack = options.stack;
    const resources = Object.entries<any>(stack.template.Resources);
    const apis = resources.filter(([id, r]) => r.Type === 'AWS::ApiGateway::RestApi' && (!options.restApiLogicalId || id === options.restApiLogicalId));
    if (apis.length !== 1) {
      throw new Error(`${stack.stackName}: expected one AWS::ApiGateway::RestApi${options.restApiLogicalId ? ` ${options.restApiLogicalId}` : ''}, found ${apis.length}`);
    }
    const [apiLogicalId, apiDefinition] = apis[0];
    const api = await stack.resource(apiLogicalId);
    const ofThisApi = (r: any) => r.Properties?.RestApiId?.Ref === apiLogicalId;

    // The resource tree, from the template's structure.
    const root: ApiResource = { logicalId: '<root>', pathPart: '', path: '/', children: [], methods: new Map() };
    const byId = new Map<string, ApiResource>([['<root>', root]]);
    const parentOf = (r: any): string => {
      const p = r.Properties.ParentId;
      if (p?.['Fn::GetAtt']?.[0] === apiLogicalId && p['Fn::GetAtt'][1] === 'RootResourceId') {
        return '<root>';
      }
      if (p?.Ref) {
        return p.Ref;
      }
      throw new Error(`${stack.stackName}: resource parent ${JSON.stringify(p)} is not stood in`);
    };
    const pending = resources.filter(([, r]) => r.Type === 'AWS::ApiGateway::Resource' && ofThisApi(r));
    while (pending.length > 0) {
      const index = pending.findIndex(([, r]) => byId.has(parentOf(r)));
      if (index < 0) {
        throw new Error(`${stack.stackName}: resources without a parent: ${pending.map(([id]) => id).join(', ')}`);
      }
      const [[id, r]] = pending.splice(index, 1);
      const parent = byId.get(parentOf(r))!;
      const pathPart = String(r.Properties.PathPart);
      const node: ApiResource = { logicalId: id, pathPart, path: `${parent.path === '/' ? '' : parent.path}/${pathPart}`, children: [], methods: new Map() };
      parent.children.push(node);
      byId.set(id, node);
    }
    for (const [id, r] of resources.filter(([, x]) => x.Type === 'AWS::ApiGateway::Method' && ofThisApi(x))) {
      const rid = r.Properties.ResourceId;
      const node = rid?.['Fn::GetAtt']?.[1] === 'RootResourceId' ? root : byId.get(rid?.Ref);
      if (!node) {
        throw new Error(`${stack.stackName}/${id}: resource ${JSON.stringify(rid)} not found`);
      }
      const props = await stack.resolve(r.Properties);
      const httpMethod = String(props.HttpMethod).toUpperCase();
      const mock = props.Integration?.Type === 'MOCK' ? mockIntegration(`${stack.stackName}/${id}`, props) : undefined;
      node.methods.set(httpMethod, { logicalId: id, httpMethod, props, rawIntegration: r.Properties.Integration, mock });
    }

    const authorizers = new Map<string, Authorizer>();
    for (const [id, r] of resources.filter(([, x]) => x.Type === 'AWS::ApiGateway::Authorizer' && ofThisApi(x))) {
      const props = await stack.resolve(r.Properties);
      const functionArn = /functions\/(arn:[^/]+)\/invocations$/.exec(String(props.AuthorizerUri))?.[1];
      if (!functionArn || !['REQUEST', 'TOKEN'].includes(props.Type)) {
        throw new Error(`${stack.stackName}/${id}: authorizer ${props.Type} ${props.AuthorizerUri} is not stood in (Lambda REQUEST and TOKEN authorizers are)`);
      }
      authorizers.set((await stack.resource(id)).ref, {
        id: (await stack.resource(id)).ref,
        type: props.Type,
        identitySource: String(props.IdentitySource ?? 'method.request.header.Authorization').split(',').map((s) => s.trim()).filter(Boolean),
        functionArn,
        ttlSeconds: props.AuthorizerResultTtlInSeconds ?? 300,
        cache: new Map(),
      });
    }
    const validators = new Map<string, any>();
    for (const [id, r] of resources.filter(([, x]) => x.Type === 'AWS::ApiGateway::RequestValidator' && ofThisApi(x))) {
      validators.set((await stack.resource(id)).ref, await stack.resolve(r.Properties));
    }
    const stages = new Map<string, any>();
    for (const [id, r] of resources.filter(([, x]) => x.Type === 'AWS::ApiGateway::Stage' && ofThisApi(x))) {
      stages.set((await stack.resource(id)).ref, await stack.resolve(r.Properties));
    }
    if (stages.size === 0) {
      throw new Error(`${stack.stackName}: the REST API ${apiLogicalId} has no stage`);
    }
    const gatewayResponses = new Map<string, GatewayResponseDefinition>();
    for (const [id, r] of resources.filter(([, x]) => x.Type === 'AWS::ApiGateway::GatewayResponse' && ofThisApi(x))) {
      const props = await stack.resolve(r.Properties);
      const type = String(props.ResponseType);
      if (!(type in GATEWAY_RESPONSE_TYPES)) {
        throw new Error(`${stack.stackName}/${id}: ${type} is no gateway response type`);
      }
      if (gatewayResponses.has(type)) {
        throw new Error(`${stack.stackName}/${id}: a second gateway response of type ${type} (API Gateway keeps one per type)`);
      }
      const headers: Array<[string, string]> = [];
      for (const [target, source] of Object.entries<string>(props.ResponseParameters ?? {})) {
        const name = /^gatewayresponse\.header\.(.+)$/.exec(target)?.[1];
        if (!name) {
          throw new Error(`${stack.stackName}/${id}: gateway response parameter ${target} is not stood in (gatewayresponse.header.<name> is)`);
        }
        if (!/^'.*'$/s.test(source) && !/^method\.request\.(header|path|querystring)\.[^.]+$/.test(source)) {
          throw new Error(`${stack.stackName}/${id}: gateway response parameter source ${source} is not stood in ('value' and method.request.{header,path,querystring}.<name> are)`);
        }
        headers.push([name, source]);
      }
      gatewayResponses.set(type, {
        statusCode: props.StatusCode !== undefined ? Number(props.StatusCode) : undefined,
        headers,
        templates: props.ResponseTemplates ?? {},
      });
    }
    const restApi = new LocalRestApi(options, api.ref, apiDefinition.Properties ?? {}, root, authorizers, validators, stages, gatewayResponses);
    // The usage plans of every stage, read now: a key in two plans of one stage fails here, as its deployment would.
    for (const stageName of stages.keys()) {
      await restApi.usagePlans(stageName);
    }
    await new Promise<void>((resolve) => restApi.server.listen(0, '127.0.0.1', resolve));
    return restApi;
  }

  /** Every request answered, in order. */
  public readonly requests: RestApiRecord[] = [];
  private readonly server: http.Server;
  private readonly agent = new http.Agent({ keepAlive: true });
  private keys?: { at: number; byValue: Map<string, { id: string; enabled: boolean }> };
  private keyRead?: Promise<void>;
  private readonly plansOf = new Map<StackDeployment, Map<string, UsagePlan[]>>();
  private plansRead = -1;
  private readonly runtimeKeys = new Map<string, Set<string>>();
  private readonly runtimeKeyReads = new Map<string, { at: number; reading?: Promise<void> }>();

  private constructor(
    private readonly options: LocalRestApiOptions,
    /** The API's id (its `Ref`). */
    public readonly apiId: string,
    private readonly apiProps: any,
    private readonly root: ApiResource,
    private readonly authorizers: Map<string, Authorizer>,
    private readonly validators: Map<string, any>,
    private readonly stages: Map<string, any>,
    /** The API's gateway responses, by response type. */
    private readonly gatewayResponses: Map<string, GatewayResponseDefinition>,
  ) {
    this.server = http.createServer((req, res) => {
      void this.handle(req, res);
    });
  }

  /** The URL of the API's only stage, as API Gateway gives it (ending in `/`): `http://127.0.0.1:<port>/<stage>/`. */
  public get url(): string {
    return this.stageUrl();
  }

  /** The stage's URL in AWS (`https://<api id>.execute-api.<region>.amazonaws.com/<stage>/`), which `url` stands for. */
  public get awsUrl(): string {
    return `https://${this.apiId}.execute-api.${LOCAL_REGION}.amazonaws.com/${this.onlyStage()}/`;
  }

  /** The URL of a stage (default: the only one), ending in `/`. */
  public stageUrl(stage?: string): string {
    const name = stage ?? this.onlyStage();
    if (!this.stages.has(name)) {
      throw new Error(`the API has no stage ${name}; it has ${[...this.stages.keys()].join(', ')}`);
    }
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}/${name}/`;
  }

  private onlyStage(): string {
    if (this.stages.size !== 1) {
      throw new Error(`the API has ${this.stages.size} stages (${[...this.stages.keys()].join(', ')}): name one`);
    }
    return [...this.stages.keys()][0];
  }

  /** Forgets every cached authorizer decision (as redeploying the stage, or flushing its cache, does). */
  public flushAuthorizerCache(): void {
    for (const a of this.authorizers.values()) {
      a.cache.clear();
    }
  }

  public async stop(): Promise<void> {
    this.agent.destroy();
    if (this.server.listening) {
      this.server.closeAllConnections();
      await new Promise((r) => this.server.close(r));
    }
  }

  private log(line: string): void {
    this.options.onLog?.(line);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const state = { authorizerInvoked: false };
    const record = (status: number, errorType?: string) => this.requests.push({
      requestId, method: req.method ?? 'GET', path: req.url ?? '/', status, errorType, authorizerInvoked: state.authorizerInvoked,
    });
    // Headers as the client sent them (names as written; a repeated one's last value).
    const headers: Record<string, string> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      headers[req.rawHeaders[i]] = req.rawHeaders[i + 1];
    }
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const info: RequestInfo = {
      requestId,
      headers,
      header: (name) => Object.entries(headers).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1],
      query: new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1)),
      pathParameters: {},
      context: {
        requestId,
        apiId: this.apiId,
        accountId: LOCAL_ACCOUNT,
        httpMethod: (req.method ?? 'GET').toUpperCase(),
        path: q < 0 ? rawUrl : rawUrl.slice(0, q),
        protocol: `HTTP/${req.httpVersion}`,
        domainName: `${this.apiId}.execute-api.${LOCAL_REGION}.amazonaws.com`,
        domainPrefix: this.apiId,
        identity: { sourceIp: clientIp(req), userAgent: headers['User-Agent'] ?? headers['user-agent'] ?? null },
      },
    };
    try {
      const status = await this.serve(req, res, info, state);
      record(status);
    } catch (e) {
      const error = e instanceof GatewayError ? e : internalError();
      if (!(e instanceof GatewayError)) {
        this.log(`internal error: ${(e as Error).stack}`);
      }
      req.resume();
      const answer = this.gatewayResponse(error, info, req);
      if (!res.headersSent) {
        res.writeHead(answer.status, { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)) });
        res.end(answer.body);
      } else {
        res.destroy();
      }
      record(answer.status, error.errorType);
    }
  }

  /**
   * The answer to an error API Gateway answers itself: its default, with the API's gateway response of its type (else
   * the default 4XX or 5XX one, where AWS documents that fallback) applied.
   */
  private gatewayResponse(error: GatewayError, info: RequestInfo, req: http.IncomingMessage)
    : { status: number; headers: Record<string, string>; body: string } {
    let headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-amzn-requestid': info.requestId,
      'x-amzn-errortype': error.errorType,
    };
    let body = JSON.stringify(error.body);
    // A request to no stage has no deployment whose gateway responses would apply.
    if (!info.stage || NOT_CUSTOMIZABLE.has(error.responseType)) {
      return { status: error.status, headers, body };
    }
    const own = this.gatewayResponses.get(error.responseType);
    const fallback = (own || NO_FALLBACK.has(error.responseType)) ? undefined : this.gatewayResponses.get(error.status >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX');
    const applied = own ?? fallback;
    if (!applied) {
      return { status: error.status, headers, body };
    }
    const status = applied.statusCode ?? error.status;
    for (const [name, source] of applied.headers) {
      const value = this.parameter(source, { headers: info.header, query: info.query, pathParameters: info.pathParameters, context: {} });
      if (value !== undefined) {
        headers = withHeader(headers, name, value);
      }
    }
    const template = chooseTemplate(Object.entries(applied.templates), req.headers.accept);
    if (template) {
      const message = (error.body as any)?.message ?? (error.body as any)?.Message ?? null;
      const variables = {
        context: {
          ...info.context,
          error: {
            message: message ?? '',
            messageString: JSON.stringify(message),
            responseType: error.responseType,
            validationErrorString: error.responseType.startsWith('BAD_REQUEST') ? message ?? '' : '',
          },
        },
        stageVariables: info.stage.Variables ?? {},
      };
      // Simple substitution, no VTL (API Gateway's gateway response templates).
      body = template[1].replace(/\$(context|stageVariables)((?:\.[A-Za-z0-9_]+)+)/g, (_m, root: 'context' | 'stageVariables', path: string) => {
        const value = path.slice(1).split('.').reduce<any>((o, k) => (o == null ? undefined : o[k]), variables[root]);
        return value == null || typeof value === 'object' ? '' : String(value);
      });
      headers = withHeader(headers, 'content-type', template[0]);
    }
    return { status, headers, body };
  }

  /** Answers one request; returns the status sent. */
  private async serve(req: http.IncomingMessage, res: http.ServerResponse, info: RequestInfo,
    state: { authorizerInvoked: boolean }): Promise<number> {
    const requestId = info.requestId;
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const rawQuery = q < 0 ? '' : rawUrl.slice(q + 1);
    const [, stageName, ...rest] = rawPath.split('/');
    const stage = this.stages.get(stageName);
    if (!stage) {
      throw missingToken();
    }
    info.stage = stage;
    info.context.stage = stageName;
    if (Number(req.headers['content-length'] ?? 0) > MAX_PAYLOAD) {
      throw new GatewayError(413, 'RequestTooLargeException', { message: 'Request Too Long' }, 'REQUEST_TOO_LARGE');
    }
    const segments = rest.length > 0 && rest[rest.length - 1] === '' ? rest.slice(0, -1) : rest;
    const matched = this.match(this.root, segments, {});
    const httpMethod = (req.method ?? 'GET').toUpperCase();
    const method = matched && (matched.resource.methods.get(httpMethod) ?? matched.resource.methods.get('ANY'));
    if (!matched || !method) {
      throw missingToken();
    }
    info.pathParameters = matched.parameters;
    const path = `/${segments.join('/')}`;
    const query = new URLSearchParams(rawQuery);
    const sourceIp = clientIp(req);
    // Headers as the client sent them (names as written), API Gateway's own added.
    const headers = info.headers;
    const multiValueHeaders: Record<string, string[]> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      (multiValueHeaders[req.rawHeaders[i]] ??= []).push(req.rawHeaders[i + 1]);
    }
    const header = info.header;
    const traceId = traceRoot();
    const methodArn = `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${this.apiId}/${stageName}/${httpMethod}${path}`;
    const requestContext = {
      resourceId: method.logicalId,
      resourcePath: matched.resource.path,
      httpMethod,
      extendedRequestId: randomBytes(8).toString('base64'),
      requestTime: clfTime(new Date()),
      path: rawPath,
      accountId: LOCAL_ACCOUNT,
      protocol: `HTTP/${req.httpVersion}`,
      stage: stageName,
      domainPrefix: this.apiId,
      requestTimeEpoch: Date.now(),
      requestId,
      identity: {
        cognitoIdentityPoolId: null,
        accountId: null,
        cognitoIdentityId: null,
        caller: null,
        sourceIp,
        principalOrgId: null,
        accessKey: null,
        cognitoAuthenticationType: null,
        cognitoAuthenticationProvider: null,
        userArn: null,
        userAgent: header('user-agent') ?? null,
        user: null,
      },
      domainName: `${this.apiId}.execute-api.${LOCAL_REGION}.amazonaws.com`,
      apiId: this.apiId,
    };
    info.context = requestContext;

    // Authorization.
    let answer: AuthorizerAnswer | undefined;
    const props = method.props;
    if (props.AuthorizationType === 'CUSTOM') {
      const authorizer = this.authorizers.get(props.AuthorizerId);
      if (!authorizer) {
        throw new Error(`${method.logicalId}: authorizer ${props.AuthorizerId} not found`);
      }
      const identity = authorizer.identitySource
        .map((s) => this.parameter(s, { headers: header, query, pathParameters: matched.parameters, context: {} }));
      if (identity.some((v) => v === undefined || v === '')) {
        throw unauthorized();
      }
      const cacheKey = identity.join('\u0000');
      const cached = authorizer.ttlSeconds > 0 ? authorizer.cache.get(cacheKey) : undefined;
      if (cached && cached.expires > Date.now()) {
        answer = cached.answer;
      } else {
        state.authorizerInvoked = true;
        const eventHeaders = {
          ...headers,
          'X-Forwarded-For': forwardedFor(header('x-forwarded-for'), sourceIp),
          'X-Forwarded-Port': '443',
          'X-Forwarded-Proto': 'https',
          'X-Amzn-Trace-Id': traceId,
        };
        const event = authorizer.type === 'TOKEN'
          ? { type: 'TOKEN', methodArn, authorizationToken: identity[0] }
          : {
            type: 'REQUEST',
            methodArn,
            resource: matched.resource.path,
            path,
            httpMethod,
            headers: eventHeaders,
            multiValueHeaders: Object.fromEntries(Object.entries(eventHeaders).map(([k, v]) => [k, multiValueHeaders[k] ?? [v]])),
            queryStringParameters: Object.fromEntries(query.entries()),
            multiValueQueryStringParameters: Object.fromEntries([...new Set(query.keys())].map((k) => [k, query.getAll(k)])),
            pathParameters: matched.parameters,
            stageVariables: stage.Variables ?? {},
            requestContext,
          };
        answer = await this.invokeAuthorizer(authorizer, event);
        if (authorizer.ttlSeconds > 0) {
          authorizer.cache.set(cacheKey, { expires: Date.now() + authorizer.ttlSeconds * 1000, answer });
        }
      }
      const applicable = (s: { Action: string[]; Resource: string[] }) =>
        s.Action.some((a) => wildcardMatch(a, 'execute-api:Invoke', true)) && s.Resource.some((r) => wildcardMatch(r, methodArn, false));
      if (answer.statements.some((s) => s.Effect === 'Deny' && applicable(s))) {
        throw new GatewayError(403, 'AccessDeniedException', { Message: 'User is not authorized to access this resource with an explicit deny' }, 'ACCESS_DENIED');
      }
      if (!answer.statements.some((s) => s.Effect === 'Allow' && applicable(s))) {
        throw new GatewayError(403, 'AccessDeniedException', { Message: 'User is not authorized to access this resource' }, 'ACCESS_DENIED');
      }
    } else if (props.AuthorizationType && props.AuthorizationType !== 'NONE') {
      throw new Error(`${method.logicalId}: authorization ${props.AuthorizationType} is not stood in`);
    }

    // API key, usage plan: throttle and quota.
    if (props.ApiKeyRequired) {
      const value = (this.apiProps.ApiKeySourceType ?? 'HEADER') === 'AUTHORIZER' ? answer?.usageIdentifierKey : header('x-api-key');
      if (!value) {
        throw forbidden();
      }
      const key = await this.apiKey(value);
      if (!key?.enabled) {
        throw forbidden();
      }
      // At most one plan of a key includes this stage (usagePlans refuses more, as API Gateway does).
      const plan = (await this.usagePlans(stageName)).find((p) => p.keyIds.has(key.id) || this.runtimeKeys.get(p.planId)?.has(key.id));
      if (!plan) {
        throw forbidden();
      }
      // The environment's buckets and quota: the plan's limits hold across every API stage it includes.
      const usage = this.options.usage;
      const methodKey = `${matched.resource.path}/${httpMethod}`;
      const methodThrottle = plan.methodThrottle[methodKey];
      if (!usage.take(plan.id, key.id, { rate: plan.rateLimit, burst: plan.burstLimit })
        || (methodThrottle && !usage.take(plan.id, key.id, { rate: methodThrottle.RateLimit, burst: methodThrottle.BurstLimit }, `${this.apiId}/${stageName}${methodKey}`))) {
        throw new GatewayError(429, 'TooManyRequestsException', { message: 'Too Many Requests' }, 'THROTTLED');
      }
      if (plan.quota && !usage.count(plan.id, key.id, plan.quota)) {
        throw new GatewayError(429, 'LimitExceededException', { message: 'Limit Exceeded' }, 'QUOTA_EXCEEDED');
      }
      // What GetUsage reports: the key's requests that passed the plan, per UTC day.
      usage.record(plan.planId, key.id);
    }

    // Request validation.
    const validator = props.RequestValidatorId ? this.validators.get(props.RequestValidatorId) : undefined;
    if (validator?.ValidateRequestParameters) {
      const missing = Object.entries<boolean>(props.RequestParameters ?? {}).filter(([name, required]) => required
        && this.parameter(name, { headers: header, query, pathParameters: matched.parameters, context: {} }) === undefined)
        .map(([name]) => name.split('.').pop());
      if (missing.length > 0) {
        throw new GatewayError(400, 'BadRequestException', { message: `Missing required request parameters: [${missing.join(', ')}]` }, 'BAD_REQUEST_PARAMETERS');
      }
    }

    if (method.mock) {
      return this.mock(req, res, method.mock, info, { answer, traceId });
    }
    return this.integrate(req, res, method, {
      headers: header, query, rawQuery, pathParameters: matched.parameters, answer, requestId, traceId, sourceIp, stage, requestContext,
    });
  }

  /** The resource a path reaches: static parts first, then a `{param}`, then a greedy `{proxy+}`. */
  private match(node: ApiResource, segments: string[], parameters: Record<string, string>)
    : { resource: ApiResource; parameters: Record<string, string> } | undefined {
    if (segments.length === 0) {
      return { resource: node, parameters };
    }
    const [head, ...tail] = segments;
    const decode = (s: string) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    };
    const exact = node.children.find((c) => c.pathPart === decode(head));
    const viaExact = exact && this.match(exact, tail, parameters);
    if (viaExact) {
      return viaExact;
    }
    const param = node.children.find((c) => /^\{[^+}]+\}$/.test(c.pathPart));
    const viaParam = param && head !== '' && this.match(param, tail, { ...parameters, [param.pathPart.slice(1, -1)]: decode(head) });
    if (viaParam) {
      return viaParam;
    }
    const greedy = node.children.find((c) => /^\{[^}]+\+\}$/.test(c.pathPart));
    if (greedy && segments.join('') !== '') {
      return { resource: greedy, parameters: { ...parameters, [greedy.pathPart.slice(1, -2)]: segments.map(decode).join('/') } };
    }
    return undefined;
  }

  /** The value of a request parameter or mapping source (`method.request.header.X`, `context.authorizer.k`, `'literal'`...). */
  private parameter(source: string, r: {
    headers: (name: string) => string | undefined;
    query: URLSearchParams;
    pathParameters: Record<string, string>;
    context: Record<string, unknown>;
    answer?: AuthorizerAnswer;
    stage?: any;
  }): string | undefined {
    const literal = /^'(.*)'$/.exec(source);
    if (literal) {
      return literal[1];
    }
    const m = /^method\.request\.(header|querystring|path|multivalueheader|multivaluequerystring)\.(.+)$/.exec(source);
    if (m) {
      switch (m[1]) {
        case 'header':
        case 'multivalueheader':
          return r.headers(m[2]);
        case 'querystring':
        case 'multivaluequerystring':
          return r.query.get(m[2]) ?? undefined;
        default:
          return r.pathParameters[m[2]];
      }
    }
    const authorizer = /^context\.authorizer\.(.+)$/.exec(source);
    if (authorizer) {
      const v = authorizer[1] === 'principalId' ? r.answer?.principalId : r.answer?.context[authorizer[1]];
      return v === undefined ? undefined : String(v);
    }
    const stageVariable = /^stageVariables\.(.+)$/.exec(source);
    if (stageVariable) {
      return r.stage?.Variables?.[stageVariable[1]];
    }
    const context = /^context\.(.+)$/.exec(source);
    if (context) {
      const v = context[1].split('.').reduce<any>((o, k) => (o == null ? undefined : o[k]), r.context);
      return v == null ? undefined : String(v);
    }
    throw new Error(`request parameter source ${source} is not stood in`);
  }

  private async invokeAuthorizer(authorizer: Authorizer, event: unknown): Promise<AuthorizerAnswer> {
    const sourceArn = `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${this.apiId}/authorizers/${authorizer.id}`;
    if (!(await this.mayInvoke(authorizer.functionArn, sourceArn))) {
      this.log(`API Gateway may not invoke ${authorizer.functionArn} from ${sourceArn}: no AWS::Lambda::Permission allows it`);
      throw authorizerFailure();
    }
    const fn = await this.options.lambdaByArn(authorizer.functionArn);
    const result = await fn.invoke(event);
    if (result.error) {
      if (result.error.errorMessage === 'Unauthorized') {
        throw unauthorized();
      }
      this.log(`authorizer error: ${result.error.errorType}: ${result.error.errorMessage}`);
      throw authorizerFailure();
    }
    const p = result.payload as any;
    const statements = p?.policyDocument?.Statement;
    if (!p || typeof p !== 'object' || p.principalId === undefined || !Array.isArray(statements)) {
      this.log(`invalid authorizer answer: ${JSON.stringify(p)}`);
      throw authorizerFailure();
    }
    const context: Record<string, string> = {};
    for (const [k, v] of Object.entries<unknown>(p.context ?? {})) {
      if (v !== null && typeof v === 'object') {
        this.log(`invalid authorizer context value ${k}: ${JSON.stringify(v)}`);
        throw authorizerFailure();
      }
      context[k] = String(v);
    }
    return {
      principalId: String(p.principalId),
      statements: statements.map((s: any) => ({ Effect: s.Effect, Action: [s.Action ?? []].flat(), Resource: [s.Resource ?? []].flat() })),
      context,
      usageIdentifierKey: p.usageIdentifierKey,
    };
  }

  /** Whether a `AWS::Lambda::Permission` of the deployments lets API Gateway invoke the function from `sourceArn`. */
  private async mayInvoke(functionArn: string, sourceArn: string): Promise<boolean> {
    const grant = await mayInvoke(await this.options.deployments(), functionArn, 'apigateway.amazonaws.com', sourceArn);
    if (grant) {
      this.log(`invoking ${functionArn}, allowed by ${grant.stackName}/${grant.logicalId}`);
    }
    return grant !== undefined;
  }

  /** The enabled state and id of an API key by value (the emulator's keys, read again at most once a second). */
  private async apiKey(value: string): Promise<{ id: string; enabled: boolean } | undefined> {
    if (!this.keys || Date.now() - this.keys.at > 1000) {
      // Concurrent requests share one read.
      this.keyRead ??= (async () => {
        const byValue = new Map<string, { id: string; enabled: boolean }>();
        let position: string | undefined;
        do {
          const page = await this.options.apigateway.send(new GetApiKeysCommand({ includeValues: true, position, limit: 500 }));
          for (const k of page.items ?? []) {
            byValue.set(k.value!, { id: k.id!, enabled: k.enabled ?? false });
          }
          position = page.position;
        } while (position);
        this.keys = { at: Date.now(), byValue };
      })().finally(() => (this.keyRead = undefined));
      await this.keyRead;
    }
    return this.keys!.byValue.get(value);
  }

  /**
   * The usage plans of the deployments that include this API's stage, with their keys. A key in two of them is an
   * error: API Gateway refuses a `UsagePlanKey` that adds a key to a second plan of the same API stage.
   */
  private async usagePlans(stageName: string): Promise<UsagePlan[]> {
    const deployments = await this.options.deployments();
    // A deployment's plans do not change while it exists (its template is fixed), but a key of a plan may be in another
    // deployment (a nested stack of tenants' keys): read again when the deployments change.
    if (deployments.length !== this.plansRead) {
      this.plansOf.clear();
      this.plansRead = deployments.length;
    }
    const out: UsagePlan[] = [];
    for (const stack of deployments) {
      let plans = this.plansOf.get(stack)?.get(stageName);
      if (!plans) {
        plans = await this.readUsagePlans(stack, stageName, deployments);
        this.plansOf.set(stack, (this.plansOf.get(stack) ?? new Map()).set(stageName, plans));
      }
      out.push(...plans);
    }
    await this.readRuntimeKeys(out);
    const planOfKey = new Map<string, UsagePlan>();
    for (const plan of out) {
      for (const keyId of [...plan.keyIds, ...(this.runtimeKeys.get(plan.planId) ?? [])]) {
        const other = planOfKey.get(keyId);
        if (other) {
          throw new Error(`API key ${keyId} is in usage plans ${other.id} and ${plan.id}, which both include stage ${stageName} of API ${this.apiId}: `
            + 'API Gateway refuses the second UsagePlanKey');
        }
        planOfKey.set(keyId, plan);
      }
    }
    return out;
  }

  /**
   * The keys added to the plans at run time (the tenant lifecycle's `CreateUsagePlanKey`), read from the emulator
   * again at most once a second; a key deleted there (`DeleteApiKey`) leaves its plans, as in API Gateway.
   */
  private async readRuntimeKeys(plans: UsagePlan[]): Promise<void> {
    await Promise.all(plans.map(async (plan) => {
      const known = this.runtimeKeyReads.get(plan.planId);
      if (known && (known.reading || Date.now() - known.at <= 1000)) {
        await known.reading;
        return;
      }
      // Concurrent requests share one read per plan.
      const entry = { at: Date.now(), reading: undefined as Promise<void> | undefined };
      entry.reading = (async () => {
        const ids = new Set<string>();
        let position: string | undefined;
        do {
          const page = await this.options.apigateway.send(new GetUsagePlanKeysCommand({ usagePlanId: plan.planId, position, limit: 500 }));
          (page.items ?? []).filter((k) => k.type === 'API_KEY').forEach((k) => ids.add(k.id!));
          position = page.position;
        } while (position);
        this.runtimeKeys.set(plan.planId, ids);
        entry.at = Date.now();
      })().finally(() => (entry.reading = undefined));
      this.runtimeKeyReads.set(plan.planId, entry);
      await entry.reading;
    }));
  }

  private async readUsagePlans(stack: StackDeployment, stageName: string, deployments: StackDeployment[]): Promise<UsagePlan[]> {
    const out: UsagePlan[] = [];
    const resources = Object.entries<any>(stack.template.Resources);
    for (const [id, r] of resources.filter(([, x]) => x.Type === 'AWS::ApiGateway::UsagePlan')) {
      const apiStages = await stack.resolve(r.Properties.ApiStages ?? []);
      const apiStage = apiStages.find((s: any) => s.ApiId === this.apiId && s.Stage === stageName);
      if (!apiStage) {
        continue;
      }
      const props = await stack.resolve(r.Properties);
      const planRef = (await stack.resource(id)).ref;
      const keyIds = new Set<string>();
      // The plan's keys in any deployment: its own stack's, and those of nested stacks that name it by parameter.
      for (const other of deployments) {
        for (const [, k] of Object.entries<any>(other.template.Resources).filter(([, x]) => x.Type === 'AWS::ApiGateway::UsagePlanKey')) {
          const key = await other.resolve(k.Properties);
          if (key.UsagePlanId === planRef && key.KeyType === 'API_KEY') {
            keyIds.add(String(key.KeyId));
          }
        }
      }
      out.push({
        id: `${stack.stackName}/${id}`,
        planId: String(planRef),
        keyIds,
        rateLimit: props.Throttle?.RateLimit,
        burstLimit: props.Throttle?.BurstLimit,
        quota: props.Quota?.Limit !== undefined ? { limit: Number(props.Quota.Limit), period: props.Quota.Period } : undefined,
        methodThrottle: apiStage.Throttle ?? {},
      });
    }
    return out;
  }

  /** A `MOCK` integration, answered here (the header comment, 6). */
  private async mock(req: http.IncomingMessage, res: http.ServerResponse, mock: MockIntegration, info: RequestInfo,
    r: { answer?: AuthorizerAnswer; traceId: string }): Promise<number> {
    const body = await readBody(req);
    // The integration request: the request template of the request's content type, or the body passed through.
    const contentType = (info.header('content-type') || 'application/json').split(';')[0].trim().toLowerCase();
    const requestTemplate = mock.requestTemplates.get(contentType);
    let integrationRequest = body;
    if (requestTemplate) {
      integrationRequest = this.renderTemplate(requestTemplate, this.vtlVariables(info, r.answer, body)).output;
    } else if (body.length > 0
      && (mock.passthroughBehavior === 'NEVER' || (mock.passthroughBehavior === 'WHEN_NO_TEMPLATES' && mock.requestTemplates.size > 0))) {
      throw new GatewayError(415, 'UnsupportedMediaTypeException', { message: 'Unsupported Media Type' }, 'UNSUPPORTED_MEDIA_TYPE');
    }
    // Its status code, read leniently: `{ statusCode: 200 }` is what CDK writes.
    const statusCode = /["']?statusCode["']?\s*:\s*["']?(\d{3})(?!\d)/.exec(integrationRequest)?.[1];
    const response = (statusCode !== undefined ? mock.responses.find((x) => x.selectionPattern?.test(statusCode)) : undefined)
      ?? mock.responses.find((x) => !x.selectionPattern);
    if (!response) {
      this.log(`${info.context.resourceId}: no integration response for status ${statusCode ?? '(none)'}`);
      throw configurationError();
    }
    let status = Number(response.statusCode);
    let headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-amzn-requestid': info.requestId,
      'x-amz-apigw-id': randomBytes(6).toString('base64'),
      'x-amzn-trace-id': r.traceId,
    };
    let out = '';
    const template = chooseTemplate(response.templates, req.headers.accept);
    const rendered = template ? this.renderTemplate(template[1], this.vtlVariables(info, r.answer, '')) : undefined;
    if (template && rendered) {
      out = rendered.output;
      headers = withHeader(headers, 'content-type', template[0]);
    }
    for (const [name, value] of response.headers) {
      headers = withHeader(headers, name, value);
    }
    // The template's overrides, after everything else.
    for (const [name, value] of rendered?.headers ?? []) {
      headers = withHeader(headers, name, value);
    }
    if (rendered?.status !== undefined) {
      status = rendered.status;
    }
    // A 204 or 304 has no body (HTTP; Node.js drops what is written), so no length.
    res.writeHead(status, [204, 304].includes(status) || req.method === 'HEAD' ? headers : { ...headers, 'content-length': String(Buffer.byteLength(out)) });
    res.end(out);
    return status;
  }

  /** The variables of a mapping template: `$input` (of `inputBody`), `$context`, `$stageVariables`, `$util`. */
  private vtlVariables(info: RequestInfo, answer: AuthorizerAnswer | undefined, inputBody: string): Record<string, unknown> {
    const params = vtlMap(new Map<string, unknown>([
      ['path', vtlMap(new Map(Object.entries(info.pathParameters)))],
      // A repeated query string parameter's last value, as a repeated header's.
      ['querystring', vtlMap(new Map(info.query.entries()))],
      ['header', vtlMap(new Map(Object.entries(info.headers)))],
    ]));
    let parsed: { value: unknown } | undefined;
    const json = () => (parsed ??= { value: inputBody.trim() === '' ? {} : JSON.parse(inputBody) }).value;
    return {
      input: {
        body: inputBody,
        params: (name?: unknown) => {
          if (name === undefined) {
            return params;
          }
          const n = String(name);
          return info.pathParameters[n] ?? info.query.getAll(n).pop() ?? info.headers[n] ?? '';
        },
        json: (path: unknown) => {
          const value = jsonPath(json(), String(path));
          return value === undefined ? '' : JSON.stringify(value);
        },
        path: (path: unknown) => jsonPath(json(), String(path)),
      },
      context: {
        ...structuredClone(info.context),
        ...(answer ? { authorizer: { principalId: answer.principalId, ...answer.context } } : {}),
        requestOverride: { header: {}, path: {}, querystring: {} },
      },
      stageVariables: { ...(info.stage?.Variables ?? {}) },
      util: {
        escapeJavaScript: (v: unknown) => escapeJavaScript(String(v)),
        parseJson: (v: unknown) => JSON.parse(String(v)),
        urlEncode: (v: unknown) => encodeURIComponent(String(v)).replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+'),
        urlDecode: (v: unknown) => decodeURIComponent(String(v).replace(/\+/g, ' ')),
        base64Encode: (v: unknown) => Buffer.from(String(v), 'utf8').toString('base64'),
        base64Decode: (v: unknown) => Buffer.from(String(v), 'base64').toString('utf8'),
      },
    };
  }

  /**
   * Renders a template with velocityjs; the overrides it sets (`$context.responseOverride.header.<Name>`, `.status`)
   * are returned, not applied. One set twice, or a template failing, is API Gateway's 500.
   */
  private renderTemplate(template: VtlTemplate, variables: Record<string, unknown>)
    : { output: string; headers: Array<[string, string]>; status?: number } {
    const counts = new Map<string, number>();
    const count = (name: string) => counts.set(name, (counts.get(name) ?? 0) + 1);
    // Overrides as #set assigns them. A null value assigns nothing (Velocity's #set); velocityjs's own helpers (`eval`)
    // are functions, no overrides.
    const assign = (prefix: string) => (target: Record<string | symbol, unknown>, name: string | symbol, value: unknown) => {
      if (value !== null && value !== undefined && typeof value !== 'function') {
        count(`${prefix}${String(name)}`);
      }
      target[name] = value;
      return true;
    };
    const header: Record<string, unknown> = new Proxy({}, { set: assign('header.') });
    const responseOverride: Record<string, unknown> = new Proxy({ header }, { set: assign('') });
    const context = { ...(variables.context as object), responseOverride };
    let output: string;
    try {
      output = new VtlCompile(template, { escape: false }).render({ ...variables, context });
    } catch (e) {
      this.log(`mapping template failed: ${(e as Error).message}`);
      throw configurationError();
    }
    const twice = [...counts].filter(([, n]) => n > 1).map(([name]) => name);
    if (twice.length > 0) {
      this.log(`mapping template overrides ${twice.join(', ')} more than once ("Overrides are final")`);
      throw configurationError();
    }
    const headers = Object.entries(header).filter(([, v]) => v !== null && v !== undefined && typeof v !== 'function').map(([k, v]): [string, string] => [k, String(v)]);
    let status: number | undefined;
    const statusValue = responseOverride.status;
    if (statusValue !== null && statusValue !== undefined) {
      status = Number(statusValue);
      if (!Number.isInteger(status) || status < 100 || status > 599) {
        this.log(`mapping template overrides the status with ${String(statusValue)}`);
        throw configurationError();
      }
    }
    return { output, headers, status };
  }

  private async integrate(req: http.IncomingMessage, res: http.ServerResponse, method: ApiMethod, r: {
    headers: (name: string) => string | undefined;
    query: URLSearchParams;
    rawQuery: string;
    pathParameters: Record<string, string>;
    answer?: AuthorizerAnswer;
    requestId: string;
    traceId: string;
    sourceIp: string;
    stage: any;
    requestContext: any;
  }): Promise<number> {
    const integration = method.props.Integration ?? {};
    if (!['HTTP_PROXY', 'HTTP'].includes(integration.Type)) {
      throw new Error(`${method.logicalId}: integration ${integration.Type} is not stood in`);
    }
    const mapped: Record<string, Record<string, string | undefined>> = { header: {}, path: {}, querystring: {} };
    for (const [target, source] of Object.entries<string>(integration.RequestParameters ?? {})) {
      const m = /^integration\.request\.(header|path|querystring)\.(.+)$/.exec(target);
      if (!m) {
        throw new Error(`${method.logicalId}: mapping to ${target} is not stood in`);
      }
      mapped[m[1]][m[2]] = this.parameter(source, { ...r, context: { ...r.requestContext, authorizer: r.answer?.context } });
    }
    // The URI with its path parameters: each segment decoded by API Gateway, encoded again.
    const uri = String(integration.Uri).replace(/\{([^}]+)\}/g, (_m, name: string) => {
      const value = mapped.path[name] ?? r.pathParameters[name];
      if (value === undefined) {
        throw configurationError();
      }
      return value.split('/').map((s) => encodeURIComponent(s)).join('/');
    });
    // Taken apart by hand: a URL parser would resolve dot segments that a path parameter put in the path, which API
    // Gateway is not documented to do, so the stand-in passes them on and the backend sees them.
    const parts = /^(https?:)\/\/([^/?#]+)([^?#]*)/.exec(uri);
    if (!parts) {
      throw new Error(`${method.logicalId}: integration URI ${uri} is not stood in`);
    }
    const target = { protocol: parts[1], host: parts[2], hostname: parts[2].replace(/:\d+$/, ''), port: /:(\d+)$/.exec(parts[2])?.[1] ?? '', pathname: parts[3] || '/' };
    const query = new URLSearchParams(r.rawQuery);
    for (const [name, value] of Object.entries(mapped.querystring)) {
      query.delete(name);
      if (value !== undefined) {
        query.append(name, value);
      }
    }
    const queryString = Object.keys(mapped.querystring).length > 0 ? query.toString() : r.rawQuery;
    let host = target.hostname;
    let port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
    if (integration.ConnectionType === 'VPC_LINK') {
      const ref = method.rawIntegration?.IntegrationTarget?.Ref;
      if (!ref) {
        throw new Error(`${method.logicalId}: a VPC link integration whose IntegrationTarget is not a Ref of a load balancer of its stack is not stood in`);
      }
      const lb = new URL((await this.options.loadBalancer(this.options.stack, ref)).url);
      host = lb.hostname;
      port = Number(lb.port);
    } else if (target.protocol !== 'http:') {
      throw new Error(`${method.logicalId}: ${target.protocol} integrations are not stood in`);
    }
    // The client reached API Gateway's TLS edge: https, port 443.
    const headers: Record<string, string | string[]> = {
      ...endToEndHeaders(req.headers),
      'host': target.host,
      ...xForwarded(req, 'https', 443),
      'x-amzn-trace-id': r.traceId,
      'x-amzn-apigateway-api-id': this.apiId,
    };
    // A mapped header replaces what the client sent under that name (any case); a mapping with no value removes it.
    for (const [name, value] of Object.entries(mapped.header)) {
      for (const existing of Object.keys(headers).filter((k) => k.toLowerCase() === name.toLowerCase())) {
        delete headers[existing];
      }
      if (value !== undefined) {
        headers[name.toLowerCase()] = value;
      }
    }
    const timeoutMs = Number(integration.TimeoutInMillis ?? 29_000);
    const httpMethod = integration.Type === 'HTTP_PROXY' && integration.IntegrationHttpMethod === 'ANY' ? (req.method ?? 'GET') : (integration.IntegrationHttpMethod ?? req.method);
    const result = await forward({
      req,
      res,
      agent: this.agent,
      host,
      port,
      method: httpMethod,
      path: `${target.pathname}${queryString ? `?${queryString}` : ''}`,
      headers,
      responseHeaders: { 'x-amzn-requestid': r.requestId, 'x-amz-apigw-id': randomBytes(6).toString('base64'), 'x-amzn-trace-id': r.traceId },
      // The integration timeout runs until the integration starts its answer.
      timeout: { ms: timeoutMs, kind: 'response' },
    });
    switch (result.outcome) {
      case 'answered':
        return result.status;
      case 'timeout':
        throw new GatewayError(504, 'IntegrationTimeout', { message: 'Endpoint request timed out' }, 'INTEGRATION_TIMEOUT');
      default:
        this.log(`integration ${host}:${port} failed: ${result.error.message}`);
        throw new GatewayError(500, 'InternalServerErrorException', { message: 'Internal server error' }, 'INTEGRATION_FAILURE');
    }
  }
}

/**
 * A `MOCK` integration of a method, checked as API Gateway checks it when it is deployed: each integration response
 * has a method response of its status, and maps only headers that method response declares.
 */
function mockIntegration(where: string, props: any): MockIntegration {
  const integration = props.Integration;
  const parse = (what: string, text: unknown): VtlTemplate => {
    try {
      return parseVtl(String(text));
    } catch (e) {
      throw new Error(`${where}: ${what} does not parse as VTL (velocityjs): ${(e as Error).message}`);
    }
  };
  if (integration.ContentHandling) {
    throw new Error(`${where}: ContentHandling ${integration.ContentHandling} is not stood in`);
  }
  const requestTemplates = new Map<string, VtlTemplate>(Object.entries<string>(integration.RequestTemplates ?? {})
    .map(([type, text]) => [type.toLowerCase(), parse(`the request template for ${type}`, text)]));
  const methodResponses: any[] = props.MethodResponses ?? [];
  const responses = (integration.IntegrationResponses ?? []).map((ir: any): MockResponse => {
    const statusCode = String(ir.StatusCode);
    const methodResponse = methodResponses.find((m) => String(m.StatusCode) === statusCode);
    if (!methodResponse) {
      throw new Error(`${where}: the integration response ${statusCode} has no method response of that status, which API Gateway refuses `
        + '(Invalid mapping expression specified: No method response exists for method.)');
    }
    if (ir.ContentHandling) {
      throw new Error(`${where}: ContentHandling ${ir.ContentHandling} is not stood in`);
    }
    const headers = Object.entries<string>(ir.ResponseParameters ?? {}).map(([target, source]): [string, string] => {
      const name = /^method\.response\.header\.(.+)$/.exec(target)?.[1];
      if (!name || !Object.keys(methodResponse.ResponseParameters ?? {}).includes(target)) {
        throw new Error(`${where}: ${target} is not a header of the method response ${statusCode}, which API Gateway refuses `
          + `(Invalid mapping expression specified: Invalid mapping expression parameter specified: ${target})`);
      }
      const literal = /^'(.*)'$/s.exec(String(source));
      if (!literal) {
        throw new Error(`${where}: ${target} is mapped from ${source}; a MOCK integration's static 'value's are stood in, nothing else`);
      }
      return [name, literal[1]];
    });
    let selectionPattern: RegExp | undefined;
    if (ir.SelectionPattern) {
      try {
        selectionPattern = new RegExp(`^(?:${ir.SelectionPattern})$`, 's');
      } catch (e) {
        throw new Error(`${where}: selection pattern ${ir.SelectionPattern}: ${(e as Error).message}`);
      }
    }
    const templates = Object.entries<string>(ir.ResponseTemplates ?? {})
      .map(([type, text]): [string, VtlTemplate] => [type, parse(`the response template ${statusCode} for ${type}`, text)]);
    return { statusCode, selectionPattern, headers, templates };
  });
  return { requestTemplates, passthroughBehavior: integration.PassthroughBehavior ?? 'WHEN_NO_MATCH', responses };
}

/**
 * The template for a request's `Accept` header: its first media type (API Gateway honours only the first;
 * `application/json` without one), else the first template.
 */
function chooseTemplate<T>(templates: Array<[string, T]>, accept: string | undefined): [string, T] | undefined {
  const wanted = (accept || 'application/json').split(',')[0].split(';')[0].trim().toLowerCase();
  return templates.find(([type]) => type.toLowerCase() === wanted) ?? templates[0];
}

/** `headers` with `name` set to `value`, replacing a header of that name in any case. */
function withHeader(headers: Record<string, string>, name: string, value: string): Record<string, string> {
  const out = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== name.toLowerCase()));
  out[name] = value;
  return out;
}

/** A time as `$context.requestTime` gives it (CLF, UTC): `09/Apr/2015:12:34:56 +0000`. */
function clfTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:`
    + `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}

/** A request's body, as text (over 10 MB → 413). */
async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_PAYLOAD) {
      throw new GatewayError(413, 'RequestTooLargeException', { message: 'Request Too Long' }, 'REQUEST_TOO_LARGE');
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A Java map as a template sees it: `get(key)` (a missing key is null: undefined, which velocityjs treats as Velocity
 * treats null), `containsKey`, `keySet()`, `entrySet()`, `values()`, `size()`, `isEmpty()`, and `$map.key`. Keys are
 * compared exactly (velocityjs's own `get` would also try the key with its first letter's case changed).
 */
function vtlMap(entries: Map<string, unknown>): object {
  const methods: Record<string, unknown> = {
    get: (key: unknown) => entries.get(String(key)),
    containsKey: (key: unknown) => entries.has(String(key)),
    keySet: () => [...entries.keys()],
    entrySet: () => [...entries].map(([key, value]) => ({ key, value })),
    values: () => [...entries.values()],
    size: () => entries.size,
    isEmpty: () => entries.size === 0,
    toString: () => `{${[...entries].map(([k, v]) => `${k}=${String(v)}`).join(', ')}}`,
  };
  return new Proxy(methods, {
    get: (target, property) => (typeof property === 'string' && !(property in target) ? entries.get(property) : target[property as string]),
  });
}

/** `$util.escapeJavaScript`: a string escaped by JavaScript's string rules (as Apache Commons Lang's `escapeJavaScript`). */
function escapeJavaScript(text: string): string {
  const named: Record<string, string> = { '\'': "\\'", '"': '\\"', '\\': '\\\\', '/': '\\/', '\b': '\\b', '\n': '\\n', '\t': '\\t', '\f': '\\f', '\r': '\\r' };
  return [...text].map((c) => {
    if (named[c] !== undefined) {
      return named[c];
    }
    const code = c.charCodeAt(0);
    if (code < 0x20 || code > 0x7e) {
      return c.split('').map((u) => `\\u${u.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`).join('');
    }
    return c;
  }).join('');
}

/** A simple JSONPath (`$`, `.name`, `['name']`, `[index]`) into a parsed body. */
function jsonPath(root: unknown, path: string): unknown {
  if (!path.startsWith('$')) {
    throw new Error(`JSONPath ${path} is not stood in`);
  }
  let rest = path.slice(1);
  let value: any = root;
  while (rest !== '') {
    const m = /^\.([A-Za-z0-9_$-]+)|^\[(\d+)\]|^\['([^']*)'\]|^\["([^"]*)"\]/.exec(rest);
    if (!m) {
      throw new Error(`JSONPath ${path} is not stood in (only $, .name, ['name'] and [index] are)`);
    }
    const key = m[1] ?? m[2] ?? m[3] ?? m[4];
    value = value === null || value === undefined ? undefined : value[key];
    rest = rest.slice(m[0].length);
  }
  return value;
}
