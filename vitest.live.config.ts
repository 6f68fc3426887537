import { defineConfig } from 'vitest/config';

/**
 * The live smoke, the live cleanup and the PostgreSQL store-errors tests (`npm run test:live`, run by
 * .ci/run after `npm test`): real node processes, SIGSTOP, libfaketime. Kept
 * out of `npm test` so that their processes never share the two cores with
 * the timing-sensitive real-server tests, and run one file at a time.
 */
export default defineConfig({
  test: {
    name: 'live',
    include: ['test/live/smoke.test.ts', 'test/live/cleanup.test.ts', 'test/live/errors-postgres.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 300_000,
  },
});
