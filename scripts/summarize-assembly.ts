import * as fs from 'fs';
import * as path from 'path';

/**
 * Prints what a cloud assembly contains: its stacks, resources per stack (with the most common types), and the
 * cdk-nag findings recorded in the assembly metadata. Exits 1 when an unacknowledged finding is present.
 */
const dir = process.argv[2] ?? 'examples/cdk.out';
const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));

let totalResources = 0;
let nestedCount = 0;

/** Adds a row for one template and returns its resource count. */
function describe(name: string, file: string, template: any, indent: string): number {
  const resources = Object.values<any>(template.Resources ?? {});
  const byType = new Map<string, number>();
  for (const r of resources) {
    byType.set(r.Type, (byType.get(r.Type) ?? 0) + 1);
  }
  const top = [...byType.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([t, n]) => `${n} ${t.replace('AWS::', '')}`);
  rows.push(
    `  ${(indent + name).padEnd(48)} ${String(resources.length).padStart(4)} resources  ${(fs.statSync(file).size / 1024).toFixed(1).padStart(7)} KiB  ${top.join(', ')}`,
  );
  return resources.length;
}
const findings: string[] = [];
const rows: string[] = [];
for (const [name, artifact] of Object.entries<any>(manifest.artifacts ?? {})) {
  if (artifact.type !== 'aws:cloudformation:stack') {
    continue;
  }
  const templateFile = path.join(dir, artifact.properties.templateFile);
  const template = JSON.parse(fs.readFileSync(templateFile, 'utf8'));
  totalResources += describe(name, templateFile, template, '');
  // Nested stacks (the router's shards): their templates are assets of the parent.
  for (const r of Object.values<any>(template.Resources ?? {})) {
    const nested = r.Type === 'AWS::CloudFormation::Stack' ? r.Metadata?.['aws:asset:path'] : undefined;
    if (nested && fs.existsSync(path.join(dir, nested))) {
      const file = path.join(dir, nested);
      totalResources += describe(nested.replace(/\.nested\.template\.json$/, ''), file, JSON.parse(fs.readFileSync(file, 'utf8')), '  ↳ ');
      nestedCount++;
    }
  }
  for (const [constructPath, entries] of Object.entries<any[]>(artifact.metadata ?? {})) {
    for (const entry of entries) {
      if ((entry.type === 'aws:cdk:error' || entry.type === 'aws:cdk:warning') && /AwsSolutions-/.test(String(entry.data))) {
        findings.push(`${constructPath}: ${String(entry.data).split('\n')[0]}`);
      }
    }
  }
}

// Tenant templates (Service Catalog product stacks): not artifacts, written next to them.
const products: string[] = [];
for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.product.template.json')).sort()) {
  const full = path.join(dir, file);
  const template = JSON.parse(fs.readFileSync(full, 'utf8'));
  const before = rows.length;
  describe(file.replace(/\.product\.template\.json$/, ''), full, template, '');
  products.push(rows.splice(before, 1)[0]);
}

console.log(`Synthesized ${rows.length - nestedCount} stacks (and ${nestedCount} nested), ${totalResources} resources, into ${dir}`);
rows.forEach((r) => console.log(r));
if (products.length > 0) {
  console.log(`Tenant templates (a stack per provisioned tenant, as a Service Catalog product): ${products.length}`);
  products.forEach((r) => console.log(r));
}
const summaryFile = path.join(dir, 'saas-summary.json');
if (fs.existsSync(summaryFile)) {
  const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
  for (const f of summary.nagFindings ?? []) {
    if (!findings.includes(f)) {
      findings.push(f);
    }
  }
  for (const stack of summary.bundlingSkipped ?? []) {
    console.log(`Asset bundling skipped for ${stack}: Docker is not running here, so its functions' assets are placeholders `
      + '(synthesis only; deploy with Docker).');
  }
  console.log('Tenants per tier:');
  for (const t of summary.tiers) {
    console.log(`  ${t.tier.padEnd(10)} ${String(t.tenants.length).padStart(3)}  ${t.tenants.join(', ')}`);
  }
  console.log(`Routing shards: ${summary.shards.length}`);
  for (const s of summary.shards) {
    console.log(`  shard ${s.shard}${s.dedicated ? ' (dedicated)' : ''}: ${s.routes.length} routes  ${s.routes.join(', ')}`);
  }
  if (summary.unpinned.length > 0) {
    console.log(`Routes not pinned in examples/router-placements.json (add them before removing any tenant): ${JSON.stringify(summary.unpinned)}`);
  }
}
console.log(`cdk-nag AwsSolutions: ${findings.length} unacknowledged findings`);
findings.forEach((f) => console.log(`  ${f}`));
process.exit(findings.length ? 1 : 0);
