/**
 * What lock users reach for besides own(): a single attempt that never waits
 * (`tryOwn`), shutting an owner down (`close()`, `await using`), stores that
 * close the same way, and `withOwnership(owner, key, fn)` in own()'s order.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OwnerClosedError, fixedStrategy, lakefsStrategy, observedStrategy, MostlyCorrectOwner, MemoryStore } from '../src/index.js';
import { expiresMs } from '../src/internal.js';
import { installFakeTime, track, type InstalledClock } from './helpers/fake-time.js';
import { ACQUIRE, REFRESH, T0, makeOwner, storedRecord } from './helpers/owner-fixture.js';
import { memoryStore } from './helpers/store-kind.js';
import { HookedStore } from './helpers/store-wrappers.js';

let clock: InstalledClock;
beforeEach(() => {
  clock = installFakeTime(T0);
});
afterEach(() => {
  clock.uninstall();
});

for (const strategy of [lakefsStrategy, fixedStrategy, observedStrategy]) {
  describe(`${strategy.name}: tryOwn`, () => {
    it('owns a free key at once, with the same record own() writes', async () => {
      const mem = memoryStore();
      const owners = makeOwner(strategy, mem);
      const o = await owners.tryOwn('a', 'k');
      expect(o?.owner).toMatch(/^a#/);
      expect((await storedRecord(mem))?.owner).toBe(o!.owner);
      expect(o!.token).toBe(strategy.fencing ? 1n : undefined);
      await o!.release();
      expect(expiresMs((await storedRecord(mem))!)).toBe(0);
      // a released key is free again
      const again = await owners.tryOwn('b', 'k');
      expect(again).toBeDefined();
      await again!.release();
    });

    it('resolves undefined at once on a key another process holds: one decision, no sleep, no timer left', async () => {
      const mem = memoryStore();
      const holder = await makeOwner(strategy, mem).own('h', 'k');
      const store = new HookedStore(mem);
      const other = makeOwner(strategy, store);
      const timers = clock.countTimers();
      const t = track(other.tryOwn('w', 'k'));
      await clock.tickAsync(0);
      expect(t).toEqual({ state: 'resolved' });
      expect(await other.tryOwn('w', 'k')).toBeUndefined();
      expect(clock.countTimers()).toBe(timers); // nothing of the attempt is left behind
      expect(store.log.filter((e) => e.op === 'swap').length).toBeLessThanOrEqual(2); // at most a speculative write each, no retry
      expect((await storedRecord(mem))?.owner).toBe(holder.owner);
      await holder.release();
    });

    it('rejects with the signal reason when it is already aborted', async () => {
      const owners = makeOwner(strategy, memoryStore());
      const ac = new AbortController();
      ac.abort(new Error('no'));
      await expect(owners.tryOwn('a', 'k', { signal: ac.signal })).rejects.toThrow('no');
    });
  });
}

describe('tryOwn under a local queue (fixed)', () => {
  it('never jumps the queue: undefined while a local call holds or waits; the holder releases to own() waiters, not to tryOwn', async () => {
    const mem = memoryStore();
    const owners = makeOwner(fixedStrategy, mem);
    const held = await owners.own('h', 'k');
    expect(await owners.tryOwn('t', 'k')).toBeUndefined();
    const waiting = owners.own('w', 'k');
    expect(owners.waiting('k')).toBe(1);
    expect(await owners.tryOwn('t', 'k')).toBeUndefined();
    await held.release();
    const w = await waiting;
    expect((await storedRecord(mem))?.owner).toBe(w.owner);
    await w.release();
    const t = await owners.tryOwn('t', 'k');
    expect(t).toBeDefined();
    // a tryOwn holder hands the key to a local own() waiter on release, like any holder
    const next = owners.own('n', 'k');
    await t!.release();
    const n = await next;
    expect(n.token).toBe(t!.token! + 1n);
    await n.release();
  });
});

for (const strategy of [lakefsStrategy, fixedStrategy]) {
  describe(`${strategy.name}: close()`, () => {
    it('releases what it handed out, rejects pending own() calls with OwnerClosedError, refuses new calls, leaves no timer', async () => {
      const mem = memoryStore();
      const owners = makeOwner(strategy, mem);
      const other = makeOwner(strategy, mem);
      const a = await owners.own('a', 'k1');
      const b = await owners.own('b', 'k2');
      await b.release(); // already released: close() does not touch it again
      const blocker = await other.own('x', 'k3');
      const pending = owners.own('c', 'k3');
      const settled = track(pending);
      await clock.tickAsync(ACQUIRE);
      await owners.close();
      await clock.tickAsync(0);
      expect(settled.state).toBe('rejected');
      expect(settled.reason).toBeInstanceOf(OwnerClosedError);
      expect(expiresMs((await storedRecord(mem, 'k1'))!)).toBe(0); // released
      expect((await storedRecord(mem, 'k3'))?.owner).toBe(blocker.owner); // the other owner's key untouched
      await expect(owners.own('d', 'k4')).rejects.toBeInstanceOf(OwnerClosedError);
      await expect(owners.tryOwn('d', 'k4')).rejects.toBeInstanceOf(OwnerClosedError);
      await owners.close(); // twice is fine
      await a.release(); // and a release after close is harmless
      await blocker.release();
      expect(clock.countTimers()).toBe(0);
    });
  });
}

describe('close() with local waiters (fixed)', () => {
  it('rejects every queued own() and stops the poller', async () => {
    const mem = memoryStore();
    const holderOwner = makeOwner(fixedStrategy, mem);
    const holder = await holderOwner.own('h', 'k');
    const owners = makeOwner(fixedStrategy, mem);
    const waits = [track(owners.own('w1', 'k')), track(owners.own('w2', 'k'))];
    await clock.tickAsync(ACQUIRE * 3);
    await owners.close();
    await clock.tickAsync(0);
    expect(waits.map((w) => [w.state, (w.reason as Error).name])).toEqual([
      ['rejected', 'OwnerClosedError'],
      ['rejected', 'OwnerClosedError'],
    ]);
    expect(owners.waiting('k')).toBe(0);
    await clock.tickAsync(REFRESH * 3); // no poller reads after close: the holder keeps the key
    expect((await storedRecord(mem))?.owner).toBe(holder.owner);
    await holder.release();
    expect(clock.countTimers()).toBe(0);
  });
});

describe('close() while a queued waiter\'s write is in flight (fixed)', () => {
  it('rejects that own() at once; the write, when it lands, is released again', async () => {
    const mem = memoryStore();
    const holderOwner = makeOwner(fixedStrategy, mem);
    const holder = await holderOwner.own('h', 'k');
    let open: () => void = () => {};
    const gate = new Promise<void>((r) => (open = r));
    let held = false;
    // the waiters' owner reaches the store through a hook that holds its first write
    const hooked = new HookedStore(mem, async (op) => {
      if (op === 'swap' && !held) {
        held = true;
        await gate;
      }
    });
    const owners = makeOwner(fixedStrategy, hooked, { fastPath: false });
    const wait = track(owners.own('w', 'k'));
    await clock.tickAsync(ACQUIRE);
    await holder.release();
    // the poller sees the key free and writes for the waiter: that write is now held
    await clock.tickAsync(ACQUIRE * 3);
    expect(held).toBe(true);
    expect(wait.state).toBe('pending');
    const closing = owners.close();
    await clock.tickAsync(0);
    expect([wait.state, (wait.reason as Error | undefined)?.name]).toEqual(['rejected', 'OwnerClosedError']);
    open();
    await clock.tickAsync(ACQUIRE);
    await closing;
    // the write landed after the waiter had gone: nobody holds it, so it is released
    await clock.tickAsync(REFRESH);
    expect(expiresMs((await storedRecord(mem))!)).toBeLessThanOrEqual(clock.now);
    expect(clock.countTimers()).toBe(0);
  });
});

describe('await using', () => {
  it('closes the owner (releasing what it holds) and the store at the end of the block', async () => {
    let mem: MemoryStore;
    {
      await using store = new MemoryStore();
      mem = store;
      await using owners = new MostlyCorrectOwner({ store, prefix: 'p', acquireInterval: ACQUIRE, refreshInterval: REFRESH });
      await owners.own('a', 'k');
      // the owner is disposed first (declared last), then the store
    }
    expect(expiresMs((await storedRecord(mem))!)).toBe(0);
    expect(mem.watchedKeys).toBe(0);
    expect(clock.countTimers()).toBe(0);
  });
});

describe('withOwnership(owner, key, fn)', () => {
  it('takes the owner first, as own() does', async () => {
    const mem = memoryStore();
    const owners = makeOwner(fixedStrategy, mem);
    const name = await owners.withOwnership('writer', 'k', (_signal, o) => Promise.resolve(o.owner));
    expect(name).toMatch(/^writer#/);
    expect(expiresMs((await storedRecord(mem))!)).toBe(0);
  });
});
