/**
 * Cancel (src/cancel.ts) and sleepOn (src/clock.ts): the cheap cancellation
 * token of the library's own waits. It must behave as an AbortController
 * would: callbacks in the order they were added, including listeners on its
 * AbortSignal once that exists; a sleep on systemClock resolves after `ms`,
 * rejects promptly with the reason on abort and leaves no timer behind.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { abortable } from '../src/abort.js';
import { Cancel, onAbort, signalOf } from '../src/cancel.js';
import { sleepOn, systemClock, type Clock } from '../src/clock.js';
import { installFakeTime, track, type InstalledClock } from './helpers/fake-time.js';

let clock: InstalledClock;
beforeEach(() => {
  clock = installFakeTime();
});
afterEach(() => {
  clock.uninstall();
});

describe('Cancel', () => {
  it('runs callbacks once, in the order added, then the listeners of its signal', () => {
    const c = new Cancel();
    const calls: string[] = [];
    c.onAbort(() => calls.push('a'));
    const removeB = c.onAbort(() => calls.push('b'));
    c.onAbort(() => calls.push('c'));
    removeB();
    removeB(); // a second removal is harmless
    const signal = c.signal;
    signal.addEventListener('abort', () => calls.push('listener'));
    c.onAbort(() => calls.push('d')); // the signal exists: added after 'listener'
    expect(c.aborted).toBe(false);
    c.abort('why');
    c.abort('again'); // only the first counts
    expect(calls).toEqual(['a', 'c', 'listener', 'd']);
    expect(c.aborted).toBe(true);
    expect(c.reason).toBe('why');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('why');
  });

  it('keeps only live callbacks, however two waits take turns (as the refresh loop and the deadline watcher do)', () => {
    const c = new Cancel();
    let removeA = c.onAbort(() => {});
    let removeB = c.onAbort(() => {});
    for (let i = 0; i < 1000; i++) {
      removeA();
      removeA = c.onAbort(() => {});
      removeB();
      removeB = c.onAbort(() => {});
    }
    expect(c.callbacks).toBe(2);
    const calls: number[] = [];
    c.onAbort(() => calls.push(1));
    c.abort('x');
    expect(calls).toEqual([1]);
  });

  it('a signal made after the abort is already aborted, with the reason', () => {
    const c = new Cancel();
    c.abort('late');
    expect(c.signal.aborted).toBe(true);
    expect(c.signal.reason).toBe('late');
    expect(c.hasSignal).toBe(true);
  });

  it('makes no AbortSignal until asked for one', () => {
    const c = new Cancel();
    c.onAbort(() => {})();
    expect(c.hasSignal).toBe(false);
    expect(signalOf(c)).toBe(c.signal);
    expect(c.hasSignal).toBe(true);
    const ac = new AbortController();
    expect(signalOf(ac.signal)).toBe(ac.signal);
  });

  it('onAbort works alike on a Cancel and on an AbortSignal', () => {
    const ac = new AbortController();
    const c = new Cancel();
    const calls: string[] = [];
    onAbort(ac.signal, () => calls.push('signal'));
    onAbort(c, () => calls.push('cancel'));
    onAbort(ac.signal, () => calls.push('removed'))();
    onAbort(c, () => calls.push('removed'))();
    ac.abort();
    c.abort('x');
    expect(calls).toEqual(['signal', 'cancel']);
  });

  it('abortable rejects promptly with the reason, and a later settlement of the operation changes nothing', async () => {
    const c = new Cancel();
    let finish!: (v: string) => void;
    const op = new Promise<string>((resolve) => (finish = resolve));
    const t = track(abortable(op, c));
    c.abort('stop');
    await Promise.resolve();
    expect(t).toEqual({ state: 'rejected', reason: 'stop' });
    finish('late');
    await Promise.resolve();
    expect(t.state).toBe('rejected');
    // on an already-aborted token the operation is not waited for
    const again = track(abortable(new Promise<never>(() => {}), c));
    await Promise.resolve();
    expect(again).toEqual({ state: 'rejected', reason: 'stop' });
  });
});

describe('sleepOn', () => {
  it('on systemClock: resolves after ms, and leaves no timer', async () => {
    const c = new Cancel();
    const s = track(sleepOn(systemClock, 100, c));
    await clock.tickAsync(99);
    expect(s.state).toBe('pending');
    await clock.tickAsync(1);
    expect(s.state).toBe('resolved');
    expect(clock.countTimers()).toBe(0);
    expect(c.hasSignal).toBe(false);
  });

  it('on systemClock: an abort rejects every pending sleep with the reason and clears their timers', async () => {
    const c = new Cancel();
    const sleeps = [10, 50, 1000].map((ms) => track(sleepOn(systemClock, ms, c)));
    await clock.tickAsync(20);
    c.abort('released');
    await clock.tickAsync(0);
    expect(sleeps.map((s) => s.state)).toEqual(['resolved', 'rejected', 'rejected']);
    expect(sleeps[2]!.reason).toBe('released');
    expect(clock.countTimers()).toBe(0);
    // an aborted token rejects at once, without a timer
    const after = track(sleepOn(systemClock, 10, c));
    await clock.tickAsync(0);
    expect(after).toEqual({ state: 'rejected', reason: 'released' });
    expect(clock.countTimers()).toBe(0);
  });

  it('a clock with sleepCancellable gets the token itself; no AbortSignal is made', async () => {
    const seen: unknown[] = [];
    const other: Clock = {
      now: () => systemClock.now(),
      monotonicNow: () => systemClock.monotonicNow(),
      sleep: () => Promise.reject(new Error('sleep must not be called')),
      sleepCancellable: (ms, cancel) => {
        seen.push(cancel);
        return systemClock.sleepCancellable!(ms, cancel);
      },
    };
    const c = new Cancel();
    const s = track(sleepOn(other, 100, c));
    expect(seen).toEqual([c]);
    expect(c.hasSignal).toBe(false);
    c.abort('stop');
    await clock.tickAsync(0);
    expect(s).toEqual({ state: 'rejected', reason: 'stop' });
    expect(clock.countTimers()).toBe(0);
  });

  it('a caller\'s AbortSignal, or none, goes to sleep() as it is, even on a clock with sleepCancellable', async () => {
    const { clock: other, seen } = recordingSleeps({ cancellable: true });
    const ac = new AbortController();
    const a = track(sleepOn(other, 100, ac.signal));
    const b = track(sleepOn(other, 100, undefined));
    expect(seen).toEqual([ac.signal, undefined]);
    ac.abort('stop');
    await clock.tickAsync(100);
    expect([a, b]).toEqual([{ state: 'rejected', reason: 'stop' }, { state: 'resolved' }]);
    expect(clock.countTimers()).toBe(0);
  });

  it('a clock without sleepCancellable is called with the token\'s AbortSignal', async () => {
    const { clock: other, seen } = recordingSleeps({ cancellable: false });
    const c = new Cancel();
    const s = track(sleepOn(other, 100, c));
    expect(seen).toEqual([c.signal]);
    c.abort('stop');
    await clock.tickAsync(0);
    expect(s).toEqual({ state: 'rejected', reason: 'stop' });
    expect(clock.countTimers()).toBe(0);
  });
});

/**
 * systemClock with a `sleep` that records the signal it is given; with
 * `cancellable`, also a `sleepCancellable` that must not be called.
 */
function recordingSleeps(options: { cancellable: boolean }): { clock: Clock; seen: (AbortSignal | undefined)[] } {
  const seen: (AbortSignal | undefined)[] = [];
  const clock: Clock = {
    now: () => systemClock.now(),
    monotonicNow: () => systemClock.monotonicNow(),
    sleep: (ms, signal) => {
      seen.push(signal);
      return systemClock.sleep(ms, signal);
    },
  };
  if (options.cancellable) clock.sleepCancellable = () => Promise.reject(new Error('sleepCancellable must not be called'));
  return { clock, seen };
}
