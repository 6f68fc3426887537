/**
 * Faults on a real PostgreSQL: the holder's connections terminated by the
 * server mid-hold (pg_terminate_backend, idle and busy ones), and a refused
 * connection at `own()`.
 */
import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { MostlyCorrectOwner, OwnError, StoreError, lakefsStrategy } from '../../src/index.js';
import { OWNERSHIP_PARTITION, decodeRecord } from '../../src/internal.js';
import { PostgresStore } from '../../src/postgres.js';
import { recordingLogger } from '../helpers/fake-time.js';
import { freePort } from '../helpers/servers.js';
import { watchUnhandled, within } from './unhandled.js';

const url = inject('databaseUrl');
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

describe.skipIf(url === null)('PostgresStore faults on a real PostgreSQL', () => {
  it("connections dropped mid-hold: no crash, no unhandled 'error', then another owner acquires", async () => {
    const watch = watchUnhandled();
    cleanups.push(async () => watch.stop());
    const appName = `mco-fault-${process.pid}`;
    const storeLog = recordingLogger();
    const storeA = new PostgresStore({ connectionString: url!, poolConfig: { application_name: appName }, logger: storeLog });
    const storeB = new PostgresStore({ connectionString: url! });
    const admin = new pg.Pool({ connectionString: url!, max: 1 });
    admin.on('error', () => {});
    cleanups.push(() => storeA.close(), () => storeB.close(), () => admin.end());
    const logA = recordingLogger();
    // lakeFS's semantics (refresh stops on a failed read; a failed SetIf is logged and the loop goes on)
    const options = { prefix: 'faults', refreshInterval: 600, acquireInterval: 100, strategy: lakefsStrategy };
    const a = new MostlyCorrectOwner({ ...options, store: storeA, logger: logA });
    const b = new MostlyCorrectOwner({ ...options, store: storeB });
    const key = `dropped-${Date.now()}`;

    const held = await a.own('a', key);
    let terminated = 0;
    for (let i = 0; i < 4; i++) {
      // At 0, 170, 340, 510 ms: sometimes between refresh ticks (idle
      // connections), sometimes during one (a busy connection).
      const r = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [appName]);
      terminated += r.rowCount ?? 0;
      await new Promise((r) => setTimeout(r, 170));
    }
    expect(terminated).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 700)); // another refresh tick or two on fresh connections
    const poolWarnings = storeLog.lines.filter((l) => l.level === 'warn');
    expect(poolWarnings.length).toBeGreaterThan(0); // the pool's 'error' events reached the store's handler
    expect(poolWarnings[0]!.message).toBe('PostgreSQL connection lost while idle; the pool opens a new one');
    const warns = logA.lines.filter((l) => l.level === 'warn').map((l) => `${l.message}: ${String((l.fields.err as Error).message)}`);
    const stillRefreshing = await Promise.race([held.refreshStopped.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 0))]);
    console.log(`[faults postgres] terminated ${terminated} backends (${poolWarnings.length} idle, handled by the pool); holder's refresh ${stillRefreshing ? 'goes on' : 'stopped'}; holder warnings: ${JSON.stringify(warns)}`);
    if (stillRefreshing) {
      // The pool replaced the dead connections: the record is still a's, and fresh.
      const entry = await storeB.get(OWNERSHIP_PARTITION, new TextEncoder().encode(`faults/${key}`));
      expect(decodeRecord(entry!.value, key).owner).toBe(held.owner);
    }
    await held.release();
    const started = Date.now();
    const taken = await within(b.own('b', key), 2000, 'second owner acquiring');
    console.log(`[faults postgres] second owner acquired ${Date.now() - started} ms after the release`);
    await taken.release();
    expect(watch.problems).toEqual([]);
  });

  it('a connection dropped mid-query: that refresh fails and is logged, the next one succeeds on a new connection', async () => {
    const watch = watchUnhandled();
    cleanups.push(async () => watch.stop());
    const appName = `mco-midquery-${process.pid}`;
    const store = new PostgresStore({ connectionString: url!, poolConfig: { application_name: appName } });
    const admin = new pg.Pool({ connectionString: url!, max: 2 });
    admin.on('error', () => {});
    cleanups.push(() => store.close(), () => admin.end());
    const log = recordingLogger();
    const owner = new MostlyCorrectOwner({ store, logger: log, prefix: 'faults', refreshInterval: 600, acquireInterval: 100, strategy: lakefsStrategy });
    const key = `midquery-${Date.now()}`;
    const keyBytes = Buffer.from(`faults/${key}`);
    const held = await owner.own('a', key);

    // Hold the record's row lock so the holder's next refresh UPDATE waits on it,
    // then terminate the holder's backend while it waits.
    const locker = await admin.connect();
    cleanups.push(async () => locker.release());
    await locker.query('BEGIN');
    await locker.query('SELECT 1 FROM kv WHERE partition_key = $1 AND key = $2 FOR UPDATE', [Buffer.from(OWNERSHIP_PARTITION), keyBytes]);
    const waiting = async (): Promise<number[]> =>
      (
        await admin.query<{ pid: number }>(
          "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
          [appName],
        )
      ).rows.map((r) => r.pid);
    let pids: number[] = [];
    for (let i = 0; i < 200 && pids.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
      pids = await waiting();
    }
    expect(pids.length).toBe(1);
    await admin.query('SELECT pg_terminate_backend($1)', [pids[0]]);
    await locker.query('COMMIT');

    const before = decodeRecord((await store.get(OWNERSHIP_PARTITION, keyBytes))!.value, key);
    await new Promise((r) => setTimeout(r, 700)); // two more ticks
    const warn = log.lines.find((l) => l.level === 'warn');
    expect(warn?.message).toBe('Failed to set ownership message to refresh (keep going, may lose)');
    console.log(`[faults postgres] mid-query drop: ${String((warn?.fields.err as Error).message)}`);
    const after = decodeRecord((await store.get(OWNERSHIP_PARTITION, keyBytes))!.value, key);
    expect(after.owner).toBe(held.owner);
    expect(after.expires!.seconds * 1000n + BigInt(after.expires!.nanos) / 1_000_000n).toBeGreaterThan(
      before.expires!.seconds * 1000n + BigInt(before.expires!.nanos) / 1_000_000n,
    );
    await held.release();
    expect(watch.problems).toEqual([]);
  });

  it('connection refused at own(): rejects fast, naming the server, password redacted', async () => {
    const port = await freePort();
    const store = new PostgresStore({ connectionString: `postgres://mco:s3cret-pw@127.0.0.1:${port}/mco` });
    cleanups.push(() => store.close());
    const owner = new MostlyCorrectOwner({ store, prefix: 'faults', refreshInterval: 600, acquireInterval: 100 });
    const started = Date.now();
    const err = (await owner.own('a', 'refused').catch((e: unknown) => e)) as OwnError;
    const elapsed = Date.now() - started;
    console.log(`[faults postgres] own() rejected after ${elapsed} ms: ${err.message}`);
    expect(err).toBeInstanceOf(OwnError);
    expect(err.cause).toBeInstanceOf(StoreError);
    // the default owner (fixed) takes the fast path on PostgresStore: its first operation is a swap
    expect(err.operation).toBe('swap');
    expect(err.message).toContain(`postgres swap on postgres://mco:***@127.0.0.1:${port}/mco failed: connect ECONNREFUSED`);
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.message).not.toContain('s3cret-pw');
    expect(elapsed).toBeLessThan(3000);
  });
});
