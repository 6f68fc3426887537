/**
 * The ownership handle: its refresh loop (a Go-`time.Ticker`-like cadence on
 * the injected monotonic clock) and `release()`.
 */
import { abortable } from './abort.js';
import { isPredicateFailed } from './errors.js';
import type { OwnerContext } from './owner.js';
import { OWNERSHIP_PARTITION, decodeRecord, encodeRecord, timestampFromMs, type MostlyCorrectOwnership } from './record.js';

/**
 * Abort reason used to stop the refresh loop on release. A plain constant:
 * `abort()` without a reason builds a DOMException each time.
 */
const RELEASED = Object.freeze({ name: 'Released', message: 'ownership released' });

/** Where an {@link Ownership} lives. */
export interface OwnershipInit {
  readonly owner: string;
  readonly key: string;
  readonly prefixedKey: string;
  readonly keyBytes: Uint8Array;
  readonly signal: AbortSignal | undefined;
}

/**
 * A held (as far as this process knows) ownership. Refreshes itself every
 * `refreshInterval / 2` until released. Under the `lakefs` strategy the
 * refresh loop stops silently when a read fails or another owner is seen;
 * this handle is not told.
 */
export class Ownership implements AsyncDisposable {
  /** The unique owner id, `<owner>#<slug>`. */
  readonly owner: string;
  /** The key as given to `own()` (without prefix). */
  readonly key: string;
  /** The stored key, `<prefix>/<key>`. */
  readonly prefixedKey: string;

  readonly #ctx: OwnerContext;
  readonly #keyBytes: Uint8Array;
  readonly #stop = new AbortController();
  readonly #refreshDone: Promise<void>;
  readonly #detachOwnSignal: () => void;
  /**
   * The refresh loop's last SetIf as the store sees it. Stopping the loop only
   * abandons the abortable wrapper; the request itself may still land, so
   * whoever must not race it (release, when the strategy stops refreshing
   * first) waits for this to settle.
   */
  #refreshWrite: Promise<void> = Promise.resolve();

  /** @internal Created by `MostlyCorrectOwner.own()`. */
  constructor(ctx: OwnerContext, init: OwnershipInit) {
    this.#ctx = ctx;
    this.owner = init.owner;
    this.key = init.key;
    this.prefixedKey = init.prefixedKey;
    this.#keyBytes = init.keyBytes;
    this.#detachOwnSignal = linkSignal(ctx.strategy.ownSignalStopsRefresh ? init.signal : undefined, this.#stop);
    this.#refreshDone = this.#refreshLoop().catch((err: unknown) => {
      ctx.logger.warn({ err, owner: this.owner, prefixed_key: this.prefixedKey }, 'INVARIANT: refresh loop threw');
    });
  }

  /**
   * Gives up ownership: if the record is still ours, sets its expiry to the
   * epoch so the next reader takes it at once. Losing a race here counts as
   * success. Store failures are logged (WARN), never thrown: the record then
   * expires by itself. Safe to call more than once (each call re-checks).
   * Under the `lakefs` strategy the refresh loop is stopped after the
   * release attempt, as in Go.
   */
  async release(): Promise<void> {
    const { logger, strategy } = this.#ctx;
    if (strategy.stopRefreshBeforeRelease) await this.#stopRefresh();
    try {
      await this.#releaseIf();
    } catch (err) {
      logger.warn({ err, owner: this.owner, key: this.key }, 'Failed to delete ownership');
    } finally {
      this.#stop.abort(RELEASED);
      this.#detachOwnSignal();
    }
    logger.trace({ owner: this.owner, key: this.key }, 'Deleted ownership');
  }

  /** `await using o = await owners.own(…)` releases at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }

  /** Resolves when the refresh loop has exited (after release, a lost race, or a read failure). */
  get refreshStopped(): Promise<void> {
    return this.#refreshDone;
  }

  async #stopRefresh(): Promise<void> {
    this.#stop.abort(RELEASED);
    this.#detachOwnSignal();
    await this.#refreshDone;
    await this.#refreshWrite.catch(() => {}); // its outcome was already handled (or abandoned) by the loop
  }

  async #releaseIf(): Promise<void> {
    const { store, logger } = this.#ctx;
    const entry = await store.get(OWNERSHIP_PARTITION, this.#keyBytes);
    if (entry === undefined) {
      throw new Error(`get ownership message ${this.prefixedKey} to release it from ${this.owner}: not found`);
    }
    const record = decodeRecord(entry.value, this.prefixedKey, this.owner);
    const fields = { prefixed_key: this.prefixedKey, owner: this.owner, new_owner: record.owner };
    if (record.owner !== this.owner) {
      logger.info(fields, 'Lost ownership race before trying to release');
      return;
    }
    // Expiry at the beginning of time: definitely expired. (Go resets the
    // Timestamp in place, so the field stays present with zero seconds/nanos.)
    record.expires = timestampFromMs(0);
    try {
      await store.setIf(OWNERSHIP_PARTITION, this.#keyBytes, encodeRecord(record), entry.predicate);
    } catch (err) {
      if (!isPredicateFailed(err)) throw err;
      logger.info(fields, 'Lost ownership race while trying to release');
    }
  }

  /**
   * Ticks on the grid `start + k·interval` of the monotonic clock, as Go's
   * `time.Ticker`: a slow tick does not shift later ticks, and ticks that
   * fall due while one is being handled collapse into one pending tick.
   */
  async #refreshLoop(): Promise<void> {
    const { clock, logger, refreshIntervalMs } = this.#ctx;
    const interval = refreshIntervalMs / 2;
    const stop = this.#stop.signal;
    const fields = { interval, owner: this.owner, prefixed_key: this.prefixedKey };
    const start = clock.monotonicNow();
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
      if (!(await this.#refreshOnce(fields))) return;
    }
  }

  /** One refresh tick. Returns false when the loop must stop. */
  async #refreshOnce(fields: Record<string, unknown>): Promise<boolean> {
    const { store, clock, logger, refreshIntervalMs } = this.#ctx;
    const stop = this.#stop.signal;
    let record: MostlyCorrectOwnership;
    let entry;
    try {
      entry = await abortable(store.get(OWNERSHIP_PARTITION, this.#keyBytes), stop);
      if (entry === undefined) throw new Error(`ownership record ${this.prefixedKey} not found`);
      record = decodeRecord(entry.value, this.prefixedKey, this.owner);
    } catch (err) {
      if (stop.aborted) return false;
      // Do not delete or rewrite anything: that could destroy a new owner.
      logger.warn({ ...fields, err }, 'Failed to get ownership message to refresh');
      return false;
    }
    if (record.owner !== this.owner) {
      logger.info({ ...fields, new_owner: record.owner }, 'Lost ownership race');
      return false;
    }
    // A Go store operation under a cancelled context fails; so does ours.
    if (stop.aborted) return false;
    const expires = clock.now() + refreshIntervalMs;
    record.expires = timestampFromMs(expires);
    try {
      const write = store.setIf(OWNERSHIP_PARTITION, this.#keyBytes, encodeRecord(record), entry.predicate);
      this.#refreshWrite = write;
      await abortable(write, stop);
    } catch (err) {
      if (stop.aborted) return false;
      logger.warn({ ...fields, err }, 'Failed to set ownership message to refresh (keep going, may lose)');
      return true;
    }
    logger.trace({ ...fields, expires }, 'Refreshed ownership');
    return true;
  }
}

/** Aborts `target` when `source` aborts; returns a function that unlinks them. */
function linkSignal(source: AbortSignal | undefined, target: AbortController): () => void {
  if (source === undefined) return () => {};
  if (source.aborted) {
    target.abort(source.reason);
    return () => {};
  }
  const onAbort = (): void => target.abort(source.reason);
  source.addEventListener('abort', onAbort, { once: true });
  return () => source.removeEventListener('abort', onAbort);
}
