import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { patternHasNoFlags, RUNTIME_CONTRACT, SCOPINGS } from './util/runtime-contract';

/**
 * The Java services' pattern (docs/runtime-helper.md, "Python and Java services"): the sample Maven project
 * examples/java-service (com.example.tenancy.TenantScopedDynamo, AWS SDK for Java v2) speaks the same contract as the
 * construct, and its JUnit suite passes against a real moto server (STS and DynamoDB over HTTP). Needs a JDK 17+,
 * Maven (which fetches the SDK from Maven Central on the first run) and the repository's .venv with moto, which
 * `npx projen local:setup` installs.
 */
const REPO = path.join(__dirname, '..');
const SAMPLE = path.join(REPO, 'examples', 'java-service');
const SOURCE = path.join(SAMPLE, 'src', 'main', 'java', 'com', 'example', 'tenancy', 'TenantScopedDynamo.java');
const TEST_SOURCE = path.join(SAMPLE, 'src', 'test', 'java', 'com', 'example', 'tenancy', 'TenantScopedDynamoTest.java');
const MOTO_SERVER = path.join(REPO, '.venv', 'bin', 'moto_server');
/** The JUnit tests in TenantScopedDynamoTest.java; Maven must report exactly these, none skipped. */
const EXPECTED_TESTS = 12;

/** The `public static final String` constants of a Java source, their literals (joined with `+`) unescaped. */
function javaStringConstants(source: string): Record<string, string> {
  const literal = '"(?:[^"\\\\\\n]|\\\\.)*"';
  const declaration = new RegExp(`public static final String (\\w+)\\s*=\\s*(${literal}(?:\\s*\\+\\s*${literal})*)\\s*;`, 'g');
  const constants: Record<string, string> = {};
  for (const match of source.matchAll(declaration)) {
    const parts = match[2].match(new RegExp(literal, 'g')) ?? [];
    // Java's escapes in these literals (\" and \\) mean the same in JSON.
    constants[match[1]] = parts.map((part) => JSON.parse(part) as string).join('');
  }
  return constants;
}

test('the Java sample speaks the construct\'s contract: environment names, placeholder, scopings, tenant-id rule', () => {
  const source = fs.readFileSync(SOURCE, 'utf8');
  const constants = javaStringConstants(source);
  expect(constants).toEqual(RUNTIME_CONTRACT);
  // JavaScript's RegExp.test and Java's Matcher.matches() agree on this pattern only without flags (no /m, no /i).
  expect(patternHasNoFlags()).toBe(true);
  expect(source).toMatch(/TENANT_ID\.matcher\(tenantId\)\.matches\(\)/);

  const scopings = /public enum Scoping \{([^}]*)\}/.exec(source);
  expect(scopings?.[1].split(',').map((s) => s.trim())).toEqual(SCOPINGS);
});

describe('the Java sample\'s tests against moto', () => {
  let workdir: string;
  let moto: ChildProcess | undefined;
  let endpoint: string;

  beforeAll(async () => {
    if (!fs.existsSync(MOTO_SERVER)) {
      throw new Error(`${MOTO_SERVER} is missing: run \`npx projen local:setup\` (it installs .venv with moto).`);
    }
    workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'java-runtime-'));
    const port = await freePort();
    const log = fs.openSync(path.join(workdir, 'moto.log'), 'w');
    moto = spawn(MOTO_SERVER, ['-H', '127.0.0.1', '-p', String(port)], {
      cwd: workdir,
      // The recorder (switched on by the Java tests) writes here, not into the repository.
      env: { ...process.env, MOTO_RECORDER_FILEPATH: path.join(workdir, 'recording') },
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    endpoint = `http://127.0.0.1:${port}`;
    await waitForMoto(endpoint, moto, path.join(workdir, 'moto.log'));
  }, 60_000);

  afterAll(async () => {
    if (moto && moto.exitCode === null && moto.signalCode === null) {
      const server = moto;
      let timer: NodeJS.Timeout | undefined;
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => { timer = setTimeout(resolve, 10_000); })]);
      clearTimeout(timer);
      if (server.exitCode === null && server.signalCode === null) {
        server.kill('SIGKILL');
      }
    }
    if (workdir) {
      fs.rmSync(workdir, { recursive: true, force: true });
    }
  }, 30_000);

  test('mvn test passes: every JUnit test ran, none failed or skipped', () => {
    const declared = fs.readFileSync(TEST_SOURCE, 'utf8').match(/^\s*@Test\s*$/gm) ?? [];
    expect(declared).toHaveLength(EXPECTED_TESTS);

    // The first run downloads the AWS SDK from Maven Central; later runs take about 10 s.
    const result = spawnSync('mvn', ['--batch-mode', '--no-transfer-progress', '-Dstyle.color=never', 'test'], {
      cwd: SAMPLE,
      encoding: 'utf8',
      timeout: 280_000,
      maxBuffer: 32 * 1024 * 1024,
      env: { ...process.env, MOTO_ENDPOINT: endpoint },
    });
    const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`;
    if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('mvn is not on the PATH: the Java sample needs Maven and a JDK 17 or later.');
    }
    if (result.status !== 0) {
      throw new Error(`mvn test exited with ${result.status ?? result.signal}${result.error ? ` (${result.error.message})` : ''}:\n${output.slice(-30_000)}`);
    }
    expect(output).toMatch(new RegExp(`^\\[INFO\\] Tests run: ${EXPECTED_TESTS}, Failures: 0, Errors: 0, Skipped: 0$`, 'm'));
    expect(output).toMatch(/^\[INFO\] BUILD SUCCESS$/m);
  }, 300_000);
});

/** A TCP port that is free on the loopback interface now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once moto answers on its API, or rejects with its log when it exits or takes more than 30 s. */
async function waitForMoto(url: string, server: ChildProcess, logPath: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const request = http.get(`${url}/moto-api/data.json`, { timeout: 5_000 }, (response) => {
        response.resume();
        resolve(response.statusCode === 200);
      });
      request.on('timeout', () => request.destroy());
      request.on('error', () => resolve(false));
    });
    if (ok) {
      return;
    }
    if (server.exitCode !== null || server.signalCode !== null || Date.now() > deadline) {
      const log = fs.existsSync(logPath) ? fs.readFileSync(logPath, 'utf8').slice(-2_000) : '';
      throw new Error(`moto_server did not answer at ${url}: ${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
