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
 *    is evaluated again for the next method ARN.
 * 3. `ApiKeyRequired` with `ApiKeySourceType: AUTHORIZER`: the authorizer's `usageIdentifierKey` must be the value of an
 *    enabled API key (the emulator's) in a usage plan (the deployments' templates) that includes this API and stage,
 *    else 403 `Forbidden`; the plan's throttle (token bucket of `RateLimit`/`BurstLimit`, per key, per method where the
 *    plan's stage says so) → 429 `Too Many Requests`, its quota per period → 429 `Limit Exceeded`. Buckets and quotas
 *    are the environment's (`UsagePlanCounters`), shared by every stand-in: a plan's limits hold across all its API
 *    stages, as in API Gateway. A key in two plans that include the same stage fails at start-up (API Gateway refuses
 *    the second `UsagePlanKey`).
 * 4. The request validator's required parameters → 400.
 * 5. The integration (`HTTP_PROXY`, `HTTP` passed through as a proxy): the `Uri` with its path parameters substituted,
 *    the request parameter mappings (`context.authorizer.*`, `method.request.{path,header,querystring}.*`,
 *    `context.*`, literals), the client's headers but hop-by-hop ones, a mapped header replacing the client's; over a
 *    `VPC_LINK` to the load balancer its `IntegrationTarget` names (`LocalLoadBalancer`), else to the URI itself;
 *    `TimeoutInMillis` (default 29 s) → 504, a failed connection → 500.
 */
import { randomBytes, randomUUID } from 'crypto';
import * as http from 'http';
import { APIGatewayClient, GetApiKeysCommand } from '@aws-sdk/client-api-gateway';
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

class GatewayError extends Error {
  constructor(public readonly status: number, public readonly errorType: string, public readonly body: unknown) {
    super(`${status} ${errorType}`);
  }
}

const missingToken = () => new GatewayError(403, 'MissingAuthenticationTokenException', { message: 'Missing Authentication Token' });
const unauthorized = () => new GatewayError(401, 'UnauthorizedException', { message: 'Unauthorized' });
const authorizerFailure = () => new GatewayError(500, 'AuthorizerConfigurationException', { message: null });
const forbidden = () => new GatewayError(403, 'ForbiddenException', { message: 'Forbidden' });

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
      node.methods.set(httpMethod, { logicalId: id, httpMethod, props, rawIntegration: r.Properties.Integration });
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
    const restApi = new LocalRestApi(options, api.ref, apiDefinition.Properties ?? {}, root, authorizers, validators, stages);
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

  private constructor(
    private readonly options: LocalRestApiOptions,
    /** The API's id (its `Ref`). */
    public readonly apiId: string,
    private readonly apiProps: any,
    private readonly root: ApiResource,
    private readonly authorizers: Map<string, Authorizer>,
    private readonly validators: Map<string, any>,
    private readonly stages: Map<string, any>,
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
    try {
      const status = await this.serve(req, res, requestId, state);
      record(status);
    } catch (e) {
      const error = e instanceof GatewayError ? e : new GatewayError(500, 'InternalServerErrorException', { message: 'Internal server error' });
      if (!(e instanceof GatewayError)) {
        this.log(`internal error: ${(e as Error).stack}`);
      }
      req.resume();
      if (!res.headersSent) {
        res.writeHead(error.status, {
          'content-type': 'application/json',
          'x-amzn-requestid': requestId,
          'x-amzn-errortype': error.errorType,
        });
        res.end(JSON.stringify(error.body));
      } else {
        res.destroy();
      }
      record(error.status, error.errorType);
    }
  }

  /** Answers one request; returns the status sent. */
  private async serve(req: http.IncomingMessage, res: http.ServerResponse, requestId: string,
    state: { authorizerInvoked: boolean }): Promise<number> {
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const rawQuery = q < 0 ? '' : rawUrl.slice(q + 1);
    const [, stageName, ...rest] = rawPath.split('/');
    const stage = this.stages.get(stageName);
    if (!stage) {
      throw missingToken();
    }
    if (Number(req.headers['content-length'] ?? 0) > MAX_PAYLOAD) {
      throw new GatewayError(413, 'RequestTooLargeException', { message: 'Request Too Long' });
    }
    const segments = rest.length > 0 && rest[rest.length - 1] === '' ? rest.slice(0, -1) : rest;
    const matched = this.match(this.root, segments, {});
    const httpMethod = (req.method ?? 'GET').toUpperCase();
    const method = matched && (matched.resource.methods.get(httpMethod) ?? matched.resource.methods.get('ANY'));
    if (!matched || !method) {
      throw missingToken();
    }
    const path = `/${segments.join('/')}`;
    const query = new URLSearchParams(rawQuery);
    const sourceIp = clientIp(req);
    // Headers as the client sent them (names as written), API Gateway's own added.
    const headers: Record<string, string> = {};
    const multiValueHeaders: Record<string, string[]> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const [name, value] = [req.rawHeaders[i], req.rawHeaders[i + 1]];
      headers[name] = value;
      (multiValueHeaders[name] ??= []).push(value);
    }
    const header = (name: string) => Object.entries(headers).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
    const traceId = traceRoot();
    const methodArn = `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${this.apiId}/${stageName}/${httpMethod}${path}`;
    const requestContext = {
      resourceId: method.logicalId,
      resourcePath: matched.resource.path,
      httpMethod,
      extendedRequestId: randomBytes(8).toString('base64'),
      requestTime: new Date().toUTCString(),
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
        throw new GatewayError(403, 'AccessDeniedException', { Message: 'User is not authorized to access this resource with an explicit deny' });
      }
      if (!answer.statements.some((s) => s.Effect === 'Allow' && applicable(s))) {
        throw new GatewayError(403, 'AccessDeniedException', { Message: 'User is not authorized to access this resource' });
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
      const plan = (await this.usagePlans(stageName)).find((p) => p.keyIds.has(key.id));
      if (!plan) {
        throw forbidden();
      }
      // The environment's buckets and quota: the plan's limits hold across every API stage it includes.
      const usage = this.options.usage;
      const methodKey = `${matched.resource.path}/${httpMethod}`;
      const methodThrottle = plan.methodThrottle[methodKey];
      if (!usage.take(plan.id, key.id, { rate: plan.rateLimit, burst: plan.burstLimit })
        || (methodThrottle && !usage.take(plan.id, key.id, { rate: methodThrottle.RateLimit, burst: methodThrottle.BurstLimit }, `${this.apiId}/${stageName}${methodKey}`))) {
        throw new GatewayError(429, 'TooManyRequestsException', { message: 'Too Many Requests' });
      }
      if (plan.quota && !usage.count(plan.id, key.id, plan.quota)) {
        throw new GatewayError(429, 'LimitExceededException', { message: 'Limit Exceeded' });
      }
    }

    // Request validation.
    const validator = props.RequestValidatorId ? this.validators.get(props.RequestValidatorId) : undefined;
    if (validator?.ValidateRequestParameters) {
      const missing = Object.entries<boolean>(props.RequestParameters ?? {}).filter(([name, required]) => required
        && this.parameter(name, { headers: header, query, pathParameters: matched.parameters, context: {} }) === undefined)
        .map(([name]) => name.split('.').pop());
      if (missing.length > 0) {
        throw new GatewayError(400, 'BadRequestException', { message: `Missing required request parameters: [${missing.join(', ')}]` });
      }
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
    const out: UsagePlan[] = [];
    for (const stack of await this.options.deployments()) {
      // A deployment's plans do not change while it exists (its template is fixed): read once per stage.
      let plans = this.plansOf.get(stack)?.get(stageName);
      if (!plans) {
        plans = await this.readUsagePlans(stack, stageName);
        this.plansOf.set(stack, (this.plansOf.get(stack) ?? new Map()).set(stageName, plans));
      }
      out.push(...plans);
    }
    const planOfKey = new Map<string, UsagePlan>();
    for (const plan of out) {
      for (const keyId of plan.keyIds) {
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

  private async readUsagePlans(stack: StackDeployment, stageName: string): Promise<UsagePlan[]> {
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
      for (const [, k] of resources.filter(([, x]) => x.Type === 'AWS::ApiGateway::UsagePlanKey')) {
        const key = await stack.resolve(k.Properties);
        if (key.UsagePlanId === planRef && key.KeyType === 'API_KEY') {
          keyIds.add(String(key.KeyId));
        }
      }
      out.push({
        id: `${stack.stackName}/${id}`,
        keyIds,
        rateLimit: props.Throttle?.RateLimit,
        burstLimit: props.Throttle?.BurstLimit,
        quota: props.Quota?.Limit !== undefined ? { limit: Number(props.Quota.Limit), period: props.Quota.Period } : undefined,
        methodThrottle: apiStage.Throttle ?? {},
      });
    }
    return out;
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
        throw new GatewayError(500, 'InternalServerErrorException', { message: 'Internal server error' });
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
        throw new GatewayError(504, 'IntegrationTimeout', { message: 'Endpoint request timed out' });
      default:
        this.log(`integration ${host}:${port} failed: ${result.error.message}`);
        throw new GatewayError(500, 'InternalServerErrorException', { message: 'Internal server error' });
    }
  }
}
