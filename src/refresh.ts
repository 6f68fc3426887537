/**
 * The holder's refresh loop: every `refreshInterval / 2` it re-writes its
 * record with `expires = now + refreshInterval`, deciding on a fresh read or,
 * when speculating, on its last write (one path: `get` and `swap`). What a
 * failure means is the strategy's `refresh` rule; the loop never deletes or
 * overwrites another owner's record.
 */
import { abortable } from './abort.js';
import type { HeldKey } from './context.js';
import { PredicateFailedError } from './errors.js';
import { logs } from './logger.js';
import { OWNERSHIP_PARTITION, decodeRecord, encodeRecord, timestampFromMs, type MostlyCorrectOwnership } from './record.js';
import { sameEntry, type StoreEntry } from './store/store.js';

/**
 * Ticks on the grid `start + k·interval` of the monotonic clock, as Go's
 * `time.Ticker`: a slow tick does not shift later ticks, and ticks that fall
 * due while one is being handled collapse into one pending tick. Resolves
 * when the loop ends (stopped, or a refresh decided it must end).
 */
export async function refreshLoop(held: HeldKey, start: number): Promise<void> {
  const { clock, logger, refreshIntervalMs, acquireIntervalMs, strategy } = held.ctx;
  const interval = refreshIntervalMs / 2;
  const stop = held.stop.signal;
  const fields = { interval, owner: held.owner, prefixed_key: held.prefixedKey };
  const tickAt = (k: number): number => start + k * interval;
  const firedUpTo = (t: number): number => {
    let k = Math.max(0, Math.floor((t - start) / interval));
    while (tickAt(k + 1) <= t) k++;
    while (k > 0 && tickAt(k) > t) k--;
    return k;
  };
  logger.trace(fields, 'Start refreshing ownership');
  let received = 0; // index of the last tick taken off the (one-slot) channel
  for (;;) {
    const fired = firedUpTo(clock.monotonicNow());
    if (fired > received) {
      received = fired; // a tick fell due while the last one was handled: it is pending
    } else {
      try {
        await clock.sleep(tickAt(received + 1) - clock.monotonicNow(), stop);
      } catch {
        logger.trace(fields, 'Cancelled; stop refreshing ownership');
        return;
      }
      received = Math.max(received + 1, firedUpTo(clock.monotonicNow()));
    }
    if (stop.aborted) {
      logger.trace(fields, 'Cancelled; stop refreshing ownership');
      return;
    }
    let outcome = await refreshOnce(held, fields);
    // after a failure, a strategy that retries tries again every acquireInterval until the next tick is due
    while (outcome === 'failed' && strategy.refresh.onReadError === 'retry') {
      const untilTick = tickAt(received + 1) - clock.monotonicNow();
      if (untilTick <= acquireIntervalMs) break;
      try {
        await clock.sleep(acquireIntervalMs, stop);
      } catch {
        return;
      }
      outcome = await refreshOnce(held, fields);
    }
    if (outcome === 'stop') return;
  }
}

/** Runs a store operation of the refresh loop, remembering it as in flight; rejects as soon as the loop is stopped. */
function track<T>(held: HeldKey, op: Promise<T>): Promise<T> {
  held.inflight = op;
  return abortable(op, held.stop.signal);
}

/**
 * One refresh: `ok`, `failed` (try again later), or `stop` (the loop must
 * end). Decides on a fresh read, or, when speculating, on our last write,
 * swapped in on the guess that the store still holds it; a wrong guess is
 * answered with the record, handled as a read (once: a second answer that
 * differs is a lost race like any other).
 */
async function refreshOnce(held: HeldKey, fields: Record<string, unknown>): Promise<'ok' | 'failed' | 'stop'> {
  const { store, clock, logger, refreshIntervalMs, strategy, known } = held.ctx;
  const stop = held.stop.signal;
  const sentAtMono = clock.monotonicNow();
  let basis: StoreEntry | undefined;
  let guess = known !== undefined && held.lastWrite !== undefined;
  if (guess) {
    basis = held.lastWrite;
  } else {
    try {
      basis = await track(held, store.get(OWNERSHIP_PARTITION, held.keyBytes));
    } catch (err) {
      if (stop.aborted) return 'stop';
      logger.warn({ ...fields, err }, 'Failed to get ownership message to refresh');
      return strategy.refresh.onReadError === 'retry' ? 'failed' : 'stop';
    }
  }
  for (;;) {
    const decided = decide(held, basis, fields);
    if (decided === 'stop') return 'stop';
    // A Go store operation under a cancelled context fails; so does ours.
    if (stop.aborted) return 'stop';
    const expires = clock.now() + refreshIntervalMs;
    decided.expires = timestampFromMs(expires);
    const value = encodeRecord(decided);
    let result;
    try {
      result = await track(held, store.swap(OWNERSHIP_PARTITION, held.keyBytes, value, basis!.predicate));
    } catch (err) {
      if (stop.aborted) return 'stop';
      logger.warn({ ...fields, err }, 'Failed to set ownership message to refresh (keep going, may lose)');
      return 'failed';
    }
    if (result.swapped) {
      if (known !== undefined) held.lastWrite = { value, predicate: result.predicate };
      if (logs(logger, 'trace')) logger.trace({ ...fields, expires }, 'Refreshed ownership');
      held.lastSentMono = Math.max(held.lastSentMono, sentAtMono);
      return 'ok';
    }
    if (stop.aborted) return 'stop';
    known?.remember(held.prefixedKey, result.current);
    if (!guess || sameEntry(result.current, basis)) {
      // someone wrote between our read (or guess) and our write
      logger.warn({ ...fields, err: new PredicateFailedError(OWNERSHIP_PARTITION, held.keyBytes) }, 'Failed to set ownership message to refresh (keep going, may lose)');
      return 'failed';
    }
    basis = result.current;
    guess = false;
  }
}

/**
 * The decision on `basis` (what the store holds, read or guessed): our record
 * to refresh (a fresh object), or `stop` when the key is gone, no longer
 * decodes, or names another owner. Nothing is deleted or rewritten then:
 * that could destroy a new owner.
 */
function decide(held: HeldKey, basis: StoreEntry | undefined, fields: Record<string, unknown>): MostlyCorrectOwnership | 'stop' {
  const { logger } = held.ctx;
  if (held.stop.signal.aborted) return 'stop';
  if (basis === undefined) {
    // as Go logs a Get that found nothing (kv.ErrNotFound)
    logger.warn({ ...fields, err: new Error(`ownership record ${held.prefixedKey} not found`) }, 'Failed to get ownership message to refresh');
    held.markLost('vanished');
    return 'stop';
  }
  let record: MostlyCorrectOwnership;
  try {
    record = decodeRecord(basis.value, held.prefixedKey, held.owner);
  } catch (err) {
    logger.warn({ ...fields, err }, 'Failed to get ownership message to refresh');
    held.markLost('corrupt');
    return 'stop';
  }
  if (record.owner !== held.owner) {
    logger.info({ ...fields, new_owner: record.owner }, 'Lost ownership race');
    held.markLost('taken', record.owner);
    return 'stop';
  }
  return record;
}
