import * as fs from 'fs';
import * as path from 'path';

/**
 * The boundary between construct code and the code that runs in AWS (docs/architecture.md): lambda/, runtime/ and
 * contract/ may not import aws-cdk-lib, constructs, or any construct module of src/. The rule is eslint's; these
 * fixtures prove that it fires, and the bundles prove that nothing of the CDK got in.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { LegacyESLint } = require('eslint/use-at-your-own-risk');

const REPO = path.join(__dirname, '..');

async function lint(file: string, code: string): Promise<string[]> {
  // The project's own configuration, without type information (a fixture is not a file of the TypeScript project):
  // the rules that need it are off, the boundary rules need none.
  const eslint = new LegacyESLint({
    cwd: REPO,
    overrideConfig: {
      parserOptions: { projectService: false },
      rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/return-await': 'off' },
    },
  });
  const [result] = await eslint.lintText(code, { filePath: path.join(REPO, file) });
  return result.messages.map((m: { ruleId: string }) => m.ruleId);
}

beforeAll(() => {
  process.env.ESLINT_USE_FLAT_CONFIG = 'false';
});

test.each([
  ['src/router/lambda/fixture.ts', "import { Stack } from 'aws-cdk-lib';\nexport const x = Stack;\n", 'no-restricted-imports'],
  ['src/lifecycle/lambda/fixture.ts', "import * as iam from 'aws-cdk-lib/aws-iam';\nexport const x = iam;\n", 'no-restricted-imports'],
  ['src/contract/fixture.ts', "import { Construct } from 'constructs';\nexport const x = Construct;\n", 'no-restricted-imports'],
  ['src/runtime/fixture.ts', "import { Stack } from 'aws-cdk-lib';\nexport const x = Stack;\n", 'no-restricted-imports'],
  ['src/lifecycle/lambda/fixture.ts', "import { TenantRouter } from '../../router/tenant-router';\nexport const x = TenantRouter;\n", 'import/no-restricted-paths'],
  ['src/router/lambda/fixture.ts', "import { placeTenant } from '../../tiers/tier-support';\nexport const x = placeTenant;\n", 'import/no-restricted-paths'],
  ['src/runtime/fixture.ts', "import { ServiceGroup } from '../tiers/service-group';\nexport const x = ServiceGroup;\n", 'import/no-restricted-paths'],
  ['src/contract/fixture.ts', "import { pascal } from '../private/naming';\nexport const x = pascal;\n", 'import/no-restricted-paths'],
])('%s: %j is refused by %s', async (file, code, rule) => {
  expect(await lint(file, code)).toContain(rule);
});

test.each([
  ['src/router/lambda/fixture.ts', "import { TtlCache } from './ttl-cache';\nimport { ROUTING_HEADER } from '../../contract/router';\nexport const x = [ROUTING_HEADER, TtlCache];\n"],
  ['src/lifecycle/lambda/fixture.ts', "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nimport { STEPS } from '../../contract/lifecycle';\nexport const x = [STEPS, DynamoDBClient];\n"],
  ['src/router/fixture.ts', "import { Stack } from 'aws-cdk-lib';\nexport const x = Stack;\n"],
])('%s: %j is allowed', async (file, code) => {
  expect(await lint(file, code)).toEqual([]);
});

test('no Lambda bundle of the library contains CDK code', () => {
  const assets = path.join(REPO, 'assets');
  const bundles = fs.readdirSync(assets);
  expect(bundles.sort()).toEqual(['cell-placement', 'router-authorizer', 'tenant-lifecycle', 'tenant-metering']);
  for (const bundle of bundles) {
    const code = fs.readFileSync(path.join(assets, bundle, 'index.js'), 'utf8');
    expect({ bundle, cdk: /node_modules\/aws-cdk-lib|node_modules\/constructs\/|require\("aws-cdk-lib/.test(code) }).toEqual({ bundle, cdk: false });
  }
});
