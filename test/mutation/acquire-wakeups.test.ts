/**
 * The waiter's side of push handoff, on a manual clock: a release
 * notification that arrives while the waiter's read is out (after it
 * subscribed) must not be lost, and a remembered record that no longer
 * decodes is not guessed on, and a write on the guess "absent" answered
 * "absent" is a lost race. Written for the mutation run
 * (docs/mutation.md).
 */
import { describe, expect, it } from 'vitest';
import { CorruptRecordError, MemoryStore, fixedStrategy, type Predicate, type Store, type StoreEntry, type SwapOptions, type SwapResult, type Unsubscribe } from '../../src/index.js';
import { OWNERSHIP_PARTITION } from '../../src/internal.js';
import { seededRandom } from '../helpers/fake-time.js';
import { KEY, makeOwner, storedRecord } from '../helpers/owner-fixture.js';
import { ManualTime, flush } from '../helpers/manual-time.js';

/** A view of a shared MemoryStore whose next get reads at once but answers only when let through (a slow reply). */
class SlowReply implements Store {
  gets = 0;
  #hold: { opened: Promise<void> } | undefined;
  constructor(readonly inner: MemoryStore) {}
  holdNextGet(): () => void {
    let open!: () => void;
    this.#hold = { opened: new Promise<void>((r) => (open = r)) };
    return open;
  }
  async get(partition: string, key: Uint8Array): Promise<StoreEntry | undefined> {
    this.gets++;
    const answer = await this.inner.get(partition, key);
    const hold = this.#hold;
    this.#hold = undefined;
    if (hold !== undefined) await hold.opened;
    return answer;
  }
  swap(partition: string, key: Uint8Array, value: Uint8Array, expected: Predicate | null, options?: SwapOptions): Promise<SwapResult> {
    return this.inner.swap(partition, key, value, expected, options);
  }
  notify(partition: string, key: Uint8Array): Promise<void> {
    return this.inner.notify(partition, key);
  }
  watch(partition: string, key: Uint8Array, listener: () => void): Unsubscribe {
    return this.inner.watch(partition, key, listener);
  }
}

describe('a release notification while the waiter’s read is out', () => {
  it('the waiter, answered "held" by that read, tries again at once and owns at the release, not at its next poll', async () => {
    const time = new ManualTime();
    const shared = new MemoryStore();
    const a = makeOwner(fixedStrategy, shared, { clock: time.clock(), random: seededRandom(1) });
    const bStore = new SlowReply(shared);
    const b = makeOwner(fixedStrategy, bStore, { clock: time.clock(), random: seededRandom(2), fastPath: false });
    const pendingA = a.own('a', 'k');
    await time.advanceTo(0);
    const heldA = await pendingA;
    let heldB: Awaited<ReturnType<typeof b.own>> | undefined;
    const pendingB = b.own('b', 'k').then((h) => (heldB = h));
    await time.advanceTo(1); // b has read "held", subscribed, read again, and sleeps until its next poll
    expect(heldB).toBeUndefined();
    const nextPoll = time.nextDue();
    expect(nextPoll).toBeGreaterThan(time.now);
    // b's poll: its read answers "held" only after a's release was notified
    await time.advanceTo(nextPoll!);
    const open = bStore.holdNextGet();
    await time.advanceTo(time.nextDue()!); // the poll whose reply is held
    const releasedAt = time.now;
    const getsBefore = bStore.gets;
    expect(getsBefore).toBeGreaterThan(0);
    await heldA.release();
    await flush();
    open();
    await flush();
    await flush();
    expect(heldB).toBeDefined();
    expect(time.now).toBe(releasedAt);
    expect((await storedRecord(shared))!.owner).toBe(heldB!.owner);
    await pendingB;
    await heldB!.release();
  });
});

describe('a remembered record that no longer decodes', () => {
  it('is not guessed on: once the key is repaired, own() reads it and takes it', async () => {
    const time = new ManualTime();
    const store = new MemoryStore();
    const owner = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(1) });
    await store.set(OWNERSHIP_PARTITION, KEY, new Uint8Array([0xff, 0xff, 0xff]));
    const first = owner.own('a', 'k');
    const rejected = expect(first).rejects.toBeInstanceOf(CorruptRecordError);
    await time.advanceTo(0);
    await rejected;
    await store.delete(OWNERSHIP_PARTITION, KEY);
    const second = owner.own('a', 'k');
    await time.advanceTo(1);
    const held = await second;
    expect((await storedRecord(store))!.owner).toBe(held.owner);
    await held.release();
  });
});

describe('a write on the guess "absent" answered "absent"', () => {
  it('(a get + setIf store whose read found the key deleted again) is a lost race: the next write waits for the retry delay', async () => {
    const time = new ManualTime();
    const inner = new MemoryStore();
    const swaps: number[] = [];
    let first = true;
    const store: Store = {
      get: (p, k) => inner.get(p, k),
      swap: (p, k, v, expected, options) => {
        swaps.push(time.now);
        if (first && expected === null) {
          first = false;
          return Promise.resolve({ swapped: false, current: undefined });
        }
        return inner.swap(p, k, v, expected, options);
      },
    };
    const owner = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(1) });
    let held: Awaited<ReturnType<typeof owner.own>> | undefined;
    const pending = owner.own('a', 'k').then((h) => (held = h));
    await time.advanceTo(0);
    expect(swaps).toEqual([0]);
    expect(held).toBeUndefined();
    await time.advanceTo(1_000);
    await pending;
    const acquiring = swaps.filter((t) => t < 100); // before the first refresh
    expect(acquiring).toHaveLength(2);
    expect(acquiring[1]).toBeGreaterThan(0);
    await held!.release();
  });
});
