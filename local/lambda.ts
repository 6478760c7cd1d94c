/**
 * A Lambda function run the way Lambda runs it: its code directory from the assembly, its handler string, the
 * environment its template gives it and nothing else from this machine, started by the real runtime interface client
 * (`aws-lambda-ric`, installed into local/ric/node_modules by `npx projen local:setup`) against a local Runtime API.
 *
 * So the handler receives `(event, context)` from the same client code AWS uses, the module is loaded by the same
 * loader, and its errors are reported in the same shape (`errorType`, `errorMessage`, `trace`).
 *
 * Known differences from AWS, on purpose: the process runs this machine's Node.js (the template's runtime is
 * recorded in `runtime`); the AWS SDK the Lambda runtime provides is stood in for by the repository's own
 * `node_modules` (`NODE_PATH`); one process serves one invocation at a time.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { REPO_ROOT } from './moto';

const RIC = path.join(REPO_ROOT, 'local', 'ric', 'node_modules', 'aws-lambda-ric', 'index.mjs');
const RUNTIME_API = '/2018-06-01/runtime';

/** What a function needs to run. */
export interface LocalLambdaOptions {
  readonly functionName: string;
  readonly functionArn: string;
  readonly codeDir: string;
  readonly handler: string;
  readonly runtime: string;
  /** The function's own environment variables, resolved. */
  readonly environment: Record<string, string>;
  /** Credentials of its role (the local IAM gate knows them). */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken: string };
  /** The endpoint all AWS calls go to (the local IAM gate). */
  readonly awsEndpoint: string;
  /** The certificate file of that endpoint, trusted through NODE_EXTRA_CA_CERTS. */
  readonly endpointCertificate: string;
  readonly region: string;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  /** Log lines the function writes. Default: kept in `logs` only. */
  readonly onLog?: (line: string) => void;
}

/** A function error, as Lambda reports it (`X-Amz-Function-Error: Unhandled`). */
export interface FunctionError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace?: string[];
}

/** The result of an invocation: the payload, or the function's error. */
export type InvokeResult =
  | { readonly payload: unknown; readonly error?: undefined }
  | { readonly payload?: undefined; readonly error: FunctionError };

interface Pending {
  readonly id: string;
  readonly event: unknown;
  readonly resolve: (r: InvokeResult) => void;
}

export class LocalLambda {
  /** Everything the function wrote to stdout and stderr. */
  public readonly logs: string[] = [];
  /** Invocations so far. */
  public invocations = 0;
  private readonly server: http.Server;
  private readonly queue: Pending[] = [];
  private waiting?: http.ServerResponse;
  private current?: Pending & { timer: NodeJS.Timeout };
  private child?: ChildProcess;
  private initError?: FunctionError;
  private started?: Promise<void>;
  private sequence = 0;

  constructor(public readonly options: LocalLambdaOptions) {
    if (!fs.existsSync(RIC)) {
      throw new Error(`aws-lambda-ric is not installed at ${RIC}: run \`npx projen local:setup\` (the tests do).`);
    }
    this.server = http.createServer((req, res) => this.runtimeApi(req, res));
  }

  /** Invokes the function synchronously (`RequestResponse`), as `lambda:Invoke` would. */
  public async invoke(event: unknown): Promise<InvokeResult> {
    await this.start();
    this.invocations++;
    if (this.initError) {
      return { error: this.initError };
    }
    return new Promise((resolve) => {
      this.queue.push({ id: `local-${++this.sequence}-${Date.now()}`, event, resolve });
      this.dispatch();
    });
  }

  public async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null) {
      const exited = new Promise((r) => this.child!.once('exit', r));
      this.child.kill('SIGKILL');
      await exited;
    }
    this.waiting?.destroy();
    if (this.server.listening) {
      this.server.closeAllConnections();
      await new Promise((r) => this.server.close(r));
    }
  }

  private start(): Promise<void> {
    this.started ??= new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve)).then(() => this.spawnRuntime());
    return this.started;
  }

  /** The Lambda execution environment: only what Lambda sets, plus the function's own variables. */
  private spawnRuntime(): void {
    const o = this.options;
    const port = (this.server.address() as { port: number }).port;
    const env: Record<string, string> = {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      LAMBDA_TASK_ROOT: o.codeDir,
      _HANDLER: o.handler,
      AWS_EXECUTION_ENV: `AWS_Lambda_${o.runtime}`,
      AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}`,
      AWS_LAMBDA_FUNCTION_NAME: o.functionName,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(o.memorySize),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${o.functionName}`,
      AWS_LAMBDA_LOG_STREAM_NAME: `local/[$LATEST]${Date.now()}`,
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_REGION: o.region,
      AWS_DEFAULT_REGION: o.region,
      AWS_ACCESS_KEY_ID: o.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: o.credentials.secretAccessKey,
      AWS_SESSION_TOKEN: o.credentials.sessionToken,
      // The stand-ins: AWS calls go to the local IAM gate; the runtime's AWS SDK is the repository's.
      AWS_ENDPOINT_URL: o.awsEndpoint,
      NODE_EXTRA_CA_CERTS: o.endpointCertificate,
      NODE_PATH: path.join(REPO_ROOT, 'node_modules'),
      ...o.environment,
    };
    const child = spawn(process.execPath, [RIC], { cwd: o.codeDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [child.stdout!, child.stderr!]) {
      let partial = '';
      stream.on('data', (d: Buffer) => {
        const lines = (partial + d.toString('utf8')).split('\n');
        partial = lines.pop()!;
        for (const line of lines) {
          this.logs.push(line);
          o.onLog?.(line);
        }
      });
    }
    child.on('exit', (code, signal) => {
      const error = { errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${this.current?.id} Error: Runtime exited with error: ${signal ?? `exit status ${code}`}` };
      if (this.current) {
        this.finish(this.current.id, { error });
      }
      this.child = undefined;
      this.waiting = undefined;
      if (this.queue.length > 0 || this.current) {
        this.spawnRuntime(); // Lambda starts a new environment for the next invocation
      }
    });
    this.child = child;
  }

  private dispatch(): void {
    if (!this.waiting || this.current || this.queue.length === 0) {
      if (!this.child && this.queue.length > 0 && this.started) {
        this.spawnRuntime();
      }
      return;
    }
    const next = this.queue.shift()!;
    const res = this.waiting;
    this.waiting = undefined;
    const deadline = Date.now() + this.options.timeoutSeconds * 1000;
    const timer = setTimeout(() => {
      this.finish(next.id, { error: { errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${this.options.timeoutSeconds.toFixed(2)} seconds` } });
      this.child?.kill('SIGKILL');
    }, this.options.timeoutSeconds * 1000);
    this.current = { ...next, timer };
    res.writeHead(200, {
      'content-type': 'application/json',
      'lambda-runtime-aws-request-id': next.id,
      'lambda-runtime-deadline-ms': String(deadline),
      'lambda-runtime-invoked-function-arn': this.options.functionArn,
      'lambda-runtime-trace-id': `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${next.id.replace(/\W/g, '').padEnd(24, '0').slice(0, 24)};Sampled=0`,
    });
    res.end(JSON.stringify(next.event));
  }

  private finish(id: string, result: InvokeResult): void {
    if (this.current?.id !== id) {
      return;
    }
    clearTimeout(this.current.timer);
    const { resolve } = this.current;
    this.current = undefined;
    resolve(result);
    this.dispatch();
  }

  private runtimeApi(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = req.url ?? '';
      if (req.method === 'GET' && url === `${RUNTIME_API}/invocation/next`) {
        this.waiting = res;
        this.dispatch();
        return;
      }
      const response = new RegExp(`^${RUNTIME_API}/invocation/([^/]+)/(response|error)$`).exec(url);
      if (req.method === 'POST' && response) {
        const id = decodeURIComponent(response[1]);
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end('{"status":"OK"}');
        this.finish(id, response[2] === 'response' ? { payload: body ? JSON.parse(body) : null } : { error: parseError(body) });
        return;
      }
      if (req.method === 'POST' && url === `${RUNTIME_API}/init/error`) {
        this.initError = parseError(body);
        res.writeHead(202);
        res.end('{"status":"OK"}');
        if (this.current) {
          this.finish(this.current.id, { error: this.initError });
        }
        for (const p of this.queue.splice(0)) {
          p.resolve({ error: this.initError });
        }
        return;
      }
      res.writeHead(404);
      res.end();
    });
  }
}

function parseError(body: string): FunctionError {
  try {
    const e = JSON.parse(body);
    return { errorType: e.errorType ?? 'Error', errorMessage: e.errorMessage ?? '', trace: e.trace ?? e.stackTrace };
  } catch {
    return { errorType: 'Runtime.Unknown', errorMessage: body };
  }
}
