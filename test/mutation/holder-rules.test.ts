/**
 * The holder's side, rule by rule, on a manual clock: when its refresh
 * cadence starts, what the signal given to `own()` scopes, when the deadline
 * tells it the key is lost, what `ownership.lost` says when read late, and
 * how a release notifies waiters in other processes (in the write, by a
 * separate notify, or not at all). The waiter's side of push handoff: it
 * subscribes only when it has to wait, and only on stores with both halves.
 * Written for the mutation run (docs/mutation.md).
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore, OwnershipLostError, fixedStrategy, lakefsStrategy, observedStrategy, swapOverSetIf, type Predicate, type Store, type StoreEntry, type Strategy, type SwapOptions, type SwapResult, type Unsubscribe } from '../../src/index.js';
import { OWNERSHIP_PARTITION, encodeRecord, newRecord } from '../../src/internal.js';
import { recordingLogger, seededRandom } from '../helpers/fake-time.js';
import { KEY, REFRESH, makeOwner, storedRecord } from '../helpers/owner-fixture.js';
import { ManualTime, MANUAL_EPOCH_MS } from '../helpers/manual-time.js';

/** A MemoryStore seen through a probe: counts, an optional delay before swaps, optional halves of notifications. */
class Probe implements Store {
  readonly inner = new MemoryStore();
  readonly ops: { op: string; at: number }[] = [];
  watchers = 0;
  watchCalls = 0;
  notifies = 0;
  /** Runs before a swap reaches the store (e.g. a delay on the manual clock). */
  beforeSwap: (() => Promise<void>) | undefined;
  /** Never settles a get or a swap while set (a store that stopped answering). */
  hang = false;
  notify?: (partition: string, key: Uint8Array) => Promise<void>;
  watch?: (partition: string, key: Uint8Array, listener: () => void) => Unsubscribe;

  constructor(
    private readonly time: ManualTime,
    halves: { notify?: boolean; watch?: boolean; swapNotifies?: boolean } = {},
  ) {
    this.swapNotifies = halves.swapNotifies ?? false;
    if (halves.notify) {
      this.notify = (p, k) => {
        this.notifies++;
        return this.inner.notify(p, k);
      };
    }
    if (halves.watch) {
      this.watch = (p, k, listener) => {
        this.watchCalls++;
        this.watchers++;
        const off = this.inner.watch(p, k, listener);
        let on = true;
        return () => {
          if (on) this.watchers--;
          on = false;
          off();
        };
      };
    }
  }
  readonly swapNotifies: boolean;

  get(partition: string, key: Uint8Array): Promise<StoreEntry | undefined> {
    this.ops.push({ op: 'get', at: this.time.now });
    if (this.hang) return new Promise(() => {});
    return this.inner.get(partition, key);
  }
  async swap(partition: string, key: Uint8Array, value: Uint8Array, expected: Predicate | null, options?: SwapOptions): Promise<SwapResult> {
    this.ops.push({ op: 'swap', at: this.time.now });
    if (this.hang) return new Promise(() => {});
    await this.beforeSwap?.();
    return this.inner.swap(partition, key, value, expected, this.swapNotifies ? options : undefined);
  }
  count(op: string): number {
    return this.ops.filter((o) => o.op === op).length;
  }
}

describe('refresh cadence: where the ticks start', () => {
  for (const [strategy, first] of [
    [fixedStrategy, REFRESH / 2],
    [lakefsStrategy, 30 + REFRESH / 2],
  ] as const) {
    it(`${strategy.name}: an acquisition whose write takes 30 ms refreshes first at ${first} ms`, async () => {
      const time = new ManualTime();
      const clock = time.clock();
      const store = new Probe(time);
      store.beforeSwap = () => clock.sleep(30);
      const owner = makeOwner(strategy, store, { clock, random: seededRandom(1), fastPath: false });
      const pending = owner.own('a', 'k');
      await time.advanceTo(0);
      await time.advanceTo(30);
      const held = await pending;
      store.beforeSwap = undefined;
      const before = store.count('swap');
      await time.advanceTo(first - 0.5);
      expect(store.count('swap')).toBe(before);
      await time.advanceTo(first);
      expect(store.count('swap')).toBe(before + 1);
      expect(store.ops.at(-1)!.at).toBe(first);
      await held.release();
    });
  }
});

describe("the signal given to own() after it resolved", () => {
  it('lakefs: aborting it stops refreshing (Go ctx scopes both)', async () => {
    const time = new ManualTime();
    const store = new Probe(time);
    const owner = makeOwner(lakefsStrategy, store, { clock: time.clock(), random: seededRandom(1) });
    const ac = new AbortController();
    const pending = owner.own('a', 'k', { signal: ac.signal });
    await time.advanceTo(0);
    const held = await pending;
    ac.abort();
    await held.refreshStopped;
    const ops = store.ops.length;
    await time.advanceTo(1_000);
    expect(store.ops.length).toBe(ops);
  });

  for (const strategy of [fixedStrategy, observedStrategy]) {
    it(`${strategy.name}: it bounds the wait only; the holder keeps refreshing`, async () => {
      const time = new ManualTime();
      const store = new Probe(time);
      const owner = makeOwner(strategy, store, { clock: time.clock(), random: seededRandom(1) });
      const ac = new AbortController();
      const pending = owner.own('a', 'k', { signal: ac.signal });
      await time.advanceTo(0);
      const held = await pending;
      ac.abort();
      await time.advanceTo(1_000);
      expect(store.count('swap')).toBe(1 + 5); // own, then a refresh every 200 ms
      expect(held.lost.aborted).toBe(false);
      await held.release();
    });
  }
});

describe("the holder's deadline (strategies that signal loss)", () => {
  for (const [lossMargin, deadline] of [
    [undefined, REFRESH - REFRESH / 4],
    [50, REFRESH - 50],
    [0, REFRESH],
  ] as const) {
    it(`lossMargin ${String(lossMargin)}: with a store that stopped answering, lost fires at ${deadline} ms, not before`, async () => {
      const time = new ManualTime();
      const store = new Probe(time);
      const owner = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(1), ...(lossMargin === undefined ? {} : { lossMargin }) });
      const pending = owner.own('a', 'k');
      await time.advanceTo(0);
      const held = await pending;
      store.hang = true;
      await time.advanceTo(deadline - 0.5);
      expect(held.lost.aborted).toBe(false);
      await time.advanceTo(deadline);
      expect(held.lost.aborted).toBe(true);
      expect((held.lost.reason as OwnershipLostError).reason).toBe('deadline');
    });
  }

  it('a successful refresh moves the deadline to its own send time', async () => {
    const time = new ManualTime();
    const store = new Probe(time);
    const owner = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(1) });
    const pending = owner.own('a', 'k');
    await time.advanceTo(0);
    const held = await pending;
    await time.advanceTo(200); // refresh sent and answered at 200
    store.hang = true;
    await time.advanceTo(200 + 300 - 0.5);
    expect(held.lost.aborted).toBe(false);
    await time.advanceTo(500);
    expect(held.lost.aborted).toBe(true);
  });

  it('lakefs never tells the holder, whatever the deadline', async () => {
    const time = new ManualTime();
    const store = new Probe(time);
    const owner = makeOwner(lakefsStrategy, store, { clock: time.clock(), random: seededRandom(1) });
    const pending = owner.own('a', 'k');
    await time.advanceTo(0);
    const held = await pending;
    store.hang = true;
    await time.advanceTo(2_000);
    expect(held.lost.aborted).toBe(false);
  });
});

describe('ownership.lost', () => {
  it('read only after the loss: already aborted, with the reason and the new owner', async () => {
    const time = new ManualTime();
    const store = new Probe(time);
    const log = recordingLogger();
    const owner = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(1), logger: log, fastPath: false });
    const pending = owner.own('a', 'k');
    await time.advanceTo(0);
    const held = await pending;
    const current = (await store.inner.get(OWNERSHIP_PARTITION, KEY))!;
    await store.inner.swap(OWNERSHIP_PARTITION, KEY, encodeRecord(newRecord('z#1', MANUAL_EPOCH_MS + 10_000, '')), current.predicate);
    await time.advanceTo(200);
    await held.refreshStopped;
    const lost = held.lost;
    expect(lost.aborted).toBe(true);
    expect(lost.reason).toBeInstanceOf(OwnershipLostError);
    expect(lost.reason).toMatchObject({ reason: 'taken', key: 'p/k', owner: held.owner, newOwner: 'z#1' });
    expect(held.lost).toBe(lost);
    expect(log.lines.filter((l) => l.level === 'warn')).toEqual([]);
    expect(log.lines.filter((l) => l.message === 'Ownership lost')).toEqual([
      { level: 'info', message: 'Ownership lost', fields: { owner: held.owner, prefixed_key: 'p/k', reason: 'taken', new_owner: 'z#1' } },
    ]);
    // the record of the new owner is left alone, also by release
    await held.release();
    expect((await storedRecord(store.inner))!.owner).toBe('z#1');
  });

  it('is not aborted by release, and is told once only', async () => {
    const time = new ManualTime();
    const store = new Probe(time);
    const log = recordingLogger();
    const owner = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(1), logger: log });
    const pending = owner.own('a', 'k');
    await time.advanceTo(0);
    const held = await pending;
    const lost = held.lost;
    await held.release();
    await time.advanceTo(2_000);
    expect(lost.aborted).toBe(false);
    expect(log.lines.filter((l) => l.message === 'Ownership lost')).toEqual([]);
  });
});

describe('release notifications (push handoff)', () => {
  const cycle = async (store: Store, strategy: Strategy = fixedStrategy, log = recordingLogger()) => {
    const time = new ManualTime();
    const owner = makeOwner(strategy, store, { clock: time.clock(), random: seededRandom(1), logger: log });
    const pending = owner.own('a', 'k');
    await time.advanceTo(0);
    await (await pending).release();
    await time.advanceTo(1);
    return log;
  };

  it('a store that notifies in the write is not asked to notify again', async () => {
    const time = new ManualTime();
    const store = new Probe(time, { notify: true, watch: true, swapNotifies: true });
    await cycle(store);
    expect(store.notifies).toBe(0);
  });

  it('a store that cannot notify in the write is asked to notify once, after it', async () => {
    const time = new ManualTime();
    const store = new Probe(time, { notify: true, watch: true });
    await cycle(store);
    expect(store.notifies).toBe(1);
  });

  it('lakefs never notifies', async () => {
    const time = new ManualTime();
    const store = new Probe(time, { notify: true, watch: true });
    await cycle(store, lakefsStrategy);
    expect(store.notifies).toBe(0);
  });

  it('a get + setIf store with notifications gets its notify called', async () => {
    const inner = new MemoryStore();
    let notifies = 0;
    const adapted = swapOverSetIf({
      get: (p, k) => inner.get(p, k),
      setIf: (p, k, v, pred) => inner.setIf(p, k, v, pred),
      notify: (p, k) => (notifies++, inner.notify(p, k)),
      watch: (p, k, l) => inner.watch(p, k, l),
    });
    await cycle(adapted);
    expect(notifies).toBe(1);
  });

  it('a notify that rejects, or throws, is logged at WARN; the release still completes', async () => {
    for (const notify of [() => Promise.reject(new Error('pubsub down')), () => { throw new Error('pubsub down'); }]) {
      const time = new ManualTime();
      const store = new Probe(time, { watch: true });
      store.notify = notify;
      const log = await cycle(store);
      await Promise.resolve();
      const warned = log.lines.filter((l) => l.level === 'warn');
      expect(warned).toHaveLength(1);
      expect(warned[0]!.message).toBe('Failed to notify waiters of the release (they poll)');
      expect(warned[0]!.fields).toMatchObject({ owner: expect.stringMatching(/^a#/), key: 'k' });
      expect((warned[0]!.fields.err as Error).message).toBe('pubsub down');
      expect((await storedRecord(store.inner))!.expires?.seconds).toBe(0n);
    }
  });

  it('a release that lost the key notifies nobody', async () => {
    const time = new ManualTime();
    const store = new Probe(time, { notify: true, watch: true });
    const owner = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(1), fastPath: false });
    const pending = owner.own('a', 'k');
    await time.advanceTo(0);
    const held = await pending;
    const current = (await store.inner.get(OWNERSHIP_PARTITION, KEY))!;
    await store.inner.swap(OWNERSHIP_PARTITION, KEY, encodeRecord(newRecord('z#1', MANUAL_EPOCH_MS + 10_000, '')), current.predicate);
    await held.release();
    expect(store.notifies).toBe(0);
  });
});

describe('a waiter subscribes to release notifications only when it must wait', () => {
  const holdThenWait = async (store: Probe, strategy: Strategy = fixedStrategy) => {
    const time = (store as unknown as { time: ManualTime }).time;
    const one = makeOwner(strategy, store, { clock: time.clock(), random: seededRandom(1) });
    const two = makeOwner(strategy, store, { clock: time.clock(), random: seededRandom(2) });
    const a = one.own('a', 'k');
    await time.advanceTo(0);
    const heldA = await a;
    const watchesAfterUncontended = store.watchCalls;
    const b = two.own('b', 'k');
    await time.advanceTo(0);
    await time.advanceTo(30);
    const watchingWhileWaiting = store.watchers;
    await heldA.release();
    await time.advanceTo(500); // lakefs sleeps until the expiry it read (400)
    const heldB = await b;
    const got = { watchesAfterUncontended, watchingWhileWaiting, watchingAfter: store.watchers, watchCalls: store.watchCalls, gets: store.count('get') };
    await heldB.release();
    return got;
  };

  it('uncontended: no subscription; contended: one, gone once it owns', async () => {
    const time = new ManualTime();
    const got = await holdThenWait(new Probe(time, { notify: true, watch: true, swapNotifies: true }));
    expect(got).toMatchObject({ watchesAfterUncontended: 0, watchingWhileWaiting: 1, watchingAfter: 0, watchCalls: 1 });
  });

  it('a store with watch but no notify (or notify but no watch) is only polled', async () => {
    for (const halves of [{ watch: true }, { notify: true }]) {
      const time = new ManualTime();
      const got = await holdThenWait(new Probe(time, halves));
      expect(got.watchCalls).toBe(0);
    }
  });

  it('lakefs never subscribes', async () => {
    const time = new ManualTime();
    const got = await holdThenWait(new Probe(time, { notify: true, watch: true, swapNotifies: true }), lakefsStrategy);
    expect(got.watchCalls).toBe(0);
  });

  it('a notification ends the sleep at once: the waiter owns at the release, not at its next poll', async () => {
    const time = new ManualTime();
    const store = new Probe(time, { notify: true, watch: true, swapNotifies: true });
    const one = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(1) });
    const two = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(2) });
    const a = one.own('a', 'k');
    await time.advanceTo(0);
    const heldA = await a;
    let ownedAt: number | undefined;
    void two.own('b', 'k').then((o) => {
      ownedAt = time.now;
      return o.release();
    });
    await time.advanceTo(0);
    await time.advanceTo(20.5);
    await heldA.release();
    await time.advanceTo(20.5);
    expect(ownedAt).toBe(20.5);
  });

  it('an aborted waiter stops watching', async () => {
    const time = new ManualTime();
    const store = new Probe(time, { notify: true, watch: true, swapNotifies: true });
    const one = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(1) });
    const two = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(2) });
    const a = one.own('a', 'k');
    await time.advanceTo(0);
    const heldA = await a;
    const ac = new AbortController();
    const b = two.own('b', 'k', { signal: ac.signal }).catch((e: unknown) => e);
    await time.advanceTo(0);
    await time.advanceTo(15);
    expect(store.watchers).toBe(1);
    ac.abort(new Error('gave up'));
    expect(((await b) as Error).message).toBe('gave up');
    expect(store.watchers).toBe(0);
    await heldA.release();
  });
});
