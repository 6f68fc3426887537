/**
 * Where time is decided.
 *
 * Production code sees time only through a {@link Clock}. The default,
 * {@link systemClock}, is the only place in `src/` that touches the global
 * clock and timers; the simulator supplies per-node clocks with offset, drift,
 * jumps and pauses instead. A test fails if any other file in `src/` reaches
 * for `Date`, `setTimeout`, `setInterval` or `performance.now`.
 */
import { Cancel, signalOf, type Cancellation } from './cancel.js';

/**
 * What the library's own waits are cancelled by when a clock can take it
 * ({@link Clock.sleepCancellable}): a flag, a reason and abort callbacks,
 * without an AbortSignal's EventTarget.
 */
export interface CancelToken {
  /** Whether the token has aborted. */
  readonly aborted: boolean;
  /** Why it aborted (`undefined` before); a cancelled sleep rejects with it. */
  readonly reason: unknown;
  /**
   * Calls `listener` once when the token aborts (never when it already has:
   * check {@link aborted} first). Listeners run in the order they were
   * added. Returns a function that removes `listener`.
   */
  onAbort(listener: () => void): () => void;
}

/** A source of wall-clock and monotonic time, plus a cancellable sleep. */
export interface Clock {
  /**
   * Wall-clock time in milliseconds since the Unix epoch (may be fractional).
   * This is the clock that record expiry is judged and written with, so two
   * processes whose wall clocks disagree may disagree about expiry.
   */
  now(): number;
  /**
   * Monotonic time in milliseconds from an arbitrary origin. Never goes
   * backwards; used for the refresh cadence.
   */
  monotonicNow(): number;
  /**
   * Resolves after `ms` milliseconds of monotonic time (`ms <= 0` resolves on
   * a fresh timer turn, like a zero-length Go timer). When `signal` aborts,
   * rejects promptly with `signal.reason` and leaves no timer behind. An
   * already-aborted signal rejects without starting a timer.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Optional: {@link sleep}, cancelled by a {@link CancelToken} instead of an
   * AbortSignal (rejects promptly with `cancel.reason`, leaves no timer
   * behind; an already-aborted token rejects without starting one). The
   * library's own waits (a holder's refresh ticks and deadline, a waiter's
   * poll) use it when it is there, which spares an AbortController and its
   * abort event per ownership; without it they call `sleep(ms, signal)` with
   * a signal that aborts with the token. Either way the same waits happen in
   * the same order.
   */
  sleepCancellable?(ms: number, cancel: CancelToken): Promise<void>;
}

/** A pending {@link systemClock} sleep. */
interface Sleeper {
  timer: ReturnType<typeof setTimeout> | undefined;
  resolve(): void;
  reject(reason: unknown): void;
}

/**
 * The pending sleeps of each signal, and one 'abort' listener per signal
 * that rejects them all. An owner sleeps on the same signal over and over
 * (a refresh loop ticks on its stop signal for as long as the key is held);
 * adding and removing an EventTarget listener for every sleep was a large
 * part of the cost of a tick and of the garbage that lives until the next
 * one. The listener stays on the signal until it aborts (or is collected
 * with it): a signal that is slept on again costs one Set insert and delete.
 */
const sleepersOf = new WeakMap<AbortSignal, Set<Sleeper>>();

function pendingOn(signal: AbortSignal): Set<Sleeper> {
  let pending = sleepersOf.get(signal);
  if (pending === undefined) {
    const created = new Set<Sleeper>();
    pending = created;
    sleepersOf.set(signal, created);
    signal.addEventListener(
      'abort',
      () => {
        for (const s of created) {
          clearTimeout(s.timer);
          s.reject(signal.reason);
        }
        created.clear();
      },
      { once: true },
    );
  }
  return pending;
}

/** The process's real clock: `Date.now()`, `performance.now()` and `setTimeout`. */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  monotonicNow: () => performance.now(),
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal === undefined) {
        setTimeout(resolve, Math.max(0, ms));
        return;
      }
      if (signal.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const pending = pendingOn(signal);
      const sleeper: Sleeper = { timer: undefined, resolve, reject };
      sleeper.timer = setTimeout(() => {
        pending.delete(sleeper);
        resolve();
      }, Math.max(0, ms));
      pending.add(sleeper);
    });
  },
  // a timer and a callback on the token: no AbortSignal made, no EventTarget listener
  sleepCancellable(ms: number, cancel: CancelToken): Promise<void> {
    /* eslint-disable @typescript-eslint/prefer-promise-reject-errors -- rejects with the abort reason unchanged, as `sleep` does */
    return new Promise<void>((resolve, reject) => {
      if (cancel.aborted) {
        reject(cancel.reason);
        return;
      }
      const timer = setTimeout(() => {
        detach();
        resolve();
      }, Math.max(0, ms));
      const detach = cancel.onAbort(() => {
        clearTimeout(timer);
        reject(cancel.reason);
      });
    });
    /* eslint-enable @typescript-eslint/prefer-promise-reject-errors */
  },
});

/**
 * A sleep of the library's own, cancelled by `cancel` (a {@link Cancel}, a
 * caller's AbortSignal, or nothing): a Cancel goes through the clock's
 * {@link Clock.sleepCancellable} when it has one (a holder's refresh loop and
 * deadline watcher sleep on a token that lives as long as its ownership, and
 * most ownerships are released long before either timer fires, so making an
 * AbortSignal for them was most of their cost); otherwise `sleep` with the
 * AbortSignal (a Cancel's is made then).
 */
export function sleepOn(clock: Clock, ms: number, cancel: Cancellation | undefined): Promise<void> {
  if (cancel instanceof Cancel && clock.sleepCancellable !== undefined) return clock.sleepCancellable(ms, cancel);
  return clock.sleep(ms, signalOf(cancel));
}
