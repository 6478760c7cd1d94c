/**
 * Benchmark section: the example's web apps as they ship (examples/web/build, `npx projen bundle:web`), their files'
 * sizes raw and gzip, and where the JavaScript goes: each library bundled alone, and the apps' own code with the
 * libraries left out (esbuild, minified). Prints figures; asserts nothing (docs/web-apps.md, docs/PERFORMANCE.md).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { buildSync } from 'esbuild';
import { SectionOutput } from './bench-services';
import { WEB_APPS } from '../examples/web/shared/contract';
import { WEB_BUILD_DIR } from '../examples/web-hosting';

/** Kilobytes (1,000 bytes), as browsers' developer tools show transfer sizes. */
const kb = (bytes: number) => (bytes / 1000).toFixed(1);
const gzip = (content: Buffer | string) => gzipSync(content, { level: 9 }).length;

/** What the apps import from each library, bundled alone. */
const LIBRARIES: Record<string, string> = {
  'React and React DOM': "import { createRoot } from 'react-dom/client'; import * as React from 'react'; console.log(createRoot, React);",
  'AWS Amplify (auth)': "import { Amplify } from 'aws-amplify'; import { signIn, confirmSignIn, signOut, fetchAuthSession } from 'aws-amplify/auth'; "
    + 'console.log(Amplify, signIn, confirmSignIn, signOut, fetchAuthSession);',
  'React Router': "import { BrowserRouter, Routes, Route, Link, Navigate, useNavigate, useParams, useLocation } from 'react-router'; "
    + 'console.log(BrowserRouter, Routes, Route, Link, Navigate, useNavigate, useParams, useLocation);',
};

function bundled(options: Parameters<typeof buildSync>[0]): Buffer {
  const result = buildSync({
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
    ...options,
  });
  return Buffer.from(result.outputFiles![0].contents);
}

export function webAppsSizes({ print, table }: SectionOutput): void {
  print('## Web apps: what a browser downloads (Vite production build; gzip -9)');
  const apps = Object.values(WEB_APPS);
  if (!apps.every((a) => fs.existsSync(path.join(WEB_BUILD_DIR, a, 'index.html')))) {
    print('Skipped: the builds are missing (npx projen bundle:web).');
    print();
    return;
  }
  const rows: Array<Array<string | number>> = [];
  for (const app of apps) {
    const files = ['index.html', ...fs.readdirSync(path.join(WEB_BUILD_DIR, app, 'assets')).map((f) => `assets/${f}`)];
    for (const kind of ['.js', '.css', '.html']) {
      const content = Buffer.concat(files.filter((f) => f.endsWith(kind)).map((f) => fs.readFileSync(path.join(WEB_BUILD_DIR, app, f))));
      rows.push([app, kind.slice(1), kb(content.length), kb(gzip(content))]);
    }
  }
  table(['app', 'files', 'KB', 'KB gzip'], rows);

  print('Where the JavaScript goes (esbuild, minified, each part alone; the libraries overlap a little):');
  const root = path.join(__dirname, '..');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-web-'));
  const parts: Array<Array<string | number>> = [];
  for (const [name, source] of Object.entries(LIBRARIES)) {
    const entry = path.join(scratch, `${name.replace(/\W+/g, '-')}.ts`);
    fs.writeFileSync(entry, source);
    const out = bundled({ entryPoints: [entry], nodePaths: [path.join(root, 'node_modules')] });
    parts.push([name, kb(out.length), kb(gzip(out))]);
  }
  for (const app of apps) {
    const out = bundled({
      entryPoints: [path.join(root, 'examples', 'web', app, 'main.tsx')],
      jsx: 'automatic',
      loader: { '.css': 'empty' },
      external: ['react', 'react-dom', 'react-router', 'aws-amplify', 'react/jsx-runtime'],
    });
    parts.push([`${app}: its own code`, kb(out.length), kb(gzip(out))]);
  }
  fs.rmSync(scratch, { recursive: true, force: true });
  table(['part', 'KB', 'KB gzip'], parts);
}
