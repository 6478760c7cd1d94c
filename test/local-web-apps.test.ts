/**
 * The local server of the example's web apps (local/web-apps.ts), against a build made here in a temporary directory:
 * each rule the deployed CloudFront distribution applies (files with their types, the SPA fallback, 403 for a missing
 * file, the runtime configuration, cache headers, the CSP and security headers on every answer), that nothing outside
 * the build is served, and how it fails. The apps listen on free ports here, not on their fixed origins.
 */
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import {
  AdminConsoleConfig, contentSecurityPolicy, SECURITY_HEADERS, TenantAppConfig, WEB_APPS, WEB_CONFIG_FILE,
} from '../examples/web/shared/contract';
import { connectSourcesOf, LocalWebApps } from '../local/web-apps';
import { RawAnswer, rawRequest } from './util/raw-http';

const CONTROL_PLANE = 'http://127.0.0.1:5001/';
const COGNITO = 'http://127.0.0.1:5002';
const TENANT_APIS = {
  'https://abcde12345.execute-api.us-east-1.amazonaws.com/prod/': 'http://127.0.0.1:5003/prod/',
  'https://fghij67890.execute-api.us-east-1.amazonaws.com/prod/': 'http://127.0.0.1:5004/prod/',
};
const LOCAL = { cognitoEndpoint: COGNITO, apiUrls: TENANT_APIS };
const ADMIN_CONFIG: AdminConsoleConfig = {
  region: 'us-east-1',
  controlPlaneApiUrl: CONTROL_PLANE,
  userPoolId: 'us-east-1_admins',
  appClientId: 'adminclient',
  tiers: ['basic', 'advanced', 'premium'],
  local: LOCAL,
};
const TENANT_CONFIG: TenantAppConfig = { region: 'us-east-1', controlPlaneApiUrl: CONTROL_PLANE, local: LOCAL };
const EXPECTED_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
  + "connect-src 'self' http://127.0.0.1:5001 http://127.0.0.1:5002 http://127.0.0.1:5003 http://127.0.0.1:5004; "
  + "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'";
const ASSET = 'console.log("admin console");\n';

type Answer = RawAnswer;

let root: string;
/** A file next to the build, which no request may reach. */
let secret: string;
let apps: LocalWebApps;

/** A request with its path sent exactly as given (`fetch` would normalize `/../x` to `/x` before sending). */
function send(origin: string, rawPath: string, method = 'GET'): Promise<Answer> {
  return rawRequest(origin, rawPath, method);
}

const admin = (rawPath: string, method?: string) => send(apps.origins.adminConsole, rawPath, method);
const tenant = (rawPath: string, method?: string) => send(apps.origins.tenantApp, rawPath, method);

/** A build of both apps as Vite writes it, with a stale `config.json` and a link out of the build. */
function makeBuild(dir: string): void {
  for (const [app, name] of Object.entries(WEB_APPS)) {
    const appDir = path.join(dir, name);
    fs.mkdirSync(path.join(appDir, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(appDir, 'index.html'), `<!doctype html><title>${app}</title><script type="module" src="/assets/app-abc123.js"></script>\n`);
    fs.writeFileSync(path.join(appDir, 'assets', 'app-abc123.js'), ASSET);
    fs.writeFileSync(path.join(appDir, 'assets', 'app-abc123.css'), 'body{margin:0}\n');
    fs.writeFileSync(path.join(appDir, 'assets', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>\n');
    fs.writeFileSync(path.join(appDir, 'favicon.ico'), Buffer.from([0, 0, 1, 0]));
    fs.writeFileSync(path.join(appDir, WEB_CONFIG_FILE), '{"stale":true}\n');
    fs.symlinkSync(secret, path.join(appDir, 'leak.txt'));
  }
}

beforeAll(async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'local-web-apps-'));
  secret = path.join(tmp, 'secret.txt');
  fs.writeFileSync(secret, 'SECRET CONTENT\n');
  root = path.join(tmp, 'build');
  makeBuild(root);
  apps = await LocalWebApps.start({
    buildRoot: root, adminConsole: ADMIN_CONFIG, tenantApp: TENANT_CONFIG, ports: { adminConsole: 0, tenantApp: 0 },
  });
});

afterAll(async () => {
  await apps?.stop();
  fs.rmSync(path.dirname(root), { recursive: true, force: true });
});

describe('files of the build', () => {
  test('/ is index.html, not cached without revalidation', async () => {
    const res = await admin('/');
    expect(res.status).toBe(200);
    expect(res.body).toContain('<title>adminConsole</title>');
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  test('/index.html too', async () => {
    const res = await admin('/index.html');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  test('each app is served from its own build', async () => {
    expect((await tenant('/')).body).toContain('<title>tenantApp</title>');
  });

  test('an asset: its content and type, cached for a year as immutable', async () => {
    const res = await admin('/assets/app-abc123.js');
    expect(res.status).toBe(200);
    expect(res.body).toBe(ASSET);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(ASSET)));
  });

  test.each([
    ['/assets/app-abc123.css', 'text/css; charset=utf-8'],
    ['/assets/logo.svg', 'image/svg+xml'],
    ['/favicon.ico', 'image/x-icon'],
  ])('%s is served as %s', async (file, type) => {
    const res = await admin(file);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(type);
  });

  test('a file outside /assets/ other than index.html gets no Cache-Control', async () => {
    expect((await admin('/favicon.ico')).headers['cache-control']).toBeUndefined();
  });

  test('a query string does not change what is served', async () => {
    expect((await admin('/assets/app-abc123.js?v=2')).body).toBe(ASSET);
  });

  test('HEAD: the headers of GET, no body', async () => {
    const res = await admin('/assets/app-abc123.js', 'HEAD');
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(ASSET)));
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });
});

describe('the SPA fallback', () => {
  const routes = ['/tenants', '/tenants/acme', '/orders/42/items', '/assets'];
  test.each(routes)('%s (no extension, no file): index.html, 200, no-cache', async (route) => {
    const res = await admin(route);
    expect(res.status).toBe(200);
    expect(res.body).toContain('<title>adminConsole</title>');
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  test.each(['/assets/app-missing.js', '/missing.css', '/tenants/acme.json', '/robots.txt'])('%s (an extension, no file): 403 as from S3, not index.html', async (file) => {
    const res = await admin(file);
    expect(res.status).toBe(403);
    expect(res.body).not.toContain('<title>');
  });
});

describe('the runtime configuration (config.json)', () => {
  test('the admin console\'s: generated, not the build\'s file', async () => {
    const res = await admin('/config.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(JSON.parse(res.body)).toEqual(ADMIN_CONFIG);
  });

  test('its shape: what AdminConsoleConfig declares', async () => {
    const config = JSON.parse((await admin('/config.json')).body);
    expect(Object.keys(config).sort()).toEqual(['appClientId', 'controlPlaneApiUrl', 'local', 'region', 'tiers', 'userPoolId']);
    expect(config.controlPlaneApiUrl.endsWith('/')).toBe(true);
    expect(Object.keys(config.local).sort()).toEqual(['apiUrls', 'cognitoEndpoint']);
  });

  test('the tenant app\'s: region, control plane API and the local endpoints only', async () => {
    const config = JSON.parse((await tenant('/config.json')).body);
    expect(config).toEqual(TENANT_CONFIG);
    expect(Object.keys(config).sort()).toEqual(['controlPlaneApiUrl', 'local', 'region']);
  });

  test('only at the root: /assets/config.json is a missing file', async () => {
    expect((await admin('/assets/config.json')).status).toBe(403);
  });
});

describe('nothing outside the build', () => {
  test.each([
    '/../package.json',
    '/../../package.json',
    '/%2e%2e/package.json',
    '/%2E%2E/%2e%2e/package.json',
    '/assets/../../secret.txt',
    '/assets/%2e%2e/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/%2e%2e%2fsecret.txt',
    '/..%5csecret.txt',
    '/./index.html',
  ])('%s: 400', async (rawPath) => {
    const res = await admin(rawPath);
    expect(res.status).toBe(400);
    expect(res.body).not.toContain('SECRET');
    expect(res.body).not.toContain('"name"');
  });

  test('a malformed percent-encoding: 400', async () => {
    expect((await admin('/%E0%A4%A')).status).toBe(400);
  });

  test('a link in the build to a file outside it is no file of the build: 403', async () => {
    const res = await admin('/leak.txt');
    expect(res.status).toBe(403);
    expect(res.body).not.toContain('SECRET');
  });
});

describe('methods', () => {
  test.each(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])('%s: 403, as CloudFront answers a method its behaviour does not allow', async (method) => {
    const res = await admin('/', method);
    expect(res.status).toBe(403);
    expect(res.body).toBe('Forbidden\n');
  });
});

describe('headers on every answer', () => {
  const answers: Array<[string, () => Promise<Answer>]> = [
    ['index.html', () => admin('/')],
    ['an asset', () => admin('/assets/app-abc123.js')],
    ['config.json', () => tenant('/config.json')],
    ['the SPA fallback', () => tenant('/tenants/acme')],
    ['a 403 for a missing file', () => admin('/missing.js')],
    ['a 403 for a method', () => admin('/', 'POST')],
    ['a 400', () => admin('/../package.json')],
  ];

  test.each(answers)('%s: the Content-Security-Policy, exactly', async (_name, request) => {
    expect((await request()).headers['content-security-policy']).toBe(EXPECTED_CSP);
  });

  test.each(answers)('%s: the security headers, exactly', async (_name, request) => {
    const headers = (await request()).headers;
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      expect(headers[name.toLowerCase()]).toBe(value);
    }
  });

  test('the policy is the contract\'s, with the origins of the control plane API, Cognito and every tenant API', () => {
    expect(connectSourcesOf(ADMIN_CONFIG, TENANT_CONFIG)).toEqual([
      'http://127.0.0.1:5001', 'http://127.0.0.1:5002', 'http://127.0.0.1:5003', 'http://127.0.0.1:5004',
    ]);
    expect(contentSecurityPolicy(connectSourcesOf(ADMIN_CONFIG, TENANT_CONFIG))).toBe(EXPECTED_CSP);
  });
});

describe('starting and stopping', () => {
  const options = { adminConsole: ADMIN_CONFIG, tenantApp: TENANT_CONFIG };

  /** A port nothing listens on: one a server had, closed. */
  async function freePort(): Promise<number> {
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise((r) => server.close(r));
    return port;
  }

  test('a missing build: fails, saying to run npx projen bundle:web', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'local-web-apps-empty-'));
    try {
      await expect(LocalWebApps.start({ ...options, buildRoot: empty, ports: { adminConsole: 0, tenantApp: 0 } }))
        .rejects.toThrow(/admin console is not built .*run npx projen bundle:web/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  test('one app\'s build missing: fails, naming it', async () => {
    const partial = fs.mkdtempSync(path.join(os.tmpdir(), 'local-web-apps-partial-'));
    fs.mkdirSync(path.join(partial, WEB_APPS.adminConsole));
    fs.writeFileSync(path.join(partial, WEB_APPS.adminConsole, 'index.html'), '<!doctype html>');
    try {
      await expect(LocalWebApps.start({ ...options, buildRoot: partial, ports: { adminConsole: 0, tenantApp: 0 } }))
        .rejects.toThrow(/tenant app is not built/);
    } finally {
      fs.rmSync(partial, { recursive: true, force: true });
    }
  });

  test('a port taken: fails, saying so, and leaves nothing listening', async () => {
    const taken = http.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const takenPort = (taken.address() as AddressInfo).port;
    const adminPort = await freePort();
    try {
      await expect(LocalWebApps.start({ ...options, buildRoot: root, ports: { adminConsole: adminPort, tenantApp: takenPort } }))
        .rejects.toThrow(`the tenant app cannot be served on 127.0.0.1:${takenPort}: the port is in use`);
      // The admin console, started first, was stopped: its port is free again.
      const again = http.createServer();
      await new Promise<void>((resolve, reject) => {
        again.once('error', reject);
        again.listen(adminPort, '127.0.0.1', resolve);
      });
      await new Promise((r) => again.close(r));
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });

  test('stop closes both servers, open connections included', async () => {
    const other = await LocalWebApps.start({ ...options, buildRoot: root, ports: { adminConsole: 0, tenantApp: 0 } });
    const origins = other.origins;
    const kept = new http.Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      http.get(`${origins.adminConsole}/`, { agent: kept }, (res) => {
        res.resume();
        res.on('end', resolve);
      }).on('error', reject);
    });
    await other.stop();
    for (const origin of Object.values(origins)) {
      await expect(send(origin, '/')).rejects.toThrow(/ECONNREFUSED/);
    }
    kept.destroy();
  });
});
