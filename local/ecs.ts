/**
 * ECS tasks run locally, from their task definitions in the template (docs/as-deployed.md):
 *
 * - A group of tasks (the services of one service group, which Service Connect lets reach each other by name) runs in
 *   a network namespace of its own, as awsvpc gives each task an interface of its own: its hosts file maps the group's
 *   Service Connect names to its loopback, and a link to this machine reaches the local AWS endpoint (`aws.local`) and
 *   the credentials endpoint at 169.254.170.2:80, where the ECS agent serves a task its role's credentials.
 * - A container runs its image as built: an image asset's Dockerfile is read (FROM, ARG, ENV, WORKDIR, COPY, USER,
 *   CMD, and a RUN that only tests the build arguments) and its files copied from the asset; the nginx image is
 *   Debian's nginx with the image's layout under /etc/nginx. The container gets exactly its task definition's
 *   environment and command, plus what ECS adds (credentials URI, execution environment) and the stand-ins' two
 *   (AWS_ENDPOINT_URL, NODE_EXTRA_CA_CERTS).
 *
 * Needs root (network namespaces), iproute2 and nginx: `npx projen local:setup` installs what is missing.
 */
import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import { randomBytes, randomUUID } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { AssemblyReader } from './assembly';
import { GatePrincipal } from './iam-gate';
import { LOCAL_AWS_HOST } from './tls';

/** Where ECS serves task role credentials (the ECS agent's address). */
export const CREDENTIALS_HOST = '169.254.170.2';

/**
 * Registrations of task credentials, shared by every process on this machine that runs tasks: the endpoint's address
 * is fixed (169.254.170.2:80), so only one process can serve it, and it must answer for the tasks of all of them.
 */
const CREDENTIALS_DIR = path.join(os.tmpdir(), 'local-ecs-credentials');
/** Every task network's addresses (a /24 each). */
const TASK_SUBNETS = '10.201.0.0/16';

/** Claims of the task subnets in use on this machine (TaskNetwork). */
const SUBNETS_DIR = path.join(os.tmpdir(), 'local-ecs-subnets');

/**
 * Creates (or checks) a directory that only root may write and read: the credentials of every task on this machine
 * and the subnet claims are kept in it, so a directory someone else created first is refused.
 */
function privateDirectory(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = fs.lstatSync(dir);
  if (!stat.isDirectory() || stat.uid !== process.getuid?.() || stat.mode % 0o100 !== 0) {
    throw new Error(`${dir} must be a directory of this user that no one else may read or write (mode 0700); remove it and run again`);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The ECS agent's credentials endpoint, stood in for on this machine. Several processes (test files run in parallel,
 * a `npx projen local` beside them) may run tasks at once: each registers its tasks' credentials in a directory only
 * root can read, whichever process holds the address serves them all, and when it stops another takes the address
 * over within a quarter of a second. The credentials it serves expire in 6 hours, so a task's SDK never asks twice
 * within a run.
 */
export class CredentialsEndpoint {
  public static async start(): Promise<CredentialsEndpoint> {
    const present = execFileSync('ip', ['-o', 'addr', 'show', 'dev', 'lo'], { encoding: 'utf8' }).includes(`${CREDENTIALS_HOST}/32`);
    if (!present) {
      try {
        execFileSync('ip', ['addr', 'add', `${CREDENTIALS_HOST}/32`, 'dev', 'lo'], { stdio: 'pipe' });
      } catch (e) {
        // Another process added it in between.
        if (!execFileSync('ip', ['-o', 'addr', 'show', 'dev', 'lo'], { encoding: 'utf8' }).includes(`${CREDENTIALS_HOST}/32`)) {
          throw e;
        }
      }
    }
    privateDirectory(CREDENTIALS_DIR);
    const endpoint = new CredentialsEndpoint();
    await endpoint.contend();
    return endpoint;
  }

  private readonly registered: string[] = [];
  private stopped = false;
  private retry?: NodeJS.Timeout;
  private readonly server = http.createServer((req, res) => {
    const c = readRegistration(req.url ?? '');
    if (!c) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({
      AccessKeyId: c.accessKeyId,
      SecretAccessKey: c.secretAccessKey,
      Token: c.sessionToken,
      Expiration: new Date(Date.now() + 6 * 3600_000).toISOString(),
      RoleArn: c.roleArn,
    }));
  });

  /** The relative credentials URI of a task whose role is this principal (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`). */
  public register(principal: GatePrincipal & { secretAccessKey: string; sessionToken: string }): string {
    const id = randomUUID();
    const file = path.join(CREDENTIALS_DIR, `${id}.json`);
    fs.writeFileSync(file, JSON.stringify(principal), { mode: 0o600 });
    this.registered.push(file);
    return `/v2/credentials/${id}`;
  }

  public async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    for (const file of this.registered.splice(0)) {
      fs.rmSync(file, { force: true });
    }
    if (this.server.listening) {
      this.server.closeAllConnections();
      await new Promise((r) => this.server.close(r));
    }
  }

  /** Binds the address, or, while another process holds it, tries again every 250 ms (that process serves us). */
  private async contend(): Promise<void> {
    const bound = await new Promise<boolean>((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException) => e.code === 'EADDRINUSE' ? resolve(false) : reject(e);
      this.server.once('error', onError);
      this.server.listen(80, CREDENTIALS_HOST, () => {
        this.server.off('error', onError);
        resolve(true);
      });
    });
    if (!bound && !this.stopped) {
      this.retry = setTimeout(() => void this.contend().catch(() => undefined), 250);
      this.retry.unref();
    }
  }
}

function readRegistration(url: string): (GatePrincipal & { secretAccessKey: string; sessionToken: string }) | undefined {
  const match = /^\/v2\/credentials\/([0-9a-f-]{36})$/.exec(url);
  if (!match) {
    return undefined;
  }
  try {
    return JSON.parse(fs.readFileSync(path.join(CREDENTIALS_DIR, `${match[1]}.json`), 'utf8'));
  } catch {
    return undefined;
  }
}

/** A network namespace for a group of tasks, linked to this machine. */
export class TaskNetwork {
  /** Creates the namespace; `names` are the Service Connect names its tasks reach each other by. */
  public static create(names: string[]): TaskNetwork {
    if (process.getuid?.() !== 0) {
      throw new Error('ECS tasks run locally in network namespaces, which need root: run the tests as root (CI does), or in a root container.');
    }
    const id = randomBytes(3).toString('hex');
    const subnet = TaskNetwork.claimSubnet();
    try {
      return new TaskNetwork(`lt${id}`, `10.201.${subnet}.1`, `10.201.${subnet}.2`, names, subnet);
    } catch (e) {
      fs.rmSync(path.join(SUBNETS_DIR, String(subnet)), { force: true });
      throw e;
    }
  }

  /**
   * A /24 of 10.201.0.0/16 that no other group on this machine uses, whichever process runs it: claimed by creating a
   * file named after it that holds the claiming process's id; a claim whose process is gone is taken over.
   */
  private static claimSubnet(): number {
    privateDirectory(SUBNETS_DIR);
    for (let attempt = 0; attempt < 2; attempt++) {
      for (let subnet = 10; subnet < 250; subnet++) {
        const file = path.join(SUBNETS_DIR, String(subnet));
        try {
          fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
          return subnet;
        } catch {
          if (attempt === 1 && !processAlive(Number(fs.readFileSync(file, 'utf8')))) {
            fs.rmSync(file, { force: true });
          }
        }
      }
    }
    throw new Error(`every task subnet of 10.201.0.0/16 is in use (claims in ${SUBNETS_DIR})`);
  }

  /** The namespace's /etc overrides (ip netns exec binds /etc/netns/<name>/* over /etc/*). */
  public readonly etc: string;
  private destroyed = false;
  private readonly processes: ChildProcess[] = [];

  private constructor(public readonly name: string, public readonly hostIp: string, public readonly taskIp: string, names: string[],
    private readonly subnet: number) {
    const host = `${name}h`;
    const task = `${name}t`;
    const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    ip('netns', 'add', name);
    ip('link', 'add', host, 'type', 'veth', 'peer', 'name', task);
    ip('link', 'set', task, 'netns', name);
    ip('addr', 'add', `${hostIp}/24`, 'dev', host);
    ip('link', 'set', host, 'up');
    ip('netns', 'exec', name, 'ip', 'addr', 'add', `${taskIp}/24`, 'dev', task);
    ip('netns', 'exec', name, 'ip', 'link', 'set', task, 'up');
    ip('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up');
    ip('netns', 'exec', name, 'ip', 'route', 'add', `${CREDENTIALS_HOST}/32`, 'via', hostIp);
    // As in a VPC, a task reaches the tasks of other groups (security groups are proven on the template, not here),
    // through this machine, which forwards between the groups' links.
    ip('netns', 'exec', name, 'ip', 'route', 'add', TASK_SUBNETS, 'via', hostIp);
    fs.writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
    this.etc = path.join('/etc/netns', name);
    fs.mkdirSync(this.etc, { recursive: true });
    fs.writeFileSync(path.join(this.etc, 'hosts'), `127.0.0.1 localhost ${names.join(' ')}\n${hostIp} ${LOCAL_AWS_HOST}\n`);
    // The VPC's resolver: the Cloud Map DNS stand-in on this network's host address (local/cloud-map-dns.ts).
    fs.writeFileSync(path.join(this.etc, 'resolv.conf'), `nameserver ${hostIp}\n`);
  }

  /** Starts a process in the namespace with exactly this environment. */
  public spawn(argv: string[], env: Record<string, string>, cwd: string): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.name, 'env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.processes.push(child);
    return child;
  }

  /** Runs a command in the namespace to its end; returns its exit status and output (standard output and error). */
  public run(argv: string[]): { status: number; output: string } {
    const result = spawnSync('ip', ['netns', 'exec', this.name, ...argv], { encoding: 'utf8' });
    return { status: result.status ?? 1, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
  }

  public async destroy(): Promise<void> {
    if (this.destroyed) {
      return; // once: a second call must not free a subnet another group has claimed since
    }
    this.destroyed = true;
    for (const child of this.processes) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
        clearTimeout(timer);
        child.kill('SIGKILL');
      }
    }
    try {
      execFileSync('ip', ['netns', 'del', this.name], { stdio: 'ignore' });
    } catch {
      // already gone
    }
    fs.rmSync(this.etc, { recursive: true, force: true });
    const claim = path.join(SUBNETS_DIR, String(this.subnet));
    if (readClaim(claim) === process.pid) {
      fs.rmSync(claim, { force: true });
    }
  }
}

/** The process id a subnet claim holds, or undefined. */
function readClaim(file: string): number | undefined {
  try {
    return Number(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** An image, ready to run: its files, working directory, environment and command. */
export interface LocalImage {
  /** The image's root, where its files were copied. */
  readonly root: string;
  readonly workdir: string;
  readonly env: Record<string, string>;
  readonly cmd: string[];
  /** Files the image puts under /etc (for the namespace's /etc overrides), by path under /etc. */
  readonly etc?: Record<string, string>;
}

/**
 * The nginx image's main configuration, as the official image has it, but for Debian's user and where the logs go
 * (errors to standard error, requests to /etc/nginx/access.log).
 */
const NGINX_IMAGE_CONF = [
  'user www-data;',
  'worker_processes auto;',
  'error_log stderr notice;',
  'pid /etc/nginx/nginx.pid;',
  'events {',
  '  worker_connections 1024;',
  '}',
  'http {',
  '  include /etc/nginx/mime.types;',
  '  default_type application/octet-stream;',
  '  log_format main \'$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"\';',
  // The image logs to /dev/stdout; a Node.js child's stdout is a socket nginx cannot open, so the log is a file here.
  '  access_log /etc/nginx/access.log main;',
  '  sendfile on;',
  '  keepalive_timeout 65;',
  '  include /etc/nginx/conf.d/*.conf;',
  '}',
  '',
].join('\n');

/**
 * The image a container definition names: an image asset of the assembly (built from its Dockerfile), or the nginx
 * image of the registry (Debian's nginx with the image's /etc/nginx).
 */
export function localImage(assembly: AssemblyReader, image: string): LocalImage {
  const asset = /:([0-9a-f]{64})$/.exec(image)?.[1];
  if (asset) {
    return buildImage(assembly, asset);
  }
  if (/(^|\/)nginx(:[\w.-]+)?$/.test(image.replace(/^public\.ecr\.aws\/nginx\//, 'nginx/'))) {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-image-nginx-'));
    return {
      root,
      workdir: root,
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
      cmd: ['nginx', '-g', 'daemon off;'],
      etc: {
        'nginx/nginx.conf': NGINX_IMAGE_CONF,
        'nginx/mime.types': fs.readFileSync('/etc/nginx/mime.types', 'utf8'),
        'nginx/conf.d/default.conf': '',
      },
    };
  }
  throw new Error(`image ${image} is not run locally: only the assembly's image assets and the nginx image are`);
}

/** Builds an image asset by reading its Dockerfile: the instructions our images use, nothing else. */
function buildImage(assembly: AssemblyReader, hash: string): LocalImage {
  const source = assembly.dockerImageAsset(hash);
  const context = path.join(assembly.dir, source.directory);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `local-image-${hash.slice(0, 8)}-`));
  const args: Record<string, string> = { ...source.buildArgs };
  const env: Record<string, string> = { PATH: `${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin` };
  let workdir = '/';
  let cmd: string[] = [];
  const expand = (s: string) => s.replace(/\$\{?(\w+)\}?/g, (_m, k) => args[k] ?? env[k] ?? '');
  const lines = fs.readFileSync(path.join(context, source.file ?? 'Dockerfile'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  for (const line of lines) {
    const [instruction, ...rest] = line.split(/\s+/);
    const value = rest.join(' ');
    switch (instruction.toUpperCase()) {
      case 'FROM':
        if (!/^(public\.ecr\.aws\/docker\/library\/)?node:/.test(value)) {
          throw new Error(`image asset ${hash}: FROM ${value} is not run locally (node images only)`);
        }
        break;
      case 'ARG': {
        const [name, def] = value.split('=');
        args[name] ??= def ?? '';
        break;
      }
      case 'ENV': {
        const m = /^(\w+)[= ](.*)$/.exec(value)!;
        env[m[1]] = expand(m[2]);
        break;
      }
      case 'WORKDIR':
        workdir = path.posix.resolve(workdir, expand(value));
        fs.mkdirSync(path.join(root, workdir), { recursive: true });
        break;
      case 'COPY': {
        const [from, to] = rest.map(expand);
        const target = path.join(root, path.posix.resolve(workdir, to));
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.cpSync(path.join(context, from), target, { recursive: true });
        break;
      }
      case 'RUN':
        // The only RUN our images have checks a build argument: run it with the arguments.
        if (!/^test -n /.test(value)) {
          throw new Error(`image asset ${hash}: RUN ${value} is not run locally`);
        }
        execFileSync('sh', ['-c', value], { env: { ...args, PATH: '/usr/bin:/bin' }, stdio: 'ignore' });
        break;
      case 'USER':
        break; // the process runs as the test's user
      case 'CMD':
        cmd = JSON.parse(value);
        break;
      default:
        throw new Error(`image asset ${hash}: ${instruction} is not run locally`);
    }
  }
  return { root, workdir: path.join(root, workdir), env, cmd };
}
