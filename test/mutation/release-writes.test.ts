/**
 * The writes of `release()`, on a manual clock: which ones ask the store to
 * notify waiters in other processes, what happens when the write that hands
 * the key to a local waiter loses, how a guess answered with the very state
 * it guessed is counted, and what a second `release()` after a handoff
 * sends. Written for the mutation run (docs/mutation.md).
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore, fixedStrategy, lakefsStrategy, type Predicate, type Store, type StoreEntry, type Strategy, type SwapOptions, type SwapResult, type Unsubscribe } from '../../src/index.js';
import { OWNERSHIP_PARTITION, decodeRecord, encodeRecord, newRecord } from '../../src/internal.js';
import { recordingLogger, seededRandom } from '../helpers/fake-time.js';
import { KEY, makeOwner, storedRecord } from '../helpers/owner-fixture.js';
import { ManualTime, MANUAL_EPOCH_MS } from '../helpers/manual-time.js';

/** A MemoryStore that records every request and the options of every swap; notifications optional. */
class Recorder implements Store {
  readonly inner = new MemoryStore();
  readonly ops: { op: 'get' | 'swap'; notify?: boolean; value?: Uint8Array }[] = [];
  /** Replaces the answer of a swap (called before the store sees it); `undefined`: the store answers. */
  answerSwap: ((value: Uint8Array, expected: Predicate | null) => Promise<SwapResult | undefined>) | undefined;
  notify?: (partition: string, key: Uint8Array) => Promise<void>;
  watch?: (partition: string, key: Uint8Array, listener: () => void) => Unsubscribe;

  constructor(notifications: boolean) {
    if (notifications) {
      this.notify = (p, k) => this.inner.notify(p, k);
      this.watch = (p, k, l) => this.inner.watch(p, k, l);
    }
  }
  get(partition: string, key: Uint8Array): Promise<StoreEntry | undefined> {
    this.ops.push({ op: 'get' });
    return this.inner.get(partition, key);
  }
  async swap(partition: string, key: Uint8Array, value: Uint8Array, expected: Predicate | null, options?: SwapOptions): Promise<SwapResult> {
    this.ops.push({ op: 'swap', notify: options?.notify === true, value });
    const scripted = await this.answerSwap?.(value, expected);
    return scripted ?? this.inner.swap(partition, key, value, expected, options);
  }
  /** The swaps sent from index `from` of {@link ops} on. */
  swapsFrom(from: number) {
    return this.ops.slice(from).filter((o) => o.op === 'swap');
  }
}

const isRelease = (value: Uint8Array): boolean => decodeRecord(value, 'p/k').expires?.seconds === 0n;

async function held(strategy: Strategy, store: Store, extra: { fastPath?: boolean } = {}) {
  const time = new ManualTime();
  const log = recordingLogger();
  const owner = makeOwner(strategy, store, { clock: time.clock(), random: seededRandom(1), logger: log, ...extra });
  const pending = owner.own('a', 'k');
  await time.advanceTo(0);
  return { time, log, owner, held: await pending };
}

describe('which release writes ask the store to notify other processes', () => {
  it('lakefs (no push handoff), on a store that can notify in the write: never asked', async () => {
    const store = new Recorder(true);
    const { held: h } = await held(lakefsStrategy, store);
    let woken = 0;
    store.inner.watch(OWNERSHIP_PARTITION, KEY, () => woken++);
    const from = store.ops.length;
    await h.release();
    await Promise.resolve();
    expect(store.swapsFrom(from).map((o) => o.notify)).toEqual([false]);
    expect(woken).toBe(0);
    expect((await storedRecord(store.inner))!.expires?.seconds).toBe(0n);
  });

  it('fixed (push handoff), on a store that can: asked in the write, and a watcher in another process is woken', async () => {
    const store = new Recorder(true);
    const { held: h } = await held(fixedStrategy, store);
    let woken = 0;
    store.inner.watch(OWNERSHIP_PARTITION, KEY, () => woken++);
    const from = store.ops.length;
    await h.release();
    await Promise.resolve();
    expect(store.swapsFrom(from).map((o) => o.notify)).toEqual([true]);
    expect(woken).toBe(1);
  });

  it('fixed, on a store without notifications: never asked', async () => {
    const store = new Recorder(false);
    const { held: h } = await held(fixedStrategy, store);
    const from = store.ops.length;
    await h.release();
    expect(store.swapsFrom(from).map((o) => o.notify)).toEqual([false]);
    expect((await storedRecord(store.inner))!.expires?.seconds).toBe(0n);
  });

  it('a handoff to a waiter in the same process does not wake other processes', async () => {
    const store = new Recorder(true);
    const { time, owner, held: h } = await held(fixedStrategy, store);
    const waiting = owner.own('b', 'k');
    await time.advanceTo(1);
    let woken = 0;
    store.inner.watch(OWNERSHIP_PARTITION, KEY, () => woken++);
    const from = store.ops.length;
    await h.release();
    const next = await waiting;
    await Promise.resolve();
    expect(store.swapsFrom(from).map((o) => o.notify)).toEqual([false]);
    expect(woken).toBe(0);
    expect((await storedRecord(store.inner))!.owner).toBe(next.owner);
    await next.release();
  });
});

describe('the write that hands the key to a local waiter loses', () => {
  /** The holder has a local waiter; just before the handoff write, another process takes the key. */
  const intruded = async (fastPath: boolean) => {
    const store = new Recorder(true);
    const { time, log, owner, held: h } = await held(fixedStrategy, store, { fastPath });
    const controller = new AbortController();
    const waiting = owner.own('b', 'k', { signal: controller.signal });
    let settled: 'owned' | 'rejected' | undefined;
    waiting.then(
      () => (settled = 'owned'),
      () => (settled = 'rejected'),
    );
    await time.advanceTo(1);
    store.answerSwap = async (value) => {
      if (isRelease(value) || decodeRecord(value, 'p/k').owner === h.owner) return undefined;
      store.answerSwap = undefined;
      const current = (await store.inner.get(OWNERSHIP_PARTITION, KEY))!;
      await store.inner.swap(OWNERSHIP_PARTITION, KEY, encodeRecord(newRecord('z#1', MANUAL_EPOCH_MS + 60_000, '')), current.predicate);
      return undefined; // the store answers: lost, with z's record
    };
    const from = store.ops.length;
    await h.release();
    await time.advanceTo(100);
    const outcome = { settled, record: await storedRecord(store.inner), ops: store.ops.slice(from).map((o) => o.op), log, h };
    controller.abort();
    await waiting.catch(() => {});
    return outcome;
  };

  for (const fastPath of [false, true]) {
    it(`${fastPath ? 'on the guess' : 'on a read'}: the waiter is not told it owns, keeps waiting, and the new owner's record is left alone`, async () => {
      const { settled, record, ops } = await intruded(fastPath);
      expect(settled).toBeUndefined();
      expect(record!.owner).toBe('z#1');
      // the lost write's answer is the next read: it names z, so nothing more is written by the release
      expect(ops.slice(0, fastPath ? 1 : 2)).toEqual(fastPath ? ['swap'] : ['get', 'swap']);
      expect(ops.filter((o) => o === 'swap')).toHaveLength(1);
    });
  }

  it('decided on a read, the lost handoff is logged at INFO naming the waiter; decided on the guess, it is not', async () => {
    const onRead = await intruded(false);
    const lines = onRead.log.lines.filter((l) => l.message === 'Lost ownership race while handing over');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe('info');
    expect(lines[0]!.fields).toEqual({ prefixed_key: 'p/k', owner: onRead.h.owner, new_owner: expect.stringMatching(/^b#/) });
    const onGuess = await intruded(true);
    expect(onGuess.log.lines.filter((l) => l.message === 'Lost ownership race while handing over')).toHaveLength(0);
  });
});

describe('release.attempts with the fast path', () => {
  it("a guess answered with the very state it guessed counts as one of the attempts (fixed: 3 writes in all)", async () => {
    const store = new Recorder(true);
    const { held: h } = await held(fixedStrategy, store);
    // every releasing write loses, and the store answers with the state the write expected (a snapshot from before a winner)
    store.answerSwap = async (value, expected) => {
      if (!isRelease(value) || expected === null) return undefined;
      const current = (await store.inner.get(OWNERSHIP_PARTITION, KEY))!;
      return { swapped: false, current: { value: current.value, predicate: expected } };
    };
    const from = store.ops.length;
    await h.release();
    expect(store.ops.slice(from).map((o) => o.op)).toEqual(['swap', 'get', 'swap', 'get', 'swap']);
  });
});

describe('release() again', () => {
  it('after handing over, on the fast path: decided on its own last write, it sends nothing and leaves the new holder alone', async () => {
    const store = new Recorder(true);
    const { time, owner, held: h } = await held(fixedStrategy, store);
    const waiting = owner.own('b', 'k');
    await time.advanceTo(1);
    await h.release();
    const next = await waiting;
    const from = store.ops.length;
    await h.release();
    expect(store.ops.slice(from)).toEqual([]);
    expect((await storedRecord(store.inner))!.owner).toBe(next.owner);
    await next.release();
  });

  it('after releasing, on the fast path: one write, on its own last write', async () => {
    const store = new Recorder(true);
    const { held: h } = await held(fixedStrategy, store);
    await h.release();
    const from = store.ops.length;
    await h.release();
    expect(store.ops.slice(from).map((o) => o.op)).toEqual(['swap']);
    expect((await storedRecord(store.inner))!.expires?.seconds).toBe(0n);
  });
});
