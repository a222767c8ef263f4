import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * `tickerpulse/client` as its TypeScript source in tests, never a stale build: what the
 * "tickerpulse-source" condition of package.json "exports" gives tsc and esbuild. (Setting that
 * condition in vite would replace its default conditions for every package.)
 */
const source = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [{ find: /^tickerpulse\/client$/, replacement: source('./src/client/index.ts') }],
  },
  test: {
    include: ['test/**/*.test.ts', 'cdk/test/**/*.test.ts'],
    environment: 'node',
    // Integration suites start real servers; give slow CI machines room, never wall-clock asserts.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Unpacks the npm-shipped Chromium once per machine, before the browser test files run in parallel.
    globalSetup: ['test/support/chromium-setup.ts'],
    // Measured when asked (`npm test` asks: `vitest run --coverage`), so that running one file
    // stays quick; see docs/testing.md. Only what runs in the test processes counts: code run in
    // child processes (`npm start`, `serve`, writers killed by crash tests) is tested there too,
    // but not measured.
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      // The embedded store's thread entry: V8 coverage does not see into worker threads. It only
      // passes messages; the server it runs (dynalite-server.ts) is measured in the test process.
      exclude: ['src/store/dynalite-worker.ts'],
      reporter: ['text-summary', ['json-summary', { file: 'coverage-summary.json' }]],
      reportsDirectory: 'coverage',
      // The figures are worth reading when a test failed too.
      reportOnFailure: true,
      thresholds: {
        'src/stream/**': { lines: 90, branches: 90 },
        'src/store/**': { lines: 90, branches: 90 },
        'src/http/**': { lines: 90, branches: 90 },
        'src/auth/**': { lines: 90, branches: 90 },
        // The SSE code the seeds hold to 80 %: each file on its own.
        'src/http/streams.ts': { lines: 80, branches: 80 },
        'src/http/stream-access.ts': { lines: 80, branches: 80 },
        'src/lambda/stream-handler.ts': { lines: 80, branches: 80 },
        'src/runtime/stream-engine.ts': { lines: 80, branches: 80 },
      },
    },
  },
});
