/**
 * Benchmark section: one of the example's services as deployed (docs/as-deployed.md), under load, direct and through
 * the tenant proxy (nginx), with the proxy's configuration as generated today (upstream keep-alive) and as it was
 * before (no upstream keep-alive). Prints figures; asserts nothing (docs/PERFORMANCE.md).
 *
 * The basic tier's service group runs as the deployed tests run it (test/deployed/services.deployed.test.ts): the
 * example synthesized with an OpenID Connect issuer for the basic tier, every container from its image with its task
 * definition's environment, in a network namespace of the group's, its AWS calls through the local IAM gate to the
 * emulator. The load is `GET /products` of tenants holding 20 products each, sent by one Node.js client with a
 * keep-alive agent (as a load balancer keeps its connections to a target open).
 *
 * Needs root (network namespaces) and nginx, as the deployed tests do; without them the section says so and is skipped.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { LocalEnvironment, LocalServiceGroup } from '../local/environment';
import { PROXY_PORT } from '../src/tiers/nginx';
import { APPLICATION_PLANE, synthesizeExample } from '../test/deployed/example';
import { localOidcSharedIssuer, oidcAdminToken, request, startLocalOidc } from '../test/deployed/services-support';

export interface SectionOutput {
  readonly print: (line?: string) => void;
  readonly table: (head: string[], rows: Array<Array<string | number>>) => void;
}

/** The products container's port (its task definition's port mapping). */
const PRODUCTS_PORT = 3010;
const PRODUCTS_PER_TENANT = 20;
const CONCURRENCY = 50;
/** Where the proxy's configuration is, under the group's /etc (the task's command writes it there). */
const PROXY_CONF = 'nginx/conf.d/default.conf';

/** One measured case: the port requests go to (the products container's, or the proxy's), and the proxy's configuration. */
interface Case {
  readonly name: string;
  readonly port: number;
  /** The proxy's configuration for this case (written and reloaded before it runs); none for the direct case. */
  readonly proxyConf?: string;
}

export interface ServicesUnderLoadOptions extends SectionOutput {
  readonly smoke: boolean;
  /** More proxy configurations to measure, each made from the generated one (for trying other tunings). */
  readonly proxyVariants?: Array<{ readonly name: string; readonly transform: (conf: string) => string }>;
}

export async function servicesUnderLoad(o: ServicesUnderLoadOptions): Promise<void> {
  const { print, smoke } = o;
  // The cases take turns, round after round, so that a drift of the machine (or of the emulator) is shared by all.
  const rounds = smoke ? 1 : 3;
  const seconds = smoke ? 1.5 : 8;
  const serialSeconds = smoke ? 1 : 4;
  const warmupSeconds = smoke ? 0.5 : 2;
  const tenants = smoke ? 2 : 5;
  print('## A service as deployed under load: GET /products of the basic tier, direct and through the tenant proxy (nginx)');
  const missing = process.getuid?.() !== 0 ? 'root (network namespaces)' : !hasNginx() ? 'nginx (`npx projen local:setup`)' : undefined;
  if (missing) {
    print(`Skipped: needs ${missing}, as the as-deployed tests do.`);
    print();
    return;
  }
  const started = Date.now();
  const synthesized = synthesizeExample({
    sharedIssuer: localOidcSharedIssuer(),
  });
  let env: LocalEnvironment | undefined;
  let group: LocalServiceGroup | undefined;
  try {
    env = await LocalEnvironment.start(synthesized.outdir);
    const oidc = startLocalOidc(env);
    group = await env.startServiceGroup(APPLICATION_PLANE, `${APPLICATION_PLANE}/Basic/Services`);
    const tokens = await Promise.all(Array.from({ length: tenants }, (_, i) => oidcAdminToken(oidc, `bench-${i}`, 'basic')));
    await seedProducts(group, tokens);
    const first = await get(group.network.taskIp, PRODUCTS_PORT, tokens[0]);
    if (first.status !== 200 || JSON.parse(first.body).items?.length !== PRODUCTS_PER_TENANT) {
      throw new Error(`GET /products direct to the products container answered ${first.status}: ${first.body.slice(0, 200)}`);
    }

    const conf = fs.readFileSync(path.join(group.network.etc, PROXY_CONF), 'utf8');
    const cases: Case[] = [
      { name: 'direct to the products container', port: PRODUCTS_PORT },
      { name: 'through nginx, upstream keep-alive (today)', port: PROXY_PORT, proxyConf: conf },
      { name: 'through nginx, no upstream keep-alive (before)', port: PROXY_PORT, proxyConf: withoutUpstreamKeepalive(conf) },
      ...(o.proxyVariants ?? []).map((v) => ({ name: v.name, port: PROXY_PORT, proxyConf: v.transform(conf) })),
    ];
    const pids = { products: group.container('products').pid!, proxy: group.container('proxy').pid! };
    print(`Each case: ${rounds} round${rounds > 1 ? 's' : ''} (the cases taking turns) of ${warmupSeconds} s warm-up, ${seconds} s measured with ` +
      `${CONCURRENCY} requests at a time and ${serialSeconds} s with one at a time; one Node.js client with a keep-alive agent, ` +
      `${tenants} tenants' tokens in turn, ${PRODUCTS_PER_TENANT} products each (one page). nginx ${nginxVersion()}, ` +
      `\`worker_processes auto\` (${workerPids(pids.proxy).length} workers).`);
    print();
    const loaded = cases.map(() => emptySample());
    const serial = cases.map(() => emptySample());
    for (let round = 0; round < rounds; round++) {
      for (const [i, c] of cases.entries()) {
        if (c.proxyConf !== undefined) {
          await reloadProxy(group, pids.proxy, c.proxyConf);
        }
        await load(group.network.taskIp, c.port, tokens, warmupSeconds, CONCURRENCY);
        add(loaded[i], await measure(group, c, pids, tokens, seconds, CONCURRENCY));
        add(serial[i], await measure(group, c, pids, tokens, serialSeconds, 1));
      }
    }
    report(o, `${CONCURRENCY} requests at a time`, cases, loaded);
    report(o, 'one request at a time', cases, serial);
    print('Server CPU is the user + system time (/proc/<pid>/stat) of the products process, and for the proxied cases of nginx\'s master');
    print('and workers, over the requests of the measured runs. "Connections opened" are the TCP connections opened from inside the');
    print('task\'s network namespace during the runs (its TcpActiveOpens): nginx\'s to the service, and the service\'s own to the AWS endpoint.');
    print(`Section wall time ${((Date.now() - started) / 1000).toFixed(0)} s, set-up included.`);
    print();
  } finally {
    await group?.stop();
    await env?.stop();
    fs.rmSync(synthesized.outdir, { recursive: true, force: true });
  }
}

/** What the runs of a case measured, added up. */
interface Sample {
  readonly latencies: number[];
  errors: number;
  seconds: number;
  /** Clock ticks of CPU time: the server side's (products, and nginx when proxied), and nginx's. */
  serverTicks: number;
  nginxTicks: number;
  opened: number;
}

function emptySample(): Sample {
  return { latencies: [], errors: 0, seconds: 0, serverTicks: 0, nginxTicks: 0, opened: 0 };
}

function add(total: Sample, s: Sample): void {
  s.latencies.forEach((l) => total.latencies.push(l));
  total.errors += s.errors;
  total.seconds += s.seconds;
  total.serverTicks += s.serverTicks;
  total.nginxTicks += s.nginxTicks;
  total.opened += s.opened;
}

/** Runs one case for `seconds` at `concurrency`, and reads the server side's CPU time and connections around it. */
async function measure(group: LocalServiceGroup, c: Case, pids: { products: number; proxy: number }, tokens: string[],
  seconds: number, concurrency: number): Promise<Sample> {
  const server = c.proxyConf !== undefined ? [pids.products, pids.proxy] : [pids.products];
  const cpu0 = treeTicks(server);
  const nginx0 = treeTicks([pids.proxy]);
  const opened0 = activeOpens(group);
  const run = await load(group.network.taskIp, c.port, tokens, seconds, concurrency);
  return {
    ...run,
    serverTicks: treeTicks(server) - cpu0,
    nginxTicks: treeTicks([pids.proxy]) - nginx0,
    opened: activeOpens(group) - opened0,
  };
}

/** One table of results, and the proxy's cost over the direct case, before and after upstream keep-alive. */
function report(o: SectionOutput, title: string, cases: Case[], samples: Sample[]): void {
  const usPerTick = 1e6 / clockTicks();
  const rows = samples.map((s, i) => {
    const n = s.latencies.length;
    return {
      name: cases[i].name,
      perSecond: n / s.seconds,
      p50: percentile(s.latencies, 0.5),
      p99: percentile(s.latencies, 0.99),
      cpuUs: s.serverTicks * usPerTick / n,
      nginxUs: cases[i].proxyConf !== undefined ? s.nginxTicks * usPerTick / n : undefined,
      errors: `${s.errors} of ${n}`,
      opened: s.opened,
    };
  });
  o.print(`### ${title}`);
  o.table(['case', 'requests/s', 'p50 ms', 'p99 ms', 'server CPU µs/request', 'of which nginx µs/request', 'errors', 'connections opened'],
    rows.map((r) => [r.name, r.perSecond.toFixed(0), r.p50.toFixed(1), r.p99.toFixed(1), r.cpuUs.toFixed(0),
      r.nginxUs === undefined ? '-' : r.nginxUs.toFixed(0), r.errors, r.opened]));
  const [direct, after, before] = rows;
  const relative = (r: typeof direct) => `${signed((r.cpuUs - direct.cpuUs) / direct.cpuUs * 100, 0)}% CPU per request and ${signed(r.p50 - direct.p50, 1)} ms at p50`;
  o.print(`The proxy's cost over direct, ${title}: before (no upstream keep-alive) ${relative(before)}; after (keep-alive) ${relative(after)}.`);
  o.print();
}

/**
 * The proxy's configuration as generated before upstream keep-alive: each `upstream <name> { server <host:port>; ... }`
 * block removed and its `proxy_pass http://<name>;` sent straight to `http://<host:port>` (nginx then speaks HTTP/1.0
 * to the service and closes each connection), without `proxy_http_version 1.1;` and `proxy_set_header Connection "";`.
 * Everything else is as generated.
 */
export function withoutUpstreamKeepalive(conf: string): string {
  const servers = new Map<string, string>();
  let out = conf.replace(/^upstream (\S+) \{\n\s*server ([^;\s]+);\n(?:\s*keepalive[^\n]*\n)*\}\n/gm, (_m, name: string, server: string) => {
    servers.set(name, server);
    return '';
  });
  if (servers.size === 0) {
    throw new Error('the proxy configuration has no upstream block: the "before" variant cannot be made from it');
  }
  out = out.replace(/proxy_pass http:\/\/(\w+);/g, (m, name: string) => servers.has(name) ? `proxy_pass http://${servers.get(name)};` : m);
  out = out.replace(/^\s*proxy_http_version 1\.1;\n/gm, '').replace(/^\s*proxy_set_header Connection "";\n/gm, '');
  if (/upstream|keepalive|proxy_http_version|Connection ""/.test(out)) {
    throw new Error(`the "before" variant still keeps upstream connections alive:\n${out}`);
  }
  return out;
}

/** Writes the proxy's configuration, checks it, reloads nginx, and waits until only the new workers run. */
async function reloadProxy(group: LocalServiceGroup, master: number, conf: string): Promise<void> {
  fs.writeFileSync(path.join(group.network.etc, PROXY_CONF), conf);
  const old = new Set(workerPids(master));
  for (const argv of [['nginx', '-t', '-q'], ['nginx', '-s', 'reload']]) {
    const r = group.network.run(argv);
    if (r.status !== 0) {
      throw new Error(`${argv.join(' ')} failed: ${r.output}`);
    }
  }
  const deadline = Date.now() + 10_000;
  for (;;) {
    const now = workerPids(master);
    if (now.length > 0 && now.every((p) => !old.has(p))) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`nginx did not replace its workers within 10 s after a reload (workers ${now.join(', ')})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Creates the tenants' products through the proxy, a few at a time. */
async function seedProducts(group: LocalServiceGroup, tokens: string[]): Promise<void> {
  const jobs = tokens.flatMap((token, t) => Array.from({ length: PRODUCTS_PER_TENANT }, (_, i) => ({ token, body: { name: `Product ${t}-${i}`, price: 1 + i, sku: `SKU-${t}-${i}` } })));
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      const r = await request(group, 'POST', '/products', { token: job.token, body: JSON.stringify(job.body) });
      if (r.status !== 201) {
        throw new Error(`POST /products answered ${r.status}: ${r.body.slice(0, 200)}`);
      }
    }
  }));
}

/**
 * `concurrency` requests at a time for `seconds`, over one keep-alive agent (its sockets closed afterwards): the
 * latency of each request (ms) and the errors (a status other than 2xx, a socket error, no answer in 10 s).
 */
async function load(host: string, port: number, tokens: string[], seconds: number, concurrency: number):
Promise<{ latencies: number[]; errors: number; seconds: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let errors = 0;
  let i = 0;
  const started = process.hrtime.bigint();
  const end = started + BigInt(Math.round(seconds * 1e9));
  try {
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (process.hrtime.bigint() < end) {
        const token = tokens[i++ % tokens.length];
        const t0 = process.hrtime.bigint();
        const ok = await get(host, port, token, agent).then((r) => r.status >= 200 && r.status < 300, () => false);
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (!ok) {
          errors++;
        }
      }
    }));
  } finally {
    agent.destroy();
  }
  return { latencies, errors, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

function get(host: string, port: number, token: string, agent?: http.Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path: '/products', agent, headers: { authorization: `Bearer ${token}` }, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 10 s')));
    req.on('error', reject);
    req.end();
  });
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

function signed(n: number, digits: number): string {
  return `${n >= 0 ? '+' : ''}${n.toFixed(digits)}`;
}

// ---------------------------------------------------------------------------------------------- processes
/** Clock ticks per second, the unit of /proc/<pid>/stat's times. */
function clockTicks(): number {
  return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
}

/** A process's fields after its command name in /proc/<pid>/stat (state is [0], ppid [1], utime [11]...). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // gone
  }
}

/** The processes whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((p) => statFields(p)?.[1] === String(pid));
}

/** nginx's workers: the master's children. */
function workerPids(master: number): number[] {
  return childrenOf(master);
}

/**
 * CPU time (user + system, in clock ticks) of the processes and their descendants, including children that have
 * exited and been waited for (cutime, cstime): nginx's workers, whichever generation.
 */
function treeTicks(roots: number[]): number {
  let total = 0;
  const seen = new Set<number>();
  const visit = (pid: number) => {
    if (seen.has(pid)) {
      return;
    }
    seen.add(pid);
    const f = statFields(pid);
    if (f) {
      total += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
      childrenOf(pid).forEach(visit);
    }
  };
  roots.forEach(visit);
  return total;
}

/** TCP connections opened from inside the group's network namespace so far (TcpActiveOpens of its /proc/net/snmp). */
function activeOpens(group: LocalServiceGroup): number {
  const lines = group.network.run(['cat', '/proc/net/snmp']).output.split('\n').filter((l) => l.startsWith('Tcp:'));
  const [head, values] = lines.map((l) => l.split(/\s+/));
  return Number(values[head.indexOf('ActiveOpens')]);
}

function hasNginx(): boolean {
  try {
    execFileSync('nginx', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function nginxVersion(): string {
  const r = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
  return /nginx\/(\S+)/.exec(`${r.stdout}${r.stderr}`)?.[1] ?? 'unknown';
}
