import { defineConfig } from 'vitest/config';

// The real-cluster suite (`npm run test:e2e`): needs the binaries from `npm run testbed:setup`.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    globalSetup: ['test/e2e/support/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
  },
});
