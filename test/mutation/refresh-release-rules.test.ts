/**
 * Two counting rules of the holder, on a manual clock: how often a failed
 * refresh read is retried before the next tick, and how many lost writes a
 * release may decide on before it gives up (`release.attempts`), with the
 * fast path's guess not counted as an attempt. Written for the mutation run
 * (docs/mutation.md).
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore, defineStrategy, fixedStrategy, lakefsStrategy, type Predicate, type Store, type StoreEntry, type Strategy, type SwapOptions, type SwapResult } from '../../src/index.js';
import { decodeRecord, encodeRecord, newRecord } from '../../src/internal.js';
import { recordingLogger, seededRandom } from '../helpers/fake-time.js';
import { makeOwner, storedRecord } from '../helpers/owner-fixture.js';
import { ManualTime, MANUAL_EPOCH_MS } from '../helpers/manual-time.js';

/** fixed, without the deadline watcher, so a refresh schedule can be watched on its own. */
const retryingQuietly = defineStrategy({ ...fixedStrategy, name: 'fixed-without-loss-signal', signalsLoss: false });

class Scripted implements Store {
  readonly inner = new MemoryStore();
  readonly ops: { op: 'get' | 'swap'; at: number }[] = [];
  /** A get at a time for which this says true rejects. */
  failGetAt: (t: number) => boolean = () => false;
  /** Runs before a swap that releases (writes an expiry at the epoch) reaches the store. */
  beforeRelease: ((partition: string, key: Uint8Array) => Promise<void>) | undefined;
  constructor(private readonly time: ManualTime) {}
  get(partition: string, key: Uint8Array): Promise<StoreEntry | undefined> {
    this.ops.push({ op: 'get', at: this.time.now });
    if (this.failGetAt(this.time.now)) return Promise.reject(new Error('get down'));
    return this.inner.get(partition, key);
  }
  async swap(partition: string, key: Uint8Array, value: Uint8Array, expected: Predicate | null, options?: SwapOptions): Promise<SwapResult> {
    this.ops.push({ op: 'swap', at: this.time.now });
    if (this.beforeRelease !== undefined && decodeRecord(value, 'k').expires?.seconds === 0n) await this.beforeRelease(partition, key);
    return this.inner.swap(partition, key, value, expected, options);
  }
  at(op: 'get' | 'swap', from: number, to: number): number[] {
    return this.ops.filter((o) => o.op === op && o.at >= from && o.at <= to).map((o) => o.at);
  }
}

describe('refresh: a failed read is retried every acquireInterval until the next tick is that close', () => {
  it('reads at 200, 210, …, 390, then at the tick of 400 only once', async () => {
    const time = new ManualTime();
    const store = new Scripted(time);
    const owner = makeOwner(retryingQuietly, store, { clock: time.clock(), random: seededRandom(1), fastPath: false });
    const pending = owner.own('a', 'k');
    await time.advanceTo(0);
    const held = await pending;
    store.failGetAt = (t) => t >= 200 && t < 400;
    await time.advanceTo(450);
    const expected = Array.from({ length: 20 }, (_, i) => 200 + 10 * i);
    expect(store.at('get', 200, 399)).toEqual(expected);
    expect(store.at('get', 400, 450)).toEqual([400]);
    expect(store.at('swap', 1, 450)).toEqual([400]);
    await held.release();
  });

  it('lakefs: one failed read, and no more reads', async () => {
    const time = new ManualTime();
    const store = new Scripted(time);
    const owner = makeOwner(lakefsStrategy, store, { clock: time.clock(), random: seededRandom(1) });
    const pending = owner.own('a', 'k');
    await time.advanceTo(0);
    const held = await pending;
    store.failGetAt = (t) => t === 200;
    await time.advanceTo(1_000);
    expect(store.at('get', 1, 1_000)).toEqual([200]);
    await held.release();
  });
});

describe('release: how many lost writes it decides on', () => {
  /** Before every releasing write, a late write of ours lands: the record still names us, with other bytes. */
  const lateWritesOfOurs = async (strategy: Strategy, fastPath: boolean) => {
    const time = new ManualTime();
    const store = new Scripted(time);
    const log = recordingLogger();
    const owner = makeOwner(strategy, store, { clock: time.clock(), random: seededRandom(1), fastPath, logger: log });
    const pending = owner.own('a', 'k');
    await time.advanceTo(0);
    const held = await pending;
    let late = 0;
    store.beforeRelease = async (partition, key) => {
      const current = (await store.inner.get(partition, key))!;
      const record = decodeRecord(current.value, 'k');
      late++;
      await store.inner.swap(partition, key, encodeRecord(newRecord(held.owner, MANUAL_EPOCH_MS + 400 + late, record.comment)), current.predicate);
    };
    const opsBefore = store.ops.length;
    await held.release();
    const ops = store.ops.slice(opsBefore).map((o) => o.op);
    // a lost write is said at INFO when it was decided on a read, not on the guess
    const lostRaces = log.lines.filter((l) => l.message === 'Lost ownership race while trying to release');
    expect(lostRaces.every((l) => l.level === 'info' && l.fields.owner === held.owner && l.fields.new_owner === held.owner && l.fields.prefixed_key === 'p/k')).toBe(true);
    return { ops, record: await storedRecord(store.inner), owner: held.owner, lostRaces: lostRaces.length };
  };

  it('fixed, fast path: the guess, then three decisions on the answers (release.attempts = 3); the record is left to expire', async () => {
    const { ops, record, owner, lostRaces } = await lateWritesOfOurs(fixedStrategy, true);
    expect(ops).toEqual(['swap', 'swap', 'swap', 'swap']);
    expect(lostRaces).toBe(3);
    expect(record!.owner).toBe(owner);
  });

  it('fixed, fresh reads: one read, then three writes, each decided on the answer of the one before', async () => {
    const { ops, lostRaces } = await lateWritesOfOurs(fixedStrategy, false);
    expect(ops).toEqual(['get', 'swap', 'swap', 'swap']);
    expect(lostRaces).toBe(3);
  });

  it('lakefs: one read and one write (release.attempts = 1)', async () => {
    const { ops, lostRaces } = await lateWritesOfOurs(lakefsStrategy, false);
    expect(ops).toEqual(['get', 'swap']);
    expect(lostRaces).toBe(1);
  });

  it('a store answering a lost write with the very state it was asked to replace is read again', async () => {
    const time = new ManualTime();
    const store = new Scripted(time);
    const owner = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(1), fastPath: false });
    const pending = owner.own('a', 'k');
    await time.advanceTo(0);
    const held = await pending;
    // the first releasing write loses, and the store answers with what the release read (a snapshot from before the winner)
    let stale: StoreEntry | undefined;
    const realSwap = store.inner.swap.bind(store.inner);
    let first = true;
    store.inner.swap = (p, k, v, expected, options) => {
      if (first && expected !== null && decodeRecord(v, 'k').expires?.seconds === 0n) {
        first = false;
        stale = { value: store.inner.kv.peek(p, k)!.slice(), predicate: expected };
        return Promise.resolve({ swapped: false, current: stale });
      }
      return realSwap(p, k, v, expected, options);
    };
    const opsBefore = store.ops.length;
    await held.release();
    expect(store.ops.slice(opsBefore).map((o) => o.op)).toEqual(['get', 'swap', 'get', 'swap']);
    expect((await storedRecord(store.inner))!.expires?.seconds).toBe(0n);
  });
});
