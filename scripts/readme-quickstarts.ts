import * as fs from 'fs';
import * as path from 'path';

/**
 * The README's quick starts are the example apps themselves (docs/languages.md): this writes each app's code between
 * its markers (`npx projen readme:quickstarts`), and test/languages checks that the README still matches.
 *
 * The TypeScript one is fenced `tsx`, which jsii-rosetta leaves alone: the Python and Java packages' READMEs then show
 * it as TypeScript, under its TypeScript heading, next to their own hand-written quick starts (a translation of a
 * whole app would need imports rosetta does not write). test/languages type-checks and synthesizes it against the
 * npm tarball instead.
 */
export const QUICK_STARTS = [
  { language: 'typescript', fence: 'tsx', file: 'examples/typescript/app.ts' },
  { language: 'python', fence: 'python', file: 'examples/python/app.py' },
  { language: 'java', fence: 'java', file: 'examples/java/src/main/java/com/example/quickstart/QuickStartStack.java' },
] as const;

const ROOT = path.join(__dirname, '..');

function markers(language: string): RegExp {
  return new RegExp(`(<!-- quickstart:${language} -->\\n)[\\s\\S]*?(<!-- /quickstart -->)`);
}

/** The README with every quick start replaced by its example's current code. */
export function renderQuickStarts(readme: string): string {
  let out = readme;
  for (const q of QUICK_STARTS) {
    const pattern = markers(q.language);
    if (!pattern.test(out)) {
      throw new Error(`README.md has no <!-- quickstart:${q.language} --> ... <!-- /quickstart --> markers`);
    }
    const code = fs.readFileSync(path.join(ROOT, q.file), 'utf8').trimEnd();
    out = out.replace(pattern, (_m, open: string, close: string) => `${open}\`\`\`${q.fence}\n${code}\n\`\`\`\n${close}`);
  }
  return out;
}

if (require.main === module) {
  const file = path.join(ROOT, 'README.md');
  fs.writeFileSync(file, renderQuickStarts(fs.readFileSync(file, 'utf8')));
}
