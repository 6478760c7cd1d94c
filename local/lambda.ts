/**
 * A Lambda function run the way Lambda runs it: its code directory from the assembly, its handler string, the
 * environment its template gives it and nothing else from this machine, started by the real runtime interface client
 * (`aws-lambda-ric`, installed into local/ric/node_modules by `npx projen local:setup`) against a local Runtime API.
 *
 * So the handler receives `(event, context)` from the same client code AWS uses, the module is loaded by the same
 * loader, and its errors are reported in the same shape (`errorType`, `errorMessage`, `trace`).
 *
 * A function whose runtime is `python*` runs under the real Python runtime interface client (`awslambdaric`, PyPI) from
 * `.venv-lambda-python`, which holds what the runtime provides (boto3); its layers are the directories
 * `.venv-lambda-python/layers/<name>/python` that stand for them (local/requirements-lambda-python.txt), on
 * `PYTHONPATH` after the code, where `/opt/python` would be. A layer the harness does not know is refused.
 *
 * Known differences from AWS, on purpose: the process runs this machine's Node.js or Python 3.11 (the template's
 * runtime is recorded in `runtime`); the AWS SDK the Node.js runtime provides is stood in for by the repository's own
 * `node_modules` (`NODE_PATH`); one process serves one invocation at a time.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import type { LambdaFunctionArtifact } from './assembly';
import { ExecuteApiProxy } from './http-api';
import { REPO_ROOT } from './moto';

const RIC = path.join(REPO_ROOT, 'local', 'ric', 'node_modules', 'aws-lambda-ric', 'index.mjs');
/** What Python functions run on: the runtime (awslambdaric, boto3) and the known layers (scripts/setup-local.sh). */
const PYTHON_VENV = path.join(REPO_ROOT, '.venv-lambda-python');
const PYTHON_REQUIREMENTS = path.join(REPO_ROOT, 'local', 'requirements-lambda-python.txt');
/** Public layers the harness stands in for, by ARN (any region): the section of local/requirements-lambda-python.txt. */
const KNOWN_LAYER_ARNS: Array<[RegExp, string]> = [
  [/^arn:aws:lambda:[a-z0-9-]+:017000801446:layer:AWSLambdaPowertoolsPythonV2:59$/, 'powertools'],
];
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
  /** The function's layers, in the template's order (`lambdaLayers`). A layer the harness does not know is refused. */
  readonly layers?: readonly LambdaLayer[];
  /** Log lines the function writes. Default: kept in `logs` only. */
  readonly onLog?: (line: string) => void;
}

/** A layer of a function: a published layer's ARN, or the code directory of a layer version of the assembly. */
export interface LambdaLayer {
  readonly arn?: string;
  readonly codeDir?: string;
}

/** A function's layers, resolved: ARNs evaluated, layer versions of its template by their asset directories. */
export async function lambdaLayers(artifact: LambdaFunctionArtifact, resolve: (value: unknown) => Promise<any>): Promise<LambdaLayer[]> {
  const out: LambdaLayer[] = [];
  for (const layer of artifact.layers) {
    out.push(layer.codeDir ? { codeDir: layer.codeDir } : { arn: String(await resolve(layer.arn)) });
  }
  return out;
}

/**
 * The directory that stands for a layer's `/opt/python`: for a known public layer, its section of
 * local/requirements-lambda-python.txt; for a layer version of the assembly, its own `python/` directory if it is
 * bundled, else (an un-bundled Python layer: a `requirements.txt`) the section that pins every requirement it lists.
 */
export function pythonLayerDir(layer: LambdaLayer): string {
  const installed = (section: string) => {
    const dir = path.join(PYTHON_VENV, 'layers', section, 'python');
    if (!fs.existsSync(dir)) {
      throw new Error(`the stand-in for layer ${layer.arn ?? layer.codeDir} is not installed at ${dir}: run \`npx projen local:setup\``);
    }
    return dir;
  };
  if (layer.arn) {
    const known = KNOWN_LAYER_ARNS.find(([re]) => re.test(layer.arn!));
    if (!known) {
      throw new Error(`layer ${layer.arn} is not known to the local environment: add its stand-in to local/requirements-lambda-python.txt and KNOWN_LAYER_ARNS (local/lambda.ts)`);
    }
    return installed(known[1]);
  }
  const dir = layer.codeDir!;
  if (fs.existsSync(path.join(dir, 'python'))) {
    return path.join(dir, 'python');
  }
  const requirementsFile = path.join(dir, 'requirements.txt');
  if (!fs.existsSync(requirementsFile)) {
    throw new Error(`layer ${dir} has neither python/ nor requirements.txt: the local environment does not know how to stand in for it`);
  }
  const wanted = requirementLines(fs.readFileSync(requirementsFile, 'utf8'));
  const sections = requirementSections(fs.readFileSync(PYTHON_REQUIREMENTS, 'utf8'));
  const match = Object.entries(sections).find(([name, pins]) => name.startsWith('layer-') && wanted.every((w) => pins.includes(w)));
  if (wanted.length === 0 || !match) {
    throw new Error(`layer ${dir} requires ${JSON.stringify(wanted)}, which no layer section of local/requirements-lambda-python.txt pins`);
  }
  return installed(match[0].slice('layer-'.length));
}

function requirementLines(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/#.*/, '').trim().toLowerCase().replace(/_/g, '-')).filter(Boolean);
}

/** The sections (`# [name]`) of local/requirements-lambda-python.txt and their pins. */
function requirementSections(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let current: string | undefined;
  for (const line of text.split('\n')) {
    const header = /^# \[([\w-]+)\]/.exec(line);
    if (header) {
      current = header[1];
      out[current] = [];
    } else if (current) {
      out[current].push(...requirementLines(line));
    }
  }
  return out;
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
  /** For a Python function: its layers' stand-in directories, in PYTHONPATH order. */
  private readonly pythonLayers: string[] = [];
  private proxy?: Promise<string>;
  private proxyUrl?: string;

  constructor(public readonly options: LocalLambdaOptions) {
    if (this.python) {
      if (!fs.existsSync(path.join(PYTHON_VENV, 'bin', 'python'))) {
        throw new Error(`${PYTHON_VENV} is not installed: run \`npx projen local:setup\` (the tests do).`);
      }
      // Lambda extracts the layers into /opt in order, a later one over an earlier: so the later comes first here.
      this.pythonLayers = (options.layers ?? []).map(pythonLayerDir).reverse();
    } else {
      if (!fs.existsSync(RIC)) {
        throw new Error(`aws-lambda-ric is not installed at ${RIC}: run \`npx projen local:setup\` (the tests do).`);
      }
      if ((options.layers ?? []).length > 0) {
        throw new Error(`${options.functionName}: layers of Node.js functions are not known to the local environment (${JSON.stringify(options.layers)})`);
      }
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

  /** Whether the function runs on a Python runtime (`python3.12`...). */
  public get python(): boolean {
    return this.options.runtime.startsWith('python');
  }

  public async stop(): Promise<void> {
    if (this.proxy) {
      this.proxy = undefined;
      await ExecuteApiProxy.release();
    }
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
    this.started ??= new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
      .then(async () => {
        if (this.python) {
          this.proxyUrl = await (this.proxy = ExecuteApiProxy.acquire());
        }
      })
      .then(() => this.spawnRuntime());
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
      // The stand-in: AWS calls go to the local IAM gate.
      AWS_ENDPOINT_URL: o.awsEndpoint,
    };
    let argv: string[];
    if (this.python) {
      Object.assign(env, {
        LAMBDA_RUNTIME_DIR: path.join(PYTHON_VENV, 'lib'),
        // The code, then the layers where /opt/python would be; the runtime's packages (boto3) are the venv's own.
        PYTHONPATH: [o.codeDir, ...this.pythonLayers].join(':'),
        // The gate's certificate (which also covers *.execute-api.<region>.amazonaws.com) for botocore and requests.
        AWS_CA_BUNDLE: o.endpointCertificate,
        REQUESTS_CA_BUNDLE: o.endpointCertificate,
        // Requests to an HTTP API's own URL reach its local stand-in through this proxy, which refuses other hosts
        // and every plain-HTTP request (so no http:// URL bypasses it); the AWS SDK's calls to the gate bypass it.
        HTTPS_PROXY: this.proxyUrl!,
        https_proxy: this.proxyUrl!,
        HTTP_PROXY: this.proxyUrl!,
        http_proxy: this.proxyUrl!,
        NO_PROXY: `127.0.0.1,localhost,${new URL(o.awsEndpoint).hostname}`,
        no_proxy: `127.0.0.1,localhost,${new URL(o.awsEndpoint).hostname}`,
      });
      argv = [path.join(PYTHON_VENV, 'bin', 'python'), '-m', 'awslambdaric', o.handler];
    } else {
      Object.assign(env, {
        NODE_EXTRA_CA_CERTS: o.endpointCertificate,
        // The runtime's AWS SDK is the repository's.
        NODE_PATH: path.join(REPO_ROOT, 'node_modules'),
      });
      argv = [process.execPath, RIC];
    }
    Object.assign(env, o.environment);
    const child = spawn(argv[0], argv.slice(1), { cwd: o.codeDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
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
