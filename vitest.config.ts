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
          // SDK and activity logs are held per test and printed only when it fails.
          setupFiles: ['test/support/quiet-logs.setup.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          pool: 'forks',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/require-stack.ts'],
          // Workers default to the run's namespace (see the file); the globalSetup creates it.
          setupFiles: ['test/support/worker-namespace.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
