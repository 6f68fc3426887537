/**
 * Regression (found by `mco live` cutting PostgreSQL connections, after
 * 3286dc3): the last watcher left while the listening connection's LISTEN
 * was still in flight, and the connection died before LISTEN answered. The
 * store's 'error' handler handed the dead connection back to the pool; then
 * the retiring code sent `UNLISTEN *` on it and released it a second time.
 * pg-pool throws on a second release, inside a promise nobody awaits: an
 * unhandled rejection that killed the node process. On a real PostgreSQL,
 * with the connection terminated by the server (`pg_terminate_backend`).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PostgresStore, type PostgresPool } from '../../src/postgres.js';

const url = inject('databaseUrl');
const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

describe.skipIf(url === null)('PostgresStore: the listening connection dies while LISTEN is in flight and the last watcher leaves', () => {
  let pool: pg.Pool;
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: url!, max: 4 });
    pool.on('error', () => {});
  });
  afterAll(async () => {
    await pool.end();
  });

  it('releases the connection to the pool once, with no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let client: pg.PoolClient | undefined;
      let releases = 0;
      let openGate!: () => void;
      const gate = new Promise<void>((r) => (openGate = r));
      let atGate!: () => void;
      const listenSent = new Promise<void>((r) => (atGate = r));
      const wrapped = {
        query: pool.query.bind(pool),
        connect: async () => {
          const c = await pool.connect();
          client = c;
          const release = c.release.bind(c);
          c.release = (err?: Error | boolean) => {
            releases++;
            release(err);
          };
          const query = c.query.bind(c) as (text: string) => Promise<unknown>;
          (c as unknown as { query: (text: string) => Promise<unknown> }).query = async (text: string) => {
            if (text.startsWith('LISTEN')) {
              atGate();
              await gate; // hold LISTEN "in flight" until the connection is dead
            }
            return query(text);
          };
          return c;
        },
      } as unknown as PostgresPool;
      const store = new PostgresStore({ pool: wrapped, createTable: false });
      const unwatch = store.watch('mc-ownership', new TextEncoder().encode('p/k'), () => {});
      await listenSent;
      unwatch(); // the last watcher leaves while LISTEN is in flight
      const ended = new Promise<void>((r) => client!.once('end', () => r()));
      await pool.query('SELECT pg_terminate_backend($1)', [(client as unknown as { processID: number }).processID]);
      await ended; // the store's 'error' handler has run (pg emits 'error' before 'end')
      expect(releases).toBe(1);
      openGate(); // LISTEN now fails on the dead connection; the retiring code takes over
      await flush();
      expect(unhandled).toEqual([]);
      expect(releases).toBe(1);
      await store.close();
      expect(releases).toBe(1);
      expect(unhandled).toEqual([]);
      const { rows } = await pool.query<{ one: number }>('SELECT 1 AS one'); // the pool still works
      expect(rows[0]?.one).toBe(1);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
