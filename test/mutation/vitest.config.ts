/**
 * The vitest config of `npm run test:mutation` (StrykerJS, see
 * docs/mutation.md): the fast tests of the production library, on the
 * in-memory store, without the global setup that starts Redis and
 * PostgreSQL. Left out as too slow for one run per mutant: test/e2e, the
 * Redis/PostgreSQL store tests (the adapters are not mutated), the
 * simulator's tests and the simulator-driven properties (safety, liveness,
 * determinism, mutation: ≈ 17 s a run), and the two fast-check properties
 * on the owner itself (interleavings, release-model: ≈ 2 s on an idle
 * machine but two thirds of a run, and a surviving mutant in the owner runs
 * them all; see docs/mutation.md).
 */
import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  // this file lives in test/mutation; the paths below are the repository's
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: [
      'test/owner.test.ts',
      'test/owner-lifecycle.test.ts',
      'test/ownership.test.ts',
      'test/owner-errors.test.ts',
      'test/strategies.test.ts',
      'test/key-queue.test.ts',
      'test/fast-path.test.ts',
      'test/path-under-test.test.ts',
      'test/abort.test.ts',
      'test/clock.test.ts',
      'test/logger.test.ts',
      'test/record.test.ts',
      'test/store/memory.test.ts',
      'test/regression/**/*.test.ts',
      // MCO_MUTATION_BASELINE=1: the score of the suite without the tests written for it
      ...(process.env.MCO_MUTATION_BASELINE === '1' ? [] : ['test/mutation/**/*.test.ts']),
    ],
    // the regression tests of the Redis/PostgreSQL adapters (not mutated): one needs a real server,
    // which this config does not start (without it, it waits for its 60 s timeout and fails the dry run)
    exclude: [...configDefaults.exclude, 'test/regression/postgres-*.test.ts', 'test/regression/redis-*.test.ts'],
    // one fixed fast-check seed: a mutant's verdict must not depend on the draw (the helper of
    // test/helpers/property.ts reads FC_SEED; the setup file gives it to every other fc.assert)
    env: { FC_SEED: '1' },
    setupFiles: ['test/mutation/fc-seed.ts'],
    testTimeout: 60_000,
    // one module graph per worker, not per file: mutants are switched at run time
    // (Stryker's activeMutant), so nothing needs re-importing, and a run is ~2× faster
    isolate: false,
  },
});
