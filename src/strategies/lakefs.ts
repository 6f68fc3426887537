/**
 * The `lakefs` strategy: the decisions of lakeFS's MostlyCorrectOwner as
 * shipped (pkg/distributed/mc_owner.go), reproduced on purpose, defects
 * included, so the simulator measures lakeFS as it is. Each rule below names
 * the Go it mirrors.
 */
import { randomFloat } from '../random.js';
import { defineStrategy, type AcquireRetryInput, type ExpiryRule } from './strategy.js';

/**
 * Go's `getJitter`: `interval` shortened by up to a third, never negative.
 * (Go draws whole nanoseconds; this draws a real number: same distribution
 * for any practical interval.)
 */
export function jitteredInterval(intervalMs: number, u: number): number {
  if (intervalMs < 0) return 0;
  return intervalMs - u * (intervalMs / 3);
}

/**
 * Go's `checkOwnership`: no record is `not owned`; a record whose `expires`
 * is before the waiter's wall clock (`expires.Before(now)`) is `expired`;
 * anything else is `owned`. Remote and local wall clocks are compared as
 * they are, so a clock offset between processes moves the verdict.
 * Shared by `fixed`.
 */
export const wallClockExpiry: ExpiryRule = Object.freeze({
  name: 'wall-clock',
  judge: () =>
    Object.freeze({
      // released (the epoch) or expired records alike: the same rule as on a read
      takesUnread: (record: { expiresMs: number }, wallNowMs: number) => record.expiresMs < wallNowMs,
      judge: (record: { expiresMs: number } | undefined, wallNowMs: number) => ({
        state: record === undefined ? ('not owned' as const) : record.expiresMs < wallNowMs ? ('expired' as const) : ('owned' as const),
        nowMs: wallNowMs,
        expiresMs: record?.expiresMs,
      }),
      nowOn: (wallNowMs: number) => wallNowMs,
      forget: () => {},
    }),
});

/**
 * Go's sleep after a failed attempt: `sleep := ownership.Expires - now`,
 * where `ownership` holds the last record the attempt handled:
 * - key held by someone else: the record that was read, so a waiter sleeps
 *   until the holder's expiry as written by the holder's clock (inheriting
 *   its offset), and every waiter on one record wakes at the same instant;
 * - SetIf race lost: the variable was overwritten with the candidate record,
 *   whose expiry is `now + refreshInterval`, so the loser sleeps a whole
 *   `refreshInterval`.
 * Only a negative sleep takes the jittered `acquireInterval` branch. Neither
 * case can produce one (a held record has `expires >= now`; a candidate has
 * `expires = now + refreshInterval > now`), so with valid options the jitter
 * branch is unreachable and `acquireInterval` has no effect on acquisition.
 * The branch is kept exactly as Go has it; a test pins that it is not taken.
 */
export function sleepUntilExpiryMs(input: AcquireRetryInput): number {
  const lastExpires = input.outcome === 'lost-race' ? input.candidateExpiresMs : input.readExpiresMs;
  const sleep = (lastExpires ?? 0) - input.nowMs;
  if (sleep < 0) return jitteredInterval(input.acquireIntervalMs, randomFloat(input.random));
  return sleep;
}

/** lakeFS as shipped. */
export const lakefsStrategy = defineStrategy({
  name: 'lakefs',
  expiry: wallClockExpiry,
  acquireRetryDelayMs: sleepUntilExpiryMs,
  refresh: {
    // the refresh goroutine starts after Own's loop returned: a slow acquisition eats into the lease
    cadenceFrom: 'own-resolved',
    // `if err != nil { log; return }` around the refresh Get: one failed read ends refreshing, silently
    onReadError: 'stop',
    // Own's ctx is also the parent of refreshCtx: cancelling it stops refreshing
    stoppedByOwnSignal: true,
  },
  // the release closure calls releaseIf and only then cancels refreshCtx, and gives up on a lost race
  release: { order: 'write-then-stop', attempts: 1 },
  // refresh returns on seeing another owner, and nobody is told
  signalsLoss: false,
  // the record is {owner, expires, comment}: nothing more, so it stays byte-identical to lakeFS's
  fencing: false,
  // every Own call polls on its own (two TODOs in mc_owner.go), and nothing notifies waiters
  handoff: { localQueue: false, push: false },
  // every decision is taken on a fresh Get
  speculate: false,
});
