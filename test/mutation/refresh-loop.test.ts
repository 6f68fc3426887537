/**
 * The refresh loop, on a manual clock: which ticks a slow refresh collapses
 * (including on a fractional monotonic clock, as `performance.now()` gives),
 * what a lost refresh write leads to (a WARN and a retry an acquireInterval
 * later; a wrong guess answered once), a release during the retry sleep, and
 * how lakefs's loop ends when the record is gone, unreadable or another
 * owner's. Written for the mutation run (docs/mutation.md).
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore, PredicateFailedError, defineStrategy, fixedStrategy, lakefsStrategy, type Predicate, type Store, type StoreEntry, type SwapOptions, type SwapResult } from '../../src/index.js';
import { OWNERSHIP_PARTITION, decodeRecord, encodeRecord, newRecord } from '../../src/internal.js';
import { recordingLogger, seededRandom } from '../helpers/fake-time.js';
import { KEY, makeOwner } from '../helpers/owner-fixture.js';
import { ManualTime, MANUAL_EPOCH_MS, flush } from '../helpers/manual-time.js';

/** A MemoryStore that records requests (with the manual time they were sent), can hold the next get, fail gets, and run a hook before a swap. */
class Scripted implements Store {
  readonly inner = new MemoryStore();
  readonly ops: { op: 'get' | 'swap'; at: number }[] = [];
  failGetAt: (t: number) => boolean = () => false;
  beforeSwap: ((value: Uint8Array, expected: Predicate | null) => Promise<void>) | undefined;
  #held: { opened: Promise<void>; open: () => void } | undefined;
  constructor(private readonly time: ManualTime) {}
  /** Holds the next get until the returned function is called. */
  holdNextGet(): () => void {
    let open!: () => void;
    const opened = new Promise<void>((r) => (open = r));
    this.#held = { opened, open };
    return open;
  }
  async get(partition: string, key: Uint8Array): Promise<StoreEntry | undefined> {
    this.ops.push({ op: 'get', at: this.time.now });
    const held = this.#held;
    this.#held = undefined;
    if (held !== undefined) await held.opened;
    if (this.failGetAt(this.time.now)) throw new Error('get down');
    return this.inner.get(partition, key);
  }
  async swap(partition: string, key: Uint8Array, value: Uint8Array, expected: Predicate | null, options?: SwapOptions): Promise<SwapResult> {
    this.ops.push({ op: 'swap', at: this.time.now });
    await this.beforeSwap?.(value, expected);
    return this.inner.swap(partition, key, value, expected, options);
  }
  times(op: 'get' | 'swap', from = -Infinity, to = Infinity): number[] {
    return this.ops.filter((o) => o.op === op && o.at >= from && o.at <= to).map((o) => o.at);
  }
  /** A late write of ours lands: the record still names its owner, with other bytes. */
  async lateWriteOfOurs(expiresAt: number): Promise<void> {
    const current = (await this.inner.get(OWNERSHIP_PARTITION, KEY))!;
    const record = decodeRecord(current.value, 'p/k');
    await this.inner.swap(OWNERSHIP_PARTITION, KEY, encodeRecord(newRecord(record.owner, MANUAL_EPOCH_MS + expiresAt, record.comment)), current.predicate);
  }
}

/** fixed, without the deadline watcher, so a slow refresh does not end the holder. */
const fixedQuiet = defineStrategy({ ...fixedStrategy, name: 'fixed-without-loss-signal', signalsLoss: false });

describe('a slow refresh: the ticks that fell due while it ran collapse into one', () => {
  // interval 200 (refreshInterval 400). `start` is the monotonic time of the acquisition; the refresh
  // of tick 1 waits for its read until `end`. Then: the refresh pending for the ticks missed, at `end`,
  // and the next tick's — after `end` by less than one interval when `end` is just before a tick.
  const cases = [
    { name: 'ending exactly on tick 3 (integer times)', start: 0, end: 600, nextTick: 800 },
    // the first estimate floor((end - start) / 200) is 194 here; tick 195 is at `end` exactly
    { name: 'ending exactly on a tick of a fractional clock', start: 253243.73394925616, end: 253243.73394925616 + 195 * 200, nextTick: 253243.73394925616 + 196 * 200 },
    // here the estimate is 776, but tick 776 is one ulp after `end`
    { name: 'ending one ulp before a tick of a fractional clock', start: 36737.52696781185, end: (36737.52696781185 + 776 * 200) * (1 - Number.EPSILON), nextTick: 36737.52696781185 + 776 * 200 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const time = new ManualTime();
      await time.advanceTo(c.start);
      const store = new Scripted(time);
      const owner = makeOwner(lakefsStrategy, store, { clock: time.clock(), random: seededRandom(1) });
      const held = await owner.own('a', 'k');
      const open = store.holdNextGet();
      await time.advanceTo(c.start + 250); // tick 1's read is out, held
      await time.advanceTo(c.end);
      open();
      await flush();
      await time.advanceTo(c.end); // anything due at `end` itself
      const late = store.times('swap', c.end, c.end);
      expect(late).toHaveLength(2); // tick 1's write, then the collapsed ticks' refresh
      await time.advanceTo(c.nextTick + 1);
      const swaps = store.times('swap', c.end, c.nextTick + 1);
      expect(swaps).toHaveLength(3);
      expect(swaps[2]).toBeGreaterThan(c.end);
      expect(swaps[2]).toBeCloseTo(c.nextTick, 6);
      await held.release();
    });
  }
});

describe('a refresh write that loses', () => {
  it('on a read (no fast path): one WARN naming the holder, then a retry an acquireInterval later; the loop goes on', async () => {
    const time = new ManualTime();
    const store = new Scripted(time);
    const log = recordingLogger();
    const owner = makeOwner(fixedQuiet, store, { clock: time.clock(), random: seededRandom(1), fastPath: false, logger: log });
    const pending = owner.own('a', 'k');
    await time.advanceTo(0);
    const held = await pending;
    let late = 0;
    store.beforeSwap = async () => {
      if (time.now === 200 && late++ === 0) await store.lateWriteOfOurs(450);
    };
    await time.advanceTo(450);
    expect(store.ops.filter((o) => o.at >= 1)).toEqual([
      { op: 'get', at: 200 },
      { op: 'swap', at: 200 },
      { op: 'get', at: 210 },
      { op: 'swap', at: 210 },
      { op: 'get', at: 400 },
      { op: 'swap', at: 400 },
    ]);
    const warns = log.lines.filter((l) => l.level === 'warn');
    expect(warns.map((l) => l.message)).toEqual(['Failed to set ownership message to refresh (keep going, may lose)']);
    expect(warns[0]!.fields).toMatchObject({ interval: 200, owner: held.owner, prefixed_key: 'p/k' });
    expect(warns[0]!.fields.err).toBeInstanceOf(PredicateFailedError);
    expect(decodeRecord((await store.inner.get(OWNERSHIP_PARTITION, KEY))!.value, 'p/k').expires?.seconds).toBe(BigInt(Math.floor((MANUAL_EPOCH_MS + 800) / 1000)));
    await held.release();
  });

  it('on the guess (fast path): the wrong guess is answered and written on once; a second loss is a lost race, retried later', async () => {
    const time = new ManualTime();
    const store = new Scripted(time);
    const log = recordingLogger();
    const owner = makeOwner(fixedQuiet, store, { clock: time.clock(), random: seededRandom(1), logger: log });
    const pending = owner.own('a', 'k');
    await time.advanceTo(0);
    const held = await pending;
    let late = 0;
    store.beforeSwap = async () => {
      if (time.now === 200 && late < 2) await store.lateWriteOfOurs(450 + late++);
    };
    await time.advanceTo(300);
    expect(store.times('swap', 1, 300)).toEqual([200, 200, 210, 210]);
    expect(store.times('get', 1, 300)).toEqual([]);
    expect(log.lines.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual(['Failed to set ownership message to refresh (keep going, may lose)']);
    await held.release();
  });
});

describe('a release during the retry sleep after a failed refresh read', () => {
  it('ends the loop without another read: the only requests are the release’s own', async () => {
    const time = new ManualTime();
    const store = new Scripted(time);
    const owner = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(1), fastPath: false });
    const pending = owner.own('a', 'k');
    await time.advanceTo(0);
    const held = await pending;
    store.failGetAt = (t) => t === 200;
    await time.advanceTo(205); // the read at 200 failed; the retry is due at 210
    const from = store.ops.length;
    await held.release();
    await time.advanceTo(1_000);
    expect(store.ops.slice(from).map((o) => o.op)).toEqual(['get', 'swap']);
  });
});

describe('lakefs: the refresh loop ends quietly', () => {
  const ends = async (change: (store: MemoryStore) => Promise<void>) => {
    const time = new ManualTime();
    const store = new Scripted(time);
    const log = recordingLogger();
    const owner = makeOwner(lakefsStrategy, store, { clock: time.clock(), random: seededRandom(1), logger: log });
    const pending = owner.own('a', 'k');
    await time.advanceTo(0);
    const held = await pending;
    await change(store.inner);
    await time.advanceTo(1_000);
    let stopped = false;
    void held.refreshStopped.then(() => (stopped = true));
    await flush();
    const lines = log.lines.filter((l) => l.level === 'warn' || l.level === 'info');
    return { held, lines, stopped, ops: store.ops.filter((o) => o.at >= 1), lost: held.lost.aborted };
  };

  it('when the record is gone: one WARN (not found), one read, no write', async () => {
    const { held, lines, stopped, ops, lost } = await ends(async (s) => s.delete(OWNERSHIP_PARTITION, KEY));
    expect(lines.map((l) => [l.level, l.message])).toEqual([['warn', 'Failed to get ownership message to refresh']]);
    expect(lines[0]!.fields).toMatchObject({ interval: 200, owner: held.owner, prefixed_key: 'p/k' });
    expect((lines[0]!.fields.err as Error).message).toBe('ownership record p/k not found');
    expect(ops).toEqual([{ op: 'get', at: 200 }]);
    expect(stopped).toBe(true);
    expect(lost).toBe(false);
  });

  it('when the record does not decode: one WARN with the decode error, one read, no write', async () => {
    const { held, lines, stopped, ops } = await ends(async (s) => {
      const current = (await s.get(OWNERSHIP_PARTITION, KEY))!;
      await s.swap(OWNERSHIP_PARTITION, KEY, new Uint8Array([0xff, 0xff, 0xff]), current.predicate);
    });
    expect(lines.map((l) => [l.level, l.message])).toEqual([['warn', 'Failed to get ownership message to refresh']]);
    expect(lines[0]!.fields).toMatchObject({ interval: 200, owner: held.owner, prefixed_key: 'p/k' });
    expect(lines[0]!.fields.err).toBeInstanceOf(Error);
    expect(ops).toEqual([{ op: 'get', at: 200 }]);
    expect(stopped).toBe(true);
  });

  it('when another owner holds it: one INFO naming them, one read, no write', async () => {
    const { held, lines, stopped, ops } = await ends(async (s) => {
      const current = (await s.get(OWNERSHIP_PARTITION, KEY))!;
      await s.swap(OWNERSHIP_PARTITION, KEY, encodeRecord(newRecord('z#1', MANUAL_EPOCH_MS + 60_000, '')), current.predicate);
    });
    expect(lines.map((l) => [l.level, l.message])).toEqual([['info', 'Lost ownership race']]);
    expect(lines[0]!.fields).toMatchObject({ interval: 200, owner: held.owner, prefixed_key: 'p/k', new_owner: 'z#1' });
    expect(ops).toEqual([{ op: 'get', at: 200 }]);
    expect(stopped).toBe(true);
  });
});

describe('a clock whose sleeps end early or late (timers are not exact)', () => {
  /** A node's clock whose every sleep ends `driftMs` off what was asked (earlier when negative). */
  const drifting = (time: ManualTime, driftMs: number) => {
    const inner = time.clock();
    return { now: () => inner.now(), monotonicNow: () => inner.monotonicNow(), sleep: (ms: number, signal?: AbortSignal) => inner.sleep(ms + driftMs, signal) };
  };
  for (const [driftMs, expected] of [
    // each tick's sleep ends 1 ms before the tick: still one refresh per tick (at 199, 399, 599, 799)
    [-1, [199, 399, 599, 799]],
    // each ends 250 ms late, past the next tick: one refresh per wake-up, ticks that fell due meanwhile collapse
    [250, [450, 850]],
  ] as const) {
    it(`${driftMs > 0 ? 'late' : 'early'} by ${Math.abs(driftMs)} ms: refreshes at ${expected.join(', ')}`, async () => {
      const time = new ManualTime();
      const store = new Scripted(time);
      const owner = makeOwner(lakefsStrategy, store, { clock: drifting(time, driftMs), random: seededRandom(1) });
      const pending = owner.own('a', 'k');
      await time.advanceTo(0);
      const held = await pending;
      await time.advanceTo(900);
      expect(store.times('swap', 1, 900)).toEqual(expected);
      await held.release();
    });
  }
});
