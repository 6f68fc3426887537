/**
 * The strategies beyond lakeFS on real servers: fencing tokens, ownership.lost,
 * withOwnership and observed expiry, on RedisStore and PostgresStore (the
 * throwaway servers of the global setup, or REDIS_URL / DATABASE_URL).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MostlyCorrectOwner, OwnershipLostError, fixedStrategy, observedStrategy } from '../../src/index.js';
import { OWNERSHIP_PARTITION, decodeRecord, encodeRecord, expiresMs, newRecord } from '../../src/internal.js';
import { PostgresStore } from '../../src/postgres.js';
import { RedisStore } from '../../src/redis.js';

const redisUrl = inject('redisUrl');
const databaseUrl = inject('databaseUrl');

/** The bundled stores keep lakeFS's `set`/`delete` beside the owner's get + swap: the tests write as a thief would. */
type BundledStore = RedisStore | PostgresStore;

interface Backend {
  name: string;
  available: boolean;
  open: () => Promise<{ store: BundledStore; close: () => Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'redis',
    available: redisUrl !== null,
    open: () => {
      const store = new RedisStore({ url: redisUrl! });
      return Promise.resolve({ store, close: () => store.close() });
    },
  },
  {
    name: 'postgres',
    available: databaseUrl !== null,
    open: () => {
      const pool = new pg.Pool({ connectionString: databaseUrl! });
      pool.on('error', () => {});
      const store = new PostgresStore({ pool });
      return Promise.resolve({ store, close: () => pool.end() });
    },
  },
];

const REFRESH = 600;
const ACQUIRE = 20;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Counts the calls of `store`'s own methods (wrapped on the instance). */
function countCalls(store: BundledStore): Record<string, number> {
  const counts: Record<string, number> = {};
  const methods = ['get', 'swap', 'setIf', 'set', 'delete'] as const;
  const slots = store as unknown as Record<string, ((...args: unknown[]) => Promise<unknown>) | undefined>;
  for (const m of methods) {
    const inner = slots[m];
    if (typeof inner !== 'function') continue;
    slots[m] = (...args: unknown[]) => {
      counts[m] = (counts[m] ?? 0) + 1;
      return inner.apply(store, args);
    };
  }
  return counts;
}

for (const backend of backends) {
  for (const fastPath of [true, false]) {
    describe.skipIf(!backend.available)(`${fastPath ? 'fast path (swap)' : 'fastPath: false (get + swap)'} on real ${backend.name}`, () => {
      let store: BundledStore;
      let close: () => Promise<void>;
      beforeAll(async () => {
        ({ store, close } = await backend.open());
      });
      afterAll(async () => {
        await close();
      });
      const unique = (name: string): string => `${name}-${fastPath}-${process.pid}-${Math.floor(performance.now() * 1000)}`;
      const owners = (strategy = fixedStrategy) =>
        new MostlyCorrectOwner({ store, prefix: 'fastpath', acquireInterval: ACQUIRE, refreshInterval: 200, strategy, fastPath });

      it(`own, refresh and release cost ${fastPath ? 'one swap each' : 'a get and a swap each'}; tokens count up`, async () => {
        const key = unique('cycle');
        const counts = countCalls(store);
        const mine = owners();
        const o = await mine.own('a', key);
        expect(o.token).toBe(1n);
        await new Promise((r) => setTimeout(r, 250)); // two refresh ticks (every 100 ms)
        await o.release();
        const p = await mine.own('b', key);
        expect(p.token).toBe(2n);
        await p.release();
        const { get = 0, swap = 0, ...others } = counts; // before the checks below read the record
        const record = await store.get(OWNERSHIP_PARTITION, enc(`fastpath/${key}`));
        expect(decodeRecord(record!.value, key).owner).toBe(p.owner);
        expect(expiresMs(decodeRecord(record!.value, key))).toBe(0);
        expect(others).toEqual({}); // the owner uses the store contract only: no setIf, set or delete
        const ops = swap + get;
        // 2 own + 2 release + 2 or 3 refreshes (timers on a loaded machine may slip one)
        if (fastPath) {
          expect(get).toBe(0);
          expect(ops).toBeGreaterThanOrEqual(6);
          expect(ops).toBeLessThanOrEqual(7);
        } else {
          expect(get).toBe(swap);
          expect(ops).toBeGreaterThanOrEqual(12);
          expect(ops).toBeLessThanOrEqual(14);
        }
      });

      it('ownership.lost fires (taken) when another record overwrites ours; the release leaves the thief alone', async () => {
        const key = unique('lost');
        const o = await owners().own('h', key);
        const told = new Promise<unknown>((resolve) => o.lost.addEventListener('abort', () => resolve(o.lost.reason)));
        const thief = encodeRecord(newRecord('thief#x', Date.now() + 60_000, ''));
        await store.set(OWNERSHIP_PARTITION, enc(`fastpath/${key}`), thief);
        const reason = (await told) as OwnershipLostError;
        expect([reason.reason, reason.newOwner]).toEqual(['taken', 'thief#x']);
        await o.release();
        expect((await store.get(OWNERSHIP_PARTITION, enc(`fastpath/${key}`)))?.value).toEqual(thief);
      });

      it('a key released by another process is taken from its record (token + 1); a held one is waited for', async () => {
        const key = unique('other');
        const first = await owners().own('a', key);
        const waiting = owners().own('b', key);
        await new Promise((r) => setTimeout(r, 50));
        await first.release();
        const second = await waiting;
        expect(second.token).toBe(2n);
        await second.release();
      });

      it('vanished: a deleted record is never recreated by refresh or release', async () => {
        const key = unique('vanished');
        const o = await owners(observedStrategy).own('h', key);
        const told = new Promise<unknown>((resolve) => o.lost.addEventListener('abort', () => resolve(o.lost.reason)));
        await store.delete(OWNERSHIP_PARTITION, enc(`fastpath/${key}`));
        expect(((await told) as OwnershipLostError).reason).toBe('vanished');
        await o.release();
        expect(await store.get(OWNERSHIP_PARTITION, enc(`fastpath/${key}`))).toBeUndefined();
      });
    });
  }

  describe.skipIf(!backend.available)(`fixed and observed on real ${backend.name}`, () => {
    let store: BundledStore;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ store, close } = await backend.open());
    });
    afterAll(async () => {
      await close();
    });
    const unique = (name: string): string => `${name}-${process.pid}-${Math.floor(performance.now() * 1000)}`;
    const owners = (strategy = fixedStrategy) => new MostlyCorrectOwner({ store, prefix: 'strategies', acquireInterval: ACQUIRE, refreshInterval: REFRESH, strategy });

    it('fencing tokens increase by one per change of owner; withOwnership releases', async () => {
      const key = unique('tokens');
      const tokens: (bigint | undefined)[] = [];
      for (let i = 0; i < 3; i++) await owners().withOwnership('w', key, (_signal, o) => Promise.resolve(tokens.push(o.token)));
      expect(tokens).toEqual([1n, 2n, 3n]);
    });

    it('ownership.lost fires (taken) when another record overwrites ours', async () => {
      const key = unique('lost');
      const o = await owners().own('h', key);
      const told = new Promise<unknown>((resolve) => o.lost.addEventListener('abort', () => resolve(o.lost.reason)));
      await store.set(OWNERSHIP_PARTITION, enc(`strategies/${key}`), encodeRecord(newRecord('thief#x', Date.now() + 60_000, '')));
      const reason = (await told) as OwnershipLostError;
      expect(reason).toBeInstanceOf(OwnershipLostError);
      expect([reason.reason, reason.newOwner]).toEqual(['taken', 'thief#x']);
      await o.release();
    });

    it('a released key is taken within a few acquireIntervals (fixed), not at the old expiry', async () => {
      const key = unique('handoff');
      const first = await owners().own('a', key);
      const waiting = owners().own('b', key);
      await new Promise((r) => setTimeout(r, 50));
      const t0 = performance.now();
      await first.release();
      const second = await waiting;
      const ms = performance.now() - t0;
      console.log(`${backend.name}: fixed cross-owner handoff ${ms.toFixed(1)} ms`);
      expect(ms).toBeLessThan(REFRESH / 2);
      await second.release();
    });

    it('observed: a record nobody refreshes is taken one lease after it was first seen, whatever its expires says', async () => {
      const key = unique('observed');
      const dead = Object.assign(newRecord('dead#x', Date.now() + 3_600_000, ''), { token: 7n, leaseMs: REFRESH });
      await store.set(OWNERSHIP_PARTITION, enc(`strategies/${key}`), encodeRecord(dead));
      const t0 = performance.now();
      const o = await owners(observedStrategy).own('w', key);
      const ms = performance.now() - t0;
      expect(ms).toBeGreaterThanOrEqual(REFRESH - 5);
      expect(ms).toBeLessThan(REFRESH + 500);
      expect(o.token).toBe(8n);
      await o.release();
    });
  });
}
