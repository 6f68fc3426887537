import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryStore } from './helpers/store-kind.js';
import { MemoryStore, MostlyCorrectOwner, lakefsStrategy, type MostlyCorrectOwnerOptions } from '../src/index.js';
import { OWNERSHIP_PARTITION, decodeRecord, encodeRecord, expiresMs, newRecord } from '../src/internal.js';
import { installFakeTime, recordingLogger, type InstalledClock } from './helpers/fake-time.js';
import { HookedStore } from './helpers/store-wrappers.js';

const REFRESH = 400;
const T0 = 1_700_000_000_000;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const KEY = enc('branches/k');

let clock: InstalledClock;
beforeEach(() => {
  clock = installFakeTime(T0);
});
afterEach(() => {
  clock.uninstall();
});

function makeOwner(store: MostlyCorrectOwnerOptions['store'], extra: Partial<MostlyCorrectOwnerOptions> = {}): MostlyCorrectOwner {
  return new MostlyCorrectOwner({ store, prefix: 'branches', acquireInterval: 100, refreshInterval: REFRESH, strategy: lakefsStrategy, ...extra });
}

async function current(mem: MemoryStore) {
  const e = await mem.get(OWNERSHIP_PARTITION, KEY);
  return e === undefined ? undefined : decodeRecord(e.value, 'k');
}

describe('refresh loop', () => {
  it('costs 2k gets + 2k setIfs for a hold of k·refreshInterval, each extending expiry to now + refreshInterval', async () => {
    const mem = memoryStore();
    const store = new HookedStore(mem);
    const o = await makeOwner(store).own('h', 'k');
    store.log = [];
    const k = 5;
    await clock.tickAsync(k * REFRESH);
    expect(store.count('get')).toBe(2 * k);
    expect(store.count('swap')).toBe(2 * k);
    expect(store.log.filter((e) => e.op === 'get').map((e) => e.at)).toEqual(
      Array.from({ length: 2 * k }, (_, i) => (i + 1) * (REFRESH / 2)),
    );
    expect(expiresMs((await current(mem))!)).toBe(Date.now() + REFRESH);
    await o.release();
  });

  it('keeps the Go ticker grid: slow ticks do not shift later ticks, missed ticks collapse into one', async () => {
    const mem = memoryStore();
    let slowGets = 0;
    const store = new HookedStore(mem, async (op) => {
      // the 2nd refresh read takes 450 ms (> 2 intervals of 200 ms)
      if (op === 'get' && ++slowGets === 3) await new Promise<void>((r) => setTimeout(r, 450));
    });
    const o = await makeOwner(store).own('h', 'k');
    await clock.tickAsync(1400);
    const gets = store.log.filter((e) => e.op === 'get').map((e) => e.at);
    // own's get at 0; ticks at 200, 400 (slow until 850: ticks 600 and 800 collapse into
    // one pending tick handled at 850), then back on the grid at 1000, 1200, 1400.
    expect(gets).toEqual([0, 200, 400, 850, 1000, 1200, 1400]);
    await o.release();
  });

  it('stops on a read error and never rewrites the record', async () => {
    const mem = memoryStore();
    const log = recordingLogger();
    let fail = false;
    const store = new HookedStore(mem, (op) => {
      if (fail && op === 'get') throw new Error('store down');
    });
    const o = await makeOwner(store, { logger: log }).own('h', 'k');
    fail = true;
    await clock.tickAsync(REFRESH / 2);
    await o.refreshStopped;
    expect(log.lines.some((l) => l.level === 'warn' && l.message === 'Failed to get ownership message to refresh')).toBe(true);
    const before = store.log.length;
    await clock.tickAsync(5 * REFRESH);
    expect(store.log.length).toBe(before);
    await o.release(); // read fails again: logged, not thrown
    expect(log.lines.filter((l) => l.message === 'Failed to delete ownership')).toHaveLength(1);
  });

  it('stops when it sees another owner, leaving that owner alone', async () => {
    const mem = memoryStore();
    const log = recordingLogger();
    const o = await makeOwner(mem, { logger: log }).own('h', 'k');
    const other = encodeRecord(newRecord('other#x', T0 + 10_000, ''));
    await mem.set(OWNERSHIP_PARTITION, KEY, other);
    await clock.tickAsync(REFRESH / 2);
    await o.refreshStopped;
    expect(log.lines.find((l) => l.message === 'Lost ownership race')?.fields.new_owner).toBe('other#x');
    await o.release();
    expect((await mem.get(OWNERSHIP_PARTITION, KEY))?.value).toEqual(other);
  });

  it('logs a failed refresh SetIf and keeps going', async () => {
    const mem = memoryStore();
    const log = recordingLogger();
    let failSetIfs = 0;
    const store = new HookedStore(mem, (op) => {
      if (op === 'swap' && failSetIfs > 0) {
        failSetIfs--;
        throw new Error('timeout');
      }
    });
    const o = await makeOwner(store, { logger: log }).own('h', 'k');
    failSetIfs = 1;
    await clock.tickAsync(REFRESH);
    expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(store.count('swap')).toBe(3); // own + failed tick + successful tick
    expect(expiresMs((await current(mem))!)).toBe(Date.now() + REFRESH);
    await o.release();
  });

  it('never cancels the holder: the handle keeps working after the loop stopped', async () => {
    const mem = memoryStore();
    const o = await makeOwner(mem).own('h', 'k');
    await mem.set(OWNERSHIP_PARTITION, KEY, encodeRecord(newRecord('other#x', T0 + 10_000, '')));
    await clock.tickAsync(REFRESH);
    await o.refreshStopped;
    expect(o.owner).toMatch(/^h#/);
    await expect(o.release()).resolves.toBeUndefined();
  });
});

describe('release', () => {
  it('sets expires to the epoch when still ours, and stops refreshing', async () => {
    const mem = memoryStore();
    const store = new HookedStore(mem);
    const o = await makeOwner(store).own('h', 'k');
    await o.release();
    const rec = await current(mem);
    expect(rec?.owner).toBe(o.owner);
    expect(expiresMs(rec!)).toBe(0);
    await o.refreshStopped;
    const n = store.log.length;
    await clock.tickAsync(3 * REFRESH);
    expect(store.log.length).toBe(n);
    expect(clock.countTimers()).toBe(0);
  });

  it('is idempotent: a second call re-checks and leaves the released record released', async () => {
    const mem = memoryStore();
    const o = await makeOwner(mem).own('h', 'k');
    await o.release();
    await o.release();
    expect(expiresMs((await current(mem))!)).toBe(0);
  });

  it('does nothing when someone else owns the key by now', async () => {
    const mem = memoryStore();
    const log = recordingLogger();
    const o = await makeOwner(mem, { logger: log }).own('h', 'k');
    const other = encodeRecord(newRecord('other#x', T0 + 10_000, ''));
    await mem.set(OWNERSHIP_PARTITION, KEY, other);
    await o.release();
    expect((await mem.get(OWNERSHIP_PARTITION, KEY))?.value).toEqual(other);
    expect(log.lines.some((l) => l.message === 'Lost ownership race before trying to release')).toBe(true);
  });

  it('counts losing the SetIf race as success and leaves the winner in place', async () => {
    const mem = memoryStore();
    const log = recordingLogger();
    const other = encodeRecord(newRecord('other#x', T0 + 10_000, ''));
    let interfere = false;
    const store = new HookedStore(mem, async (op) => {
      if (interfere && op === 'swap') {
        interfere = false;
        await mem.set(OWNERSHIP_PARTITION, KEY, other); // lands between release's get and setIf
      }
    });
    const o = await makeOwner(store, { logger: log }).own('h', 'k');
    interfere = true;
    await expect(o.release()).resolves.toBeUndefined();
    expect((await mem.get(OWNERSHIP_PARTITION, KEY))?.value).toEqual(other);
    expect(log.lines.some((l) => l.message === 'Lost ownership race while trying to release')).toBe(true);
    expect(log.lines.some((l) => l.level === 'warn')).toBe(false);
  });

  it('stops the refresh loop after writing (Go order): a refresh read still in flight then gives up without writing', async () => {
    const mem = memoryStore();
    let hold: (() => void) | undefined;
    let gets = 0;
    const store = new HookedStore(mem, async (op) => {
      // hold the first refresh read until release() has written
      if (op === 'get' && ++gets === 2) await new Promise<void>((r) => (hold = r));
    });
    const o = await makeOwner(store).own('h', 'k');
    await clock.tickAsync(REFRESH / 2); // tick fires; its get is parked
    expect(hold).toBeDefined();
    const release = o.release();
    await clock.tickAsync(0);
    hold!();
    await release;
    await o.refreshStopped;
    // release wrote epoch, and the refresh loop was cancelled before its SetIf: released.
    expect(expiresMs((await current(mem))!)).toBe(0);
  });

  it('releases at the end of an `await using` block', async () => {
    const mem = memoryStore();
    const owners = makeOwner(mem);
    {
      await using o = await owners.own('h', 'k');
      expect(o.owner).toMatch(/^h#/);
    }
    expect(expiresMs((await current(mem))!)).toBe(0);
  });

  it('does not surface a refresh failure after release as an unhandled rejection', async () => {
    const mem = memoryStore();
    let down = false;
    const store = new HookedStore(mem, () => {
      if (down) throw new Error('store down');
    });
    const o = await makeOwner(store).own('h', 'k');
    await clock.tickAsync(REFRESH / 2 - 1);
    down = true;
    await o.release();
    await clock.tickAsync(5 * REFRESH);
    await o.refreshStopped;
  });
});
