import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { QUICK_STARTS, renderQuickStarts } from '../../scripts/readme-quickstarts';

/**
 * The packages we publish, used as their users use them (docs/languages.md): the quick start of each language is
 * synthesized against the package the build has just made (the npm tarball, the wheel, the jar). Every app must
 * produce the same stacks, with the same resources, as the TypeScript one; a synth-time validation error must reach
 * each language with its message; the code samples jsii-rosetta translated into the Python and Java docs must compile.
 *
 * Run by `test:languages`, the last step of `package`, after `languages:setup` installed the wheel and the jar.
 */
jest.setTimeout(600_000);

const ROOT = path.join(__dirname, '..', '..');
const PYTHON = path.join(ROOT, '.venv-python-example', 'bin', 'python');
const JAVA_PROJECT = path.join(ROOT, 'examples', 'java');
const ENV = { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20', CDK_DISABLE_CLI_TELEMETRY: 'true' };
/** The version the build gave the packages: every file below is named after it, never found by listing dist/. */
const VERSION: string = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
const DIST = {
  tarball: path.join(ROOT, 'dist', 'js', `cdk-ecs-saas@${VERSION}.jsii.tgz`),
  wheel: path.join(ROOT, 'dist', 'python', `cdk_ecs_saas-${VERSION}-py3-none-any.whl`),
  sdist: path.join(ROOT, 'dist', 'python', `cdk_ecs_saas-${VERSION}.tar.gz`),
  jar: path.join(ROOT, 'dist', 'java', 'io', 'github', 'cdkecssaas', 'cdk-ecs-saas', VERSION, `cdk-ecs-saas-${VERSION}.jar`),
};
/** Maven with the version just built (languages:setup has already resolved the dependencies and plugins). */
const MVN = ['--batch-mode', '--no-transfer-progress', '-Dstyle.color=never', `-Dcdk-ecs-saas.version=${VERSION}`];

/**
 * Where a resource count must differ between a language and TypeScript, and why. None must: every language drives
 * the same JavaScript through jsii, so a difference is a defect of the bindings or of an example.
 */
const EXPECTED_DIFFERENCES: { [language: string]: { [template: string]: { [type: string]: string } } } = {};

interface Run { readonly status: number | null; readonly output: string; readonly ms: number }

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = ENV): Run {
  const start = Date.now();
  const r = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`, ms: Date.now() - start };
}

function mustRun(what: string, command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Run {
  const r = run(command, args, cwd, env);
  if (r.status !== 0) {
    throw new Error(`${what} failed (exit ${r.status}):\n${r.output.slice(-6000)}`);
  }
  return r;
}

/** Resource types and their counts, per template file of an assembly. */
function resourceCounts(outdir: string): { [template: string]: { [type: string]: number } } {
  const counts: { [template: string]: { [type: string]: number } } = {};
  for (const file of fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json')).sort()) {
    const resources = JSON.parse(fs.readFileSync(path.join(outdir, file), 'utf8')).Resources ?? {};
    const byType: { [type: string]: number } = {};
    for (const r of Object.values<any>(resources)) {
      byType[r.Type] = (byType[r.Type] ?? 0) + 1;
    }
    counts[file] = byType;
  }
  return counts;
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'languages-'));
const assemblies: { [language: string]: string } = {};
const synthMs: { [language: string]: number } = {};
let tarballPackage = '';

beforeAll(() => {
  const missing = [...Object.values(DIST), PYTHON].filter((f) => !fs.existsSync(f));
  if (missing.length > 0) {
    throw new Error(`the language tests need the built packages and .venv-python-example (run \`npx projen package\`); missing: ${missing.join(', ')}`);
  }

  // TypeScript: the app in a directory of its own, with the npm tarball unpacked as node_modules/cdk-ecs-saas next
  // to this repository's aws-cdk-lib and constructs (its peers), type-checked by ts-node as it runs.
  const ts = path.join(work, 'typescript');
  tarballPackage = path.join(ts, 'node_modules', 'cdk-ecs-saas');
  fs.mkdirSync(tarballPackage, { recursive: true });
  mustRun('unpack the npm tarball', 'tar', ['-xzf', DIST.tarball, '-C', tarballPackage, '--strip-components=1'], ROOT);
  for (const peer of ['aws-cdk-lib', 'constructs']) {
    fs.symlinkSync(path.join(ROOT, 'node_modules', peer), path.join(ts, 'node_modules', peer));
  }
  for (const f of ['app.ts', 'tsconfig.json']) {
    fs.copyFileSync(path.join(ROOT, 'examples', 'typescript', f), path.join(ts, f));
  }
  const synth = (language: string, command: string, args: string[], cwd: string) => {
    const outdir = path.join(work, `${language}.out`);
    synthMs[language] = mustRun(`the ${language} quick start`, command, args, cwd, { ...ENV, CDK_OUTDIR: outdir }).ms;
    assemblies[language] = outdir;
  };
  synth('typescript', process.execPath, ['-r', require.resolve('ts-node/register'), 'app.ts'], ts);

  // Python: the quick start in the virtual environment that has the wheel.
  synth('python', PYTHON, ['app.py'], path.join(ROOT, 'examples', 'python'));

  // Java: the Maven project against the jar in the local repository.
  synth('java', 'mvn', [...MVN, '--quiet', 'compile', 'exec:java'], JAVA_PROJECT);

  // Figures for docs/languages.md and the closing notes of issues.
  const jarBase = DIST.jar.replace(/\.jar$/, '');
  const sizes = Object.fromEntries([...Object.values(DIST), `${jarBase}-sources.jar`, `${jarBase}-javadoc.jar`, `${jarBase}.pom`]
    .map((f) => [path.basename(f), fs.statSync(f).size]));
  fs.mkdirSync(path.join(ROOT, 'test-reports'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'test-reports', 'languages.json'), JSON.stringify({ synthMs, packageBytes: sizes }, null, 2));
});

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

describe('every language synthesizes the quick start to what TypeScript does', () => {
  const languages = ['python', 'java'];

  test.each(languages)('%s: the same templates (stacks, nested stacks, the tenant product)', (language) => {
    const expected = Object.keys(resourceCounts(assemblies.typescript));
    expect(expected).toEqual([
      'QuickStart.template.json',
      expect.stringMatching(/^QuickStartAdvancedTenant.*\.product\.template\.json$/),
      expect.stringMatching(/^QuickStartRouterShard0.*\.nested\.template\.json$/),
      expect.stringMatching(/^QuickStartRouterShard1.*\.nested\.template\.json$/),
      // The declared tenants' API keys, in the router's nested stack.
      expect.stringMatching(/^QuickStartRouterTenantKeys0.*\.nested\.template\.json$/),
    ]);
    expect(Object.keys(resourceCounts(assemblies[language]))).toEqual(expected);
  });

  test.each(languages)('%s: the same resource types and counts in each template', (language) => {
    const expected = resourceCounts(assemblies.typescript);
    const actual = resourceCounts(assemblies[language]);
    for (const [template, counts] of Object.entries(expected)) {
      const allowed = EXPECTED_DIFFERENCES[language]?.[template] ?? {};
      const differing = Object.keys({ ...counts, ...actual[template] }).filter((t) => counts[t] !== actual[template][t] && !allowed[t]);
      expect({ template, differing: Object.fromEntries(differing.map((t) => [t, { typescript: counts[t], [language]: actual[template][t] }])) })
        .toEqual({ template, differing: {} });
    }
    // Something real was compared: the application plane's main resources are there.
    const main = expected['QuickStart.template.json'];
    expect(main['AWS::ApiGateway::UsagePlan']).toBe(3);
    expect(main['AWS::ECS::Service']).toBeGreaterThanOrEqual(6);
    expect(main['AWS::StepFunctions::StateMachine']).toBeGreaterThanOrEqual(2);
    expect(main['AWS::ServiceCatalog::CloudFormationProduct']).toBe(1);
  });

  test.each(languages)('%s: byte-identical templates', (language) => {
    for (const template of Object.keys(resourceCounts(assemblies.typescript))) {
      expect({ template, body: fs.readFileSync(path.join(assemblies[language], template), 'utf8') })
        .toEqual({ template, body: fs.readFileSync(path.join(assemblies.typescript, template), 'utf8') });
    }
  });
});

describe('a synth-time validation error reaches every language with its message', () => {
  const errors = Object.fromEntries(fs.readFileSync(path.join(ROOT, 'examples', 'validation-errors.properties'), 'utf8')
    .split('\n').filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => [l.slice(0, l.indexOf('=')).trim(), l.slice(l.indexOf('=') + 1).trim()]));

  test('TypeScript, from the npm tarball', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const lib = require(tarballPackage);
    const fresh = () => {
      const stack = new Stack(new App(), 'Validation');
      return { stack, vpc: new ec2.Vpc(stack, 'Vpc') };
    };
    const application = new lib.SaasApplication({
      tables: [{ name: 'products', sharing: lib.TableSharing.POOLED }],
      services: [{ name: 'products', image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:22-alpine'), pathPrefix: '/products', tables: [{ table: 'products' }] }],
    });
    const cases: { [key: string]: () => unknown } = {
      'invalid-tenant-id': () => {
        const { stack, vpc } = fresh();
        return new lib.PooledEcsTier(stack, 'Basic', { vpc, application, tenants: ['acme', 'Acme_Corp'] });
      },
      'invalid-rate-limit': () => lib.TierUsagePlan.of({ rateLimit: -1, burstLimit: 50 }),
      'unknown-pooled-table': () => {
        const { stack, vpc } = fresh();
        return new lib.PooledEcsTier(stack, 'Basic', { vpc, application }).pooledTable('product');
      },
    };
    expect(Object.keys(cases).sort()).toEqual(Object.keys(errors).sort());
    for (const [key, create] of Object.entries(cases)) {
      expect(create).toThrow(errors[key]);
    }
  });

  test('Python, from the wheel (examples/python/test_validation.py)', () => {
    const r = run(PYTHON, ['-m', 'unittest', '-v', 'test_validation'], path.join(ROOT, 'examples', 'python'));
    expect({ status: r.status, output: r.output }).toEqual({ status: 0, output: expect.stringContaining(`Ran ${Object.keys(errors).length + 1} tests`) });
  });

  test('Java, from the jar (examples/java ValidationTest)', () => {
    const r = run('mvn', [...MVN, 'test'], JAVA_PROJECT);
    expect({ status: r.status, output: r.output }).toEqual({
      status: 0,
      output: expect.stringContaining(`Tests run: ${Object.keys(errors).length + 1}, Failures: 0, Errors: 0, Skipped: 0`),
    });
  });
});

describe('the code samples of the Python and Java docs compile (jsii-rosetta\'s translations, as the packages carry them)', () => {
  // The tablet that `rosetta:check` wrote and `package` translated from: every README snippet and @example.
  const tablet = JSON.parse(fs.readFileSync(path.join(ROOT, '.jsii.tabl.json'), 'utf8'));
  const snippets = Object.values<any>(tablet.snippets).map((s) => ({
    where: s.location.api.api === 'moduleReadme' ? `README.md line ${s.location.field.line}` : `@example of ${s.location.api.fqn}${s.location.api.memberName ? `.${s.location.api.memberName}` : ''}`,
    python: s.translations.python.source as string,
    java: s.translations.java.source as string,
  }));

  test('there are samples to check: the README\'s and every @example', () => {
    expect(snippets.filter((s) => s.where.startsWith('README')).length).toBeGreaterThanOrEqual(5);
    expect(snippets.filter((s) => s.where.startsWith('@example')).length).toBeGreaterThanOrEqual(10);
  });

  test('Python: every sample compiles', () => {
    const file = path.join(work, 'python-samples.json');
    fs.writeFileSync(file, JSON.stringify(snippets.map((s) => [s.where, s.python])));
    const check = 'import json,sys\nbad=[]\nfor where,src in json.load(open(sys.argv[1])):\n  try: compile(src, where, "exec")\n'
      + '  except SyntaxError as e: bad.append(f"{where}: {e}")\nprint(json.dumps(bad))';
    const r = mustRun('compile the Python samples', PYTHON, ['-c', check, file], work);
    expect(JSON.parse(r.output.trim().split('\n').pop()!)).toEqual([]);
  });

  test('Java: every sample compiles against the jar and aws-cdk-lib, in a stack as the fixture has it', () => {
    const classpathFile = path.join(work, 'classpath.txt');
    mustRun('resolve the Java classpath', 'mvn', [...MVN, '--quiet', 'dependency:build-classpath', `-Dmdep.outputFile=${classpathFile}`], JAVA_PROJECT);
    const sourceDir = path.join(work, 'java-samples', 'samples');
    fs.mkdirSync(sourceDir, { recursive: true });
    const files = snippets.map((s, i) => {
      const file = path.join(sourceDir, `Sample${i}.java`);
      fs.writeFileSync(file, javaSample(`Sample${i}`, s.java));
      return { file, where: s.where };
    });
    const r = run('javac', ['-proc:none', '-d', path.join(work, 'java-samples', 'classes'), '-cp', fs.readFileSync(classpathFile, 'utf8').trim(), ...files.map((f) => f.file)], work);
    const failing = files.filter((f) => r.output.includes(`${path.basename(f.file)}:`)).map((f) => f.where);
    expect({ failing, output: failing.length ? r.output.slice(0, 4000) : '' }).toEqual({ failing: [], output: '' });
    expect(r.status).toBe(0);
  });
});

/**
 * A translated fragment as the TypeScript fixture runs it: inside a Stack's constructor (`this` is the scope), with
 * the fixture's imports. rosetta turns `declare const vpc: ec2.IVpc;` into `IVpc vpc;`, which Java will not let the
 * fragment read before it is assigned: those declarations get `= null` (this is a compile check, nothing runs).
 */
function javaSample(name: string, code: string): string {
  const lines = code.split('\n');
  const body = lines.filter((l) => !l.startsWith('import ')).map((l) => l.replace(/^([A-Z][\w.<>, ?]*) (\w+);(\s*\/\/.*)?$/, '$1 $2 = null;$3'));
  return [
    'package samples;',
    ...['io.github.cdkecssaas', 'java.util', 'software.amazon.awscdk', ...['apigateway', 'cognito', 'dynamodb', 'ec2', 'ecs', 'events', 'iam', 'lambda', 'servicediscovery']
      .map((m) => `software.amazon.awscdk.services.${m}`)].map((p) => `import ${p}.*;`),
    ...['CfnResource', 'Duration', 'Stack'].map((c) => `import software.amazon.awscdk.${c};`), // as the fixture imports them
    'import software.constructs.Construct;',
    ...lines.filter((l) => l.startsWith('import ')),
    `class ${name} extends Stack {`,
    `    ${name}(final Construct scope, final String id) {`,
    '        super(scope, id);',
    ...body.map((l) => `        ${l}`),
    '    }',
    '}',
    '',
  ].join('\n');
}

test('the quick starts pin the aws-cdk-lib and constructs that this repository builds and tests with', () => {
  const devDependencies = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).devDependencies;
  const cdk: string = devDependencies['aws-cdk-lib'];
  const constructs: string = devDependencies.constructs;
  expect(cdk).toMatch(/^\d+\.\d+\.\d+$/);
  const requirements = fs.readFileSync(path.join(ROOT, 'examples', 'python', 'requirements.txt'), 'utf8');
  expect(requirements).toMatch(new RegExp(`^aws-cdk-lib==${cdk}$`, 'm'));
  expect(requirements).toMatch(new RegExp(`^constructs==${constructs}$`, 'm'));
  const pom = fs.readFileSync(path.join(JAVA_PROJECT, 'pom.xml'), 'utf8');
  expect(pom).toContain(`<cdk.version>${cdk}</cdk.version>`);
  expect(pom).toMatch(new RegExp(`<artifactId>constructs</artifactId>\\s*<version>${constructs}</version>`));
  const tsApp = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'typescript', 'package.json'), 'utf8')).dependencies;
  expect(tsApp).toMatchObject({ 'aws-cdk-lib': `^${cdk}`, 'constructs': `^${constructs}` });
});

test('the README\'s quick starts are the example apps, verbatim', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  expect(QUICK_STARTS.map((q) => q.language)).toEqual(['typescript', 'python', 'java']);
  expect(renderQuickStarts(readme)).toBe(readme);
});
