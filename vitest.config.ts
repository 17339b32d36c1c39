import { defineConfig } from 'vitest/config';

// The forks pool: Temporal's native bridge is known to crash under worker threads.
export default defineConfig({
  test: {
    pool: 'forks',
    projects: [
      {
        test: {
          name: 'unit',
          pool: 'forks',
          include: ['test/unit/**/*.test.ts', 'test/replay/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          pool: 'forks',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/require-stack.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
