/**
 * systemClock.sleep under fake global timers: the Clock contract (resolve
 * after `ms`, reject promptly on abort with the reason, no timer left
 * behind), and one 'abort' listener per signal however often it is slept on
 * (the refresh loop of every held key sleeps on its own stop signal once a
 * tick; a listener added and removed per sleep was most of a tick's cost).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../src/index.js';
import { installFakeTime, track, type InstalledClock } from './helpers/fake-time.js';

let clock: InstalledClock;
beforeEach(() => {
  clock = installFakeTime();
});
afterEach(() => {
  clock.uninstall();
});

describe('systemClock.sleep', () => {
  it('resolves after ms, not before, with or without a signal', async () => {
    const ac = new AbortController();
    const a = track(systemClock.sleep(100, ac.signal));
    const b = track(systemClock.sleep(100));
    await clock.tickAsync(99);
    expect([a.state, b.state]).toEqual(['pending', 'pending']);
    await clock.tickAsync(1);
    expect([a.state, b.state]).toEqual(['resolved', 'resolved']);
    expect(clock.countTimers()).toBe(0);
  });

  it('ms <= 0 resolves on the next timer turn, not synchronously', async () => {
    const s = track(systemClock.sleep(-5, new AbortController().signal));
    await Promise.resolve();
    expect(s.state).toBe('pending');
    await clock.tickAsync(1);
    expect(s.state).toBe('resolved');
  });

  it('an abort rejects every pending sleep on the signal with its reason and clears their timers', async () => {
    const ac = new AbortController();
    const sleeps = [10, 50, 1000].map((ms) => track(systemClock.sleep(ms, ac.signal)));
    await clock.tickAsync(20); // the first one has resolved: the abort must not touch it
    const reason = new Error('stop');
    ac.abort(reason);
    await clock.tickAsync(0);
    expect(sleeps.map((s) => s.state)).toEqual(['resolved', 'rejected', 'rejected']);
    expect(sleeps[1]!.reason).toBe(reason);
    expect(sleeps[2]!.reason).toBe(reason);
    expect(clock.countTimers()).toBe(0);
  });

  it('an already-aborted signal rejects at once without starting a timer', async () => {
    const ac = new AbortController();
    ac.abort('gone');
    const s = track(systemClock.sleep(100, ac.signal));
    await clock.tickAsync(0);
    expect(s).toEqual({ state: 'rejected', reason: 'gone' });
    expect(clock.countTimers()).toBe(0);
  });

  it('sleeps on different signals are independent', async () => {
    const a = new AbortController();
    const b = new AbortController();
    const sa = track(systemClock.sleep(50, a.signal));
    const sb = track(systemClock.sleep(50, b.signal));
    a.abort('a');
    await clock.tickAsync(50);
    expect([sa.state, sb.state]).toEqual(['rejected', 'resolved']);
  });
});
