/**
 * The ownership handle: its refresh loop (a Go-`time.Ticker`-like cadence on
 * the injected monotonic clock) and `release()`.
 */
import { abortable, linkSignal } from './abort.js';
import { ownerComment } from './comment.js';
import { bytesEqual, type Predicate, type StoreEntry } from './store/store.js';
import { CorruptRecordError, isPredicateFailed, OwnershipLostError, PredicateFailedError, type LossReason } from './errors.js';
import type { HandoffHooks } from './key-queue.js';
import { logs } from './logger.js';
import type { OwnerContext, SwapFn } from './owner.js';
import { OWNERSHIP_PARTITION, decodeRecord, encodeRecord, newRecord, quantizeMs, timestampFromMs, type MostlyCorrectOwnership } from './record.js';

/** Where an {@link Ownership} lives. */
export interface OwnershipInit {
  readonly owner: string;
  readonly key: string;
  readonly prefixedKey: string;
  readonly keyBytes: Uint8Array;
  readonly signal: AbortSignal | undefined;
  /** Monotonic time at which the read of the successful acquire attempt was sent. */
  readonly sentAtMono: number;
  /** The fencing token written, for strategies with fencing. */
  readonly token: bigint | undefined;
  /** Fast path: the record written (bytes and predicate); `undefined` on the generic path. */
  readonly written?: StoreEntry | undefined;
  /** The local queue of the key (strategies with `coalesce`): release hands over to its next waiter. */
  readonly hooks?: HandoffHooks | undefined;
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
  /**
   * Fencing token: increases with every change of owner of this key (strategies
   * with fencing; `undefined` under `lakefs`). Pass it to the resource you
   * protect and have it reject writes with a smaller token than it has seen.
   */
  readonly token: bigint | undefined;

  readonly #ctx: OwnerContext;
  readonly #keyBytes: Uint8Array;
  /** Stops the refresh loop and the deadline watcher. */
  readonly #stop = new AbortController();
  readonly #refreshDone: Promise<void>;
  readonly #detachOwnSignal: () => void;
  /** Made when `lost` is first read (most holders never read it: one controller less per ownership). */
  #lost: AbortController | undefined;
  #lostReason: OwnershipLostError | undefined;
  readonly #hooks: HandoffHooks | undefined;
  /** The refresh loop's store operation in flight, if any (release waits for it under strategies that serialize). */
  #inflight: Promise<unknown> | undefined;
  /** Monotonic time the read of the last successful write (acquire or refresh) was sent. */
  #lastSentMono: number;
  /**
   * Fast path: the last record this handle wrote (bytes and predicate), the
   * guess its next refresh or release swaps from; `undefined` on the generic path.
   */
  #lastWrite: StoreEntry | undefined;

  /** @internal Created by `MostlyCorrectOwner.own()`. */
  constructor(ctx: OwnerContext, init: OwnershipInit) {
    this.#ctx = ctx;
    this.owner = init.owner;
    this.key = init.key;
    this.prefixedKey = init.prefixedKey;
    this.#keyBytes = init.keyBytes;
    this.token = init.token;
    this.#lastSentMono = init.sentAtMono;
    if (ctx.swap !== undefined && init.written !== undefined) this.#lastWrite = init.written;
    this.#hooks = init.hooks;
    this.#detachOwnSignal = linkSignal(ctx.strategy.ownSignalStopsRefresh ? init.signal : undefined, this.#stop);
    const start = ctx.strategy.refreshFromAcquireSend ? init.sentAtMono : ctx.clock.monotonicNow();
    this.#refreshDone = this.#refreshLoop(start).catch((err: unknown) => {
      ctx.logger.warn({ err, owner: this.owner, prefixed_key: this.prefixedKey }, 'INVARIANT: refresh loop threw');
    });
    if (ctx.strategy.signalsLoss) {
      this.#watchDeadline().catch((err: unknown) => {
        ctx.logger.warn({ err, owner: this.owner, prefixed_key: this.prefixedKey }, 'INVARIANT: deadline watcher threw');
      });
    }
  }

  /**
   * Aborted, with an {@link OwnershipLostError} as reason, when this process
   * learns it no longer owns the key: a refresh found another owner or no
   * record, or no refresh succeeded by the holder's deadline (the lease minus
   * `lossMargin`, counted on this process's monotonic clock from before the
   * last successful write was sent). Stop acting as the owner when it fires.
   * Never aborted under the `lakefs` strategy (lakeFS never tells the holder),
   * nor by `release()`.
   */
  get lost(): AbortSignal {
    if (this.#lost === undefined) {
      this.#lost = new AbortController();
      if (this.#lostReason !== undefined) this.#lost.abort(this.#lostReason);
    }
    return this.#lost.signal;
  }

  #markLost(reason: LossReason, newOwner?: string): void {
    if (!this.#ctx.strategy.signalsLoss || this.#lostReason !== undefined || this.#stop.signal.aborted) return;
    this.#ctx.logger.info({ owner: this.owner, prefixed_key: this.prefixedKey, reason, new_owner: newOwner }, 'Ownership lost');
    this.#lostReason = new OwnershipLostError(reason, this.prefixedKey, this.owner, newOwner);
    this.#hooks?.lost(this); // the local queue first, as when it listened on the signal before the holder could
    this.#lost?.abort(this.#lostReason);
    this.#stop.abort();
  }

  /** Tells the holder when its own deadline passes without a successful write. */
  async #watchDeadline(): Promise<void> {
    const { clock, refreshIntervalMs, lossMarginMs } = this.#ctx;
    for (;;) {
      const wait = this.#lastSentMono + refreshIntervalMs - lossMarginMs - clock.monotonicNow();
      if (wait <= 0) {
        this.#markLost('deadline');
        return;
      }
      try {
        await clock.sleep(wait, this.#stop.signal);
      } catch {
        return; // released or lost
      }
    }
  }

  /**
   * Gives up ownership: if the record is still ours, sets its expiry to the
   * epoch so the next reader takes it at once. Losing a race here counts as
   * success. Store failures are logged (WARN), never thrown: the record then
   * expires by itself. Safe to call more than once (each call re-checks).
   * Under the `lakefs` strategy the refresh loop is stopped after the
   * release attempt, as in Go.
   *
   * Under strategies with `coalesce`, when another `own()` on the same
   * `MostlyCorrectOwner` waits for the key, the record is rewritten to name
   * that waiter instead (one SetIf, token + 1) and its `own()` resolves
   * before this returns. Under strategies with `pushHandoff`, a release to
   * the store is followed by a notification to waiters in other processes,
   * sent without waiting for the store's reply (a release costs the releaser
   * one round trip, not two; a failed notification is logged at WARN).
   */
  async release(): Promise<void> {
    const { logger, strategy } = this.#ctx;
    if (strategy.stopRefreshBeforeRelease) await this.#stopRefresh();
    let outcome: ReleaseOutcome = 'done';
    try {
      outcome = await this.#releaseIf();
    } catch (err) {
      logger.warn({ err, owner: this.owner, key: this.key }, 'Failed to delete ownership');
    } finally {
      this.#stop.abort();
      this.#detachOwnSignal();
      if (outcome !== 'handed-off') this.#hooks?.released(this);
    }
    if (outcome === 'expired' && strategy.pushHandoff && this.#ctx.store.notify !== undefined) {
      // (a release the store notified for itself, in the same request, ends as 'expired-notified')
      const failed = (err: unknown): void => logger.warn({ err, owner: this.owner, key: this.key }, 'Failed to notify waiters of the release (they poll)');
      try {
        // not awaited: the notification is on its way (Redis pipelines it ahead of the next command)
        this.#ctx.store.notify(OWNERSHIP_PARTITION, this.#keyBytes).catch(failed);
      } catch (err) {
        failed(err);
      }
    }
    if (logs(logger, 'trace')) logger.trace({ owner: this.owner, key: this.key }, outcome === 'handed-off' ? 'Handed ownership to the next local waiter' : 'Deleted ownership');
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
    this.#stop.abort();
    this.#detachOwnSignal();
    await this.#refreshDone;
    // the loop stops waiting at once, but a write it sent may still land: wait for it
    await this.#inflight?.catch(() => {});
  }

  /** Runs a store operation of the refresh loop, remembering it as in flight. */
  #track<T>(op: Promise<T>): Promise<T> {
    this.#inflight = op;
    return abortable(op, this.#stop.signal);
  }

  async #releaseIf(): Promise<ReleaseOutcome> {
    // Serialized strategies retry when the record is still ours after a lost race
    // (a write of ours landed late); lakeFS gives up at once.
    const attempts = this.#ctx.strategy.stopRefreshBeforeRelease ? 3 : 1;
    // Fast path: the first write goes out on the guess that the record is still
    // our last write; when it is not, the store's answer is the read of attempt 1.
    let view: View | undefined =
      this.#ctx.swap !== undefined && this.#lastWrite !== undefined
        ? { entry: this.#lastWrite, sentAtMono: this.#ctx.clock.monotonicNow(), guess: true }
        : undefined;
    for (let attempt = 1; ; attempt++) {
      const guessed = view?.guess === true;
      const outcome = await this.#releaseOnce(view);
      if (typeof outcome === 'string') return outcome;
      view = outcome.next;
      if (guessed && outcome.raced === 'guess') attempt--; // the store's answer is this attempt's read
      if (attempt >= attempts) return 'done';
    }
  }

  /**
   * One release attempt, from `view` (a read, or on the fast path the guess
   * of our last write), or from a fresh read when there is none. A lost
   * race returns what the store answered, as the next attempt's read when it
   * can serve as one.
   */
  async #releaseOnce(view: View | undefined): Promise<ReleaseOutcome | { raced: 'guess' | 'read'; next: View | undefined }> {
    const { store, logger, clock } = this.#ctx;
    if (view === undefined) {
      const sentAtMono = clock.monotonicNow();
      view = { entry: await store.get(OWNERSHIP_PARTITION, this.#keyBytes), sentAtMono, guess: false };
    }
    const { entry } = view;
    if (entry === undefined) {
      throw new Error(`get ownership message ${this.prefixedKey} to release it from ${this.owner}: not found`);
    }
    const record = this.#decode(entry);
    const fields = { prefixed_key: this.prefixedKey, owner: this.owner, new_owner: record.owner };
    if (record.owner !== this.owner) {
      logger.info(fields, 'Lost ownership race before trying to release');
      return 'done';
    }
    const next = this.#hooks?.takeNext(this);
    if (next !== undefined) return this.#handOff(next, record, view);
    // Expiry at the beginning of time: definitely expired. (Go resets the
    // Timestamp in place, so the field stays present with zero seconds/nanos.)
    record.expires = timestampFromMs(0);
    // push handoff: the notification rides along with the write when the store can do both at once
    const notify = this.#ctx.strategy.pushHandoff && store.notify !== undefined;
    const written = await this.#write(encodeRecord(record), entry.predicate, notify);
    if (written.ok) return written.notified ? 'expired-notified' : 'expired';
    if (!view.guess) logger.info(fields, 'Lost ownership race while trying to release');
    return this.#raced(view, written.current);
  }

  /** One SetIf (or swap) from our record to `next`'s: a change of owner, so the token increments. */
  async #handOff(next: string, ours: MostlyCorrectOwnership, view: View): Promise<ReleaseOutcome | { raced: 'guess' | 'read'; next: View | undefined }> {
    const { logger, clock, refreshIntervalMs } = this.#ctx;
    const hooks = this.#hooks!;
    const nowMs = quantizeMs(clock.now());
    const candidate = newRecord(next, nowMs + refreshIntervalMs, ownerComment(next, nowMs));
    const token = (ours.token ?? 0n) + 1n;
    candidate.token = token;
    candidate.leaseMs = Math.round(refreshIntervalMs);
    let written;
    try {
      written = await this.#write(encodeRecord(candidate), view.entry!.predicate);
    } catch (err) {
      hooks.putBack();
      throw err;
    }
    if (!written.ok) {
      hooks.putBack();
      if (!view.guess) logger.info({ prefixed_key: this.prefixedKey, owner: this.owner, new_owner: next }, 'Lost ownership race while handing over');
      return this.#raced(view, written.current);
    }
    hooks.handedOff(this, { sentAtMono: view.sentAtMono, token, written: written.entry });
    return 'handed-off';
  }

  /**
   * After a lost race from `view`: what the store answered (fast path) as the
   * next read, unless it is the state `view` held (a store answering from
   * before the write that won: read again).
   */
  #raced(view: View, current: { entry: StoreEntry | undefined } | undefined): { raced: 'guess' | 'read'; next: View | undefined } {
    const raced = view.guess ? 'guess' : 'read';
    if (current === undefined || sameState(current.entry, view.entry)) return { raced: 'read', next: undefined };
    return { raced, next: { entry: current.entry, sentAtMono: view.sentAtMono, guess: false } };
  }

  /** The record in `entry`, a fresh object the caller may change (may throw {@link CorruptRecordError}). */
  #decode(entry: StoreEntry): MostlyCorrectOwnership {
    return decodeRecord(entry.value, this.prefixedKey, this.owner);
  }

  /**
   * Writes `value` if the record still matches `predicate`: a swap on the fast
   * path (remembering what it wrote, or found), else a SetIf. A lost race is
   * `ok: false`, with the store's answer on the fast path; other store
   * failures throw.
   */
  async #write(
    value: Uint8Array,
    predicate: Predicate,
    notify = false,
  ): Promise<{ ok: true; entry: StoreEntry | undefined; notified?: boolean } | { ok: false; current: { entry: StoreEntry | undefined } | undefined }> {
    const { store, swap, remember } = this.#ctx;
    if (swap === undefined) {
      try {
        await store.setIf(OWNERSHIP_PARTITION, this.#keyBytes, value, predicate);
        return { ok: true, entry: undefined };
      } catch (err) {
        if (!isPredicateFailed(err)) throw err;
        return { ok: false, current: undefined };
      }
    }
    const result = await swap(OWNERSHIP_PARTITION, this.#keyBytes, value, predicate, notify ? { notify: true } : undefined);
    if (result.swapped) {
      const entry = { value, predicate: result.predicate };
      this.#lastWrite = entry;
      remember(this.prefixedKey, entry);
      return { ok: true, entry, notified: result.notified === true };
    }
    remember(this.prefixedKey, result.current);
    return { ok: false, current: { entry: result.current } };
  }

  /**
   * Ticks on the grid `start + k·interval` of the monotonic clock, as Go's
   * `time.Ticker`: a slow tick does not shift later ticks, and ticks that
   * fall due while one is being handled collapse into one pending tick.
   */
  async #refreshLoop(start: number): Promise<void> {
    const { clock, logger, refreshIntervalMs } = this.#ctx;
    const interval = refreshIntervalMs / 2;
    const stop = this.#stop;
    const fields = { interval, owner: this.owner, prefixed_key: this.prefixedKey };
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
          await clock.sleep(tickAt(received + 1) - clock.monotonicNow(), stop.signal);
        } catch {
          logger.trace(fields, 'Cancelled; stop refreshing ownership');
          return;
        }
        received = Math.max(received + 1, firedUpTo(clock.monotonicNow()));
      }
      if (stop.signal.aborted) {
        logger.trace(fields, 'Cancelled; stop refreshing ownership');
        return;
      }
      let outcome = await this.#refreshOnce(fields);
      // strategies that retry: after a failure, try again every acquireInterval until the next tick is due
      while (outcome === 'failed' && this.#ctx.strategy.onRefreshReadError === 'retry') {
        const untilTick = tickAt(received + 1) - clock.monotonicNow();
        if (untilTick <= this.#ctx.acquireIntervalMs) break;
        try {
          await clock.sleep(this.#ctx.acquireIntervalMs, stop.signal);
        } catch {
          return;
        }
        outcome = await this.#refreshOnce(fields);
      }
      if (outcome === 'stop') return;
    }
  }

  /** One refresh attempt: `ok`, `failed` (try again later), or `stop` (the loop must end). */
  async #refreshOnce(fields: Record<string, unknown>): Promise<'ok' | 'failed' | 'stop'> {
    const { store, swap, clock, logger, refreshIntervalMs, strategy } = this.#ctx;
    if (swap !== undefined && this.#lastWrite !== undefined) return this.#refreshBySwap(fields, swap, this.#lastWrite);
    const stop = this.#stop;
    let record: MostlyCorrectOwnership;
    let entry;
    const sentAtMono = clock.monotonicNow();
    try {
      entry = await this.#track(store.get(OWNERSHIP_PARTITION, this.#keyBytes));
      if (entry === undefined) throw new Error(`ownership record ${this.prefixedKey} not found`);
      record = decodeRecord(entry.value, this.prefixedKey, this.owner);
    } catch (err) {
      if (stop.signal.aborted) return 'stop';
      // Do not delete or rewrite anything: that could destroy a new owner.
      logger.warn({ ...fields, err }, 'Failed to get ownership message to refresh');
      if (entry === undefined && !(err instanceof CorruptRecordError) && (err as Error).message.endsWith('not found')) {
        this.#markLost('vanished');
        return 'stop';
      }
      if (err instanceof CorruptRecordError) {
        this.#markLost('corrupt');
        return 'stop';
      }
      return strategy.onRefreshReadError === 'retry' ? 'failed' : 'stop';
    }
    if (record.owner !== this.owner) {
      logger.info({ ...fields, new_owner: record.owner }, 'Lost ownership race');
      this.#markLost('taken', record.owner);
      return 'stop';
    }
    // A Go store operation under a cancelled context fails; so does ours.
    if (stop.signal.aborted) return 'stop';
    const expires = clock.now() + refreshIntervalMs;
    record.expires = timestampFromMs(expires);
    try {
      await this.#track(store.setIf(OWNERSHIP_PARTITION, this.#keyBytes, encodeRecord(record), entry.predicate));
    } catch (err) {
      if (stop.signal.aborted) return 'stop';
      logger.warn({ ...fields, err }, 'Failed to set ownership message to refresh (keep going, may lose)');
      return 'failed';
    }
    if (logs(logger, 'trace')) logger.trace({ ...fields, expires }, 'Refreshed ownership');
    this.#lastSentMono = Math.max(this.#lastSentMono, sentAtMono);
    return 'ok';
  }

  /**
   * A refresh on the fast path: the refreshed record built from our last
   * write, swapped in on the guess that the store still holds that write.
   * When it does not, the store's answer is handled as the generic refresh
   * handles its read: gone (vanished), not a record (corrupt, never
   * overwritten), another owner (taken), or our own record with other bytes
   * (a write of ours that landed late): refreshed from it, once.
   */
  async #refreshBySwap(fields: Record<string, unknown>, swap: SwapFn, lastWrite: StoreEntry): Promise<'ok' | 'failed' | 'stop'> {
    const { clock, logger, refreshIntervalMs, remember } = this.#ctx;
    const stop = this.#stop;
    const sentAtMono = clock.monotonicNow();
    let basis = lastWrite;
    for (let guess = true; ; guess = false) {
      // A Go store operation under a cancelled context fails; so does ours.
      if (stop.signal.aborted) return 'stop';
      const record = this.#decode(basis);
      const expires = clock.now() + refreshIntervalMs;
      record.expires = timestampFromMs(expires);
      const value = encodeRecord(record);
      let result;
      try {
        result = await this.#track(swap(OWNERSHIP_PARTITION, this.#keyBytes, value, basis.predicate));
      } catch (err) {
        if (stop.signal.aborted) return 'stop';
        logger.warn({ ...fields, err }, 'Failed to set ownership message to refresh (keep going, may lose)');
        return 'failed';
      }
      if (result.swapped) {
        this.#lastWrite = { value, predicate: result.predicate };
        if (logs(logger, 'trace')) logger.trace({ ...fields, expires }, 'Refreshed ownership');
        this.#lastSentMono = Math.max(this.#lastSentMono, sentAtMono);
        return 'ok';
      }
      if (stop.signal.aborted) return 'stop';
      const current = result.current;
      remember(this.prefixedKey, current);
      if (!guess || sameState(current, basis)) {
        // as a failed SetIf after a read that named us
        logger.warn({ ...fields, err: new PredicateFailedError(OWNERSHIP_PARTITION, this.#keyBytes) }, 'Failed to set ownership message to refresh (keep going, may lose)');
        return 'failed';
      }
      if (current === undefined) {
        // Do not write anything: that could destroy a new owner.
        logger.warn({ ...fields, err: new Error(`ownership record ${this.prefixedKey} not found`) }, 'Failed to get ownership message to refresh');
        this.#markLost('vanished');
        return 'stop';
      }
      let read: MostlyCorrectOwnership;
      try {
        read = decodeRecord(current.value, this.prefixedKey, this.owner);
      } catch (err) {
        logger.warn({ ...fields, err }, 'Failed to get ownership message to refresh');
        this.#markLost('corrupt');
        return 'stop';
      }
      if (read.owner !== this.owner) {
        logger.info({ ...fields, new_owner: read.owner }, 'Lost ownership race');
        this.#markLost('taken', read.owner);
        return 'stop';
      }
      basis = current;
    }
  }
}

/** What a release attempt decides on: a read (or the guess of our last write) and when it was sent. */
interface View {
  readonly entry: StoreEntry | undefined;
  readonly sentAtMono: number;
  /** The fast path's guess (our last write), not a read. */
  readonly guess: boolean;
}

/** Whether two answers name the same stored state (both absent, or equal bytes). */
function sameState(a: StoreEntry | undefined, b: StoreEntry | undefined): boolean {
  return a === undefined || b === undefined ? a === b : bytesEqual(a.value, b.value);
}

/** How a release ended: handed to a local waiter, written as expired, or nothing to write (not ours, given up). */
type ReleaseOutcome = 'handed-off' | 'expired' | 'expired-notified' | 'done';
