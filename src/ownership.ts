/**
 * The ownership handle a successful `own()` resolves with: it starts the
 * refresh loop (`refresh.ts`) and, under strategies that signal loss, the
 * holder's deadline watcher; `release()` (writes in `release.ts`) stops both.
 */
import { linkSignal } from './abort.js';
import type { Acquired, HandoffHooks, HeldKey, OwnerContext } from './context.js';
import { OwnershipLostError, type LossReason } from './errors.js';
import { logs } from './logger.js';
import { OWNERSHIP_PARTITION } from './record.js';
import { refreshLoop } from './refresh.js';
import { releaseRecord, type ReleaseOutcome } from './release.js';

/**
 * Why a handle's refresh loop and deadline watcher stop on `release()`: one
 * constant, because `abort()` without a reason builds a `DOMException` (and
 * captures a stack trace) on every release. The loops only see it in their
 * own catch blocks; no caller ever receives it.
 */
const RELEASED = Object.freeze(new Error('ownership released'));

/** Where an {@link Ownership} lives. */
export interface OwnershipInit extends Acquired {
  readonly owner: string;
  readonly key: string;
  readonly prefixedKey: string;
  readonly keyBytes: Uint8Array;
  /** The signal given to `own()` (it stops refreshing under strategies whose `refresh.stoppedByOwnSignal`). */
  readonly signal: AbortSignal | undefined;
  /** The key's local queue (strategies with `handoff.localQueue`): release hands over to its next waiter. */
  readonly hooks?: HandoffHooks | undefined;
  /** Told when `release()` has finished (the owner stops tracking the handle). */
  readonly onReleased?: ((ownership: Ownership) => void) | undefined;
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

  readonly #held: HeldKey;
  readonly #refreshDone: Promise<void>;
  readonly #detachOwnSignal: () => void;
  /** Made when `lost` is first read. */
  #lost: AbortController | undefined;
  #lostReason: OwnershipLostError | undefined;
  readonly #hooks: HandoffHooks | undefined;
  readonly #onReleased: ((ownership: Ownership) => void) | undefined;

  /** @internal Created by `MostlyCorrectOwner.own()`. */
  constructor(ctx: OwnerContext, init: OwnershipInit) {
    this.owner = init.owner;
    this.key = init.key;
    this.prefixedKey = init.prefixedKey;
    this.token = init.token;
    this.#hooks = init.hooks;
    this.#onReleased = init.onReleased;
    const stop = new AbortController();
    this.#held = {
      ctx,
      owner: init.owner,
      key: init.key,
      prefixedKey: init.prefixedKey,
      keyBytes: init.keyBytes,
      stop,
      lastWrite: ctx.known === undefined ? undefined : init.written,
      lastSentMono: init.sentAtMono,
      inflight: undefined,
      markLost: (reason, newOwner) => this.#markLost(reason, newOwner),
    };
    this.#detachOwnSignal = linkSignal(ctx.strategy.refresh.stoppedByOwnSignal ? init.signal : undefined, stop);
    const start = ctx.strategy.refresh.cadenceFrom === 'acquire-sent' ? init.sentAtMono : ctx.clock.monotonicNow();
    this.#refreshDone = refreshLoop(this.#held, start).catch((err: unknown) => {
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
    const { ctx, stop } = this.#held;
    if (!ctx.strategy.signalsLoss || this.#lostReason !== undefined || stop.signal.aborted) return;
    ctx.logger.info({ owner: this.owner, prefixed_key: this.prefixedKey, reason, new_owner: newOwner }, 'Ownership lost');
    this.#lostReason = new OwnershipLostError(reason, this.prefixedKey, this.owner, newOwner);
    this.#hooks?.lost(this); // the local queue first, as when it listened on the signal before the holder could
    this.#lost?.abort(this.#lostReason);
    stop.abort(this.#lostReason);
  }

  /** Tells the holder when its own deadline passes without a successful write. */
  async #watchDeadline(): Promise<void> {
    const held = this.#held;
    const { clock, refreshIntervalMs, lossMarginMs } = held.ctx;
    for (;;) {
      const wait = held.lastSentMono + refreshIntervalMs - lossMarginMs - clock.monotonicNow();
      if (wait <= 0) {
        this.#markLost('deadline');
        return;
      }
      try {
        await clock.sleep(wait, held.stop.signal);
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
   * Under strategies with a local queue (`handoff.localQueue`), when another
   * `own()` on the same `MostlyCorrectOwner` waits for the key, the record is
   * rewritten to name that waiter instead (one write, token + 1) and its
   * `own()` resolves before this returns. Under strategies with push handoff,
   * a release to the store is followed by a notification to waiters in other
   * processes, sent without waiting for the store's reply (a failed
   * notification is logged at WARN).
   */
  async release(): Promise<void> {
    const held = this.#held;
    const { logger, strategy, store } = held.ctx;
    if (strategy.release.order === 'stop-then-write') await this.#stopRefresh();
    let outcome: ReleaseOutcome = 'done';
    try {
      outcome = await releaseRecord(held, this, this.#hooks);
    } catch (err) {
      logger.warn({ err, owner: this.owner, key: this.key }, 'Failed to delete ownership');
    } finally {
      held.stop.abort(RELEASED);
      this.#detachOwnSignal();
      if (outcome !== 'handed-off') this.#hooks?.released(this);
      this.#onReleased?.(this);
    }
    if (outcome === 'expired' && strategy.handoff.push && store.notify !== undefined) {
      // (a release the store notified for itself, in the same request, ends as 'expired-notified')
      const failed = (err: unknown): void => logger.warn({ err, owner: this.owner, key: this.key }, 'Failed to notify waiters of the release (they poll)');
      try {
        // not awaited: the notification is on its way (Redis pipelines it ahead of the next command)
        store.notify(OWNERSHIP_PARTITION, held.keyBytes).catch(failed);
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
    this.#held.stop.abort(RELEASED);
    this.#detachOwnSignal();
    await this.#refreshDone;
    // the loop stops waiting at once, but a write it sent may still land: wait for it
    await this.#held.inflight?.catch(() => {});
  }
}
