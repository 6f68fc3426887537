import * as FakeTimers from '@sinonjs/fake-timers';
import { systemClock, type Clock } from '../../src/index.js';

/** The fake clock installed by {@link installFakeTime}. */
export type InstalledClock = ReturnType<typeof FakeTimers.install>;

/** Fake global time (Date, performance, timers) starting at `startMs` on the wall clock. */
export function installFakeTime(startMs = 1_700_000_000_000): InstalledClock {
  return FakeTimers.install({
    now: startMs,
    toFake: ['Date', 'performance', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'],
    shouldClearNativeTimers: true,
  });
}

/** How a promise settled, as {@link track} records it. */
export interface Tracked {
  state: 'pending' | 'resolved' | 'rejected';
  reason?: unknown;
}

/** Settles `p` into a tag that can be checked after fake time moved. */
export function track(p: Promise<unknown>): Tracked {
  const t: Tracked = { state: 'pending' };
  p.then(
    () => (t.state = 'resolved'),
    (err: unknown) => {
      t.state = 'rejected';
      t.reason = err;
    },
  );
  return t;
}

/** systemClock with its wall clock shifted by `offsetMs` (timers unchanged). */
export function skewedClock(offsetMs: number): Clock {
  return {
    now: () => systemClock.now() + offsetMs,
    monotonicNow: () => systemClock.monotonicNow(),
    sleep: (ms, signal) => systemClock.sleep(ms, signal),
  };
}

/** A logger that records every call. */
export function recordingLogger(): {
  lines: { level: string; fields: Record<string, unknown>; message: string }[];
  trace: (f: Record<string, unknown>, m: string) => void;
  debug: (f: Record<string, unknown>, m: string) => void;
  info: (f: Record<string, unknown>, m: string) => void;
  warn: (f: Record<string, unknown>, m: string) => void;
} {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => {
    lines.push({ level, fields, message });
  };
  return { lines, trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn') };
}

/** A deterministic RandomSource for tests (xorshift32). */
export function seededRandom(seed = 1): { bytes(size: number): Uint8Array } {
  let x = seed >>> 0 || 1;
  return {
    bytes(size: number): Uint8Array {
      const out = new Uint8Array(size);
      for (let i = 0; i < size; i++) {
        x ^= x << 13;
        x >>>= 0;
        x ^= x >>> 17;
        x ^= x << 5;
        x >>>= 0;
        out[i] = x & 0xff;
      }
      return out;
    },
  };
}
