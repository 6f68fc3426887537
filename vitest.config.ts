import { defineConfig } from 'vitest/config';

/** The owner's tests that run a second time with the fast path off (see test/helpers/generic-path.ts). */
const OWNER_TESTS = [
  'test/owner.test.ts',
  'test/ownership.test.ts',
  'test/owner-errors.test.ts',
  'test/strategies.test.ts',
  'test/key-queue.test.ts',
  'test/regression/**/*.test.ts',
  'test/property/interleavings.test.ts',
  'test/path-under-test.test.ts',
];

export default defineConfig({
  test: {
    // Starts throwaway redis-server and PostgreSQL (or uses REDIS_URL / DATABASE_URL).
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      // everything, on the default path: MemoryStore has `swap`, so fixed and observed take the fast path
      // (the live smoke and cleanup tests run on their own: vitest.live.config.ts, `npm run test:live`)
      { extends: true, test: { name: 'default', include: ['test/**/*.test.ts'], exclude: ['test/live/smoke.test.ts', 'test/live/cleanup.test.ts', '**/node_modules/**'] } },
      // the owner's tests again on get + setIf: MemoryStore's `swap` hidden
      {
        extends: true,
        test: { name: 'generic-path', include: OWNER_TESTS, setupFiles: ['test/helpers/generic-path.ts'], env: { MCO_OWNER_PATH: 'generic' } },
      },
    ],
  },
});
