/**
 * Moments a test has to construct on purpose (a manual clock, a store whose
 * notifications and replies it holds): `tryOwn()` while the local queue is
 * busy in each way it can be (a local holder; a poller that has not yet
 * taken a key the store already shows free; a poller still unwinding after
 * its last waiter left), a second `tryOwn()` under lakefs while the first is
 * in flight, the error each queued `own()` gets for a corrupt record, and a
 * waiter's sleeps that stay unlinked from the poller's signal once they end.
 * Written for the mutation run (docs/mutation.md).
 */
import { describe, expect, it } from 'vitest';
import { CorruptRecordError, MemoryStore, fixedStrategy, lakefsStrategy, type Clock, type Unsubscribe } from '../../src/index.js';
import { OWNERSHIP_PARTITION } from '../../src/internal.js';
import { seededRandom } from '../helpers/fake-time.js';
import { KEY, makeOwner, storedRecord } from '../helpers/owner-fixture.js';
import { ManualTime, flush, type ManualClock } from '../helpers/manual-time.js';
import { HoldingStore } from '../helpers/store-wrappers.js';

/** A {@link HoldingStore} that can also hold release notifications. */
class Held extends HoldingStore {
  holdNotifications = false;
  readonly #pending: (() => void)[] = [];
  /** Delivers the notifications held so far. */
  deliver(): void {
    this.holdNotifications = false;
    for (const listener of this.#pending.splice(0)) listener();
  }
  override watch(partition: string, key: Uint8Array, listener: () => void): Unsubscribe {
    return super.watch(partition, key, () => {
      if (this.holdNotifications) this.#pending.push(listener);
      else listener();
    });
  }
}

/** A clock that records the signal of every sleep. */
class SleepRecorder implements Clock {
  readonly signals: AbortSignal[] = [];
  constructor(private readonly inner: ManualClock) {}
  now(): number {
    return this.inner.now();
  }
  monotonicNow(): number {
    return this.inner.monotonicNow();
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal !== undefined) this.signals.push(signal);
    return this.inner.sleep(ms, signal);
  }
}

describe('local queue (fixed): tryOwn never jumps the queue', () => {
  it('the key is free in the store, but the queued own() has not been woken yet: tryOwn resolves undefined without a request', async () => {
    const time = new ManualTime();
    const store = new Held();
    const other = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(9) });
    const owner = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(1) });
    const pendingX = other.own('x', 'k');
    await time.advanceTo(0);
    const x = await pendingX;
    const w = owner.own('w', 'k');
    await time.advanceTo(1); // w's poller subscribed and sleeps
    store.holdNotifications = true;
    await x.release();
    expect((await storedRecord(store.inner))!.expires?.seconds).toBe(0n); // free in the store
    const before = store.requests;
    expect(await owner.tryOwn('t', 'k')).toBeUndefined();
    expect(store.requests).toBe(before);
    store.deliver();
    await time.advanceTo(2);
    const held = await w;
    expect((await storedRecord(store.inner))!.owner).toBe(held.owner);
    await held.release();
  });

  it('while a local own() holds the key: undefined without a request', async () => {
    const time = new ManualTime();
    const store = new Held();
    const owner = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(1) });
    const pending = owner.own('h', 'k');
    await time.advanceTo(0);
    const h = await pending;
    const before = store.requests;
    expect(await owner.tryOwn('t', 'k')).toBeUndefined();
    expect(store.requests).toBe(before);
    await h.release();
  });

  it('while another tryOwn’s write is out: undefined without a request; the first one owns', async () => {
    const time = new ManualTime();
    const store = new Held();
    const owner = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(1) });
    const open = store.holdNext();
    const first = owner.tryOwn('a', 'k'); // its write on the guess "absent" is out, held
    await flush();
    const before = store.requests;
    expect(await owner.tryOwn('b', 'k')).toBeUndefined();
    expect(store.requests).toBe(before);
    open();
    const held = await first;
    expect((await storedRecord(store.inner))!.owner).toBe(held!.owner);
    await held!.release();
  });

  it('just after the last queued own() gave up, while its poller unwinds: undefined without a request', async () => {
    const time = new ManualTime();
    const store = new Held();
    const other = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(9) });
    const owner = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(1) });
    const pendingX = other.own('x', 'k');
    await time.advanceTo(0);
    const x = await pendingX;
    const controller = new AbortController();
    const w = expect(owner.own('w', 'k', { signal: controller.signal })).rejects.toThrow('w gave up');
    await time.advanceTo(1); // w's poller sleeps
    const before = store.requests;
    controller.abort(new Error('w gave up'));
    const t = owner.tryOwn('t', 'k'); // the cancelled poller has not unwound yet
    await w;
    expect(await t).toBeUndefined();
    await flush();
    expect(store.requests).toBe(before);
    expect(owner.waiting('k')).toBe(0);
    await x.release();
  });
});

describe('lakefs (no local queue): each tryOwn makes its own attempt', () => {
  it('a second tryOwn while the first one’s read is out reads, writes and owns; the first then finds it held', async () => {
    const time = new ManualTime();
    const store = new Held();
    const owner = makeOwner(lakefsStrategy, store, { clock: time.clock(), random: seededRandom(1) });
    const open = store.holdNext();
    const first = owner.tryOwn('a', 'k');
    const second = await owner.tryOwn('b', 'k');
    expect(second?.owner).toMatch(/^b#/);
    open();
    expect(await first).toBeUndefined();
    expect((await storedRecord(store.inner))!.owner).toBe(second!.owner);
    await second!.release();
  });
});

describe('local queue (fixed): a corrupt record', () => {
  it('each queued own() rejects with a CorruptRecordError naming its own owner id', async () => {
    const time = new ManualTime();
    const store = new MemoryStore();
    await store.set(OWNERSHIP_PARTITION, KEY, new Uint8Array([0xff, 0xff, 0xff]));
    const owner = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(1) });
    const a = owner.own('a', 'k').catch((e: unknown) => e);
    const b = owner.own('b', 'k').catch((e: unknown) => e);
    await time.advanceTo(0);
    const [ea, eb] = [(await a) as CorruptRecordError, (await b) as CorruptRecordError];
    expect(ea).toBeInstanceOf(CorruptRecordError);
    expect(eb).toBeInstanceOf(CorruptRecordError);
    expect(ea.owner).toMatch(/^a#/);
    expect(eb.owner).toMatch(/^b#/);
    expect(ea.message).toContain(`seen by ${ea.owner}:`);
    expect(ea.key).toBe('p/k');
    expect(ea.value).toEqual(new Uint8Array([0xff, 0xff, 0xff]));
    expect(ea.cause).toBeDefined();
  });
});

describe('local queue (fixed): a waiter’s sleeps', () => {
  it('once a sleep has ended, stopping the poller (close()) no longer reaches it: only the current sleep is cut', async () => {
    const time = new ManualTime();
    const store = new MemoryStore();
    const other = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(9) });
    const clock = new SleepRecorder(time.clock());
    const owner = makeOwner(fixedStrategy, store, { clock, random: seededRandom(1) });
    const pendingX = other.own('x', 'k');
    await time.advanceTo(0);
    const x = await pendingX;
    const w = expect(owner.own('w', 'k')).rejects.toThrow(/closed/);
    await time.advanceTo(2_000); // several polls (x keeps refreshing), each a sleep that ends on its timer
    expect(clock.signals.length).toBeGreaterThanOrEqual(3);
    expect(clock.signals.every((s) => !s.aborted)).toBe(true);
    await owner.close();
    await w;
    expect(clock.signals.at(-1)!.aborted).toBe(true);
    expect(clock.signals.slice(0, -1).filter((s) => s.aborted)).toHaveLength(0);
    await x.release();
  });
});
