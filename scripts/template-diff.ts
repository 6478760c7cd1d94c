/**
 * Compares the CloudFormation templates of two cloud assemblies (or integ snapshots), ignoring what a refactoring may
 * change without changing a deployment: asset hashes (a bundle's bytes move when its source files move), the order of
 * keys, and the synthesis-time salt of integ-tests-alpha's assertions. Prints every other difference as `file: path: before -> after`, and exits 1 if there is any.
 *
 *   ts-node --project test/tsconfig.json scripts/template-diff.ts <before-dir> <after-dir>
 *
 * Used to prove that a restructuring keeps every logical id and property (docs/architecture.md).
 */
import * as fs from 'fs';
import * as path from 'path';

const HASH = /[0-9a-f]{64}/g;

function templates(dir: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.template.json')).sort()) {
    const template = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    // integ-tests-alpha's assertions carry a `salt` (the synthesis time), which changes on every synthesis.
    for (const resource of Object.values<any>(template.Resources ?? {})) {
      if (String(resource.Type).startsWith('Custom::DeployAssert')) {
        delete resource.Properties?.salt;
      }
    }
    out.set(file, normalize(template));
  }
  return out;
}

function normalize(value: unknown): unknown {
  if (typeof value === 'string') {
    return value.replace(HASH, '<asset-hash>');
  }
  if (Array.isArray(value)) {
    return value.map(normalize);
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k.replace(HASH, '<asset-hash>'), normalize((value as any)[k])]));
  }
  return value;
}

function differences(a: unknown, b: unknown, at: string, out: string[]): void {
  if (JSON.stringify(a) === JSON.stringify(b)) {
    return;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      differences((a as any)[k], (b as any)[k], `${at}/${k}`, out);
    }
    return;
  }
  out.push(`${at}: ${JSON.stringify(a)?.slice(0, 300)} -> ${JSON.stringify(b)?.slice(0, 300)}`);
}

const [before, after] = process.argv.slice(2);
if (!before || !after) {
  console.error('usage: template-diff <before-dir> <after-dir>');
  process.exit(2);
}
const a = templates(before);
const b = templates(after);
const found: string[] = [];
for (const file of new Set([...a.keys(), ...b.keys()])) {
  differences(a.get(file), b.get(file), file, found);
}
for (const line of found) {
  console.log(line);
}
console.log(`${a.size} templates before, ${b.size} after; ${found.length} differences (asset hashes, key order and assertion salts ignored)`);
process.exit(found.length > 0 ? 1 : 0);
