/**
 * The holder handle's edges, on a manual clock: a strategy that signals loss
 * without a local queue, the timers a lakefs holder keeps, and the WARN of a
 * release whose store fails. Written for the mutation run
 * (docs/mutation.md).
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore, OwnershipLostError, defineStrategy, fixedStrategy, lakefsStrategy, type Predicate, type Store, type StoreEntry, type SwapOptions, type SwapResult } from '../../src/index.js';
import { OWNERSHIP_PARTITION, encodeRecord, newRecord } from '../../src/internal.js';
import { recordingLogger, seededRandom } from '../helpers/fake-time.js';
import { KEY, makeOwner } from '../helpers/owner-fixture.js';
import { ManualTime, MANUAL_EPOCH_MS } from '../helpers/manual-time.js';

describe('a strategy that signals loss, without a local queue', () => {
  const lossOnly = defineStrategy({ ...fixedStrategy, name: 'loss-without-queue', handoff: { localQueue: false, push: false } });

  it('the holder is told when another owner took the key', async () => {
    const time = new ManualTime();
    const store = new MemoryStore();
    const log = recordingLogger();
    const owner = makeOwner(lossOnly, store, { clock: time.clock(), random: seededRandom(1), logger: log, fastPath: false });
    const pending = owner.own('a', 'k');
    await time.advanceTo(0);
    const held = await pending;
    const lost = held.lost;
    const current = (await store.get(OWNERSHIP_PARTITION, KEY))!;
    await store.swap(OWNERSHIP_PARTITION, KEY, encodeRecord(newRecord('z#1', MANUAL_EPOCH_MS + 60_000, '')), current.predicate);
    await time.advanceTo(200);
    expect(lost.aborted).toBe(true);
    expect(lost.reason).toBeInstanceOf(OwnershipLostError);
    expect((lost.reason as OwnershipLostError).reason).toBe('taken');
    expect(log.lines.filter((l) => l.message.startsWith('INVARIANT'))).toEqual([]);
    await held.release();
  });
});

describe('the timers a holder keeps', () => {
  it('lakefs (no loss signal): only its refresh tick, no deadline timer', async () => {
    const time = new ManualTime();
    const owner = makeOwner(lakefsStrategy, new MemoryStore(), { clock: time.clock(), random: seededRandom(1) });
    const pending = owner.own('a', 'k');
    await time.advanceTo(0);
    const held = await pending;
    expect(time.pending).toBe(1);
    await held.release();
    expect(time.pending).toBe(0);
  });

  it('fixed: its refresh tick and its deadline', async () => {
    const time = new ManualTime();
    const owner = makeOwner(fixedStrategy, new MemoryStore(), { clock: time.clock(), random: seededRandom(1) });
    const pending = owner.own('a', 'k');
    await time.advanceTo(0);
    const held = await pending;
    expect(time.pending).toBe(2);
    await held.release();
    expect(time.pending).toBe(0);
  });
});

describe('a release whose store fails', () => {
  /** A MemoryStore whose swaps reject once `failing` is set. */
  class FailingSwaps implements Store {
    readonly inner = new MemoryStore();
    failing = false;
    get(partition: string, key: Uint8Array): Promise<StoreEntry | undefined> {
      return this.inner.get(partition, key);
    }
    swap(partition: string, key: Uint8Array, value: Uint8Array, expected: Predicate | null, options?: SwapOptions): Promise<SwapResult> {
      if (this.failing) return Promise.reject(new Error('store down'));
      return this.inner.swap(partition, key, value, expected, options);
    }
  }

  it('is said at WARN with the error, the owner and the key; release() resolves', async () => {
    const time = new ManualTime();
    const store = new FailingSwaps();
    const log = recordingLogger();
    const owner = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(1), logger: log });
    const pending = owner.own('a', 'k');
    await time.advanceTo(0);
    const held = await pending;
    store.failing = true;
    await held.release();
    const warns = log.lines.filter((l) => l.level === 'warn');
    expect(warns.map((l) => l.message)).toEqual(['Failed to delete ownership']);
    expect(warns[0]!.fields).toEqual({ err: expect.objectContaining({ message: 'store down' }), owner: held.owner, key: 'k' });
  });
});

describe('close()', () => {
  /** A MemoryStore that counts requests. */
  class Counting implements Store {
    readonly inner = new MemoryStore();
    requests = 0;
    get(partition: string, key: Uint8Array): Promise<StoreEntry | undefined> {
      this.requests++;
      return this.inner.get(partition, key);
    }
    swap(partition: string, key: Uint8Array, value: Uint8Array, expected: Predicate | null, options?: SwapOptions): Promise<SwapResult> {
      this.requests++;
      return this.inner.swap(partition, key, value, expected, options);
    }
  }

  for (const strategy of [lakefsStrategy, fixedStrategy]) {
    it(`${strategy.name}: after the user released every handle it sends nothing; a second close() neither`, async () => {
      const time = new ManualTime();
      const store = new Counting();
      const owner = makeOwner(strategy, store, { clock: time.clock(), random: seededRandom(1) });
      const pending = owner.own('a', 'k');
      await time.advanceTo(0);
      await (await pending).release();
      const before = store.requests;
      await owner.close();
      expect(store.requests).toBe(before);
      await owner.close();
      expect(store.requests).toBe(before);
    });

    it(`${strategy.name}: a second close() does not release again what the first released`, async () => {
      const time = new ManualTime();
      const store = new Counting();
      const owner = makeOwner(strategy, store, { clock: time.clock(), random: seededRandom(1) });
      const pending = owner.own('a', 'k');
      await time.advanceTo(0);
      await pending;
      const first = owner.close();
      await first;
      const before = store.requests;
      const second = owner.close();
      expect(second).toBe(first);
      await second;
      expect(store.requests).toBe(before);
    });
  }
});
