/**
 * The `lakefs` strategy: the decisions of lakeFS's MostlyCorrectOwner as
 * shipped (pkg/distributed/mc_owner.go), reproduced on purpose, defects
 * included, so the simulator measures lakeFS as it is.
 */
import { randomFloat } from '../random.js';
import type { AcquireRetryInput, Strategy } from './strategy.js';

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
 * lakeFS as shipped.
 *
 * Sleep rule. Go computes `sleep := ownership.Expires - now` where
 * `ownership` is the variable holding the last record the attempt handled:
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
 * We keep the branch, exactly as Go has it, and a test pins that it is not taken.
 *
 * Refresh keeps Go's semantics: the context passed to Own also scopes the
 * refresh goroutine, and release writes before the refresh loop is cancelled.
 */
export const lakefsStrategy: Strategy = Object.freeze({
  name: 'lakefs',
  acquireRetryDelayMs(input: AcquireRetryInput): number {
    const lastExpires = input.outcome === 'lost-race' ? input.candidateExpiresMs : input.readExpiresMs;
    const sleep = (lastExpires ?? 0) - input.nowMs;
    if (sleep < 0) return jitteredInterval(input.acquireIntervalMs, randomFloat(input.random));
    return sleep;
  },
  ownSignalStopsRefresh: true,
  stopRefreshBeforeRelease: false,
  expiry: 'wall-clock',
  onRefreshReadError: 'stop',
  signalsLoss: false,
  fencing: false,
  refreshFromAcquireSend: false,
  coalesce: false,
  pushHandoff: false,
  speculate: false,
});
