import * as fs from 'fs';
import * as path from 'path';

/**
 * Prints what a cloud assembly contains: its stacks, resources per stack (with the most common types), and the
 * cdk-nag findings recorded in the assembly metadata. Exits 1 when an unacknowledged finding is present.
 */
const dir = process.argv[2] ?? 'examples/cdk.out';
const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));

let totalResources = 0;
const findings: string[] = [];
const rows: string[] = [];
for (const [name, artifact] of Object.entries<any>(manifest.artifacts ?? {})) {
  if (artifact.type !== 'aws:cloudformation:stack') {
    continue;
  }
  const templateFile = path.join(dir, artifact.properties.templateFile);
  const template = JSON.parse(fs.readFileSync(templateFile, 'utf8'));
  const resources = Object.values<any>(template.Resources ?? {});
  totalResources += resources.length;
  const byType = new Map<string, number>();
  for (const r of resources) {
    byType.set(r.Type, (byType.get(r.Type) ?? 0) + 1);
  }
  const top = [...byType.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([t, n]) => `${n} ${t.replace('AWS::', '')}`);
  rows.push(
    `  ${name.padEnd(28)} ${String(resources.length).padStart(4)} resources  ${(fs.statSync(templateFile).size / 1024).toFixed(1).padStart(7)} KiB  ${top.join(', ')}`,
  );
  for (const [constructPath, entries] of Object.entries<any[]>(artifact.metadata ?? {})) {
    for (const entry of entries) {
      if ((entry.type === 'aws:cdk:error' || entry.type === 'aws:cdk:warning') && /AwsSolutions-/.test(String(entry.data))) {
        findings.push(`${constructPath}: ${String(entry.data).split('\n')[0]}`);
      }
    }
  }
}

console.log(`Synthesized ${rows.length} stacks, ${totalResources} resources, into ${dir}`);
rows.forEach((r) => console.log(r));
console.log(`cdk-nag AwsSolutions: ${findings.length} unacknowledged findings`);
findings.forEach((f) => console.log(`  ${f}`));
process.exit(findings.length ? 1 : 0);
