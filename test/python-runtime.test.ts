import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { isValidTenantId, patternHasNoFlags, RUNTIME_CONTRACT, SCOPINGS } from './util/runtime-contract';

/**
 * The Python services' pattern (docs/runtime-helper.md, "Python and Java services"): the sample
 * examples/python-service/tenant_scoped_dynamo.py speaks the same contract as the construct, and its unittest suite
 * passes against a real moto server (STS, IAM, DynamoDB). Needs the repository's .venv (boto3 and moto), which
 * `npx projen local:setup` installs; the build runs it before the tests.
 */
const REPO = path.join(__dirname, '..');
const SAMPLE = path.join(REPO, 'examples', 'python-service');
const PYTHON = path.join(REPO, '.venv', 'bin', 'python');

/** Tenant ids on both sides of the rule, with the ones where Python's `$` and JavaScript's `$` differ. */
const SAMPLE_IDS = ['alpha', 'a', 'a'.repeat(36), 'a'.repeat(37), 'Alpha', 'alpha\n', 'al\npha', '-a', 'a-', 'a"b', '', '0-0'];

function python(args: string[], timeoutMs: number) {
  if (!fs.existsSync(PYTHON)) {
    throw new Error(`${PYTHON} is missing: run \`npx projen local:setup\` (it installs .venv with boto3 and moto).`);
  }
  return spawnSync(PYTHON, args, {
    cwd: SAMPLE,
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
}

test('the Python sample speaks the construct\'s contract: environment names, placeholder, scopings, tenant-id rule', () => {
  const script = [
    'import json, sys, tenant_scoped_dynamo as m',
    'ids = json.loads(sys.argv[1])',
    'names = json.loads(sys.argv[2])',
    'print(json.dumps({',
    '  "constants": {n: getattr(m, n) for n in names},',
    '  "scopings": list(m.SCOPINGS), "valid": [m.is_valid_tenant_id(i) for i in ids]}))',
  ].join('\n');
  const result = python(['-c', script, JSON.stringify(SAMPLE_IDS), JSON.stringify(Object.keys(RUNTIME_CONTRACT))], 20_000);
  if (result.status !== 0) {
    throw new Error(`python exited with ${result.status ?? result.signal}:\n${result.stdout}\n${result.stderr}`);
  }
  expect(JSON.parse(result.stdout)).toEqual({
    constants: RUNTIME_CONTRACT,
    scopings: SCOPINGS,
    valid: SAMPLE_IDS.map(isValidTenantId),
  });
  expect(patternHasNoFlags()).toBe(true);
});

test('the Python sample\'s tests pass against moto', () => {
  const result = python(['-m', 'unittest', '-v'], 50_000);
  const output = `${result.stdout}\n${result.stderr}`;
  if (result.status !== 0) {
    throw new Error(`python -m unittest exited with ${result.status ?? result.signal}${result.error ? ` (${result.error.message})` : ''}:\n${output}`);
  }
  // Every test of the file ran (a unittest run that finds none still says OK).
  const defined = (fs.readFileSync(path.join(SAMPLE, 'test_tenant_scoped_dynamo.py'), 'utf8').match(/^    def test_/gm) ?? []).length;
  expect(defined).toBeGreaterThanOrEqual(11);
  expect(output).toMatch(new RegExp(`^Ran ${defined} tests in `, 'm'));
  expect(output).toMatch(/^OK$/m);
}, 60_000);
