/** The web apps' component tests (`npx projen test:web`): React Testing Library in jsdom. */
import * as path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  oxc: { jsx: { runtime: 'automatic' } },
  test: {
    root: import.meta.dirname,
    include: ['**/*.test.tsx', '**/*.test.ts'],
    exclude: ['build/**', 'node_modules/**'],
    environment: 'jsdom',
    setupFiles: ['./shared/test-setup.ts'],
    restoreMocks: true,
    // The JUnit report is counted by .ci/run with jest's.
    reporters: ['default', 'junit'],
    outputFile: { junit: path.join(import.meta.dirname, '..', '..', 'test-reports', 'junit-web.xml') },
  },
});
