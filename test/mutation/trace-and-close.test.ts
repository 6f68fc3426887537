/**
 * Small contracts the full mutation run found untested: the trace line of
 * a `tryOwn()` that finds the key held (handed to a logger with trace on,
 * not to one with trace off); `MemoryStore.close()` and `await using` drop
 * every watcher; `owners.close()` while a queued `own()`'s write is out
 * leaves no `abort` listener on that caller's signal; `waiting(key)` after
 * a queued waiter gave up behind a local holder. Written for the
 * mutation run (docs/mutation.md).
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { MemoryStore, OwnerClosedError, fixedStrategy, lakefsStrategy, type LogLevel } from '../../src/index.js';
import { OWNERSHIP_PARTITION } from '../../src/internal.js';
import { recordingLogger, seededRandom } from '../helpers/fake-time.js';
import { KEY, makeOwner } from '../helpers/owner-fixture.js';
import { HoldingStore } from '../helpers/store-wrappers.js';
import { ManualTime, flush } from '../helpers/manual-time.js';

describe('tryOwn on a held key: its trace line', () => {
  for (const traceOn of [true, false]) {
    it(`is ${traceOn ? '' : 'not '}handed to a logger with trace ${traceOn ? 'on' : 'off'}`, async () => {
      const time = new ManualTime();
      const store = new MemoryStore();
      const holder = makeOwner(lakefsStrategy, store, { clock: time.clock(), random: seededRandom(9) });
      const pending = holder.own('x', 'k');
      await time.advanceTo(0);
      const x = await pending;
      const lines = recordingLogger();
      const logger = { ...lines, isLevelEnabled: (level: LogLevel) => traceOn || level !== 'trace' };
      const owner = makeOwner(lakefsStrategy, store, { clock: time.clock(), random: seededRandom(1), logger });
      expect(await owner.tryOwn('t', 'k')).toBeUndefined();
      const tryOwnLines = lines.lines.filter((l) => l.message === 'Still owned; not waiting (tryOwn)');
      expect(tryOwnLines).toHaveLength(traceOn ? 1 : 0);
      if (traceOn) expect(tryOwnLines[0]!.fields).toMatchObject({ prefixed_key: 'p/k', acquire_interval: 10, refresh_interval: 400 });
      expect(lines.lines.filter((l) => l.level === 'trace').length > 0).toBe(traceOn);
      await x.release();
    });
  }
});

describe('MemoryStore: close() drops every watcher', () => {
  it('close()', async () => {
    const store = new MemoryStore();
    let calls = 0;
    store.watch(OWNERSHIP_PARTITION, KEY, () => calls++);
    expect(store.watchedKeys).toBe(1);
    await store.close();
    expect(store.watchedKeys).toBe(0);
    await store.notify(OWNERSHIP_PARTITION, KEY);
    await flush();
    expect(calls).toBe(0);
  });

  it('await using', async () => {
    let watched: MemoryStore | undefined;
    {
      await using store = new MemoryStore();
      watched = store;
      store.watch(OWNERSHIP_PARTITION, KEY, () => {});
      expect(store.watchedKeys).toBe(1);
    }
    expect(watched.watchedKeys).toBe(0);
  });
});

describe('local queue (fixed): owners.close() while a queued own()’s write is out', () => {
  it('rejects that own() and leaves no abort listener on its signal, before and after the write lands', async () => {
    const time = new ManualTime();
    const store = new HoldingStore();
    const owner = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(1) });
    const signal = new AbortController().signal;
    const open = store.holdNext('swap');
    const w = owner.own('w', 'k', { signal }).catch((e: unknown) => e);
    await flush(); // its write is out, held
    expect(getEventListeners(signal, 'abort')).toHaveLength(1);
    const closed = owner.close();
    expect(await w).toBeInstanceOf(OwnerClosedError);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    open();
    await time.advanceTo(0);
    await closed;
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });
});

describe('local queue (fixed): waiting(key) after a queued own() gave up behind a local holder', () => {
  it('still counts the one left, which the holder then hands the key to', async () => {
    const time = new ManualTime();
    const owner = makeOwner(fixedStrategy, new MemoryStore(), { clock: time.clock(), random: seededRandom(1) });
    const pendingH = owner.own('h', 'k');
    await time.advanceTo(0);
    const h = await pendingH;
    const controller = new AbortController();
    const w = owner.own('w', 'k', { signal: controller.signal }).catch((e: unknown) => e);
    const v = owner.own('v', 'k');
    expect(owner.waiting('k')).toBe(2);
    controller.abort(new Error('w gave up'));
    expect(((await w) as Error).message).toBe('w gave up');
    expect(owner.waiting('k')).toBe(1);
    await h.release();
    const held = await v;
    expect(owner.waiting('k')).toBe(0);
    await held.release();
  });
});
