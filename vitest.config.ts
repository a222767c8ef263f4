import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'cdk/test/**/*.test.ts'],
    environment: 'node',
    // Integration suites start real servers; give slow CI machines room, never wall-clock asserts.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Unpacks the npm-shipped Chromium once per machine, before the browser test files run in parallel.
    globalSetup: ['test/support/chromium-setup.ts'],
  },
});
