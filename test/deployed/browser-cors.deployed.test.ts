/**
 * CORS in a real browser (docs/cors.md): Debian's Chromium, driven by playwright-core, runs `fetch` from a page of an
 * allowed origin and of another origin against the example's router as synthesized (the REST API stand-in, the load
 * balancer, the tenant's nginx and services as deployed). The browser, not the test, decides what a page may read:
 * this proves the headers the router and the proxy send are the ones a browser accepts.
 */
import * as http from 'http';
import * as net from 'net';
import { Browser, chromium, Page } from 'playwright-core';
import { APPLICATION_PLANE, logicalId, synthesizeExample, SynthesizedExample } from './example';
import { adminToken } from './services-support';
import { LocalEnvironment } from '../../local/environment';
import { LocalRestApi } from '../../local/rest-api';

/** Debian's Chromium (scripts/setup-local.sh installs it). */
const CHROMIUM = '/usr/bin/chromium';

let synthesized: SynthesizedExample;
let env: LocalEnvironment;
let api: LocalRestApi;
let browser: Browser;
let token: string;
const pages: http.Server[] = [];
let allowed: string;
let foreign: string;

/** A free port on this machine. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Serves an empty page at `http://<host>:<port>/`: an origin for the browser's requests. */
async function servePage(host: string, port: number): Promise<string> {
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>app</title>'));
  await new Promise<void>((resolve) => server.listen(port, host === 'localhost' ? '127.0.0.1' : host, resolve));
  pages.push(server);
  return `http://${host}:${port}`;
}

beforeAll(async () => {
  const port = await freePort();
  allowed = await servePage('localhost', port);
  foreign = await servePage('127.0.0.1', await freePort());
  synthesized = synthesizeExample({ cors: { allowOrigins: ['https://app.example.com', allowed] } });
  env = await LocalEnvironment.start(synthesized.outdir);
  const plane = synthesized.example.applicationPlane;
  const shard0 = await env.stack(APPLICATION_PLANE).nestedStack(logicalId(plane.router.shards[0].nestedStackResource!));
  await env.startServiceGroup(APPLICATION_PLANE, `${APPLICATION_PLANE}/Advanced/acme/Services`);
  api = await env.restApi(shard0);
  token = await adminToken(env, plane.tenantPools.acme, 'acme', 'advanced');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(pages.map((p) => new Promise((resolve) => p.close(resolve))));
  await env?.stop();
});

/** What a page's `fetch` got: the status and the headers and body the browser lets it read, or the error. */
interface Fetched {
  readonly status?: number;
  readonly body?: unknown;
  readonly requestId?: string | null;
  readonly replayed?: string | null;
  readonly retryAfter?: string | null;
  readonly error?: string;
}

interface FetchInit {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

async function fetchFrom(origin: string, path: string, init: FetchInit): Promise<Fetched> {
  const page: Page = await browser.newPage();
  try {
    await page.goto(`${origin}/`);
    return await page.evaluate(async ({ url, method, headers, body }) => {
      try {
        const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
        return {
          status: res.status,
          body: await res.json(),
          requestId: res.headers.get('x-request-id'),
          replayed: res.headers.get('idempotent-replayed'),
          retryAfter: res.headers.get('retry-after'),
        };
      } catch (e) {
        return { error: String(e) };
      }
    }, { url: `${api.url}${path.replace(/^\//, '')}`, method: init.method ?? 'GET', headers: init.headers ?? {}, body: init.body });
  } finally {
    await page.close();
  }
}

test('a page of an allowed origin creates a product with a token and an Idempotency-Key, and reads the exposed headers', async () => {
  const preflightsBefore = api.requests.filter((r) => r.method === 'OPTIONS').length;
  const init = {
    method: 'POST',
    headers: { 'Authorization': `Bearer ${token}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'browser-1' },
    body: { name: 'From a browser', price: 12.5 },
  };
  const first = await fetchFrom(allowed, '/products', init);
  expect(first).toMatchObject({ status: 201, body: { name: 'From a browser', price: 12.5, tenantId: 'acme' }, replayed: null });
  expect(first.requestId).toMatch(/^[0-9a-f-]{36}$/);
  const again = await fetchFrom(allowed, '/products', init);
  expect({ status: again.status, replayed: again.replayed, id: (again.body as { id: string }).id })
    .toEqual({ status: 201, replayed: 'true', id: (first.body as { id: string }).id });
  // The browser asked first: preflights, answered 204.
  const preflights = api.requests.filter((r) => r.method === 'OPTIONS').slice(preflightsBefore);
  expect(preflights.length).toBeGreaterThan(0);
  expect(preflights.every((r) => r.status === 204 && !r.authorizerInvoked)).toBe(true);
}, 60_000);

test('API Gateway\'s 401 reaches the page as a 401 it can read, not as a network error', async () => {
  const answer = await fetchFrom(allowed, '/products', { headers: { 'Content-Type': 'application/json' } });
  expect(answer).toMatchObject({ status: 401, body: { message: 'Unauthorized' } });
}, 60_000);

test('a page of another origin gets nothing: the browser refuses the preflight\'s answer', async () => {
  const answer = await fetchFrom(foreign, '/products', { headers: { Authorization: `Bearer ${token}` } });
  expect(answer).toEqual({ error: 'TypeError: Failed to fetch' });
}, 60_000);
