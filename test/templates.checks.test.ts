import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { TemplateFindings } from '../src';
import { synthesizeExample } from './deployed/example';

/**
 * The template checkers over every template we synthesize: the example's stacks, nested stacks and Service Catalog
 * product templates, and every integ snapshot (docs/template-checks.md).
 * - cfn-lint (AWS's CloudFormation linter, .venv): no finding may remain. A warning is fixed, or skipped on its one
 *   resource through cfn-lint's own metadata (`ignore_checks`), with the reason beside it (`cdk-ecs-saas:lint`).
 * - checkov (.venv-checkov): no failed check may remain. A finding is fixed, or skipped on its one resource through
 *   checkov's own metadata (`checkov.skip`), with the reason as its comment.
 * Both tools are installed by local:setup; TemplateFindings writes the metadata.
 */
const REPO = path.join(__dirname, '..');
const CFN_LINT = path.join(REPO, '.venv', 'bin', 'cfn-lint');
const CHECKOV = path.join(REPO, '.venv-checkov', 'bin', 'checkov');

interface LintFinding {
  readonly Rule: { readonly Id: string };
  readonly Message: string;
  readonly Filename: string;
  readonly Location: { readonly Path?: Array<string | number> };
}

interface CheckovCheck {
  readonly check_id: string;
  readonly check_name: string;
  readonly file_path: string;
  readonly resource: string;
  readonly check_result: { readonly result: string; readonly suppress_comment?: string };
}

interface CheckovReport {
  readonly summary: { readonly passed: number; readonly failed: number; readonly skipped: number };
  readonly results: { readonly failed_checks: CheckovCheck[]; readonly skipped_checks: CheckovCheck[] };
}

/** Runs a checker that exits non-zero when it finds anything; its JSON report is on stdout either way. */
function run(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const out = (e as { stdout?: string }).stdout ?? '';
    if (!/^\s*[[{]/.test(out)) {
      throw e;
    }
    return out;
  }
}

function lint(files: string[]): LintFinding[] {
  return JSON.parse(run(CFN_LINT, ['--format', 'json', ...files]));
}

/** checkov over files in one run (`--file` per template); one report, or a list of them by framework. */
function checkov(files: string[]): CheckovReport {
  const out = JSON.parse(run(CHECKOV, ['--framework', 'cloudformation', '--output', 'json', '--compact', '--skip-download',
    ...files.flatMap((f) => ['--file', f])]));
  const reports: CheckovReport[] = Array.isArray(out) ? out : [out];
  return {
    summary: {
      passed: reports.reduce((n, r) => n + r.summary.passed, 0),
      failed: reports.reduce((n, r) => n + r.summary.failed, 0),
      skipped: reports.reduce((n, r) => n + r.summary.skipped, 0),
    },
    results: {
      failed_checks: reports.flatMap((r) => r.results.failed_checks ?? []),
      skipped_checks: reports.flatMap((r) => r.results.skipped_checks ?? []),
    },
  };
}

const relative = (file: string) => path.relative(REPO, file).replace(/^\.\.\/.*\/(?=[^/]+$)/, '');

function describeLint(f: LintFinding): string {
  return `${relative(f.Filename)}: ${f.Rule.Id} at ${(f.Location.Path ?? []).slice(0, 2).join('/')}: ${f.Message.slice(0, 200)}`;
}

function describeCheck(c: CheckovCheck): string {
  return `${path.basename(c.file_path)}: ${c.check_id} (${c.check_name}) on ${c.resource}`;
}

function templatesIn(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.template.json')).sort().map((f) => path.join(dir, f));
}

let example: string[];
let snapshots: string[];
/** What cells add: the placement's stack and a cell in another account, as the example stamps them (docs/cells.md). */
let cells: string[];

beforeAll(() => {
  example = templatesIn(synthesizeExample().outdir);
  const multi = synthesizeExample({
    cells: [{ cellId: 'cell-1' }, { cellId: 'cell-2', env: { account: '222222222222', region: 'us-east-1' } }],
    controlPlaneEnvironment: { account: '111111111111', region: 'us-east-1' },
    cors: { allowOrigins: ['https://app.example.com'] },
  }).outdir;
  cells = [
    ...templatesIn(path.join(multi, 'assembly-Home')).filter((f) => /CellPlacement/.test(f)),
    ...templatesIn(path.join(multi, 'assembly-Cell-cell-2')).filter((f) => !/\.(nested|product)\./.test(f)),
  ];
  snapshots = fs.readdirSync(path.join(REPO, 'integ')).filter((d) => d.endsWith('.snapshot')).flatMap((d) => templatesIn(path.join(REPO, 'integ', d)));
});

test('the templates: the example\'s stacks, nested stacks and product templates; every integ snapshot', () => {
  expect(example.map((f) => path.basename(f).replace(/[0-9A-F]{8}\./, '.'))).toEqual(expect.arrayContaining([
    'EcsSaasWebHosting.template.json',
    'EcsSaasControlPlane.template.json',
    'EcsSaasApplicationPlane.template.json',
    'EcsSaasWebContent.template.json',
  ]));
  // The two router shards, and the nested stack of the declared tenants' API keys.
  expect(example.filter((f) => f.includes('.nested.'))).toHaveLength(3);
  expect(example.filter((f) => f.includes('.product.'))).toHaveLength(3);
  expect(snapshots.length).toBeGreaterThanOrEqual(15);
  expect(cells).toHaveLength(2);
});

describe('cfn-lint', () => {
  test('the example\'s templates have no finding', () => {
    expect(lint(example).map(describeLint)).toEqual([]);
  });

  test('every integ snapshot has no finding', () => {
    expect(lint(snapshots).map(describeLint)).toEqual([]);
  });

  test('the example\'s cells across accounts have no finding', () => {
    expect(lint(cells).map(describeLint)).toEqual([]);
  });

  test('every skip is on one resource and carries its reason', () => {
    const skips: string[] = [];
    for (const file of [...example, ...snapshots]) {
      const template = JSON.parse(fs.readFileSync(file, 'utf8'));
      expect(template.Metadata?.['cfn-lint']).toBeUndefined(); // never template-wide
      for (const [id, resource] of Object.entries<any>(template.Resources ?? {})) {
        const ignored: string[] = resource.Metadata?.['cfn-lint']?.config?.ignore_checks ?? [];
        const reasons: Record<string, string> = resource.Metadata?.[TemplateFindings.CFN_LINT_REASONS_KEY] ?? {};
        for (const rule of ignored) {
          skips.push(rule);
          expect({ id, rule, reason: (reasons[rule] ?? '').length >= 20 }).toEqual({ id, rule, reason: true });
        }
      }
    }
    expect(skips.length).toBeGreaterThan(0);
  });
});

describe('checkov', () => {
  let report: CheckovReport;

  beforeAll(() => {
    report = checkov([...example, ...snapshots, ...cells]);
  }, 300_000);

  test('no failed check on any template', () => {
    expect(report.results.failed_checks.map(describeCheck)).toEqual([]);
    expect(report.summary.passed).toBeGreaterThan(1000);
  });

  test('every skip is on one resource and carries its reason', () => {
    for (const file of [...example, ...snapshots, ...cells]) {
      const template = JSON.parse(fs.readFileSync(file, 'utf8'));
      expect(template.Metadata?.checkov).toBeUndefined(); // never template-wide
      for (const [id, resource] of Object.entries<any>(template.Resources ?? {})) {
        for (const skip of resource.Metadata?.checkov?.skip ?? []) {
          expect({ id, check: skip.id, reason: String(skip.comment ?? '').length >= 20 }).toEqual({ id, check: skip.id, reason: true });
        }
      }
    }
    expect(report.results.skipped_checks.length).toBeGreaterThan(0);
    for (const skipped of report.results.skipped_checks) {
      expect({ check: skipped.check_id, resource: skipped.resource, reason: (skipped.check_result.suppress_comment ?? '').length >= 20 })
        .toEqual({ check: skipped.check_id, resource: skipped.resource, reason: true });
    }
  });
});
