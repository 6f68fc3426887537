/**
 * Property 4: a model-based test (fc.commands) of own / refresh tick /
 * release / expire / crash against a MemoryStore, on a controllable clock
 * with a wall-clock offset per node. After every command the stored records
 * must equal the model's, every node's refresh loop must be running exactly
 * when the model says so, and no store write may ever have replaced a record
 * of another owner that was unexpired by the writer's own clock.
 *
 * The model is lakeFS's rule set written down plainly: own takes an absent
 * or expired record (`expires < now`) and writes `now + refreshInterval`; a
 * refresh tick every refreshInterval/2 rewrites our record or stops for good
 * when it names someone else; release sets our record's expiry to the epoch;
 * a crash leaves the record to expire.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MemoryStore,
  MostlyCorrectOwner,
  lakefsStrategy,
  type Ownership,
  type Predicate,
  type Store,
  type StoreEntry,
  type SwapOptions,
  type SwapResult,
} from '../../src/index.js';
import { OWNERSHIP_PARTITION, decodeRecord, expiresMs, quantizeMs } from '../../src/internal.js';
import { seededRandom } from '../helpers/fake-time.js';
import { ManualTime, flush, type ManualClock } from '../helpers/manual-time.js';
import { PROPERTY_TIMEOUT_MS, runProperty } from '../helpers/property.js';

const RI = 100; // refreshInterval (ms): ticks every 50 ms; all times stay integers, so float rounding cannot reorder timers
const KEYS = ['a', 'b'] as const;
const NODES = 3;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const keyBytes = (key: string): Uint8Array => enc(`p/${key}`);

interface ModelRecord {
  owner: string;
  expires: number;
}
interface ModelHolder {
  key: string;
  owner: string;
  start: number;
  ticks: number;
  refreshing: boolean;
}
interface Model {
  now: number;
  records: Map<string, ModelRecord>;
  nodes: { offset: number; holder: ModelHolder | undefined }[];
}
interface RealNode {
  clock: ManualClock;
  owner: MostlyCorrectOwner;
  ownership: Ownership | undefined;
  refreshStopped: boolean;
  incarnation: number;
}
interface Real {
  time: ManualTime;
  store: MemoryStore;
  nodes: RealNode[];
  /** Writes that replaced another owner's record that was unexpired by the writer's clock. */
  harmful: string[];
}

/** The store as node `i` sees it, checking every applied swap against the "never harm another owner" rule. */
function checkingStore(real: Real, i: number): Store {
  const inner = real.store;
  return {
    get: (p, k) => inner.get(p, k),
    async swap(p: string, k: Uint8Array, v: Uint8Array, expected: Predicate | null, options?: SwapOptions): Promise<SwapResult> {
      const before: StoreEntry | undefined = inner.kv.get(p, k);
      const writerNow = quantizeMs(real.nodes[i]!.clock.now());
      const result = await inner.swap(p, k, v, expected, options); // applied synchronously
      if (!result.swapped || before === undefined) return result;
      const old = decodeRecord(before.value, 'k');
      const next = decodeRecord(v, 'k');
      if (old.owner !== next.owner && !(expiresMs(old) < writerNow)) {
        real.harmful.push(`node ${i} replaced ${old.owner} (expires ${expiresMs(old)}) with ${next.owner} at its now ${writerNow}`);
      }
      return result;
    },
  };
}

function newIncarnation(real: Real, i: number, offset: number, incarnation: number): RealNode {
  const clock = real.time.clock(offset);
  const node: RealNode = { clock, owner: undefined!, ownership: undefined, refreshStopped: false, incarnation };
  real.nodes[i] = node;
  node.owner = new MostlyCorrectOwner({
    store: checkingStore(real, i),
    prefix: 'p',
    acquireInterval: 10,
    refreshInterval: RI,
    clock,
    random: seededRandom(1000 * incarnation + i + 1),
    // the model is lakeFS's: refresh stops on another owner, release before stop
    strategy: lakefsStrategy,
  });
  return node;
}

/** Applies the model's refresh ticks due up to `until`, in due order (ties: by scheduling order). */
function modelAdvance(m: Model, until: number): void {
  for (;;) {
    let next: ModelHolder | undefined;
    let nextNode = -1;
    m.nodes.forEach((n, i) => {
      const h = n.holder;
      if (h === undefined || !h.refreshing) return;
      const due = h.start + (h.ticks + 1) * (RI / 2);
      if (due <= until && (next === undefined || due < next.start + (next.ticks + 1) * (RI / 2))) {
        next = h;
        nextNode = i;
      }
    });
    if (next === undefined) break;
    const h: ModelHolder = next;
    h.ticks++;
    m.now = h.start + h.ticks * (RI / 2);
    const rec = m.records.get(h.key);
    if (rec !== undefined && rec.owner === h.owner) rec.expires = quantizeMs(1_700_000_000_000 + m.nodes[nextNode]!.offset + m.now + RI);
    else {
      h.refreshing = false;
      seen.loopsStoppedByOtherOwner++;
    }
  }
  m.now = until;
}

async function check(m: Model, r: Real): Promise<void> {
  seen.commands++;
  await flush();
  expect(r.harmful).toEqual([]);
  for (const key of KEYS) {
    const entry = await r.store.get(OWNERSHIP_PARTITION, keyBytes(key));
    const real = entry === undefined ? undefined : decodeRecord(entry.value, key);
    expect(real === undefined ? undefined : { owner: real.owner, expires: expiresMs(real) }, `record ${key}`).toEqual(m.records.get(key));
  }
  let refreshing = 0;
  m.nodes.forEach((n, i) => {
    const rn = r.nodes[i]!;
    expect(rn.ownership?.owner, `node ${i} holds`).toBe(n.holder?.owner);
    if (n.holder !== undefined) {
      expect(rn.refreshStopped, `node ${i}'s refresh loop stopped`).toBe(!n.holder.refreshing);
      if (n.holder.refreshing) refreshing++;
    }
  });
  // one pending timer per running refresh loop, nothing else (aborted own() calls left none)
  expect(r.time.pending, 'pending timers').toBe(refreshing);
}

type Cmd = fc.AsyncCommand<Model, Real, false>;

/** What the runs exercised, to show the property is not vacuous. */
const seen = { commands: 0, steals: 0, loopsStoppedByOtherOwner: 0, releasesOfStolenKeys: 0 };

class TryOwn implements Cmd {
  constructor(
    readonly node: number,
    readonly key: string,
  ) {}
  check = (m: Readonly<Model>): boolean => m.nodes[this.node]!.holder === undefined;
  async run(m: Model, r: Real): Promise<void> {
    const rn = r.nodes[this.node]!;
    const gaveUp = new Error('gave up');
    const ac = new AbortController();
    let result: Ownership | undefined;
    let error: unknown;
    const settled = rn.owner.own(`n${this.node}`, this.key, { signal: ac.signal }).then(
      (o) => void (result = o),
      (e: unknown) => void (error = e),
    );
    await flush();
    const nowMs = quantizeMs(rn.clock.now());
    const rec = m.records.get(this.key);
    if (rec === undefined || rec.expires < nowMs) {
      expect(result, 'own() of an absent or expired record resolves at once').toBeDefined();
      const o = result!;
      if (m.nodes.some((n) => n.holder?.key === this.key)) seen.steals++;
      m.records.set(this.key, { owner: o.owner, expires: quantizeMs(nowMs + RI) });
      m.nodes[this.node]!.holder = { key: this.key, owner: o.owner, start: m.now, ticks: 0, refreshing: true };
      rn.ownership = o;
      rn.refreshStopped = false;
      const incarnation = rn.incarnation;
      void o.refreshStopped.then(() => {
        if (r.nodes[this.node]!.incarnation === incarnation && r.nodes[this.node]!.ownership === o) r.nodes[this.node]!.refreshStopped = true;
      });
    } else {
      expect(result, 'own() of a live record waits').toBeUndefined();
      ac.abort(gaveUp);
      await settled;
      expect(error).toBe(gaveUp);
    }
    await check(m, r);
  }
  toString = (): string => `tryOwn(n${this.node}, ${this.key})`;
}

class Advance implements Cmd {
  constructor(readonly ms: number) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    const until = m.now + this.ms;
    modelAdvance(m, until);
    await r.time.advanceTo(until);
    await check(m, r);
  }
  toString = (): string => `advance(${this.ms})`;
}

class RefreshTick implements Cmd {
  constructor(readonly node: number) {}
  check = (m: Readonly<Model>): boolean => m.nodes[this.node]!.holder?.refreshing === true;
  async run(m: Model, r: Real): Promise<void> {
    const h = m.nodes[this.node]!.holder!;
    const due = h.start + (h.ticks + 1) * (RI / 2);
    modelAdvance(m, due);
    await r.time.advanceTo(due);
    await check(m, r);
  }
  toString = (): string => `refreshTick(n${this.node})`;
}

class Release implements Cmd {
  constructor(readonly node: number) {}
  check = (m: Readonly<Model>): boolean => m.nodes[this.node]!.holder !== undefined;
  async run(m: Model, r: Real): Promise<void> {
    const rn = r.nodes[this.node]!;
    const h = m.nodes[this.node]!.holder!;
    await rn.ownership!.release();
    const rec = m.records.get(h.key);
    if (rec !== undefined && rec.owner === h.owner) rec.expires = 0;
    else seen.releasesOfStolenKeys++;
    m.nodes[this.node]!.holder = undefined;
    const o = rn.ownership!;
    rn.ownership = undefined;
    let stopped = false;
    void o.refreshStopped.then(() => void (stopped = true));
    await flush();
    expect(stopped, 'release stops the refresh loop').toBe(true);
    await check(m, r);
  }
  toString = (): string => `release(n${this.node})`;
}

class Crash implements Cmd {
  constructor(readonly node: number) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    const rn = r.nodes[this.node]!;
    rn.clock.alive = false; // its timers never fire again: the refresh loop is gone with the process
    newIncarnation(r, this.node, m.nodes[this.node]!.offset, rn.incarnation + 1);
    m.nodes[this.node]!.holder = undefined;
    await check(m, r);
  }
  toString = (): string => `crash(n${this.node})`;
}

const node = fc.integer({ min: 0, max: NODES - 1 });
const commands = fc.commands<Model, Real, false>(
  [
    fc.tuple(node, fc.constantFrom(...KEYS)).map(([n, k]) => new TryOwn(n, k)),
    fc.integer({ min: 1, max: 2 * RI }).map((ms) => new Advance(ms)),
    node.map((n) => new RefreshTick(n)),
    node.map((n) => new Release(n)),
    node.map((n) => new Crash(n)),
  ],
  { maxCommands: 40, size: 'max' },
);

describe('property 4: release never harms another owner (model-based)', () => {
  it('own / refresh tick / release / expire / crash: records and refresh loops match the model', async () => {
    await runProperty({
      name: 'own / refresh tick / release / expire / crash',
      file: import.meta.filename,
      // wall-clock offsets up to 2 leases apart: nodes do take records others still refresh
      arbitrary: fc.tuple(fc.array(fc.integer({ min: -200, max: 200 }), { minLength: NODES, maxLength: NODES }), commands),
      predicate: async ([offsets, cmds]) => {
        const setup = (): { model: Model; real: Real } => {
          const real: Real = { time: new ManualTime(), store: new MemoryStore(), nodes: [], harmful: [] };
          for (let i = 0; i < NODES; i++) newIncarnation(real, i, offsets[i]!, 0);
          const model: Model = { now: 0, records: new Map(), nodes: offsets.map((offset) => ({ offset, holder: undefined })) };
          return { model, real };
        };
        await fc.asyncModelRun(setup, cmds);
      },
      numRuns: 300,
    });
    // the interesting cases happened: takeovers of live records, loops stopping, releases of lost keys
    expect(seen.commands).toBeGreaterThan(1000);
    expect(seen.steals).toBeGreaterThan(0);
    expect(seen.loopsStoppedByOtherOwner).toBeGreaterThan(0);
    expect(seen.releasesOfStolenKeys).toBeGreaterThan(0);
  }, PROPERTY_TIMEOUT_MS);

  it('the checker sees harm: a store wrapper that lets a node overwrite a live record of another owner is reported', async () => {
    const real: Real = { time: new ManualTime(), store: new MemoryStore(), nodes: [], harmful: [] };
    const a = newIncarnation(real, 0, 0, 0);
    newIncarnation(real, 1, 0, 0);
    await a.owner.own('n0', 'a');
    const entry = await real.store.get(OWNERSHIP_PARTITION, keyBytes('a'));
    const theirs = decodeRecord(entry!.value, 'a');
    const mine = { ...theirs, owner: 'n1#x' };
    const { encodeRecord } = await import('../../src/record.js');
    const result = await checkingStore(real, 1).swap(OWNERSHIP_PARTITION, keyBytes('a'), encodeRecord(mine), entry!.predicate);
    expect(result.swapped).toBe(true);
    expect(real.harmful).toHaveLength(1);
  });
});
