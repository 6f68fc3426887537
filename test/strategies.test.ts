/**
 * The `fixed` and `observed` strategies against lakeFS's defects: each test
 * runs the same situation under `lakefs` (where the defect shows) and under
 * the fixed strategies (where it does not).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryStore } from './helpers/store-kind.js';
import { OwnershipLostError, fixedStrategy, lakefsStrategy, observedStrategy, type Ownership, type Predicate, type Strategy } from '../src/index.js';
import { OWNERSHIP_PARTITION, decodeRecord, encodeRecord, expiresMs, newRecord } from '../src/internal.js';
import { installFakeTime, seededRandom, skewedClock, type InstalledClock } from './helpers/fake-time.js';
import { ACQUIRE, KEY, REFRESH, T0, makeOwner, storedRecord } from './helpers/owner-fixture.js';
import { HookedStore } from './helpers/store-wrappers.js';


let clock: InstalledClock;
beforeEach(() => {
  clock = installFakeTime(T0);
});
afterEach(() => {
  clock.uninstall();
});


/** Resolves when `p` settles, advancing fake time 1 ms at a time up to `limit`. */
async function settleWithin<T>(p: Promise<T>, limitMs: number): Promise<{ value?: T; atMs: number }> {
  let done = false;
  let value: T | undefined;
  void p.then((v) => ((value = v), (done = true)));
  const start = Date.now();
  while (!done && Date.now() - start < limitMs) await clock.tickAsync(1);
  return done ? { value, atMs: Date.now() - start } : { atMs: Infinity };
}

describe('(a) waiters poll instead of sleeping until the expiry they read', () => {
  for (const [strategy, fixed] of [
    [lakefsStrategy, false],
    [fixedStrategy, true],
    [observedStrategy, true],
  ] as const) {
    it(`${strategy.name}: after a release, a waiter owns within ${fixed ? 'acquireInterval' : 'the old expiry (lakeFS)'}`, async () => {
      const mem = memoryStore();
      const holder = await makeOwner(strategy, mem).own('h', 'k');
      const waiting = makeOwner(strategy, mem).own('w', 'k');
      await clock.tickAsync(REFRESH / 4);
      await holder.release();
      const { atMs, value } = await settleWithin(waiting, 2 * REFRESH);
      if (fixed) expect(atMs).toBeLessThanOrEqual(ACQUIRE + 1);
      else expect(atMs).toBeGreaterThan(REFRESH / 2); // sleeps until the expiry it read
      await value?.release();
    });
  }

  it('fixed: waiters on one record wake at different instants (jitter); lakefs: all at once', async () => {
    const wakeInstants = async (strategy: Strategy): Promise<number> => {
      const mem = memoryStore();
      const holder = await makeOwner(lakefsStrategy, mem).own('h', 'k');
      const store = new HookedStore(mem);
      const ac = new AbortController();
      const waiters = [1, 2, 3].map((i) => makeOwner(strategy, store, { random: seededRandom(i * 7919) }).own(`w${i}`, 'k', { signal: ac.signal }));
      await clock.tickAsync(REFRESH);
      ac.abort();
      await Promise.allSettled(waiters);
      await holder.release();
      return new Set(store.log.filter((e) => e.op === 'get' && e.at > 0).map((e) => e.at)).size / store.log.filter((e) => e.op === 'get' && e.at > 0).length;
    };
    expect(await wakeInstants(lakefsStrategy)).toBeCloseTo(1 / 3, 5); // every instant shared by the three
    expect(await wakeInstants(fixedStrategy)).toBeGreaterThan(0.5);
  });
});

describe('(b) a failed refresh read does not end refreshing silently', () => {
  for (const strategy of [lakefsStrategy, fixedStrategy]) {
    it(`${strategy.name}: one failed read ${strategy === lakefsStrategy ? 'stops refreshing for good' : 'is retried at the next tick'}`, async () => {
      const mem = memoryStore();
      let failNextGet = false;
      const store = new HookedStore(mem, (op) => {
        if (op === 'get' && failNextGet) {
          failNextGet = false;
          throw new Error('timeout');
        }
      });
      const o = await makeOwner(strategy, store).own('h', 'k');
      failNextGet = true;
      await clock.tickAsync(3 * REFRESH);
      const stillRefreshed = expiresMs((await storedRecord(mem))!) > Date.now();
      expect(stillRefreshed).toBe(strategy !== lakefsStrategy);
      expect(o.lost.aborted).toBe(false);
      await o.release();
    });
  }

  it('fixed: the holder is told (deadline) when no refresh succeeds within the lease minus the margin', async () => {
    const mem = memoryStore();
    let down = false;
    const store = new HookedStore(mem, () => {
      if (down) throw new Error('store down');
    });
    const o = await makeOwner(fixedStrategy, store).own('h', 'k');
    down = true;
    const { atMs } = await settleWithin(new Promise((r) => o.lost.addEventListener('abort', r)), 2 * REFRESH);
    // last successful write's read was sent at t = 0: deadline = REFRESH - REFRESH/4
    expect(atMs).toBe(REFRESH - REFRESH / 4);
    expect(o.lost.reason).toBeInstanceOf(OwnershipLostError);
    expect((o.lost.reason as OwnershipLostError).reason).toBe('deadline');
    down = false;
    await o.release();
  });

  it('lakefs never tells the holder, even when its record was taken', async () => {
    const mem = memoryStore();
    const o = await makeOwner(lakefsStrategy, mem).own('h', 'k');
    await mem.set(OWNERSHIP_PARTITION, KEY, encodeRecord(newRecord('thief#x', T0 + 60_000, '')));
    await clock.tickAsync(REFRESH);
    await o.refreshStopped;
    expect(o.lost.aborted).toBe(false);
  });

  it('fixed: a refresh that finds another owner aborts ownership.lost with reason taken', async () => {
    const mem = memoryStore();
    const o = await makeOwner(fixedStrategy, mem).own('h', 'k');
    await mem.set(OWNERSHIP_PARTITION, KEY, encodeRecord(newRecord('thief#x', T0 + 60_000, '')));
    await clock.tickAsync(REFRESH / 2);
    expect(o.lost.aborted).toBe(true);
    const reason = o.lost.reason as OwnershipLostError;
    expect([reason.name, reason.reason, reason.newOwner]).toEqual(['OwnershipLostError', 'taken', 'thief#x']);
    await o.release();
    expect((await storedRecord(mem))?.owner).toBe('thief#x');
  });
});

describe('(c) release is serialized with a refresh in flight', () => {
  for (const strategy of [lakefsStrategy, fixedStrategy]) {
    it(`${strategy.name}: a refresh write landing between release's read and write ${strategy === lakefsStrategy ? 'wins: the key stays held' : 'is waited for: the key is released'}`, async () => {
      const mem = memoryStore();
      // every SetIf reaches the store 5 ms after it is sent; reads are instant
      const store = new HookedStore(mem, (op) => (op === 'swap' ? new Promise<void>((r) => setTimeout(r, 5)) : undefined));
      const pending = makeOwner(strategy, store).own('h', 'k');
      await clock.tickAsync(5);
      const o = await pending;
      // 1 ms after the first refresh tick (lakefs counts from own() resolving at 5 ms, fixed from
      // the acquiring read at 0 ms): the tick's read is done, its SetIf lands 5 ms after it
      const tick = strategy.refresh.cadenceFrom === 'acquire-sent' ? REFRESH / 2 : 5 + REFRESH / 2;
      await clock.tickAsync(tick + 1 - 5);
      const released = o.release(); // release's read comes first, its SetIf lands after the refresh's
      await clock.tickAsync(20);
      await released;
      const expires = expiresMs((await storedRecord(mem))!);
      if (strategy === lakefsStrategy) expect(expires).toBeGreaterThan(Date.now());
      else expect(expires).toBe(0);
    });
  }
});

describe('(d) a skewed remote expiry cannot stall a waiter', () => {
  for (const strategy of [lakefsStrategy, fixedStrategy]) {
    it(`${strategy.name}: a holder 10 s ahead releases; the waiter owns ${strategy === lakefsStrategy ? 'only after ~10 s' : 'within acquireInterval'}`, async () => {
      const mem = memoryStore();
      const holder = await makeOwner(strategy, mem, { clock: skewedClock(10_000) }).own('h', 'k');
      const waiting = makeOwner(strategy, mem).own('w', 'k');
      await clock.tickAsync(5);
      await holder.release();
      const { atMs, value } = await settleWithin(waiting, 12_000);
      if (strategy === lakefsStrategy) expect(atMs).toBeGreaterThan(9_000);
      else expect(atMs).toBeLessThanOrEqual(ACQUIRE + 1);
      await value?.release();
    });
  }
});

describe('observed: expiry by the waiter’s own monotonic clock', () => {
  it('a waiter whose wall clock is 10 minutes ahead does not steal from a live holder (lakefs and fixed do)', async () => {
    for (const strategy of [lakefsStrategy, fixedStrategy, observedStrategy]) {
      const mem = memoryStore();
      const holder = await makeOwner(strategy, mem).own('h', 'k');
      const thief = makeOwner(strategy, mem, { clock: skewedClock(600_000) }).own('t', 'k');
      const { value } = await settleWithin(thief, 3 * REFRESH);
      expect(value !== undefined, strategy.name).toBe(strategy !== observedStrategy);
      await value?.release();
      await holder.release();
      await clock.tickAsync(2 * REFRESH);
    }
  });

  it('takes a crashed holder’s record after seeing it unchanged for a lease, and a released one at once', async () => {
    const mem = memoryStore();
    // a "crashed" holder: a record nobody refreshes, with a wall-clock expiry far in the future
    await mem.set(OWNERSHIP_PARTITION, KEY, encodeRecord(Object.assign(newRecord('dead#x', T0 + 3_600_000, ''), { token: 5n, leaseMs: REFRESH })));
    const { atMs, value } = await settleWithin(makeOwner(observedStrategy, mem).own('w', 'k'), 3 * REFRESH);
    expect(atMs).toBeGreaterThanOrEqual(REFRESH);
    expect(atMs).toBeLessThanOrEqual(REFRESH + ACQUIRE + 1);
    expect(value!.token).toBe(6n);
    await value!.release();
    const again = await settleWithin(makeOwner(observedStrategy, mem).own('w2', 'k'), REFRESH);
    expect(again.atMs).toBeLessThanOrEqual(1);
    await again.value!.release();
  });
});

describe('fencing tokens', () => {
  it('increase by one on every change of owner, survive refreshes, and are absent under lakefs', async () => {
    const mem = memoryStore();
    const owners = makeOwner(fixedStrategy, mem);
    const tokens: (bigint | undefined)[] = [];
    for (let i = 0; i < 3; i++) {
      const o: Ownership = await owners.own('h', 'k');
      tokens.push(o.token);
      await clock.tickAsync(REFRESH);
      expect((await storedRecord(mem))?.token).toBe(o.token);
      await o.release();
    }
    expect(tokens).toEqual([1n, 2n, 3n]);
    const l = await makeOwner(lakefsStrategy, memoryStore()).own('h', 'k');
    expect(l.token).toBeUndefined();
    await l.release();
  });

  it('lakefs records stay byte-compatible (no field 4 or 5 on the wire)', async () => {
    const mem = memoryStore();
    const o = await makeOwner(lakefsStrategy, mem).own('h', 'k');
    const bytes = (await mem.get(OWNERSHIP_PARTITION, KEY))!.value;
    expect(bytes.some((b, i) => (b === 0x20 || b === 0x28) && i > 0 && bytes[i - 1] === 0x00)).toBe(false);
    const rec = decodeRecord(bytes, 'p/k');
    expect([rec.token, rec.leaseMs]).toEqual([0n, 0]);
    await o.release();
  });
});

describe('withOwnership', () => {
  it('owns, runs with the lost signal, and releases — also when the function throws', async () => {
    const mem = memoryStore();
    const owners = makeOwner(fixedStrategy, mem);
    const seen: boolean[] = [];
    const result = await owners.withOwnership('worker', 'k', async (signal, o) => {
      seen.push(signal.aborted, (await storedRecord(mem))?.owner === o.owner);
      return 42;
    });
    expect(result).toBe(42);
    expect(seen).toEqual([false, true]);
    expect(expiresMs((await storedRecord(mem))!)).toBe(0);
    await expect(owners.withOwnership('worker', 'k', () => Promise.reject(new Error('work failed')))).rejects.toThrow('work failed');
    expect(expiresMs((await storedRecord(mem))!)).toBe(0);
  });
});

describe('one poller per key per process (coalesce)', () => {
  it('lakefs: each local own() reads the store on its own; fixed/observed: 10 local waiters read as often as 1', async () => {
    const readsWhileWaiting = async (strategy: Strategy, n: number): Promise<number> => {
      const mem = memoryStore();
      const remote = await makeOwner(strategy, mem).own('remote', 'k');
      const store = new HookedStore(mem);
      const owners = makeOwner(strategy, store);
      const acs = Array.from({ length: n }, () => new AbortController());
      // stagger the calls so lakefs's waiters do not read in lockstep
      const waiting = [];
      for (const [i, ac] of acs.entries()) {
        waiting.push(owners.own(`w${i}`, 'k', { signal: ac.signal }).catch(() => undefined));
        await clock.tickAsync(1);
      }
      await clock.tickAsync(3 * REFRESH);
      for (const ac of acs) ac.abort();
      await Promise.all(waiting);
      await remote.release();
      return store.count('get');
    };
    for (const strategy of [lakefsStrategy, fixedStrategy, observedStrategy]) {
      const one = await readsWhileWaiting(strategy, 1);
      const ten = await readsWhileWaiting(strategy, 10);
      if (strategy === lakefsStrategy) expect(ten, strategy.name).toBeGreaterThanOrEqual(9 * one);
      else expect(ten, strategy.name).toBeLessThanOrEqual(one * 1.1);
    }
  });

  it('lakefs: a local release leaves the next local own() to find it by itself; fixed: handed over at once, token + 1', async () => {
    for (const strategy of [lakefsStrategy, fixedStrategy]) {
      const mem = memoryStore();
      const owners = makeOwner(strategy, mem);
      const holder = await owners.own('h', 'k');
      const waiting = owners.own('w', 'k');
      await clock.tickAsync(REFRESH / 4);
      await holder.release();
      const { atMs, value } = await settleWithin(waiting, 2 * REFRESH);
      if (strategy === lakefsStrategy) expect(atMs).toBeGreaterThan(REFRESH / 2);
      else {
        expect(atMs).toBeLessThanOrEqual(1); // settleWithin's granularity: no poll interval passed
        expect(value!.token).toBe(holder.token! + 1n);
      }
      await value?.release();
    }
  });
});

describe('push handoff across processes', () => {
  // a long poll interval, so only a notification can explain a fast handoff
  const SLOW_POLL = { acquireInterval: 5_000, refreshInterval: 60_000 };

  it('lakefs: a waiter in another process owns only at the expiry it read; fixed/observed: at once on the release notification', async () => {
    for (const strategy of [lakefsStrategy, fixedStrategy, observedStrategy]) {
      const mem = memoryStore();
      const holder = await makeOwner(strategy, mem, SLOW_POLL).own('h', 'k');
      const waiting = makeOwner(strategy, mem, SLOW_POLL).own('w', 'k');
      await clock.tickAsync(6_000); // the waiter is asleep in its poll interval
      await holder.release();
      const { atMs, value } = await settleWithin(waiting, 70_000);
      if (strategy === lakefsStrategy) expect(atMs, strategy.name).toBeGreaterThan(50_000);
      else expect(atMs, strategy.name).toBeLessThanOrEqual(1); // settleWithin's granularity
      await value?.release();
      expect(mem.watchedKeys).toBe(0);
    }
  });

  it('fixed: a lost notification costs at most one poll interval; a store without notify/watch only polls', async () => {
    const mem = memoryStore();
    // a store that has the capability but drops every notification
    const lossy = { get: mem.get.bind(mem), swap: (p: string, k: Uint8Array, v: Uint8Array, e: Predicate | null) => mem.swap(p, k, v, e), notify: () => Promise.resolve(), watch: mem.watch.bind(mem) };
    for (const store of [lossy, new HookedStore(mem)]) {
      const holder = await makeOwner(fixedStrategy, store, SLOW_POLL).own('h', 'k');
      const waiting = makeOwner(fixedStrategy, store, SLOW_POLL).own('w', 'k');
      await clock.tickAsync(6_000);
      await holder.release();
      const { atMs, value } = await settleWithin(waiting, 70_000);
      expect(atMs).toBeGreaterThan(1);
      expect(atMs).toBeLessThanOrEqual(5_000);
      await value!.release();
      expect(clock.countTimers()).toBe(0);
    }
  });

  it('fixed: an aborted waiter stops watching and leaves no timer', async () => {
    const mem = memoryStore();
    const holder = await makeOwner(fixedStrategy, mem, SLOW_POLL).own('h', 'k');
    const ac = new AbortController();
    const waiting = makeOwner(fixedStrategy, mem, SLOW_POLL).own('w', 'k', { signal: ac.signal });
    await clock.tickAsync(100);
    expect(mem.watchedKeys).toBe(1);
    ac.abort(new Error('gave up'));
    await expect(waiting).rejects.toThrow('gave up');
    expect(mem.watchedKeys).toBe(0);
    await holder.release();
    expect(clock.countTimers()).toBe(0);
  });
});
