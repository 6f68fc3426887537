/**
 * End to end on a real server: several OS processes own one key through
 * MostlyCorrectOwner. Shared by the Redis and the PostgreSQL test files.
 *
 * Intervals are chosen so that, on a loaded 2-core machine, a holder's refresh
 * (every refreshInterval / 2 = 1 s) lands long before its lease (2 s) runs out:
 * under healthy conditions no overlap is expected, so any is a failure.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Store } from '../../src/index.js';
import { OWNERSHIP_PARTITION, decodeRecord, expiresMs } from '../../src/internal.js';
import { PostgresStore } from '../../src/postgres.js';
import { RedisStore } from '../../src/redis.js';
import { killAll, startWorker, waitForEvent, type Worker } from './processes.js';

const REFRESH_MS = 2000;
const ACQUIRE_MS = 500;
/** Process scheduling, a store round trip or two, and the child's stdout pipe. */
const SLACK_MS = 1000;

export function ownerProcessesSuite(kind: 'redis' | 'postgres', url: string | null): void {
  describe.skipIf(url === null)(`MostlyCorrectOwner across processes on ${kind}`, () => {
    let workers: Worker[] = [];
    afterEach(async () => {
      await killAll(workers);
      workers = [];
    });
    const baseEnv = (key: string): Record<string, string> => ({
      STORE: kind,
      STORE_URL: url!,
      KEY: key,
      REFRESH_MS: String(REFRESH_MS),
      ACQUIRE_MS: String(ACQUIRE_MS),
    });

    it('3 processes × 3 loops: every acquisition, no two inside at once', async () => {
      const key = `loops-${process.pid}-${Date.now()}`;
      const env = { ...baseEnv(key), MODE: 'loop', LOOPS: '3', HOLD_MS: '50', THINK_MS: '20' };
      workers = ['a', 'b', 'c'].map((name) => startWorker(name, env));
      const codes = await Promise.all(workers.map((w) => w.exited));
      const stderr = workers.map((w) => w.stderr).join('');
      expect(codes, stderr).toEqual([0, 0, 0]);
      const events = workers.flatMap((w) => w.events).sort((x, y) => x.t - y.t);
      const owned = events.filter((e) => e.event === 'owned');
      expect(owned).toHaveLength(9);
      expect(new Set(owned.map((e) => e.owner)).size).toBe(9);
      // Inside counts as each process saw them: 1 on entering, 0 on leaving.
      expect(owned.map((e) => e.inside)).toEqual(Array(9).fill(1));
      expect(events.filter((e) => e.event === 'leaving').map((e) => e.inside)).toEqual(Array(9).fill(0));
      // And by the belief intervals, [owned, leaving] per process.
      const intervals = workers.flatMap((w) => {
        const own = w.events.filter((e) => e.event === 'owned');
        const leave = w.events.filter((e) => e.event === 'leaving');
        return own.map((o, i) => ({ from: o.t, to: leave[i]!.t, worker: w.name }));
      });
      intervals.sort((x, y) => x.from - y.from);
      for (let i = 1; i < intervals.length; i++) expect(intervals[i]!.from).toBeGreaterThanOrEqual(intervals[i - 1]!.to);
      const handoffs = owned.filter((e, i) => i > 0 && e.worker !== owned[i - 1]!.worker).length;
      console.log(`[e2e ${kind}] 9 acquisitions by 3 processes, ${handoffs} between processes, 0 overlaps`);
    });

    it('kill -9 of the holder: another process owns within refreshInterval + acquireInterval + slack', async () => {
      const key = `kill-${process.pid}-${Date.now()}`;
      const env = { ...baseEnv(key), MODE: 'hold' };
      workers = ['a', 'b', 'c'].map((name) => startWorker(name, env));
      await Promise.all(workers.map((w) => waitForEvent([w], (e) => e.event === 'waiting', 20_000)));
      const first = await waitForEvent(workers, (e) => e.event === 'owned', 10_000);
      // Let the holder refresh a few times, as a long-lived holder would have.
      await new Promise((r) => setTimeout(r, REFRESH_MS + 300));
      expect(workers.flatMap((w) => w.events).filter((e) => e.event === 'owned')).toHaveLength(1);
      const holder = workers.find((w) => w.name === first.worker)!;
      const killedAt = Date.now();
      holder.child.kill('SIGKILL');
      await holder.exited;
      // The dead holder's last word: the expiry of its last refresh.
      const store: Store & { close(): Promise<void> } =
        kind === 'redis' ? new RedisStore({ url: url! }) : new PostgresStore({ connectionString: url! });
      const entry = await store.get(OWNERSHIP_PARTITION, new TextEncoder().encode(`e2e/${key}`));
      await store.close();
      const lastRecord = decodeRecord(entry!.value, key);
      expect(lastRecord.owner).toBe(first.owner);
      const leaseEnd = expiresMs(lastRecord);
      const next = await waitForEvent(workers, (e) => e.event === 'owned' && e.worker !== first.worker, 10_000);
      const failoverMs = next.t - killedAt;
      console.log(
        `[e2e ${kind}] kill -9 failover: ${failoverMs} ms after the kill, ${next.t - leaseEnd} ms after the dead holder's lease ended ` +
          `(refreshInterval ${REFRESH_MS}, acquireInterval ${ACQUIRE_MS}, bound ${REFRESH_MS + ACQUIRE_MS + SLACK_MS})`,
      );
      // The lease was respected (one machine, one clock: no skew) ...
      expect(next.t).toBeGreaterThanOrEqual(Math.floor(leaseEnd));
      // ... and the next owner came soon after it.
      expect(failoverMs).toBeLessThanOrEqual(REFRESH_MS + ACQUIRE_MS + SLACK_MS);
      expect(workers.flatMap((w) => w.events).filter((e) => e.event === 'owned')).toHaveLength(2);
    });
  });
}
