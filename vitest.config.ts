import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Forks, not threads: the Temporal Core runtime is a per-process singleton.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
