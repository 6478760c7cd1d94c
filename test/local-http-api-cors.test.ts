/**
 * The HTTP API stand-in (local/http-api.ts) applying an API's `CorsConfiguration` as API Gateway does ("Configuring CORS
 * for an HTTP API"): preflights answered by API Gateway itself, without the authorizer, unless a route catches them;
 * every other answer given the configured headers, in place of the integration's own. The stacks are synthesized here
 * (aws-cdk-lib's `HttpApi` with `corsPreflight`) and served from their cloud assembly; the function behind the routes is
 * a stand-in of this test, so neither the emulator nor a Lambda runtime is needed.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnResource, Duration, Stack, Token } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AssemblyReader } from '../local/assembly';
import { AdminClients, LocalDeployment } from '../local/deployment';
import { LocalHttpApi } from '../local/http-api';
import { IamGate } from '../local/iam-gate';
import { RawAnswer, rawRequest } from './util/raw-http';

const ALLOWED = 'http://127.0.0.1:4701';
const OTHER_ALLOWED = 'http://127.0.0.1:4702';
const DISALLOWED = 'https://evil.example.net';
const ISSUER = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Local';

type Answer = RawAnswer;

let outdir: string;
let gate: IamGate;
let clients: AdminClients;
let deployment: LocalDeployment;
/** By stack: the API with a CORS configuration, the one without, and the one allowing every origin. */
const apis: Record<string, LocalHttpApi> = {};
/** The events the function behind the routes received. */
const invoked: any[] = [];

/** A request, with its headers' names sent exactly as given. */
function send(api: LocalHttpApi, method: string, relativePath: string, headers: Record<string, string> = {}): Promise<Answer> {
  const url = new URL(relativePath, api.url);
  return rawRequest(url.origin, `${url.pathname}${url.search}`, method, headers);
}

const preflight = (api: LocalHttpApi, relativePath: string, origin: string, method = 'POST') => send(api, 'OPTIONS', relativePath, {
  'Origin': origin,
  'Access-Control-Request-Method': method,
  'Access-Control-Request-Headers': 'authorization,content-type',
});

/** An HTTP API with its routes to one function: `GET /items` (open), `POST /items` and `ANY /any/{proxy+}` (JWT), `OPTIONS /own`. */
function apiStack(app: App, id: string, cors?: apigwv2.CorsPreflightOptions): Stack {
  const stack = new Stack(app, id);
  const handler = new lambda.Function(stack, 'Handler', {
    runtime: lambda.Runtime.NODEJS_20_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => { throw new Error("stood in for by the test"); };'),
  });
  const integration = new HttpLambdaIntegration('Integration', handler);
  const authorizer = new HttpJwtAuthorizer('Jwt', ISSUER, { jwtAudience: ['admin-client'] });
  const api = new apigwv2.HttpApi(stack, 'Api', { corsPreflight: cors });
  api.addRoutes({ path: '/items', methods: [apigwv2.HttpMethod.GET], integration });
  api.addRoutes({ path: '/items', methods: [apigwv2.HttpMethod.POST], integration, authorizer });
  api.addRoutes({ path: '/any/{proxy+}', methods: [apigwv2.HttpMethod.ANY], integration, authorizer });
  api.addRoutes({ path: '/own', methods: [apigwv2.HttpMethod.OPTIONS], integration });
  return stack;
}

beforeAll(async () => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-http-api-cors-'));
  const app = new App({ outdir });
  // The web apps' hosting, in a stack of its own: its distribution's domain reaches the API's origins as an import.
  const hosting = new Stack(app, 'Hosting');
  const distribution = new CfnResource(hosting, 'Distribution', { type: 'AWS::CloudFront::Distribution', properties: { DistributionConfig: { Enabled: true } } });
  apiStack(app, 'CorsApi', {
    allowOrigins: [ALLOWED, OTHER_ALLOWED, `https://${Token.asString(distribution.getAtt('DomainName'))}`],
    allowHeaders: ['authorization', 'content-type', 'idempotency-key'],
    allowMethods: [apigwv2.CorsHttpMethod.GET, apigwv2.CorsHttpMethod.POST, apigwv2.CorsHttpMethod.DELETE],
    exposeHeaders: ['retry-after', 'x-request-id'],
    maxAge: Duration.minutes(10),
    allowCredentials: true,
  });
  apiStack(app, 'PlainApi');
  apiStack(app, 'AnyOriginApi', { allowOrigins: ['*'], allowMethods: [apigwv2.CorsHttpMethod.ANY], allowHeaders: ['*'] });
  app.synth();
  // The deployment needs a gate and emulator clients; nothing here calls the emulator (the APIs' resources are stand-ins).
  gate = await IamGate.start('http://127.0.0.1:9');
  clients = new AdminClients('http://127.0.0.1:9');
  deployment = new LocalDeployment(new AssemblyReader(outdir), clients, gate);
  for (const id of ['CorsApi', 'PlainApi', 'AnyOriginApi']) {
    const stack = deployment.stack(id);
    apis[id] = await LocalHttpApi.start(stack, {
      gate,
      deployments: async () => [stack],
      // The function as sbt-aws's Python functions answer: with CORS headers of its own.
      lambdaByArn: async () => ({
        invoke: async (event: any) => {
          invoked.push(event);
          return {
            payload: {
              statusCode: 200,
              headers: {
                'Content-Type': 'application/json',
                'Access-Control-Allow-Origin': '*',
                'Access-Control-Allow-Methods': 'OPTIONS,POST,GET',
                'Access-Control-Allow-Headers': '*',
                'X-Request-Id': 'fn-1',
              },
              body: JSON.stringify({ route: event.routeKey }),
            },
          } as any;
        },
      }),
    });
  }
}, 60_000);

afterAll(async () => {
  for (const api of Object.values(apis)) {
    await api.stop();
  }
  await gate?.stop();
  clients?.destroy();
  fs.rmSync(outdir, { recursive: true, force: true });
});

describe('the configuration, resolved from the template', () => {
  test('the origins, with the hosting stack\'s import resolved to the stand-in distribution\'s domain', () => {
    const cors = apis.CorsApi.cors!;
    expect(cors.allowOrigins.slice(0, 2)).toEqual([ALLOWED, OTHER_ALLOWED]);
    expect(cors.allowOrigins[2]).toMatch(/^https:\/\/\S+$/);
    expect(cors.allowOrigins[2]).not.toContain('Fn::');
  });

  test('the other properties', () => {
    expect(apis.CorsApi.cors).toMatchObject({
      allowHeaders: ['authorization', 'content-type', 'idempotency-key'],
      allowMethods: ['GET', 'POST', 'DELETE'],
      exposeHeaders: ['retry-after', 'x-request-id'],
      maxAge: 600,
      allowCredentials: true,
    });
  });

  test('an API without one has none', () => {
    expect(apis.PlainApi.cors).toBeUndefined();
  });
});

describe('a preflight from an allowed origin', () => {
  test('is answered 204 by API Gateway, with the configured headers', async () => {
    const res = await preflight(apis.CorsApi, 'items', ALLOWED);
    expect(res.status).toBe(204);
    expect(res.body).toBe('');
    expect(res.headers).toMatchObject({
      'access-control-allow-origin': ALLOWED,
      'access-control-allow-methods': 'GET,POST,DELETE',
      'access-control-allow-headers': 'authorization,content-type,idempotency-key',
      'access-control-max-age': '600',
      'access-control-allow-credentials': 'true',
    });
  });

  test('names the origin that asked (the second allowed one)', async () => {
    expect((await preflight(apis.CorsApi, 'items', OTHER_ALLOWED)).headers['access-control-allow-origin']).toBe(OTHER_ALLOWED);
  });

  test('runs neither the authorizer nor the function, though POST /items has a JWT authorizer', async () => {
    const before = invoked.length;
    const res = await preflight(apis.CorsApi, 'items', ALLOWED);
    expect(res.status).toBe(204);
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(invoked.length).toBe(before);
    const last = apis.CorsApi.requests[apis.CorsApi.requests.length - 1];
    expect(last).toMatchObject({ method: 'OPTIONS', status: 204, reason: 'CORS preflight, answered by API Gateway' });
    expect(last.routeKey).toBeUndefined();
  });

  test('is answered for a path no route has too', async () => {
    expect((await preflight(apis.CorsApi, 'nothing/here', ALLOWED)).status).toBe(204);
  });

  test('to an explicit OPTIONS route: the route answers it, with the configured headers in place of its own', async () => {
    const before = invoked.length;
    const res = await preflight(apis.CorsApi, 'own', ALLOWED);
    expect(res.status).toBe(200);
    expect(invoked.length).toBe(before + 1);
    expect(JSON.parse(res.body)).toEqual({ route: 'OPTIONS /own' });
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(res.headers['access-control-allow-methods']).toBeUndefined();
  });

  test('to an ANY route: the route catches it, so its authorizer answers 401 (with the CORS headers)', async () => {
    const res = await preflight(apis.CorsApi, 'any/thing', ALLOWED);
    expect(res.status).toBe(401);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
  });
});

describe('a preflight from an origin not allowed', () => {
  test('gets 204 without any CORS header, so the browser refuses the request', async () => {
    const res = await preflight(apis.CorsApi, 'items', DISALLOWED);
    expect(res.status).toBe(204);
    expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });

  test('an allowed origin differing in case is not allowed', async () => {
    const res = await preflight(apis.CorsApi, 'items', ALLOWED.toUpperCase());
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('an OPTIONS request that is no preflight', () => {
  test('without Access-Control-Request-Method it is routed: no OPTIONS route for the path, 404', async () => {
    const res = await send(apis.CorsApi, 'OPTIONS', 'items', { Origin: ALLOWED });
    expect(res.status).toBe(404);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
  });
});

describe('the actual request', () => {
  test('from an allowed origin: the configured headers replace the function\'s own', async () => {
    const res = await send(apis.CorsApi, 'GET', 'items', { Origin: ALLOWED });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(res.headers['access-control-expose-headers']).toBe('retry-after,x-request-id');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    // The function's `*`, methods and headers are gone.
    expect(res.headers['access-control-allow-methods']).toBeUndefined();
    expect(res.headers['access-control-allow-headers']).toBeUndefined();
    // Its other headers pass.
    expect(res.headers['x-request-id']).toBe('fn-1');
    expect(JSON.parse(res.body)).toEqual({ route: 'GET /items' });
  });

  test('from an origin not allowed: no CORS header at all, not even the function\'s `*`', async () => {
    const res = await send(apis.CorsApi, 'GET', 'items', { Origin: DISALLOWED });
    expect(res.status).toBe(200);
    expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });

  test('without an Origin: no CORS header', async () => {
    const res = await send(apis.CorsApi, 'GET', 'items');
    expect(res.status).toBe(200);
    expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });

  test('the JWT authorizer\'s 401 carries Access-Control-Allow-Origin, so the page can read it', async () => {
    const res = await send(apis.CorsApi, 'POST', 'items', { Origin: ALLOWED });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toEqual({ message: 'Unauthorized' });
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(res.headers['access-control-expose-headers']).toBe('retry-after,x-request-id');
  });

  test('API Gateway\'s own 404 carries it too', async () => {
    const res = await send(apis.CorsApi, 'GET', 'nothing/here', { Origin: ALLOWED });
    expect(res.status).toBe(404);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
  });
});

describe('every origin allowed (`*`)', () => {
  test('a preflight gets `*`', async () => {
    const res = await preflight(apis.AnyOriginApi, 'items', DISALLOWED);
    expect(res.status).toBe(204);
    expect(res.headers).toMatchObject({ 'access-control-allow-origin': '*', 'access-control-allow-methods': '*', 'access-control-allow-headers': '*' });
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });

  test('an answer gets `*`', async () => {
    expect((await send(apis.AnyOriginApi, 'GET', 'items', { Origin: DISALLOWED })).headers['access-control-allow-origin']).toBe('*');
  });
});

describe('without a CORS configuration', () => {
  test('the function\'s CORS headers pass through as they are', async () => {
    const res = await send(apis.PlainApi, 'GET', 'items', { Origin: ALLOWED });
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'OPTIONS,POST,GET',
      'access-control-allow-headers': '*',
    });
  });

  test('a preflight is routed like any request: no OPTIONS route for the path, 404 without CORS headers', async () => {
    const res = await preflight(apis.PlainApi, 'items', ALLOWED);
    expect(res.status).toBe(404);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  test('the 401 has no CORS header', async () => {
    const res = await send(apis.PlainApi, 'POST', 'items', { Origin: ALLOWED });
    expect(res.status).toBe(401);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});
