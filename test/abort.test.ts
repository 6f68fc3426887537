/**
 * src/abort.ts and systemClock's sleep: an abortable store operation rejects
 * promptly with the reason and never leaves an unhandled rejection; a sleep
 * on the system clock resolves after `ms`, rejects promptly on abort and
 * leaves no timer behind.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { abortable, linkSignal } from '../src/abort.js';
import { systemClock } from '../src/clock.js';
import { installFakeTime, track, type InstalledClock } from './helpers/fake-time.js';

let clock: InstalledClock;
beforeEach(() => {
  clock = installFakeTime();
});
afterEach(() => {
  clock.uninstall();
});

describe('abortable', () => {
  it('rejects promptly with the reason, and a later settlement of the operation changes nothing', async () => {
    const c = new AbortController();
    let finish!: (v: string) => void;
    const op = new Promise<string>((resolve) => (finish = resolve));
    const t = track(abortable(op, c.signal));
    c.abort('stop');
    await Promise.resolve();
    expect(t).toEqual({ state: 'rejected', reason: 'stop' });
    finish('late');
    await Promise.resolve();
    expect(t.state).toBe('rejected');
    // on an already-aborted signal the operation is not waited for
    const again = track(abortable(new Promise<never>(() => {}), c.signal));
    await Promise.resolve();
    expect(again).toEqual({ state: 'rejected', reason: 'stop' });
  });

  it('settles as the operation does when the signal never aborts, and leaves no listener', async () => {
    const c = new AbortController();
    const ok = track(abortable(Promise.resolve(1), c.signal));
    const failed = track(abortable(Promise.reject(new Error('store down')), c.signal));
    await clock.tickAsync(0);
    expect(ok).toEqual({ state: 'resolved' });
    expect(failed.state).toBe('rejected');
    expect((failed.reason as Error).message).toBe('store down');
    c.abort('late'); // nothing listens any more: nothing changes
    await clock.tickAsync(0);
    expect(ok.state).toBe('resolved');
  });
});

describe('linkSignal', () => {
  it('aborts the target with the source\'s reason, at once when the source already has, and unlinks', () => {
    const source = new AbortController();
    const target = new AbortController();
    const unlink = linkSignal(source.signal, target);
    source.abort('why');
    expect(target.signal.reason).toBe('why');
    const late = new AbortController();
    linkSignal(source.signal, late);
    expect(late.signal.reason).toBe('why');
    const other = new AbortController();
    const quiet = new AbortController();
    linkSignal(other.signal, quiet)();
    other.abort('x');
    expect(quiet.signal.aborted).toBe(false);
    unlink();
    linkSignal(undefined, quiet)();
    expect(quiet.signal.aborted).toBe(false);
  });
});

describe('systemClock.sleep', () => {
  it('resolves after ms, and leaves no timer', async () => {
    const c = new AbortController();
    const s = track(systemClock.sleep(100, c.signal));
    await clock.tickAsync(99);
    expect(s.state).toBe('pending');
    await clock.tickAsync(1);
    expect(s.state).toBe('resolved');
    expect(clock.countTimers()).toBe(0);
  });

  it('an abort rejects every pending sleep with the reason and clears their timers', async () => {
    const c = new AbortController();
    const sleeps = [10, 50, 1000].map((ms) => track(systemClock.sleep(ms, c.signal)));
    await clock.tickAsync(20);
    c.abort('released');
    await clock.tickAsync(0);
    expect(sleeps.map((s) => s.state)).toEqual(['resolved', 'rejected', 'rejected']);
    expect(sleeps[2]!.reason).toBe('released');
    expect(clock.countTimers()).toBe(0);
    // an aborted signal rejects at once, without a timer
    const after = track(systemClock.sleep(10, c.signal));
    await clock.tickAsync(0);
    expect(after).toEqual({ state: 'rejected', reason: 'released' });
    expect(clock.countTimers()).toBe(0);
  });
});
