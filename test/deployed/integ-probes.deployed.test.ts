/**
 * The integ tests' own Lambda handlers, as deployed: the integ app synthesized as integ-runner synthesizes it (the CDK
 * CLI's environment, its NodejsFunction bundled with esbuild), its probe run by the real runtime interface client with
 * the environment its template gives it, and invoked with the payload of the integ test's deployed assertion, which
 * must hold here too. Every AWS call is held to IAM, the tenant sessions the probe assumes included.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LocalEnvironment } from '../../local/environment';

const REPO = path.join(__dirname, '..', '..');

/** Synthesizes an integ app into a new directory, as the CDK CLI runs it. */
function synthesizeInteg(file: string): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'deployed-integ-'));
  execFileSync(path.join(REPO, 'node_modules', '.bin', 'ts-node'), ['--project', 'test/tsconfig.json', file], {
    cwd: REPO,
    env: {
      ...process.env,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true }),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return outdir;
}

describe('integ.scoped-dynamo-access: the probe acting as one tenant', () => {
  let env: LocalEnvironment;

  beforeAll(async () => {
    env = await LocalEnvironment.start(synthesizeInteg('integ/integ.scoped-dynamo-access.ts'));
  }, 240_000);

  afterAll(async () => {
    await env?.stop();
  });

  test.each([['tenant-a', 'tenant-b'], ['tenant-b', 'tenant-a']])('as %s: its own partition only, as the deployed assertion expects', async (tenantId, otherTenantId) => {
    const probe = await env.lambda('ScopedDynamoAccessInteg', 'ScopedDynamoAccessInteg/Probe');
    const integ = fs.readFileSync(path.join(REPO, 'integ', 'integ.scoped-dynamo-access.ts'), 'utf8');
    const expected = /const EXPECTED = '([^']+)'/.exec(integ)![1];
    const result = await probe.invoke({ tenantId, otherTenantId });
    expect(result.error).toBeUndefined();
    expect((result.payload as any).summary).toBe(expected);
  });

  test('the probe reached DynamoDB through a session tagged with its tenant, and IAM refused what the assertion expects refused', () => {
    expect(env.sts.sessions.map((s) => s.tags)).toEqual(expect.arrayContaining([{ TenantId: 'tenant-a' }, { TenantId: 'tenant-b' }]));
    const denied = env.gate.calls.filter((c) => c.outcome === 'DENIED').map((c) => `${c.operation} ${JSON.stringify(c.checks[0].context?.['dynamodb:LeadingKeys'] ?? [])}`);
    // other-read, other-write, other-query, scan: four refusals per tenant, each on the other tenant's partition or keyless.
    expect(denied.sort()).toEqual(['GetItem ["tenant-a"]', 'GetItem ["tenant-b"]', 'PutItem ["tenant-a"]', 'PutItem ["tenant-b"]',
      'Query ["tenant-a"]', 'Query ["tenant-b"]', 'Scan []', 'Scan []']);
  });
});
