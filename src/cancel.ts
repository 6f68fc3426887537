/**
 * A cancellation token for the library's own waits, where no public API
 * needs an AbortSignal. No time, no timers.
 *
 * Every uncontended `own()` under a strategy with a local queue runs one
 * poll session that must be cancellable (its last local waiter may leave),
 * yet is almost never cancelled and almost never sleeps. An AbortController
 * per session, with an EventTarget listener added and removed around each
 * store operation, was a measurable share of the CPU of an own + release
 * cycle. A {@link Cancel} is a flag and a list of callbacks; the
 * AbortSignal that `Clock.sleep` takes is made only when a wait needs one.
 *
 * Callbacks run in the order they were added, as an AbortSignal's
 * listeners do: once the signal exists, later callbacks are added to it as
 * listeners (after the ones added before it was made, which run first), so
 * a simulated clock sleeping on the signal sees the order an
 * AbortController would have given.
 */
import type { CancelToken } from './clock.js';

/** Cancels a {@link Cancel}'s waits; see the module comment. */
export class Cancel implements CancelToken {
  #aborted = false;
  #reason: unknown = undefined;
  /**
   * Callbacks to run on abort, in the order they were added (a Set keeps
   * insertion order and removes in O(1), however the waits interleave: a
   * holder's refresh loop and deadline watcher take turns for as long as
   * the key is held).
   */
  #listeners: Set<() => void> | undefined;
  /** The AbortSignal's controller, once {@link signal} was read. */
  #controller: AbortController | undefined;

  /** Whether the AbortSignal was made (then waits go through it). */
  get hasSignal(): boolean {
    return this.#controller !== undefined;
  }

  /** Whether {@link abort} was called. */
  get aborted(): boolean {
    return this.#aborted;
  }

  /** The reason given to {@link abort} (`undefined` before). */
  get reason(): unknown {
    return this.#reason;
  }

  /**
   * Aborts: runs the callbacks added with {@link onAbort}, in order, then
   * aborts {@link signal} (if it was made), both with `reason`. Only the
   * first call counts.
   */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    const listeners = this.#listeners;
    this.#listeners = undefined;
    // a callback removed by an earlier one during this loop is not called, as with EventTarget
    if (listeners !== undefined) for (const listener of listeners) listener();
    this.#controller?.abort(reason);
  }

  /**
   * Calls `listener` once, on abort (not when already aborted: check
   * {@link aborted} first). Returns a function that removes it. The same
   * function added twice is called once, as with `addEventListener`.
   */
  onAbort(listener: () => void): () => void {
    const controller = this.#controller;
    if (controller !== undefined) {
      const signal = controller.signal;
      signal.addEventListener('abort', listener, { once: true });
      return () => signal.removeEventListener('abort', listener);
    }
    const listeners = (this.#listeners ??= new Set());
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }

  /** Number of callbacks waiting for the abort, not counting its signal's listeners (for leak checks). */
  get callbacks(): number {
    return this.#listeners?.size ?? 0;
  }

  /** An AbortSignal that aborts with this token, made on first use (for `Clock.sleep`). */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }
}

/** What a wait inside the library can be cancelled by: a caller's AbortSignal or a {@link Cancel}. */
export type Cancellation = AbortSignal | Cancel;

/** The AbortSignal of `cancellation`, for APIs that take one. */
export function signalOf(cancellation: Cancellation | undefined): AbortSignal | undefined {
  return cancellation instanceof Cancel ? cancellation.signal : cancellation;
}

/** Calls `listener` once when `cancellation` aborts; returns a function that removes it. */
export function onAbort(cancellation: Cancellation, listener: () => void): () => void {
  if (cancellation instanceof Cancel) return cancellation.onAbort(listener);
  cancellation.addEventListener('abort', listener, { once: true });
  return () => cancellation.removeEventListener('abort', listener);
}
