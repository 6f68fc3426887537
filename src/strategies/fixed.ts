/**
 * The `fixed` strategy (the default): lakeFS's algorithm with the defects of
 * the seed fixed, judged by the same wall-clock expiry rule.
 *
 * (a) Waiters poll: each sleeps at most `acquireInterval` (shortened by up to a
 *     third of random jitter, so waiters spread out), never "until the expiry
 *     it read", and a loser of the SetIf race retries after a jittered
 *     `acquireInterval`, not a whole `refreshInterval`.
 * (b) A failed refresh read is retried at the next tick; the holder is told
 *     through `ownership.lost` when the record names another owner or
 *     vanished, or when its own deadline passes without a successful refresh.
 * (c) `release()` stops the refresh loop and waits for a tick in flight before
 *     it writes, so a refresh can neither re-extend a released key nor win
 *     against the release.
 * (d) No sleep is computed from a remote `expires` without the
 *     `acquireInterval` cap, so a skewed remote clock cannot stall a waiter.
 * Also: the refresh cadence counts from when the acquiring read was sent, and
 * records carry a fencing token. The signal given to `own()` bounds the wait
 * only; it does not stop refreshing once owned. The `own()` calls of one
 * process for one key share one poller and are handed the key FIFO on local
 * release (the seed's two TODOs), and a release notifies waiters in other
 * processes on stores that support it (push handoff; polling stays the fallback).
 */
import { randomFloat } from '../random.js';
import { jitteredInterval } from './lakefs.js';
import type { AcquireRetryInput, Strategy } from './strategy.js';

/** Sleep of a polling waiter: at most `acquireInterval`, jittered down by up to a third. */
export function pollDelayMs(input: AcquireRetryInput, untilExpiryMs: number): number {
  const cap = Math.min(input.acquireIntervalMs, Math.max(0, untilExpiryMs));
  return jitteredInterval(input.outcome === 'lost-race' ? input.acquireIntervalMs : cap, randomFloat(input.random));
}

export const fixedStrategy: Strategy = Object.freeze({
  name: 'fixed',
  acquireRetryDelayMs(input: AcquireRetryInput): number {
    return pollDelayMs(input, (input.readExpiresMs ?? input.nowMs) - input.nowMs);
  },
  ownSignalStopsRefresh: false,
  stopRefreshBeforeRelease: true,
  expiry: 'wall-clock',
  onRefreshReadError: 'retry',
  signalsLoss: true,
  fencing: true,
  refreshFromAcquireSend: true,
  coalesce: true,
  pushHandoff: true,
  speculate: true,
});
