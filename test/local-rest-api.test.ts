/**
 * The REST API stand-in (local/rest-api.ts) serving what a CORS setup synthesizes: `addCorsPreflight`'s MOCK
 * integration and its VTL template, other MOCK integrations, and the API's gateway responses on the errors the stand-in
 * answers itself. The stack is synthesized here and served from its cloud assembly; every resource of the API is a
 * stand-in of the local deployment, so neither the emulator nor a Lambda runtime is needed.
 */
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AssemblyReader } from '../local/assembly';
import { AdminClients, LocalDeployment } from '../local/deployment';
import { IamGate } from '../local/iam-gate';
import { LocalRestApi } from '../local/rest-api';
import { UsagePlanCounters } from '../local/usage-plans';
import { RawAnswer, rawRequest } from './util/raw-http';

const FIRST_ORIGIN = 'https://app.example.com';
const SECOND_ORIGIN = 'https://admin.example.com';
const CDK_DEFAULT_ALLOW_HEADERS = 'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,X-Amz-User-Agent';

type Answer = RawAnswer;

let outdir: string;
let backend: http.Server;
let gate: IamGate;
let clients: AdminClients;
let deployment: LocalDeployment;
let api: LocalRestApi;
/** The ARNs of the Lambda functions the stand-in asked for (an authorizer it would invoke). */
const lambdasAsked: string[] = [];
/** The requests the HTTP_PROXY integration's backend received. */
const backendRequests: Array<{ method?: string; url?: string }> = [];

const listen = (server: http.Server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

/** A port nothing listens on: one a server had, closed. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  const port = await listen(server);
  await new Promise((r) => server.close(r));
  return port;
}

/** A request to the stage, with its headers' names sent exactly as given (`Origin`, not `origin`). */
function send(method: string, relativePath: string, headers: Record<string, string> = {}, target = api): Promise<Answer> {
  const url = new URL(relativePath, target.url);
  return rawRequest(url.origin, `${url.pathname}${url.search}`, method, headers);
}

const preflight = (origin?: string) => send('OPTIONS', 'items', {
  ...(origin ? { Origin: origin } : {}),
  'Access-Control-Request-Method': 'POST',
});

/** The stack a CORS setup synthesizes, with an HTTP_PROXY integration to `backendUrl`. */
function corsStack(app: App, backendUrl: string, downUrl: string): void {
  const stack = new Stack(app, 'LocalRestApiTest');
  const restApi = new apigateway.RestApi(stack, 'Api', { cloudWatchRole: false, deployOptions: { stageName: 'prod' } });
  const items = restApi.root.addResource('items');
  items.addCorsPreflight({ allowOrigins: [FIRST_ORIGIN, SECOND_ORIGIN], allowMethods: ['GET', 'POST'] });
  items.addMethod('GET', new apigateway.HttpIntegration(backendUrl, { proxy: true }));
  // A method behind a Lambda authorizer: the preflight of its resource must not run it.
  const handler = new lambda.Function(stack, 'AuthorizerFunction', {
    runtime: lambda.Runtime.NODEJS_20_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => { throw new Error("not run by this test"); };'),
  });
  const authorizer = new apigateway.RequestAuthorizer(stack, 'Authorizer', {
    handler,
    identitySources: [apigateway.IdentitySource.header('Authorization')],
  });
  items.addMethod('POST', new apigateway.HttpIntegration(backendUrl, { proxy: true, httpMethod: 'POST' }), { authorizer });
  restApi.root.addResource('down').addMethod('GET', new apigateway.HttpIntegration(downUrl, { proxy: true }));

  // A MOCK integration of its own: templates with request parameters, $context, $util, a selection pattern, an override.
  restApi.root.addResource('echo').addResource('{id}').addMethod('GET', new apigateway.MockIntegration({
    requestTemplates: { 'application/json': '{"statusCode": #if($input.params("fail") == "yes")503#{else}200#end}' },
    integrationResponses: [
      {
        statusCode: '200',
        responseParameters: { 'method.response.header.X-Mock': "'mocked'" },
        responseTemplates: {
          'application/json': [
            '#set($q = $input.params().querystring.get("q"))',
            '{"id":"$input.params(\'id\')","q":"$q","quoted":"$util.escapeJavaScript($input.params().header.get("X-Quote"))",',
            '"lowercaseQuote":"$!input.params().header.get("x-quote")","method":"$context.httpMethod","resourcePath":"$context.resourcePath",',
            '"stage":"$context.stage","requestId":"$context.requestId"}',
            '#set($context.responseOverride.header.X-Override = "over")',
          ].join('\n'),
          'text/plain': 'id $input.params(\'id\')',
        },
      },
      { statusCode: '503', selectionPattern: '5\\d{2}', responseTemplates: { 'application/json': '{"failed":true}' } },
    ],
  }), {
    methodResponses: [
      { statusCode: '200', responseParameters: { 'method.response.header.X-Mock': true } },
      { statusCode: '503' },
    ],
  });
  // Overrides are final: one header overridden twice is API Gateway's 500.
  restApi.root.addResource('twice').addMethod('GET', new apigateway.MockIntegration({
    requestTemplates: { 'application/json': '{"statusCode": 200}' },
    integrationResponses: [{
      statusCode: '200',
      responseTemplates: { 'application/json': '#set($context.responseOverride.header.X-Twice = "1")\n#set($context.responseOverride.header.X-Twice = "2")' },
    }],
  }), { methodResponses: [{ statusCode: '200' }] });

  restApi.addGatewayResponse('Default4xx', {
    type: apigateway.ResponseType.DEFAULT_4XX,
    responseHeaders: { 'Access-Control-Allow-Origin': 'method.request.header.Origin', 'X-Gateway-Static': "'static-4xx'" },
  });
  restApi.addGatewayResponse('Default5xx', {
    type: apigateway.ResponseType.DEFAULT_5XX,
    responseHeaders: { 'Access-Control-Allow-Origin': 'method.request.header.Origin' },
    templates: {
      'application/json': '{"error":$context.error.messageString,"type":"$context.error.responseType","stage":"$context.stage","requestId":"$context.requestId"}',
    },
  });
  restApi.addGatewayResponse('Unauthorized', {
    type: apigateway.ResponseType.UNAUTHORIZED,
    responseHeaders: { 'Access-Control-Allow-Origin': 'method.request.header.Origin', 'WWW-Authenticate': "'Bearer'" },
  });
}

/** A MOCK integration mapping a header its method response does not declare: API Gateway refuses it. */
function undeclaredHeaderStack(app: App): void {
  const stack = new Stack(app, 'UndeclaredHeader');
  const restApi = new apigateway.RestApi(stack, 'Api', { cloudWatchRole: false });
  restApi.root.addMethod('GET', new apigateway.MockIntegration({
    requestTemplates: { 'application/json': '{"statusCode": 200}' },
    integrationResponses: [{ statusCode: '200', responseParameters: { 'method.response.header.X-Undeclared': "'value'" } }],
  }), { methodResponses: [{ statusCode: '200' }] });
}

const startApi = (stackId: string) => {
  const stack = deployment.stack(stackId);
  return LocalRestApi.start({
    stack,
    deployments: async () => [stack],
    lambdaByArn: async (arn) => {
      lambdasAsked.push(arn);
      throw new Error(`${arn} is not run by this test`);
    },
    loadBalancer: async () => {
      throw new Error('no load balancer in this test');
    },
    apigateway: clients.apigateway,
    usage: new UsagePlanCounters(),
  });
};

beforeAll(async () => {
  backend = http.createServer((req, res) => {
    backendRequests.push({ method: req.method, url: req.url });
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ from: 'backend' }));
  });
  const backendPort = await listen(backend);
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rest-api-'));
  const app = new App({ outdir });
  corsStack(app, `http://127.0.0.1:${backendPort}/backend/items`, `http://127.0.0.1:${await closedPort()}/`);
  undeclaredHeaderStack(app);
  app.synth();
  // The deployment needs a gate and emulator clients; nothing here calls them (the API's resources are all stand-ins).
  gate = await IamGate.start('http://127.0.0.1:9');
  clients = new AdminClients('http://127.0.0.1:9');
  deployment = new LocalDeployment(new AssemblyReader(outdir), clients, gate);
  api = await startApi('LocalRestApiTest');
});

afterAll(async () => {
  await api?.stop();
  await gate?.stop();
  clients?.destroy();
  await new Promise((r) => backend.close(r));
  fs.rmSync(outdir, { recursive: true, force: true });
});

describe('the CORS preflight (addCorsPreflight: MOCK integration, two origins)', () => {
  test('from the second origin: 204', async () => {
    expect((await preflight(SECOND_ORIGIN)).status).toBe(204);
  });

  test('from the second origin: Access-Control-Allow-Origin is that origin (the template\'s override)', async () => {
    expect((await preflight(SECOND_ORIGIN)).headers['access-control-allow-origin']).toBe(SECOND_ORIGIN);
  });

  test('Access-Control-Allow-Methods is the allowed methods', async () => {
    expect((await preflight(SECOND_ORIGIN)).headers['access-control-allow-methods']).toBe('GET,POST');
  });

  test('Access-Control-Allow-Headers is CDK\'s default list', async () => {
    expect((await preflight(SECOND_ORIGIN)).headers['access-control-allow-headers']).toBe(CDK_DEFAULT_ALLOW_HEADERS);
  });

  test('Vary is Origin', async () => {
    expect((await preflight(SECOND_ORIGIN)).headers.vary).toBe('Origin');
  });

  test('carries API Gateway\'s request id', async () => {
    expect((await preflight(SECOND_ORIGIN)).headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('runs no authorizer, though another method of the resource has one', async () => {
    await preflight(SECOND_ORIGIN);
    expect(api.requests[api.requests.length - 1]).toMatchObject({ method: 'OPTIONS', status: 204, authorizerInvoked: false });
    expect(lambdasAsked).toEqual([]);
  });

  test('reaches no backend', async () => {
    const before = backendRequests.length;
    await preflight(SECOND_ORIGIN);
    expect(backendRequests.length).toBe(before);
  });

  test('from an origin not in the list: the first origin (the static header, as CDK\'s template leaves it)', async () => {
    expect((await preflight('https://evil.example.net')).headers['access-control-allow-origin']).toBe(FIRST_ORIGIN);
  });

  test('from the first origin: the first origin', async () => {
    expect((await preflight(FIRST_ORIGIN)).headers['access-control-allow-origin']).toBe(FIRST_ORIGIN);
  });

  test('without an Origin: the first origin', async () => {
    expect((await preflight()).headers['access-control-allow-origin']).toBe(FIRST_ORIGIN);
  });

  test('the second origin differing in case is not in the list: the first origin', async () => {
    expect((await preflight(SECOND_ORIGIN.toUpperCase())).headers['access-control-allow-origin']).toBe(FIRST_ORIGIN);
  });
});

describe('a path with no method: 403 Missing Authentication Token, with DEFAULT_4XX applied', () => {
  const missing = (headers: Record<string, string> = {}) => send('GET', 'nothing/here', headers);

  test('403', async () => {
    expect((await missing({ Origin: SECOND_ORIGIN })).status).toBe(403);
  });

  test('API Gateway\'s body (DEFAULT_4XX has no template)', async () => {
    expect((await missing({ Origin: SECOND_ORIGIN })).body).toBe('{"message":"Missing Authentication Token"}');
  });

  test('its error type', async () => {
    expect((await missing({ Origin: SECOND_ORIGIN })).headers['x-amzn-errortype']).toBe('MissingAuthenticationTokenException');
  });

  test('Access-Control-Allow-Origin echoes the request\'s Origin (method.request.header.Origin)', async () => {
    expect((await missing({ Origin: SECOND_ORIGIN })).headers['access-control-allow-origin']).toBe(SECOND_ORIGIN);
  });

  test('the Origin header is looked up in any case', async () => {
    expect((await missing({ origin: FIRST_ORIGIN })).headers['access-control-allow-origin']).toBe(FIRST_ORIGIN);
  });

  test('without an Origin: no Access-Control-Allow-Origin at all', async () => {
    expect((await missing()).headers).not.toHaveProperty('access-control-allow-origin');
  });

  test('the static header', async () => {
    expect((await missing()).headers['x-gateway-static']).toBe('static-4xx');
  });

  test('a method the resource does not have: the same', async () => {
    const answer = await send('DELETE', 'items', { Origin: SECOND_ORIGIN });
    expect({ status: answer.status, origin: answer.headers['access-control-allow-origin'], static: answer.headers['x-gateway-static'] })
      .toEqual({ status: 403, origin: SECOND_ORIGIN, static: 'static-4xx' });
  });

  test('a stage that does not exist: 403, with no gateway response (no deployment to take it from)', async () => {
    const answer = await send('GET', '/nostage/items', { Origin: SECOND_ORIGIN });
    expect(answer.status).toBe(403);
    expect(answer.headers).not.toHaveProperty('x-gateway-static');
  });
});

describe('401 without the authorizer\'s identity source: the UNAUTHORIZED gateway response', () => {
  const unauthorized = () => send('POST', 'items', { Origin: SECOND_ORIGIN });

  test('401 with API Gateway\'s body', async () => {
    const answer = await unauthorized();
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 401, body: '{"message":"Unauthorized"}' });
  });

  test('its own headers: the Origin echoed, WWW-Authenticate', async () => {
    const answer = await unauthorized();
    expect([answer.headers['access-control-allow-origin'], answer.headers['www-authenticate']]).toEqual([SECOND_ORIGIN, 'Bearer']);
  });

  test('not DEFAULT_4XX\'s (a type\'s own gateway response replaces the default)', async () => {
    expect((await unauthorized()).headers).not.toHaveProperty('x-gateway-static');
  });

  test('the authorizer is not invoked', async () => {
    await unauthorized();
    expect(lambdasAsked).toEqual([]);
  });
});

describe('a failed integration: DEFAULT_5XX with its template (simple substitution)', () => {
  test('500, its headers, its body', async () => {
    const answer = await send('GET', 'down', { Origin: FIRST_ORIGIN });
    const record = api.requests[api.requests.length - 1];
    expect({ status: answer.status, origin: answer.headers['access-control-allow-origin'], body: JSON.parse(answer.body) }).toEqual({
      status: 500,
      origin: FIRST_ORIGIN,
      body: { error: 'Internal server error', type: 'INTEGRATION_FAILURE', stage: 'prod', requestId: record.requestId },
    });
  });
});

describe('a successful HTTP_PROXY integration', () => {
  test('is proxied, with no gateway response headers', async () => {
    const answer = await send('GET', 'items', { Origin: SECOND_ORIGIN });
    expect({ status: answer.status, body: answer.body, static: answer.headers['x-gateway-static'] })
      .toEqual({ status: 200, body: '{"from":"backend"}', static: undefined });
  });
});

describe('a MOCK integration of its own', () => {
  const echo = (query: string, headers: Record<string, string> = {}) => send('GET', `echo/42${query}`, { 'X-Quote': 'say "hi"', ...headers });

  test('200, the request template\'s status code selecting the default integration response', async () => {
    expect((await echo('?q=x')).status).toBe(200);
  });

  test('the response template rendered with $input.params, $context and $util', async () => {
    const answer = await echo('?q=x');
    const record = api.requests[api.requests.length - 1];
    expect(JSON.parse(answer.body)).toEqual({
      id: '42',
      q: 'x',
      // Escaped by $util.escapeJavaScript, so the body is valid JSON.
      quoted: 'say "hi"',
      // Header names are case-sensitive in the template's map: a name not sent is null ($! renders it empty).
      lowercaseQuote: '',
      method: 'GET',
      resourcePath: '/echo/{id}',
      stage: 'prod',
      requestId: record.requestId,
    });
  });

  test('content type application/json', async () => {
    expect((await echo('?q=x')).headers['content-type']).toBe('application/json');
  });

  test('the static response parameter', async () => {
    expect((await echo('?q=x')).headers['x-mock']).toBe('mocked');
  });

  test('the template\'s header override', async () => {
    expect((await echo('?q=x')).headers['x-override']).toBe('over');
  });

  test('the Accept header chooses the template', async () => {
    const answer = await echo('', { Accept: 'text/plain, application/json' });
    expect({ type: answer.headers['content-type'], body: answer.body }).toEqual({ type: 'text/plain', body: 'id 42' });
  });

  test('a status code matching a selection pattern selects that integration response', async () => {
    const answer = await echo('?fail=yes');
    expect({ status: answer.status, body: answer.body, mock: answer.headers['x-mock'] }).toEqual({ status: 503, body: '{"failed":true}', mock: undefined });
  });

  test('a header overridden twice: 500, answered with DEFAULT_5XX', async () => {
    const answer = await send('GET', 'twice');
    expect({ status: answer.status, type: JSON.parse(answer.body).type, header: answer.headers['x-twice'] })
      .toEqual({ status: 500, type: 'API_CONFIGURATION_ERROR', header: undefined });
  });
});

test('a MOCK integration response mapping a header its method response does not declare fails at start-up, as API Gateway refuses it', async () => {
  await expect(startApi('UndeclaredHeader'))
    .rejects.toThrow('Invalid mapping expression parameter specified: method.response.header.X-Undeclared');
});
