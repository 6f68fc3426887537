/**
 * The fast path (stores with `swap`, strategies with `speculate`): every
 * decision is the one `get` + `setIf` would make, and an uncontended acquire,
 * refresh and release each cost one store operation. Each test counts the
 * operations that reach the store and checks what was (not) written.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CorruptRecordError,
  MemoryStore,
  MostlyCorrectOwner,
  OwnershipLostError,
  fixedStrategy,
  lakefsStrategy,
  observedStrategy,
  swapOverSetIf,
  type Predicate,
  type Store,
  type StoreEntry,
  type SwapResult,
} from '../src/index.js';
import { OWNERSHIP_PARTITION, encodeRecord, expiresMs, newRecord, predicateValue } from '../src/internal.js';
import { installFakeTime, recordingLogger, type InstalledClock } from './helpers/fake-time.js';
import { ACQUIRE, KEY, REFRESH, T0, makeOwner, storedRecord } from './helpers/owner-fixture.js';
import { HookedStore } from './helpers/store-wrappers.js';

let clock: InstalledClock;
beforeEach(() => {
  clock = installFakeTime(T0);
});
afterEach(() => {
  clock.uninstall();
});

const ops = (store: HookedStore): string[] => store.log.map((e) => e.op);
const swapping = (mem = new MemoryStore()): { mem: MemoryStore; store: HookedStore } => ({ mem, store: new HookedStore(mem) });
const lostReason = (signal: AbortSignal): OwnershipLostError => signal.reason as OwnershipLostError;

for (const strategy of [fixedStrategy, observedStrategy]) {
  describe(`${strategy.name}: fast path`, () => {
    it('guess right: own, each refresh and release are one swap each; own again after release is one swap', async () => {
      const { mem, store } = swapping();
      const owners = makeOwner(strategy, store);
      const o = await owners.own('a', 'k');
      expect(ops(store)).toEqual(['swap']);
      expect(o.token).toBe(1n);
      store.log = [];
      await clock.tickAsync(REFRESH); // two refresh ticks
      expect(ops(store)).toEqual(['swap', 'swap']);
      expect(expiresMs((await storedRecord(mem))!)).toBe(Date.now() + REFRESH);
      store.log = [];
      await o.release();
      expect(ops(store)).toEqual(['swap']);
      expect(expiresMs((await storedRecord(mem))!)).toBe(0);
      store.log = [];
      const again = await owners.own('b', 'k');
      expect(ops(store)).toEqual(['swap']);
      expect(again.token).toBe(2n);
      await again.release();
    });

    it('guess wrong: the answer is handled as a read (an expired record is taken with its predicate, token + 1)', async () => {
      const { mem, store } = swapping();
      const dead = Object.assign(newRecord('dead#x', 0, ''), { token: 41n, leaseMs: REFRESH });
      await mem.set(OWNERSHIP_PARTITION, KEY, encodeRecord(dead)); // released by another process
      const o = await makeOwner(strategy, store).own('a', 'k');
      expect(ops(store)).toEqual(['swap', 'swap']); // guessed absent; answered the released record; took it
      expect(o.token).toBe(42n);
      expect((await storedRecord(mem))?.owner).toBe(o.owner);
      await o.release();
    });

    it('a key held by another owner: the answer is a read (no write), later polls are plain gets, the release is taken in one swap', async () => {
      const { mem, store } = swapping();
      const other = await makeOwner(strategy, mem).own('other', 'k');
      const waiting = makeOwner(strategy, store).own('w', 'k');
      await clock.tickAsync(50);
      expect(store.log[0]!.op).toBe('swap');
      expect(store.log.slice(1).every((e) => e.op === 'get')).toBe(true);
      expect((await storedRecord(mem))?.owner).toBe(other.owner);
      await other.release();
      store.log = [];
      await clock.tickAsync(2 * ACQUIRE);
      const o = await waiting;
      // the poll read the released record (get), then took it by a swap from that read
      expect(ops(store)).toEqual(['get', 'swap']);
      expect(o.token).toBe(2n);
      await o.release();
    });

    it('refresh: another owner in the answer → lost (taken), nothing written', async () => {
      const { mem, store } = swapping();
      const o = await makeOwner(strategy, store).own('a', 'k');
      const thief = encodeRecord(newRecord('thief#x', Date.now() + 10 * REFRESH, ''));
      await mem.set(OWNERSHIP_PARTITION, KEY, thief);
      store.log = [];
      await clock.tickAsync(REFRESH / 2);
      expect(o.lost.aborted).toBe(true);
      expect([lostReason(o.lost).reason, lostReason(o.lost).newOwner]).toEqual(['taken', 'thief#x']);
      expect(ops(store)).toEqual(['swap']);
      expect((await mem.get(OWNERSHIP_PARTITION, KEY))?.value).toEqual(thief);
      await o.release();
      expect((await mem.get(OWNERSHIP_PARTITION, KEY))?.value).toEqual(thief); // release saw the thief: wrote nothing
    });

    it('refresh: an absent record → lost (vanished), nothing written', async () => {
      const { mem, store } = swapping();
      const o = await makeOwner(strategy, store).own('a', 'k');
      await mem.delete(OWNERSHIP_PARTITION, KEY);
      await clock.tickAsync(REFRESH / 2);
      expect(lostReason(o.lost).reason).toBe('vanished');
      expect(await mem.get(OWNERSHIP_PARTITION, KEY)).toBeUndefined();
      await o.release();
      expect(await mem.get(OWNERSHIP_PARTITION, KEY)).toBeUndefined();
    });

    it('a corrupt record is never overwritten: refresh → lost (corrupt); own() rejects with CorruptRecordError', async () => {
      const { mem, store } = swapping();
      const garbage = new Uint8Array([0xff, 0xff, 0xff]);
      const o = await makeOwner(strategy, store).own('a', 'k');
      await mem.set(OWNERSHIP_PARTITION, KEY, garbage);
      await clock.tickAsync(REFRESH / 2);
      expect(lostReason(o.lost).reason).toBe('corrupt');
      await o.release();
      expect((await mem.get(OWNERSHIP_PARTITION, KEY))?.value).toEqual(garbage);
      const err = await makeOwner(strategy, store).own('b', 'k').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CorruptRecordError);
      expect((await mem.get(OWNERSHIP_PARTITION, KEY))?.value).toEqual(garbage);
    });

    it('our own record with other bytes (a write of ours that landed late): refresh and release swap again from it', async () => {
      const { mem, store } = swapping();
      const o = await makeOwner(strategy, store).own('a', 'k');
      const ours = (await storedRecord(mem))!;
      ours.comment = 'rewritten';
      await mem.set(OWNERSHIP_PARTITION, KEY, encodeRecord(ours));
      store.log = [];
      await clock.tickAsync(REFRESH / 2);
      expect(ops(store)).toEqual(['swap', 'swap']);
      expect(o.lost.aborted).toBe(false);
      expect((await storedRecord(mem))?.comment).toBe('rewritten');
      expect(expiresMs((await storedRecord(mem))!)).toBe(Date.now() + REFRESH);
      ours.expires = newRecord('', Date.now() + 5, '').expires;
      await mem.set(OWNERSHIP_PARTITION, KEY, encodeRecord(ours));
      store.log = [];
      await o.release();
      expect(ops(store)).toEqual(['swap', 'swap']);
      expect(expiresMs((await storedRecord(mem))!)).toBe(0);
    });

    it('release race: another owner took the key before release → the release writes nothing', async () => {
      const { mem, store } = swapping();
      const o = await makeOwner(strategy, store).own('a', 'k');
      const thief = encodeRecord(newRecord('thief#x', Date.now() + 10 * REFRESH, ''));
      await mem.set(OWNERSHIP_PARTITION, KEY, thief);
      store.log = [];
      await o.release();
      expect(ops(store)).toEqual(['swap']);
      expect((await mem.get(OWNERSHIP_PARTITION, KEY))?.value).toEqual(thief);
    });

    it('local FIFO handoff: release hands the key to the next local waiter in one swap (token + 1), who refreshes and releases in one swap each', async () => {
      const { mem, store } = swapping();
      const owners = makeOwner(strategy, store);
      const first = await owners.own('a', 'k');
      const second = owners.own('b', 'k');
      await clock.tickAsync(1);
      store.log = [];
      await first.release();
      const b = await second;
      expect(ops(store)).toEqual(['swap']);
      expect(b.token).toBe(2n);
      expect((await storedRecord(mem))?.owner).toBe(b.owner);
      store.log = [];
      await clock.tickAsync(REFRESH / 2);
      expect(ops(store)).toEqual(['swap']);
      await b.release();
      expect(ops(store)).toEqual(['swap', 'swap']);
      expect(expiresMs((await storedRecord(mem))!)).toBe(0);
    });

    it('fastPath: false: every write decided on a fresh read (get + swap); on a get + setIf store speculation still costs one write each', async () => {
      const { store } = swapping();
      const o = await makeOwner(strategy, store, { fastPath: false }).own('a', 'k');
      await o.release();
      expect(ops(store)).toEqual(['get', 'swap', 'get', 'swap']);
      // the same owner over swapOverSetIf: one setIf per uncontended own and release, no read
      const calls: string[] = [];
      const mem = new MemoryStore();
      const setIfOnly = swapOverSetIf({
        get: (p, k) => (calls.push('get'), mem.get(p, k)),
        setIf: (p, k, v, pr) => (calls.push('setIf'), mem.setIf(p, k, v, pr)),
      });
      const q = await makeOwner(strategy, setIfOnly).own('a', 'k');
      await q.release();
      expect(calls).toEqual(['setIf', 'setIf']);
    });

    it('the guess cache is bounded (fastPathCacheSize): a forgotten key is guessed absent and costs one more swap', async () => {
      const { store } = swapping();
      const owners = makeOwner(strategy, store, { fastPathCacheSize: 1 });
      await (await owners.own('a', 'k')).release();
      await (await owners.own('a', 'other')).release(); // evicts k
      store.log = [];
      await (await owners.own('a', 'k')).release();
      expect(ops(store)).toEqual(['swap', 'swap', 'swap']); // guessed absent, answered the released record, took it; release
    });
  });
}

/** MemoryStore whose failed swaps answer the value they expected, as PostgreSQL's snapshot can after a concurrent writer won. */
class SnapshotRacingStore extends MemoryStore {
  stale = 0;
  override async swap(partition: string, key: Uint8Array, value: Uint8Array, expected: Predicate | null): Promise<SwapResult> {
    const result = await super.swap(partition, key, value, expected);
    if (result.swapped || this.stale <= 0) return result;
    this.stale--;
    const snapshot: StoreEntry | undefined = expected === null ? undefined : { value: predicateValue(expected).slice(), predicate: expected };
    return { swapped: false, current: snapshot };
  }
}

describe('fast path: a failed swap answering the expected value (a concurrent writer won, PostgreSQL snapshot)', () => {
  it('acquire treats it as a lost race and owns after the retry; release re-reads with get', async () => {
    const racing = new SnapshotRacingStore();
    const store = new HookedStore(racing);
    const owners = makeOwner(fixedStrategy, store);
    // another process released the key: this owner guesses absent, and its swap answers "absent" (stale)
    await racing.set(OWNERSHIP_PARTITION, KEY, encodeRecord(newRecord('x#1', 0, '')));
    racing.stale = 1;
    const pending = owners.own('a', 'k');
    await clock.tickAsync(50);
    const o = await pending;
    expect(ops(store)[0]).toBe('swap');
    expect(o.token).toBe(1n); // the released record had no token
    // the release's swap answers our own last write (stale): a lost race, then a fresh read
    racing.stale = 1;
    const ours = (await storedRecord(racing))!;
    ours.comment = 'changed';
    await racing.set(OWNERSHIP_PARTITION, KEY, encodeRecord(ours));
    store.log = [];
    await o.release();
    expect(ops(store)).toEqual(['swap', 'get', 'swap']);
    expect(expiresMs((await storedRecord(racing))!)).toBe(0);
  });
});

describe('fast path: which strategies and options take it', () => {
  it('lakefs never speculates (lakeFS as shipped: every write decided on a fresh read)', async () => {
    const { store } = swapping();
    const o = await makeOwner(lakefsStrategy, store).own('a', 'k');
    await o.release();
    expect(ops(store)).toEqual(['get', 'swap', 'get', 'swap']);
  });

  it('a strategy flag: speculate', () => {
    expect([fixedStrategy.speculate, observedStrategy.speculate, lakefsStrategy.speculate]).toEqual([true, true, false]);
  });

  it('rejects a fastPath that is not a boolean, and a cache size that is not an integer ≥ 0', () => {
    const base = { store: new MemoryStore() as Store, prefix: 'p', acquireInterval: 10, refreshInterval: 100 };
    expect(() => new MostlyCorrectOwner({ ...base, fastPath: 'yes' as unknown as boolean })).toThrow(/options\.fastPath must be true or false/);
    expect(() => new MostlyCorrectOwner({ ...base, fastPathCacheSize: -1 })).toThrow(/fastPathCacheSize must be an integer ≥ 0/);
    expect(() => new MostlyCorrectOwner({ ...base, fastPathCacheSize: 1.5 })).toThrow(RangeError);
  });

  it('a store failure of the swap rejects own() with OwnError naming the swap', async () => {
    const store = new HookedStore(new MemoryStore(), (op) => {
      if (op === 'swap') throw new Error('connection reset');
    });
    const logger = recordingLogger();
    const err = (await makeOwner(fixedStrategy, store, { logger }).own('a', 'k').catch((e: unknown) => e)) as Error & { operation: string };
    expect(err.name).toBe('OwnError');
    expect(err.operation).toBe('swap');
    expect(err.message).toMatch(/store swap failed on attempt 1: connection reset/);
  });
});

describe('fast path: refresh and release build on the record last written without decoding it (same bytes as decoding)', () => {
  it('refresh and release write what decoding the last write and changing expires writes', async () => {
    const { mem, store } = swapping();
    const o = await makeOwner(fixedStrategy, store).own('a', 'k');
    const acquired = (await storedRecord(mem))!;
    await clock.tickAsync(REFRESH / 2);
    const refreshed = (await storedRecord(mem))!;
    expect({ ...refreshed, expires: undefined }).toEqual({ ...acquired, expires: undefined });
    expect(expiresMs(refreshed)).toBe(Date.now() + REFRESH);
    await o.release();
    const released = (await storedRecord(mem))!;
    expect({ ...released, expires: undefined }).toEqual({ ...acquired, expires: undefined });
    expect(expiresMs(released)).toBe(0);
    expect(ops(store)).toEqual(['swap', 'swap', 'swap']);
  });

  it('an owner id with a lone surrogate (U+FFFD on the wire) is decided on as decoded, as before: not ours at release', async () => {
    const { mem, store } = swapping();
    const o = await makeOwner(fixedStrategy, store).own('a\uD800', 'k');
    const written = (await storedRecord(mem))!;
    expect(written.owner).not.toBe(o.owner);
    await o.release();
    expect(await storedRecord(mem)).toEqual(written); // nothing written: the record names someone else
  });
});
