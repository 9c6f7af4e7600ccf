import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` needs nothing but Node (no Redis is started or reachable), `integration`
 * gets one private Redis for the whole run from the global setup. `vitest run --project unit`
 * runs one of them; `npm test` runs both.
 */
export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/helpers/global-setup.ts'],
          // Real Redis, receivers and child processes on a shared, loaded machine: generous
          // deadlines. Tests assert settled state; speed is measured in bench/.
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
