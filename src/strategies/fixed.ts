/**
 * The `fixed` strategy (the default): lakeFS's algorithm with the defects of
 * the seed fixed, judged by the same wall-clock expiry rule.
 *
 * (a) Waiters poll: each sleeps at most `acquireInterval` (shortened by up to a
 *     third of random jitter, so waiters spread out), never "until the expiry
 *     it read", and a loser of the write race retries after a jittered
 *     `acquireInterval`, not a whole `refreshInterval`.
 * (b) A failed refresh read is retried until the next tick; the holder is told
 *     through `ownership.lost` when the record names another owner or
 *     vanished, or when its own deadline passes without a successful refresh.
 * (c) `release()` stops the refresh loop and waits for a tick in flight before
 *     it writes, so a refresh can neither re-extend a released key nor win
 *     against the release.
 * (d) No sleep is computed from a remote `expires` without the
 *     `acquireInterval` cap, so a skewed remote clock cannot stall a waiter.
 * Also: the refresh cadence counts from when the acquiring read was sent,
 * records carry a fencing token, the signal given to `own()` bounds the wait
 * only, the `own()` calls of one process for one key share one poller and
 * are handed the key FIFO on local release (the seed's two TODOs), and a
 * release notifies waiters in other processes on stores that can.
 */
import { randomFloat } from '../random.js';
import { jitteredInterval, wallClockExpiry } from './lakefs.js';
import { defineStrategy, type AcquireRetryInput } from './strategy.js';

/** (a), (d): a polling waiter sleeps at most `acquireInterval`, jittered down by up to a third. */
export function pollDelayMs(input: AcquireRetryInput): number {
  const untilExpiryMs = (input.readExpiresMs ?? input.nowMs) - input.nowMs;
  const cap = Math.min(input.acquireIntervalMs, Math.max(0, untilExpiryMs));
  return jitteredInterval(input.outcome === 'lost-race' ? input.acquireIntervalMs : cap, randomFloat(input.random));
}

/** The rules `fixed` and `observed` share; only the expiry rule differs. */
export const fixedRules = Object.freeze({
  acquireRetryDelayMs: pollDelayMs,
  refresh: Object.freeze({ cadenceFrom: 'acquire-sent', onReadError: 'retry', stoppedByOwnSignal: false } as const),
  // up to three reads: a refresh write of ours that lands after the first read is overwritten, not fought
  release: Object.freeze({ order: 'stop-then-write', attempts: 3 } as const),
  signalsLoss: true,
  fencing: true,
  handoff: Object.freeze({ localQueue: true, push: true }),
  speculate: true,
});

/** lakeFS's algorithm with its defects fixed (the default). */
export const fixedStrategy = defineStrategy({ name: 'fixed', expiry: wallClockExpiry, ...fixedRules });
