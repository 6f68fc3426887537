import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (f: string): string => fileURLToPath(new URL(`./src/${f}`, import.meta.url));

/** The owner's tests that run a second time on a get + setIf store (see test/helpers/store-kind.ts). */
const OWNER_TESTS = [
  'test/owner.test.ts',
  'test/ownership.test.ts',
  'test/owner-errors.test.ts',
  'test/owner-lifecycle.test.ts',
  'test/strategies.test.ts',
  'test/key-queue.test.ts',
  'test/regression/**/*.test.ts',
  'test/property/interleavings.test.ts',
  'test/path-under-test.test.ts',
];

export default defineConfig({
  // sim/ imports the library by its package name: test it against the source, not a build
  resolve: {
    alias: [
      { find: /^mostly-correct-owner$/, replacement: src('index.ts') },
      { find: /^mostly-correct-owner\/(internal|redis|postgres)$/, replacement: src('$1.ts') },
    ],
  },
  test: {
    // Starts throwaway redis-server and PostgreSQL (or uses REDIS_URL / DATABASE_URL).
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      // everything, on stores with a native swap
      // (the live smoke and cleanup tests run on their own: vitest.live.config.ts, `npm run test:live`)
      { extends: true, test: { name: 'default', include: ['test/**/*.test.ts'], exclude: ['test/live/smoke.test.ts', 'test/live/cleanup.test.ts', 'test/live/errors-postgres.test.ts', '**/node_modules/**'] } },
      // the owner's tests again on MemoryStores whose swap is swapOverSetIf's (SetIf, and a read when it loses)
      { extends: true, test: { name: 'set-if-store', include: OWNER_TESTS, env: { MCO_STORE_KIND: 'set-if' } } },
    ],
  },
});
