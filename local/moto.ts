/**
 * moto in server mode: the local AWS API emulator (DynamoDB, Cognito with real tokens and JWKS, EventBridge, SQS,
 * API Gateway, STS). Installed into `.venv` by `npx projen local:setup` from local/requirements.txt.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';

export const REPO_ROOT = path.join(__dirname, '..');
const MOTO_SERVER = path.join(REPO_ROOT, '.venv', 'bin', 'moto_server');

/** The account and Region moto serves by default. */
export const LOCAL_ACCOUNT = '123456789012';
export const LOCAL_REGION = 'us-east-1';

/**
 * moto's server, answering one request at a time: moto's DynamoDB transactions check their conditions and write
 * without a lock, so concurrent requests to the threaded server can both pass a condition DynamoDB would fail for one.
 * Serving one request at a time makes each transaction atomic, as DynamoDB's are; the requests still interleave.
 */
const SERIAL_SERVER = [
  'import sys',
  'from werkzeug.serving import run_simple',
  'from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app',
  'from moto.server import MotoRequestHandler',
  'run_simple(sys.argv[1], int(sys.argv[2]), DomainDispatcherApplication(create_backend_app), threaded=False, request_handler=MotoRequestHandler)',
].join('\n');

export interface MotoServerOptions {
  /**
   * Serve one request at a time (atomic DynamoDB transactions under concurrent requests).
   *
   * @default false: moto_server's threaded server
   */
  readonly serial?: boolean;
}

export class MotoServer {
  /** Starts a server on a free loopback port and waits until it answers. */
  public static async start(options: MotoServerOptions = {}): Promise<MotoServer> {
    if (!fs.existsSync(MOTO_SERVER)) {
      throw new Error(`moto is not installed at ${MOTO_SERVER}: run \`npx projen local:setup\` (the tests do).`);
    }
    const port = await freePort();
    // TOTP codes are checked at sign-in and when a software token is verified, as Cognito checks them.
    const env = { ...process.env, MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP: 'true', MOTO_PORT: String(port) };
    const child = options.serial
      ? spawn(path.join(path.dirname(MOTO_SERVER), 'python'), ['-c', SERIAL_SERVER, '127.0.0.1', String(port)], { stdio: ['ignore', 'ignore', 'pipe'], env })
      : spawn(MOTO_SERVER, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'], env });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    const server = new MotoServer(child, `http://127.0.0.1:${port}`);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) {
        throw new Error(`moto_server exited with ${child.exitCode}: ${stderr}`);
      }
      try {
        const res = await fetch(`${server.endpoint}/moto-api/data.json`);
        if (res.ok) {
          return server;
        }
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill();
    throw new Error(`moto_server did not answer on port ${port} within 30 s: ${stderr}`);
  }

  private constructor(private readonly child: ChildProcess, public readonly endpoint: string) {}

  public async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill();
      await exited;
    }
  }
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
