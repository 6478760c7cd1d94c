/**
 * Builds one of the example's web apps (`--mode admin-console` or `--mode tenant-app`) from examples/web/<app> into
 * examples/web/build/<app> (`npx projen bundle:web`). No environment is baked in: each app reads `config.json` at
 * start (docs/web-apps.md).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defineConfig } from 'vite';

export default defineConfig(({ mode }) => {
  // The apps are the directories of WEB_APPS (shared/contract.ts), each with its index.html.
  if (!/^[a-z-]+$/.test(mode) || !fs.existsSync(path.join(import.meta.dirname, mode, 'index.html'))) {
    throw new Error(`--mode must name an app of examples/web (admin-console, tenant-app); got '${mode}'.`);
  }
  return {
    root: path.join(import.meta.dirname, mode),
    // Absolute asset URLs: the SPA fallback serves index.html for deep links such as /tenants/<id>.
    base: '/',
    publicDir: false,
    oxc: { jsx: { runtime: 'automatic' } },
    build: {
      outDir: path.join(import.meta.dirname, 'build', mode),
      emptyOutDir: true,
      target: 'es2022',
      // Every script and style is a file: the Content-Security-Policy allows no inline ones.
      assetsInlineLimit: 0,
      sourcemap: false,
      reportCompressedSize: false,
      rollupOptions: {
        // React Router's modules open with "use client", which means nothing outside React Server Components.
        onwarn(warning, warn) {
          if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') {
            warn(warning);
          }
        },
      },
    },
  };
});
