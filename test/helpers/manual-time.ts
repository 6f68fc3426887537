/**
 * A controllable time line for tests that drive production code step by
 * step: one true time, advanced only by the test; per-node {@link Clock}
 * views with a wall-clock offset; timers fire in (due, registration) order,
 * each followed by a full flush of promise continuations. A node view can be
 * killed: its timers then never fire (a crashed process).
 */
import type { Clock } from '../../src/index.js';

/** Wall-clock origin of true time 0. */
export const MANUAL_EPOCH_MS = 1_700_000_000_000;

interface Timer {
  due: number;
  seq: number;
  fire: () => void;
  view: ManualClock;
  cancelled: boolean;
}

/** Lets every queued promise continuation run (the code under test does no real I/O). */
export function flush(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/** The shared true time line. */
export class ManualTime {
  now = 0;
  #seq = 0;
  #timers: Timer[] = [];

  /** A node's clock: wall = epoch + offset + now, monotonic = now. */
  clock(offsetMs = 0): ManualClock {
    return new ManualClock(this, offsetMs);
  }

  /** @internal */
  add(t: Omit<Timer, 'seq'>): Timer {
    const timer = { ...t, seq: this.#seq++ };
    this.#timers.push(timer);
    return timer;
  }

  /** Timers that can still fire. */
  get pending(): number {
    return this.#timers.filter((t) => !t.cancelled && t.view.alive).length;
  }

  /** Due time of the next timer that can fire, if any. */
  nextDue(filter: (view: ManualClock) => boolean = () => true): number | undefined {
    let best: number | undefined;
    for (const t of this.#timers) if (!t.cancelled && t.view.alive && filter(t.view) && (best === undefined || t.due < best)) best = t.due;
    return best;
  }

  /** Advances true time to `until`, firing due timers in (due, seq) order, flushing after each. */
  async advanceTo(until: number): Promise<void> {
    for (;;) {
      this.#timers = this.#timers.filter((t) => !t.cancelled && t.view.alive);
      let next: Timer | undefined;
      for (const t of this.#timers) if (t.due <= until && (next === undefined || t.due < next.due || (t.due === next.due && t.seq < next.seq))) next = t;
      if (next === undefined) break;
      this.#timers.splice(this.#timers.indexOf(next), 1);
      this.now = Math.max(this.now, next.due);
      next.fire();
      await flush();
    }
    this.now = Math.max(this.now, until);
    await flush();
  }
}

/** One node's view of a {@link ManualTime}. */
export class ManualClock implements Clock {
  alive = true;
  constructor(
    readonly time: ManualTime,
    readonly offsetMs: number,
  ) {}

  now(): number {
    return MANUAL_EPOCH_MS + this.offsetMs + this.time.now;
  }

  monotonicNow(): number {
    return this.time.now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        timer.cancelled = true;
        reject(signal!.reason as Error);
      };
      const timer = this.time.add({
        due: this.time.now + Math.max(0, ms),
        view: this,
        cancelled: false,
        fire: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
