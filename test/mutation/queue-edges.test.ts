/**
 * The local queue and the caller's signal through the public API, on a
 * manual clock: aborts that must not disturb the other waiters (one whose
 * record is being written, one that arrives just after), a handoff that
 * must stay direct after a waiter left, and no `abort` listener left on a
 * caller's long-lived signal. Written for the mutation run
 * (docs/mutation.md).
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { MemoryStore, fixedStrategy, lakefsStrategy, systemClock, type Ownership, type Predicate, type Store, type StoreEntry, type SwapOptions, type SwapResult, type Unsubscribe } from '../../src/index.js';
import { decodeRecord } from '../../src/internal.js';
import { seededRandom } from '../helpers/fake-time.js';
import { makeOwner, storedRecord } from '../helpers/owner-fixture.js';
import { ManualTime, flush } from '../helpers/manual-time.js';

/** A MemoryStore whose next swap naming `holdFor` is held until let through; records swaps; can fail gets. */
class Gate implements Store {
  readonly inner = new MemoryStore();
  readonly swaps: string[] = [];
  failGets = false;
  #hold: { prefix: string; opened: Promise<void> } | undefined;
  holdSwapFor(ownerPrefix: string): () => void {
    let open!: () => void;
    this.#hold = { prefix: ownerPrefix, opened: new Promise<void>((r) => (open = r)) };
    return open;
  }
  get(partition: string, key: Uint8Array): Promise<StoreEntry | undefined> {
    if (this.failGets) return Promise.reject(new Error('store down'));
    return this.inner.get(partition, key);
  }
  async swap(partition: string, key: Uint8Array, value: Uint8Array, expected: Predicate | null, options?: SwapOptions): Promise<SwapResult> {
    const owner = decodeRecord(value, 'p/k').owner;
    this.swaps.push(owner);
    const hold = this.#hold;
    if (hold !== undefined && owner.startsWith(hold.prefix)) {
      this.#hold = undefined;
      await hold.opened;
    }
    return this.inner.swap(partition, key, value, expected, options);
  }
  notify(partition: string, key: Uint8Array): Promise<void> {
    return this.inner.notify(partition, key);
  }
  watch(partition: string, key: Uint8Array, listener: () => void): Unsubscribe {
    return this.inner.watch(partition, key, listener);
  }
}

const settled = <T>(p: Promise<T>) => {
  const s: { value?: T; error?: unknown; done: boolean } = { done: false };
  p.then(
    (value) => Object.assign(s, { value, done: true }),
    (error: unknown) => Object.assign(s, { error, done: true }),
  );
  return s;
};

describe('local queue (fixed): an abort does not disturb the other waiters', () => {
  it('the last queued waiter aborting while the head’s record is being written: the head still owns', async () => {
    const time = new ManualTime();
    const store = new Gate();
    const other = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(9) });
    const owner = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(1) });
    const pendingX = other.own('x', 'k');
    await time.advanceTo(0);
    const x = await pendingX;
    const b = settled(owner.own('b', 'k'));
    const controller = new AbortController();
    const c = settled(owner.own('c', 'k', { signal: controller.signal }));
    await time.advanceTo(1);
    const open = store.holdSwapFor('b#');
    await x.release(); // the notification wakes the poller: b's write goes out and is held
    await time.advanceTo(2);
    controller.abort(new Error('c gave up'));
    await flush();
    expect((c.error as Error).message).toBe('c gave up');
    open();
    await time.advanceTo(3);
    expect(b.done).toBe(true);
    expect((await storedRecord(store.inner))!.owner).toBe((b.value as Ownership).owner);
    await (b.value as Ownership).release();
  });

  it('a waiter that queues just after the last one aborted is served', async () => {
    const time = new ManualTime();
    const store = new Gate();
    const other = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(9) });
    const owner = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(1) });
    const pendingX = other.own('x', 'k');
    await time.advanceTo(0);
    const x = await pendingX;
    const controller = new AbortController();
    const b = settled(owner.own('b', 'k', { signal: controller.signal }));
    await time.advanceTo(1); // b's poller sleeps
    controller.abort(new Error('b gave up'));
    const c = settled(owner.own('c', 'k')); // before the cancelled poller has unwound
    await flush();
    expect((b.error as Error).message).toBe('b gave up');
    expect(c.done).toBe(false);
    await x.release();
    await time.advanceTo(1_000);
    expect(c.error).toBeUndefined();
    expect(c.done).toBe(true);
    expect((await storedRecord(store.inner))!.owner).toBe((c.value as Ownership).owner);
    await (c.value as Ownership).release();
  });

  it('after a queued waiter left, the next one is still handed the key directly (one write, before release returns)', async () => {
    const time = new ManualTime();
    const store = new Gate();
    const owner = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(1) });
    const pendingH = owner.own('h', 'k');
    await time.advanceTo(0);
    const h = await pendingH;
    const controller = new AbortController();
    const w = settled(owner.own('w', 'k', { signal: controller.signal }));
    controller.abort(new Error('w gave up'));
    await flush();
    expect(w.error).toBeDefined();
    const v = settled(owner.own('v', 'k'));
    await time.advanceTo(1);
    expect(owner.waiting('k')).toBe(1);
    const from = store.swaps.length;
    await h.release();
    expect(v.done).toBe(true);
    expect(store.swaps.slice(from)).toEqual([(v.value as Ownership).owner]);
    await (v.value as Ownership).release();
  });
});

describe("no abort listener is left on the caller's signal", () => {
  const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

  it('fixed: a waiter that was queued, once it owns, and after release', async () => {
    const time = new ManualTime();
    const owner = makeOwner(fixedStrategy, new MemoryStore(), { clock: time.clock(), random: seededRandom(1) });
    const signal = new AbortController().signal;
    const pendingH = owner.own('h', 'k', { signal });
    await time.advanceTo(0);
    const h = await pendingH;
    const w = owner.own('w', 'k', { signal });
    await time.advanceTo(1);
    await h.release();
    const held = await w;
    expect(listeners(signal)).toBe(0);
    await held.release();
    expect(listeners(signal)).toBe(0);
  });

  it('lakefs: after own() (each store call and sleep), and after release', async () => {
    const time = new ManualTime();
    const store = new MemoryStore();
    const other = makeOwner(lakefsStrategy, store, { clock: time.clock(), random: seededRandom(9) });
    const owner = makeOwner(lakefsStrategy, store, { clock: time.clock(), random: seededRandom(1) });
    const pendingX = other.own('x', 'k');
    await time.advanceTo(0);
    const x = await pendingX;
    const signal = new AbortController().signal;
    const pending = owner.own('a', 'k', { signal });
    await time.advanceTo(5);
    await x.release();
    await time.advanceTo(1_000);
    const held = await pending;
    // lakefs: the signal scopes the refresh loop, so one listener stays while held
    expect(listeners(signal)).toBe(1);
    await held.release();
    expect(listeners(signal)).toBe(0);
  });

  it('lakefs: an own() that fails on the store', async () => {
    const time = new ManualTime();
    const store = new Gate();
    store.failGets = true;
    const owner = makeOwner(lakefsStrategy, store, { clock: time.clock(), random: seededRandom(1) });
    const signal = new AbortController().signal;
    const pending = expect(owner.own('a', 'k', { signal })).rejects.toThrow();
    await time.advanceTo(0);
    await pending;
    expect(listeners(signal)).toBe(0);
  });

  it('systemClock.sleep, once it has slept', async () => {
    const signal = new AbortController().signal;
    await systemClock.sleep(1, signal);
    expect(listeners(signal)).toBe(0);
  });
});

describe('local queue (fixed): a waiter that aborted while its write was out, and the write lost', () => {
  it('is not put back: when the key frees later, nobody takes it on its behalf', async () => {
    const time = new ManualTime();
    const store = new Gate();
    const other = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(9) });
    const owner = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(1) });
    const controller = new AbortController();
    const open = store.holdSwapFor('w#');
    const w = settled(owner.own('w', 'k', { signal: controller.signal }));
    await time.advanceTo(0); // w's write (on the absent key) is out, held
    const x = settled(other.own('x', 'k'));
    await time.advanceTo(1);
    expect(x.done).toBe(true); // x took the key while w's write was out
    controller.abort(new Error('w gave up'));
    await flush();
    expect((w.error as Error).message).toBe('w gave up');
    open(); // w's write loses to x
    await time.advanceTo(2);
    await (x.value as Ownership).release();
    await time.advanceTo(2_000);
    const record = await storedRecord(store.inner);
    expect(record!.owner).toBe((x.value as Ownership).owner);
    expect(record!.expires?.seconds).toBe(0n);
    expect(owner.waiting('k')).toBe(0);
  });
});

describe('local queue (fixed): tryOwn while an own() queues behind it and gives up', () => {
  it('the tryOwn holder still hands the key directly to the next own() (one write, before release returns)', async () => {
    const time = new ManualTime();
    const store = new Gate();
    const owner = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(1) });
    const open = store.holdSwapFor('t#');
    const t = settled(owner.tryOwn('t', 'k'));
    await flush(); // tryOwn's write is out, held
    const controller = new AbortController();
    const w = settled(owner.own('w', 'k', { signal: controller.signal }));
    controller.abort(new Error('w gave up'));
    await flush();
    expect((w.error as Error).message).toBe('w gave up');
    open();
    await time.advanceTo(0);
    const held = t.value as Ownership;
    expect(held).toBeDefined();
    const v = settled(owner.own('v', 'k'));
    await time.advanceTo(1);
    const from = store.swaps.length;
    await held.release();
    expect(v.done).toBe(true);
    expect(store.swaps.slice(from)).toEqual([(v.value as Ownership).owner]);
    await (v.value as Ownership).release();
  });
});

describe('local queue (fixed): tryOwn on a key another process holds', () => {
  it('resolves undefined and leaves the queue usable: a later own() owns once the key frees', async () => {
    const time = new ManualTime();
    const store = new Gate();
    const other = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(9) });
    const owner = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(1) });
    const pendingX = other.own('x', 'k');
    await time.advanceTo(0);
    const x = await pendingX;
    expect(await owner.tryOwn('t', 'k')).toBeUndefined();
    const w = settled(owner.own('w', 'k'));
    await time.advanceTo(1);
    await x.release();
    await time.advanceTo(1_000);
    expect(w.done).toBe(true);
    expect((await storedRecord(store.inner))!.owner).toBe((w.value as Ownership).owner);
    await (w.value as Ownership).release();
  });
});
