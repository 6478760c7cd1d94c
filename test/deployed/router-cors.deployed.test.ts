/**
 * CORS on the tenant request path as synthesized (docs/cors.md): the example with a CORS policy of two origins, its
 * router shard's REST API served by the stand-in (local/rest-api.ts: the preflight's mock and its VTL template run by
 * a Velocity engine, the gateway responses), the load balancer, and the tenant's nginx running the configuration its
 * task definition carries, in front of the services as deployed.
 */
import * as http from 'http';
import { APPLICATION_PLANE, logicalId, synthesizeExample, SynthesizedExample } from './example';
import { adminToken } from './services-support';
import { LocalEnvironment, LocalServiceGroup } from '../../local/environment';
import { LocalLambda } from '../../local/lambda';
import { LocalRestApi } from '../../local/rest-api';

const APP = 'https://app.example.com';
const DEV = 'http://localhost:5173';

let synthesized: SynthesizedExample;
let env: LocalEnvironment;
let api: LocalRestApi;
let authorizer: LocalLambda;
let acme: LocalServiceGroup;
let acmeToken: string;

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly headers: http.IncomingHttpHeaders;
}

/** One request to shard 0's stage; header names are sent as written. */
function call(method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const base = new URL(api.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: base.hostname, port: base.port, method, path: `${base.pathname.replace(/\/$/, '')}${path}`, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

const cors = (a: Answer) => ({
  status: a.status,
  origin: a.headers['access-control-allow-origin'],
  methods: a.headers['access-control-allow-methods'],
  allowHeaders: a.headers['access-control-allow-headers'],
  expose: a.headers['access-control-expose-headers'],
  maxAge: a.headers['access-control-max-age'],
  vary: a.headers.vary,
  credentials: a.headers['access-control-allow-credentials'],
});

beforeAll(async () => {
  synthesized = synthesizeExample({ cors: { allowOrigins: [APP, DEV] } });
  env = await LocalEnvironment.start(synthesized.outdir);
  const plane = synthesized.example.applicationPlane;
  const shard0 = await env.stack(APPLICATION_PLANE).nestedStack(logicalId(plane.router.shards[0].nestedStackResource!));
  acme = await env.startServiceGroup(APPLICATION_PLANE, `${APPLICATION_PLANE}/Advanced/acme/Services`);
  api = await env.restApi(shard0);
  authorizer = await env.lambda(APPLICATION_PLANE, `${APPLICATION_PLANE}/Router/Authorizer`);
  acmeToken = await adminToken(env, plane.tenantPools.acme, 'acme', 'advanced');
}, 240_000);

afterAll(async () => {
  await env?.stop();
});

describe('preflights: answered by the API itself, without a token, a key or the authorizer', () => {
  const preflight = (path: string, origin: Record<string, string>) => call('OPTIONS', path, {
    ...origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type,idempotency-key',
  });

  test.each([
    ['the first origin', { Origin: APP }, APP],
    ['the second origin', { Origin: DEV }, DEV],
    ['the second origin, header name in lower case (as HTTP/2 clients send it)', { origin: DEV }, DEV],
    ['an origin not allowed: the first origin, which the browser refuses', { Origin: 'https://evil.example.com' }, APP],
  ])('%s', async (_what, origin, allowed) => {
    const invocations = authorizer.invocations;
    for (const path of ['/products', '/products/9a3c2f1e-6b7d-4c5e-8f9a-0b1c2d3e4f5a', '/orders']) {
      const answer = await preflight(path, origin);
      expect({ path, ...cors(answer) }).toEqual({
        path,
        status: 204,
        origin: allowed,
        methods: 'GET,HEAD,POST,PUT,PATCH,DELETE',
        allowHeaders: 'Authorization,Content-Type,Idempotency-Key',
        expose: undefined,
        maxAge: '600',
        vary: 'Origin',
        credentials: undefined,
      });
    }
    expect(authorizer.invocations).toBe(invocations);
  });
});

describe('answers carry the headers, whoever gives them', () => {
  test('API Gateway\'s own 401 (no token) repeats the allowed origin, and exposes the services\' headers', async () => {
    const answer = await call('GET', '/products', { Origin: DEV });
    expect(cors(answer)).toEqual({
      status: 401,
      origin: DEV,
      methods: undefined,
      allowHeaders: undefined,
      expose: 'Retry-After,X-Request-Id,Idempotent-Replayed',
      maxAge: undefined,
      vary: 'Origin',
      credentials: undefined,
    });
  });

  test('API Gateway\'s 403 (a path with no method) too', async () => {
    expect(cors(await call('GET', '/nothing-here', { Origin: APP }))).toMatchObject({ status: 403, origin: APP, vary: 'Origin' });
  });

  test('a service\'s 200, through the tenant proxy: the request\'s origin when allowed, none otherwise', async () => {
    const served = await call('GET', '/products', { Authorization: `Bearer ${acmeToken}`, Origin: DEV });
    expect(cors(served)).toEqual({
      status: 200,
      origin: DEV,
      methods: undefined,
      allowHeaders: undefined,
      expose: 'Retry-After, X-Request-Id, Idempotent-Replayed',
      maxAge: undefined,
      vary: 'Origin',
      credentials: undefined,
    });
    const foreign = await call('GET', '/products', { Authorization: `Bearer ${acmeToken}`, Origin: 'https://evil.example.com' });
    expect({ status: foreign.status, origin: foreign.headers['access-control-allow-origin'] }).toEqual({ status: 200, origin: undefined });
  });

  test('a service\'s error (404 for a product the tenant does not have) carries them too', async () => {
    const answer = await call('GET', '/products/9a3c2f1e-6b7d-4c5e-8f9a-0b1c2d3e4f5a', { Authorization: `Bearer ${acmeToken}`, Origin: APP });
    expect(cors(answer)).toMatchObject({ status: 404, origin: APP, vary: 'Origin' });
  });

  test('the proxy\'s configuration passes nginx -t', () => {
    const check = acme.network.run(['nginx', '-t']);
    expect(check.output).toContain('syntax is ok');
  });
});
