/**
 * The example's web applications (docs/web-apps.md), served on this machine as CloudFront serves them from their S3
 * bucket: the admin console on `LOCAL_WEB_ORIGINS.adminConsole`, the tenant app on `LOCAL_WEB_ORIGINS.tenantApp`
 * (fixed, because the control plane API's CORS configuration names them at synth), each from its Vite build under
 * `examples/web/build/<WEB_APPS dir>` (`npx projen bundle:web`).
 *
 * What is served, as the deployed distribution serves it:
 * - `GET` and `HEAD` only; any other method, 403 (CloudFront's answer to a method its behaviour does not allow).
 * - A file of the build, with its content type. A path with a `.` or `..` segment (also percent-encoded), a `\` or a NUL
 *   is refused (400), and a file is served only if its real path is under the build's, so nothing outside it is read.
 * - `/config.json` (`WEB_CONFIG_FILE`): the runtime configuration, generated here (the deployment writes it with
 *   `BucketDeployment`); never a file of the build.
 * - A path without a file extension that is no file: `index.html`, 200 (the SPA fallback of the distribution's
 *   function); a missing path with an extension: 403, not `index.html` (S3's answer through origin access control,
 *   which may not list the bucket).
 * - `Cache-Control`: `no-cache` for `index.html` (and the fallback) and `config.json`; `public, max-age=31536000,
 *   immutable` for `/assets/` (Vite's content-hashed files).
 * - On every answer: the apps' `Content-Security-Policy` (`contentSecurityPolicy`, `connect-src` the local origins the
 *   apps call) and `SECURITY_HEADERS`, as the distribution's response-headers policy sends them.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import {
  AdminConsoleConfig, contentSecurityPolicy, LOCAL_WEB_ORIGINS, SECURITY_HEADERS, TenantAppConfig, WEB_APPS, WEB_CONFIG_FILE,
} from '../examples/web/shared/contract';
import { WEB_BUILD_DIR } from '../examples/web-hosting';


/** The two apps, by the key `WEB_APPS` and `LOCAL_WEB_ORIGINS` name them by. */
export type WebApp = keyof typeof WEB_APPS;

export interface LocalWebAppsOptions {
  /** The directory holding each app's build (`<root>/<WEB_APPS dir>/index.html`). @default WEB_BUILD_DIR (examples/web/build) */
  readonly buildRoot?: string;
  /** The admin console's `config.json`. */
  readonly adminConsole: AdminConsoleConfig;
  /** The tenant app's `config.json`. */
  readonly tenantApp: TenantAppConfig;
  /**
   * The origins the apps' pages may call (CSP `connect-src`).
   * @default the origins of both configurations' control plane API, Cognito endpoint and tenant APIs (`connectSourcesOf`)
   */
  readonly connectSources?: string[];
  /**
   * The ports to listen on (0: any free one). Only for tests: the apps' origins must be the fixed `LOCAL_WEB_ORIGINS`,
   * which the API's CORS configuration names.
   * @default the ports of LOCAL_WEB_ORIGINS
   */
  readonly ports?: Partial<Record<WebApp, number>>;
}

/** The content types of the files a build has. */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

const NO_CACHE = 'no-cache';
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The origins a configuration's pages call: the control plane's API, Cognito's endpoint and every local tenant API. */
export function connectSourcesOf(...configs: Array<AdminConsoleConfig | TenantAppConfig>): string[] {
  const origins = new Set<string>();
  for (const config of configs) {
    const urls = [config.controlPlaneApiUrl, config.local?.cognitoEndpoint, ...Object.values(config.local?.apiUrls ?? {})];
    for (const url of urls) {
      if (url) {
        origins.add(new URL(url).origin);
      }
    }
  }
  return [...origins];
}

export class LocalWebApps {
  /**
   * Serves both apps. Fails, naming what to do, if a build is missing (`npx projen bundle:web`) or a port is taken.
   */
  public static async start(options: LocalWebAppsOptions): Promise<LocalWebApps> {
    const root = path.resolve(options.buildRoot ?? WEB_BUILD_DIR);
    const dirs = {} as Record<WebApp, string>;
    for (const app of Object.keys(WEB_APPS) as WebApp[]) {
      const dir = path.join(root, WEB_APPS[app]);
      if (!fs.existsSync(path.join(dir, 'index.html'))) {
        throw new Error(`the ${appName(app)} is not built (${path.join(dir, 'index.html')} is missing): run npx projen bundle:web`);
      }
      dirs[app] = fs.realpathSync(dir);
    }
    const csp = contentSecurityPolicy(options.connectSources ?? connectSourcesOf(options.adminConsole, options.tenantApp));
    const apps = new LocalWebApps();
    try {
      for (const app of Object.keys(WEB_APPS) as WebApp[]) {
        const config = app === 'adminConsole' ? options.adminConsole : options.tenantApp;
        const server = http.createServer((req, res) => serve(dirs[app], config, csp, req, res));
        const port = options.ports?.[app] ?? Number(new URL(LOCAL_WEB_ORIGINS[app]).port);
        apps.servers[app] = server;
        await listen(server, port, app);
      }
    } catch (e) {
      await apps.stop();
      throw e;
    }
    return apps;
  }

  private readonly servers: Partial<Record<WebApp, http.Server>> = {};

  private constructor() {}

  /** Where each app is served (`http://127.0.0.1:<port>`, no trailing `/`): `LOCAL_WEB_ORIGINS` unless ports were given. */
  public get origins(): Record<WebApp, string> {
    const origin = (app: WebApp) => `http://127.0.0.1:${(this.servers[app]!.address() as net.AddressInfo).port}`;
    return { adminConsole: origin('adminConsole'), tenantApp: origin('tenantApp') };
  }

  public async stop(): Promise<void> {
    for (const server of Object.values(this.servers)) {
      if (server.listening) {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
    }
  }
}

function appName(app: WebApp): string {
  return app === 'adminConsole' ? 'admin console' : 'tenant app';
}

function listen(server: http.Server, port: number, app: WebApp): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const failed = (e: NodeJS.ErrnoException) => {
      reject(e.code === 'EADDRINUSE'
        ? new Error(`the ${appName(app)} cannot be served on 127.0.0.1:${port}: the port is in use (another npx projen local?)`)
        : e);
    };
    server.once('error', failed);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', failed);
      resolve();
    });
  });
}

/** Answers one request for an app whose build is in `dir` (a real path). */
function serve(dir: string, config: AdminConsoleConfig | TenantAppConfig, csp: string, req: http.IncomingMessage, res: http.ServerResponse): void {
  const answer = (status: number, body: Buffer | string, headers: Record<string, string> = {}) => {
    const data = typeof body === 'string' ? Buffer.from(body) : body;
    res.writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      ...headers,
      'content-length': String(data.length),
      'content-security-policy': csp,
      ...SECURITY_HEADERS,
    });
    res.end(req.method === 'HEAD' ? undefined : data);
  };
  try {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      answer(403, 'Forbidden\n');
      return;
    }
    // The path as sent (not normalized by a URL parser, which would turn `/a/../b` into `/b`), decoded by segment.
    const rawPath = (req.url ?? '/').split('?')[0].split('#')[0];
    const segments: string[] = [];
    for (const raw of rawPath.split('/').filter((s) => s !== '')) {
      let segment: string;
      try {
        segment = decodeURIComponent(raw);
      } catch {
        answer(400, 'Bad Request\n');
        return;
      }
      if (segment === '.' || segment === '..' || /[/\\\0]/.test(segment)) {
        answer(400, 'Bad Request\n');
        return;
      }
      segments.push(segment);
    }
    if (segments.length === 1 && segments[0] === WEB_CONFIG_FILE) {
      answer(200, `${JSON.stringify(config, null, 2)}\n`, { 'content-type': 'application/json', 'cache-control': NO_CACHE });
      return;
    }
    const file = fileUnder(dir, segments);
    if (file) {
      const name = segments[segments.length - 1] ?? 'index.html';
      const headers: Record<string, string> = { 'content-type': CONTENT_TYPES[path.extname(name).toLowerCase()] ?? 'application/octet-stream' };
      if (segments[0] === 'assets') {
        headers['cache-control'] = IMMUTABLE;
      } else if (segments.length <= 1 && name === 'index.html') {
        headers['cache-control'] = NO_CACHE;
      }
      answer(200, fs.readFileSync(file), headers);
      return;
    }
    // No such file: a route of the app (no extension) gets the app; a missing file, 403, as S3 answers CloudFront.
    const last = segments[segments.length - 1] ?? '';
    if (path.extname(last) !== '') {
      answer(403, 'Forbidden\n');
      return;
    }
    answer(200, fs.readFileSync(path.join(dir, 'index.html')), { 'content-type': CONTENT_TYPES['.html'], 'cache-control': NO_CACHE });
  } catch (e) {
    console.error(`local web apps: ${req.method} ${req.url}: ${(e as Error).stack ?? e}`);
    if (!res.headersSent) {
      answer(500, 'Internal Server Error\n');
    } else {
      res.destroy();
    }
  }
}

/** The regular file at these path segments of `dir` (`index.html` for none), if there is one and it is really under `dir`. */
function fileUnder(dir: string, segments: string[]): string | undefined {
  const candidate = path.resolve(dir, ...(segments.length === 0 ? ['index.html'] : segments));
  if (!isUnder(dir, candidate)) {
    return undefined;
  }
  let real: string;
  try {
    real = fs.realpathSync(candidate);
  } catch {
    return undefined;
  }
  // A symbolic link out of the build is no file of it.
  if (!isUnder(dir, real) || !fs.statSync(real).isFile()) {
    return undefined;
  }
  return real;
}

function isUnder(dir: string, file: string): boolean {
  const relative = path.relative(dir, file);
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}
