import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { synthesizeExample } from './deployed/example';

/**
 * cfn-lint (AWS's CloudFormation linter, from PyPI, installed by local:setup) over every template we synthesize: the
 * example's stacks, nested stacks and Service Catalog product templates, and every integ snapshot. No finding may
 * remain: a warning is fixed, or skipped on its one resource through cfn-lint's own metadata (`ignore_checks`), with
 * the reason beside it (`cdk-ecs-saas:lint`), which this test requires.
 */
const REPO = path.join(__dirname, '..');
const CFN_LINT = path.join(REPO, '.venv', 'bin', 'cfn-lint');

interface Finding {
  readonly Rule: { readonly Id: string };
  readonly Message: string;
  readonly Filename: string;
  readonly Location: { readonly Path?: Array<string | number> };
}

function lint(files: string[]): Finding[] {
  let out: string;
  try {
    out = execFileSync(CFN_LINT, ['--format', 'json', ...files], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    // cfn-lint exits non-zero when it finds anything; its report is still on stdout.
    out = (e as { stdout?: string }).stdout ?? '';
    if (!out.trim().startsWith('[')) {
      throw e;
    }
  }
  return JSON.parse(out);
}

function describe(f: Finding): string {
  return `${path.relative(REPO, f.Filename)}: ${f.Rule.Id} at ${(f.Location.Path ?? []).slice(0, 2).join('/')}: ${f.Message.slice(0, 200)}`;
}

function templatesIn(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.template.json')).sort().map((f) => path.join(dir, f));
}

let example: string[];
let snapshots: string[];

beforeAll(() => {
  example = templatesIn(synthesizeExample().outdir);
  snapshots = fs.readdirSync(path.join(REPO, 'integ')).filter((d) => d.endsWith('.snapshot')).flatMap((d) => templatesIn(path.join(REPO, 'integ', d)));
});

test('the example\'s templates (stacks, nested stacks, product templates) have no cfn-lint finding', () => {
  expect(example.map((f) => path.basename(f).replace(/[0-9A-F]{8}\./, '.'))).toEqual(expect.arrayContaining([
    'EcsSaasControlPlane.template.json',
    'EcsSaasApplicationPlane.template.json',
  ]));
  expect(example.filter((f) => f.includes('.nested.'))).toHaveLength(2);
  expect(example.filter((f) => f.includes('.product.'))).toHaveLength(2);
  expect(lint(example).map(describe)).toEqual([]);
});

test('every integ snapshot has no cfn-lint finding', () => {
  expect(snapshots.length).toBeGreaterThanOrEqual(15);
  expect(lint(snapshots).map(describe)).toEqual([]);
});

test('every cfn-lint skip is on one resource and carries its reason', () => {
  const skips: string[] = [];
  for (const file of [...example, ...snapshots]) {
    const template = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(template.Metadata?.['cfn-lint']).toBeUndefined(); // never template-wide
    for (const [id, resource] of Object.entries<any>(template.Resources ?? {})) {
      const ignored: string[] = resource.Metadata?.['cfn-lint']?.config?.ignore_checks ?? [];
      const reasons: Record<string, string> = resource.Metadata?.['cdk-ecs-saas:lint'] ?? {};
      for (const rule of ignored) {
        skips.push(rule);
        expect({ id, rule, reason: (reasons[rule] ?? '').length >= 20 }).toEqual({ id, rule, reason: true });
      }
    }
  }
  expect(skips.length).toBeGreaterThan(0);
});
