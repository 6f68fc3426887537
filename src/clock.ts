/**
 * Where time is decided.
 *
 * Production code sees time only through a {@link Clock}. The default,
 * {@link systemClock}, is the only place in `src/` that touches the global
 * clock and timers; the simulator supplies per-node clocks with offset, drift,
 * jumps and pauses instead. A test fails if any other file in `src/` reaches
 * for `Date`, `setTimeout`, `setInterval` or `performance.now`.
 */

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
}

/** The process's real clock: `Date.now()`, `performance.now()` and `setTimeout`. */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  monotonicNow: () => performance.now(),
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal!.reason as Error);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
});
