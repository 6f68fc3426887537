/**
 * What a user's logger is handed, line by line with its fields, through
 * whole acquire / refresh / release cycles on a manual clock: the fields are
 * the evidence an operator reads (who, which key, which expiry, how long a
 * waiter sleeps), and the levels decide what a production logger keeps.
 * Owner slugs are shown as `#…`. Written for the mutation run
 * (docs/mutation.md); the message texts themselves are not mutated there.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore, fixedStrategy, lakefsStrategy, type LogFields, type Logger, type LogLevel, type Predicate, type Store, type StoreEntry, type SwapOptions, type SwapResult } from '../../src/index.js';
import { OWNERSHIP_PARTITION, encodeRecord, newRecord } from '../../src/internal.js';
import { seededRandom } from '../helpers/fake-time.js';
import { KEY, makeOwner } from '../helpers/owner-fixture.js';
import { ManualTime } from '../helpers/manual-time.js';

interface Line {
  level: string;
  message: string;
  fields: LogFields;
}

/** A logger recording every line, its fields normalised (slugs hidden, errors as `Name: message`). */
function logger(isLevelEnabled?: (level: LogLevel) => boolean): Logger & { lines: Line[]; text(): string[] } {
  const lines: Line[] = [];
  const norm = (v: unknown): unknown => {
    if (typeof v === 'string') return v.replace(/#[A-Za-z0-9_-]{21}/g, '#…');
    if (v instanceof Error) return `${v.name}: ${String(norm(v.message))}`;
    return v;
  };
  const at = (level: string) => (fields: LogFields, message: string) => {
    lines.push({ level, message, fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, norm(v)])) });
  };
  return {
    lines,
    text: () => lines.map((l) => `${l.level} ${l.message} ${JSON.stringify(l.fields)}`),
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    ...(isLevelEnabled ? { isLevelEnabled } : {}),
  };
}

/** A store that fails the operations `fail` names (once each), around a MemoryStore. */
class FlakyStore implements Store {
  readonly inner = new MemoryStore();
  fail: ('get' | 'swap')[] = [];
  get(partition: string, key: Uint8Array): Promise<StoreEntry | undefined> {
    if (this.fail[0] === 'get') return (this.fail.shift(), Promise.reject(new Error('get down')));
    return this.inner.get(partition, key);
  }
  swap(partition: string, key: Uint8Array, value: Uint8Array, expected: Predicate | null, options?: SwapOptions): Promise<SwapResult> {
    if (this.fail[0] === 'swap') return (this.fail.shift(), Promise.reject(new Error('swap down')));
    return this.inner.swap(partition, key, value, expected, options);
  }
}

describe('log lines: lakefs', () => {
  it('own, refresh, a waiter that sleeps until the expiry, release, handover', async () => {
    const time = new ManualTime();
    const log = logger();
    const owner = makeOwner(lakefsStrategy, new MemoryStore(), { clock: time.clock(), logger: log, random: seededRandom(1) });
    const a = owner.own('a', 'k');
    await time.advanceTo(0);
    const held = await a;
    const b = owner.own('b', 'k');
    await time.advanceTo(250);
    await held.release();
    await time.advanceTo(700);
    await (await b).release();
    expect(log.text()).toMatchInlineSnapshot(`
      [
        "trace Try to take ownership {"owner":"a#…","prefixed_key":"p/k","acquire_interval":10,"refresh_interval":400,"ownership":"not owned","expires":1700000000400,"now":1700000000000}",
        "trace Got ownership {"owner":"a#…","prefixed_key":"p/k","acquire_interval":10,"refresh_interval":400}",
        "trace Start refreshing ownership {"interval":200,"owner":"a#…","prefixed_key":"p/k"}",
        "trace Still owned; try again soon {"owner":"b#…","prefixed_key":"p/k","acquire_interval":10,"refresh_interval":400,"sleep":200}",
        "trace Refreshed ownership {"interval":200,"owner":"a#…","prefixed_key":"p/k","expires":1700000000600}",
        "trace Deleted ownership {"owner":"a#…","key":"k"}",
        "trace Cancelled; stop refreshing ownership {"interval":200,"owner":"a#…","prefixed_key":"p/k"}",
        "trace Try to take ownership {"owner":"b#…","prefixed_key":"p/k","acquire_interval":10,"refresh_interval":400,"ownership":"expired","expires":1700000000800,"now":1700000000400}",
        "trace Got ownership {"owner":"b#…","prefixed_key":"p/k","acquire_interval":10,"refresh_interval":400}",
        "trace Start refreshing ownership {"interval":200,"owner":"b#…","prefixed_key":"p/k"}",
        "trace Refreshed ownership {"interval":200,"owner":"b#…","prefixed_key":"p/k","expires":1700000001000}",
        "trace Deleted ownership {"owner":"b#…","key":"k"}",
        "trace Cancelled; stop refreshing ownership {"interval":200,"owner":"b#…","prefixed_key":"p/k"}",
      ]
    `);
  });

  it('a refresh read that fails stops refreshing (warn); a record taken meanwhile is not released', async () => {
    const time = new ManualTime();
    const log = logger();
    const store = new FlakyStore();
    const owner = makeOwner(lakefsStrategy, store, { clock: time.clock(), logger: log, random: seededRandom(2) });
    const a = owner.own('a', 'k');
    await time.advanceTo(0);
    const held = await a;
    store.fail = ['get'];
    await time.advanceTo(250);
    await store.inner.swap(OWNERSHIP_PARTITION, KEY, encodeRecord(newRecord('z#1', time.clock().now() + 10_000, '')), (await store.inner.get(OWNERSHIP_PARTITION, KEY))!.predicate);
    await held.release();
    expect(log.text()).toMatchInlineSnapshot(`
      [
        "trace Try to take ownership {"owner":"a#…","prefixed_key":"p/k","acquire_interval":10,"refresh_interval":400,"ownership":"not owned","expires":1700000000400,"now":1700000000000}",
        "trace Got ownership {"owner":"a#…","prefixed_key":"p/k","acquire_interval":10,"refresh_interval":400}",
        "trace Start refreshing ownership {"interval":200,"owner":"a#…","prefixed_key":"p/k"}",
        "warn Failed to get ownership message to refresh {"interval":200,"owner":"a#…","prefixed_key":"p/k","err":"Error: get down"}",
        "info Lost ownership race before trying to release {"prefixed_key":"p/k","owner":"a#…","new_owner":"z#1"}",
        "trace Deleted ownership {"owner":"a#…","key":"k"}",
      ]
    `);
  });
});

describe('log lines: fixed', () => {
  it('speculative own, local handoff, own again on the released guess', async () => {
    const time = new ManualTime();
    const log = logger();
    const owner = makeOwner(fixedStrategy, new MemoryStore(), { clock: time.clock(), logger: log, random: seededRandom(3) });
    const a = owner.own('a', 'k');
    await time.advanceTo(0);
    const heldA = await a;
    const b = owner.own('b', 'k');
    await time.advanceTo(1);
    await heldA.release();
    const heldB = await b;
    await heldB.release();
    await time.advanceTo(2);
    await (await owner.own('c', 'k')).release();
    expect(log.text()).toMatchInlineSnapshot(`
      [
        "trace Try to take ownership {"owner":"(local queue)","prefixed_key":"p/k","acquire_interval":10,"refresh_interval":400,"ownership":"not owned","expires":1700000000400,"now":1700000000000,"speculative":true}",
        "trace Got ownership {"owner":"a#…","prefixed_key":"p/k","acquire_interval":10,"refresh_interval":400}",
        "trace Start refreshing ownership {"interval":200,"owner":"a#…","prefixed_key":"p/k"}",
        "trace Cancelled; stop refreshing ownership {"interval":200,"owner":"a#…","prefixed_key":"p/k"}",
        "trace Start refreshing ownership {"interval":200,"owner":"b#…","prefixed_key":"p/k"}",
        "trace Handed ownership to the next local waiter {"owner":"a#…","key":"k"}",
        "trace Cancelled; stop refreshing ownership {"interval":200,"owner":"b#…","prefixed_key":"p/k"}",
        "trace Deleted ownership {"owner":"b#…","key":"k"}",
        "trace Try to take ownership {"owner":"(local queue)","prefixed_key":"p/k","acquire_interval":10,"refresh_interval":400,"ownership":"expired","expires":1700000000402,"now":1700000000002,"speculative":true}",
        "trace Got ownership {"owner":"c#…","prefixed_key":"p/k","acquire_interval":10,"refresh_interval":400}",
        "trace Start refreshing ownership {"interval":200,"owner":"c#…","prefixed_key":"p/k"}",
        "trace Cancelled; stop refreshing ownership {"interval":200,"owner":"c#…","prefixed_key":"p/k"}",
        "trace Deleted ownership {"owner":"c#…","key":"k"}",
      ]
    `);
  });

  it('a waiter in another process: polls, watches, is notified of the release', async () => {
    const time = new ManualTime();
    const log = logger();
    const store = new MemoryStore();
    const one = makeOwner(fixedStrategy, store, { clock: time.clock(), logger: log, random: seededRandom(4) });
    const two = makeOwner(fixedStrategy, store, { clock: time.clock(), logger: log, random: seededRandom(5) });
    const a = one.own('a', 'k');
    await time.advanceTo(0);
    const heldA = await a;
    const b = two.own('b', 'k');
    await time.advanceTo(0);
    await time.advanceTo(25);
    await heldA.release();
    await time.advanceTo(26);
    await (await b).release();
    expect(log.text()).toMatchInlineSnapshot(`
      [
        "trace Try to take ownership {"owner":"(local queue)","prefixed_key":"p/k","acquire_interval":10,"refresh_interval":400,"ownership":"not owned","expires":1700000000400,"now":1700000000000,"speculative":true}",
        "trace Got ownership {"owner":"a#…","prefixed_key":"p/k","acquire_interval":10,"refresh_interval":400}",
        "trace Start refreshing ownership {"interval":200,"owner":"a#…","prefixed_key":"p/k"}",
        "trace Try to take ownership {"owner":"(local queue)","prefixed_key":"p/k","acquire_interval":10,"refresh_interval":400,"ownership":"not owned","expires":1700000000400,"now":1700000000000,"speculative":true}",
        "trace Still owned; try again soon {"owner":"(local queue)","prefixed_key":"p/k","acquire_interval":10,"refresh_interval":400,"sleep":7.411598394742177}",
        "trace Still owned; try again soon {"owner":"(local queue)","prefixed_key":"p/k","acquire_interval":10,"refresh_interval":400,"sleep":7.242446141437721}",
        "trace Still owned; try again soon {"owner":"(local queue)","prefixed_key":"p/k","acquire_interval":10,"refresh_interval":400,"sleep":6.987585621871476}",
        "trace Still owned; try again soon {"owner":"(local queue)","prefixed_key":"p/k","acquire_interval":10,"refresh_interval":400,"sleep":7.371880918511162}",
        "trace Still owned; try again soon {"owner":"(local queue)","prefixed_key":"p/k","acquire_interval":10,"refresh_interval":400,"sleep":7.720057922290788}",
        "trace Cancelled; stop refreshing ownership {"interval":200,"owner":"a#…","prefixed_key":"p/k"}",
        "trace Release notified; try again now {"owner":"(local queue)","prefixed_key":"p/k","acquire_interval":10,"refresh_interval":400}",
        "trace Deleted ownership {"owner":"a#…","key":"k"}",
        "trace Try to take ownership {"owner":"(local queue)","prefixed_key":"p/k","acquire_interval":10,"refresh_interval":400,"ownership":"expired","expires":1700000000425,"now":1700000000025}",
        "trace Got ownership {"owner":"b#…","prefixed_key":"p/k","acquire_interval":10,"refresh_interval":400}",
        "trace Start refreshing ownership {"interval":200,"owner":"b#…","prefixed_key":"p/k"}",
        "trace Cancelled; stop refreshing ownership {"interval":200,"owner":"b#…","prefixed_key":"p/k"}",
        "trace Deleted ownership {"owner":"b#…","key":"k"}",
      ]
    `);
  });

  it('refresh failures: a failed read is retried, a failed write keeps going; the deadline tells the holder', async () => {
    const time = new ManualTime();
    const log = logger();
    const store = new FlakyStore();
    const owner = makeOwner(fixedStrategy, store, { clock: time.clock(), logger: log, random: seededRandom(6), fastPath: false });
    const a = owner.own('a', 'k');
    await time.advanceTo(0);
    const held = await a;
    store.fail = ['get', 'swap'];
    await time.advanceTo(230);
    store.fail = ['get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get', 'get'];
    await time.advanceTo(700);
    expect(held.lost.aborted).toBe(true);
    store.fail = [];
    await held.release();
    expect(log.text()).toMatchInlineSnapshot(`
      [
        "trace Try to take ownership {"owner":"(local queue)","prefixed_key":"p/k","acquire_interval":10,"refresh_interval":400,"ownership":"not owned","expires":1700000000400,"now":1700000000000}",
        "trace Got ownership {"owner":"a#…","prefixed_key":"p/k","acquire_interval":10,"refresh_interval":400}",
        "trace Start refreshing ownership {"interval":200,"owner":"a#…","prefixed_key":"p/k"}",
        "warn Failed to get ownership message to refresh {"interval":200,"owner":"a#…","prefixed_key":"p/k","err":"Error: get down"}",
        "warn Failed to set ownership message to refresh (keep going, may lose) {"interval":200,"owner":"a#…","prefixed_key":"p/k","err":"Error: swap down"}",
        "trace Refreshed ownership {"interval":200,"owner":"a#…","prefixed_key":"p/k","expires":1700000000620}",
        "warn Failed to get ownership message to refresh {"interval":200,"owner":"a#…","prefixed_key":"p/k","err":"Error: get down"}",
        "warn Failed to get ownership message to refresh {"interval":200,"owner":"a#…","prefixed_key":"p/k","err":"Error: get down"}",
        "warn Failed to get ownership message to refresh {"interval":200,"owner":"a#…","prefixed_key":"p/k","err":"Error: get down"}",
        "warn Failed to get ownership message to refresh {"interval":200,"owner":"a#…","prefixed_key":"p/k","err":"Error: get down"}",
        "warn Failed to get ownership message to refresh {"interval":200,"owner":"a#…","prefixed_key":"p/k","err":"Error: get down"}",
        "warn Failed to get ownership message to refresh {"interval":200,"owner":"a#…","prefixed_key":"p/k","err":"Error: get down"}",
        "warn Failed to get ownership message to refresh {"interval":200,"owner":"a#…","prefixed_key":"p/k","err":"Error: get down"}",
        "warn Failed to get ownership message to refresh {"interval":200,"owner":"a#…","prefixed_key":"p/k","err":"Error: get down"}",
        "warn Failed to get ownership message to refresh {"interval":200,"owner":"a#…","prefixed_key":"p/k","err":"Error: get down"}",
        "warn Failed to get ownership message to refresh {"interval":200,"owner":"a#…","prefixed_key":"p/k","err":"Error: get down"}",
        "warn Failed to get ownership message to refresh {"interval":200,"owner":"a#…","prefixed_key":"p/k","err":"Error: get down"}",
        "warn Failed to get ownership message to refresh {"interval":200,"owner":"a#…","prefixed_key":"p/k","err":"Error: get down"}",
        "info Ownership lost {"owner":"a#…","prefixed_key":"p/k","reason":"deadline"}",
        "trace Deleted ownership {"owner":"a#…","key":"k"}",
      ]
    `);
  });

  it('a logger whose trace level is off is handed only the once-per-loop trace lines', async () => {
    const time = new ManualTime();
    const log = logger((level) => level !== 'trace');
    const store = new MemoryStore();
    const one = makeOwner(fixedStrategy, store, { clock: time.clock(), logger: log, random: seededRandom(7) });
    const two = makeOwner(fixedStrategy, store, { clock: time.clock(), logger: log, random: seededRandom(8) });
    const a = one.own('a', 'k');
    await time.advanceTo(0);
    const heldA = await a;
    const b = two.own('b', 'k');
    await time.advanceTo(0);
    await time.advanceTo(25);
    await heldA.release();
    await time.advanceTo(26);
    await (await b).release();
    expect(log.text()).toMatchInlineSnapshot(`
      [
        "trace Start refreshing ownership {"interval":200,"owner":"a#…","prefixed_key":"p/k"}",
        "trace Cancelled; stop refreshing ownership {"interval":200,"owner":"a#…","prefixed_key":"p/k"}",
        "trace Release notified; try again now {"owner":"(local queue)","prefixed_key":"p/k","acquire_interval":10,"refresh_interval":400}",
        "trace Start refreshing ownership {"interval":200,"owner":"b#…","prefixed_key":"p/k"}",
        "trace Cancelled; stop refreshing ownership {"interval":200,"owner":"b#…","prefixed_key":"p/k"}",
      ]
    `);
  });
});
