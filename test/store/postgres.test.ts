/**
 * PostgresStore on a real PostgreSQL (the throwaway one from the global setup,
 * or DATABASE_URL): the shared conformance suite, lakeFS's table layout, use
 * of an existing table as is, and the pool-ownership rules.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { MostlyCorrectOwner } from '../../src/index.js';
import { OWNERSHIP_PARTITION, decodeRecord } from '../../src/internal.js';
import { PostgresStore, StoreError, advisoryLockId, quoteIdentifier, releaseChannel } from '../../src/postgres.js';
import { notificationConformance, setIfConformance, storeConformance } from './conformance.js';
import { ownerFeatures } from './owner-features.js';

const url = inject('databaseUrl');
const b = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('PostgresStore helpers', () => {
  it('advisoryLockId is FNV-1a 32 as lakeFS computes it', () => {
    // Reference vectors of FNV-1a 32.
    expect(advisoryLockId('')).toBe(0x811c9dc5);
    expect(advisoryLockId('a')).toBe(0xe40c292c);
    expect(advisoryLockId('foobar')).toBe(0xbf9cf968);
  });
  it('releaseChannel is a safe identifier whatever the names: mco_released_ and 8 hex digits', () => {
    expect(releaseChannel('kv', 'mc-ownership')).toMatch(/^mco_released_[0-9a-f]{8}$/);
    expect(releaseChannel('a"b; drop table x', 'p\0\u00ff'.repeat(50))).toMatch(/^mco_released_[0-9a-f]{8}$/);
    expect(releaseChannel('kv', 'a')).not.toBe(releaseChannel('kv', 'b'));
    expect(releaseChannel('kv', 'a')).not.toBe(releaseChannel('kv2', 'a'));
  });
  it('quoteIdentifier doubles inner quotes', () => {
    expect(quoteIdentifier('kv')).toBe('"kv"');
    expect(quoteIdentifier('a"b; drop table x')).toBe('"a""b; drop table x"');
  });
});

describe.skipIf(url === null)('PostgresStore on a real PostgreSQL', () => {
  let pool: pg.Pool;
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: url! });
    pool.on('error', () => {});
  });
  afterAll(async () => {
    await pool.end();
  });

  const ownStore = () => {
    const store = new PostgresStore({ connectionString: url! });
    return Promise.resolve({ store, close: () => store.close() });
  };
  const givenPool = () => Promise.resolve({ store: new PostgresStore({ pool }) });
  storeConformance('PostgresStore (own pool from a connection string)', ownStore);
  storeConformance('PostgresStore (given pool)', givenPool);
  setIfConformance('PostgresStore (own pool from a connection string)', ownStore);
  setIfConformance('PostgresStore (given pool)', givenPool);
  notificationConformance('PostgresStore (own pool)', ownStore, { crossInstance: true });
  notificationConformance('PostgresStore (given pool)', givenPool, { crossInstance: true });
  ownerFeatures('PostgresStore', ownStore);

  it('NOTIFY on releaseChannel(table, partition) with the key in hex; LISTEN survives a terminated listening connection', async () => {
    const store = new PostgresStore({ pool });
    const spy = await pool.connect();
    const payloads: string[] = [];
    spy.on('notification', (m) => payloads.push(`${m.channel} ${m.payload}`));
    await spy.query(`LISTEN ${quoteIdentifier(releaseChannel('kv', 'part'))}`);
    await store.notify('part', new Uint8Array([0x6b, 0x00, 0xff]));
    for (let i = 0; i < 100 && payloads.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(payloads).toEqual([`${releaseChannel('kv', 'part')} 6b00ff`]);
    spy.release(true);

    let heard = 0;
    const stop = store.watch('part', b('k'), () => heard++);
    const listening = async () =>
      (await pool.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE query LIKE 'LISTEN %' AND datname = current_database()`)).rows.map((r) => r.pid);
    const notifyUntilHeard = async () => {
      for (let i = 0; i < 200 && heard === 0; i++) {
        await store.notify('part', b('k'));
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await notifyUntilHeard();
    expect(heard).toBeGreaterThan(0);
    const before = await listening();
    expect(before.length).toBeGreaterThan(0);
    for (const pid of before) await pool.query('SELECT pg_terminate_backend($1)', [pid]);
    heard = 0;
    await notifyUntilHeard();
    expect(heard).toBeGreaterThan(0); // a new listening connection took over
    expect(await listening()).not.toEqual(before);
    stop();
  });

  it('a store on a given pool holds no connection while nothing is watched (the pool can end without close())', async () => {
    const given = new pg.Pool({ connectionString: url!, max: 3 });
    given.on('error', () => {});
    const store = new PostgresStore({ pool: given });
    const owners = new MostlyCorrectOwner({ store, prefix: 'idle', acquireInterval: 20, refreshInterval: 2000 });
    const held = await owners.own('h', `k-${process.pid}`);
    const waiting = new MostlyCorrectOwner({ store, prefix: 'idle', acquireInterval: 5000, refreshInterval: 2000 }).own('w', `k-${process.pid}`);
    await new Promise((r) => setTimeout(r, 50));
    expect(given.totalCount - given.idleCount).toBe(1); // the listening connection
    await held.release();
    await (await waiting).release();
    for (let i = 0; i < 100 && given.totalCount !== given.idleCount; i++) await new Promise((r) => setTimeout(r, 10));
    expect(given.totalCount - given.idleCount).toBe(0);
    await given.end();
  });

  it("creates lakeFS's table: bytea columns, primary key, 100 hash partitions, the _v view", async () => {
    const table = `mco_layout_${process.pid}`;
    const store = new PostgresStore({ pool, table });
    await store.set(OWNERSHIP_PARTITION, b('branches/main'), new Uint8Array([0x0a, 0x00, 0xff]));
    const columns = await pool.query<{ column_name: string; data_type: string; is_nullable: string }>(
      `SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`,
      [table],
    );
    expect(columns.rows).toEqual([
      { column_name: 'partition_key', data_type: 'bytea', is_nullable: 'NO' },
      { column_name: 'key', data_type: 'bytea', is_nullable: 'NO' },
      { column_name: 'value', data_type: 'bytea', is_nullable: 'NO' },
    ]);
    const pk = await pool.query<{ def: string }>(
      `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'p'`,
      [table],
    );
    expect(pk.rows[0]?.def).toBe('PRIMARY KEY (partition_key, key)');
    const parts = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = $1::regclass`, [table]);
    expect(parts.rows[0]?.n).toBe(100);
    const raw = await pool.query<{ partition_key: Buffer; key: Buffer; value: Buffer }>(`SELECT * FROM ${quoteIdentifier(table)}`);
    expect(raw.rows).toEqual([
      { partition_key: Buffer.from('mc-ownership'), key: Buffer.from('branches/main'), value: Buffer.from([0x0a, 0x00, 0xff]) },
    ]);
    const view = await pool.query<{ partition_key: string; key: string }>(`SELECT partition_key, key FROM ${quoteIdentifier(`${table}_v`)}`);
    expect(view.rows).toEqual([{ partition_key: 'mc-ownership', key: 'branches/main' }]);
    await pool.query(`DROP TABLE ${quoteIdentifier(table)} CASCADE`);
  });

  it("an owner's record sits where lakeFS looks for it: kv row (mc-ownership, <prefix>/<key>), raw protobuf", async () => {
    const owners = new MostlyCorrectOwner({ store: new PostgresStore({ pool }), prefix: 'branches', acquireInterval: 100, refreshInterval: 1000 });
    const key = `main-${process.pid}`;
    const held = await owners.own('lakefs-interop', key);
    const raw = await pool.query<{ value: Buffer }>('SELECT value FROM kv WHERE partition_key = $1 AND key = $2', [
      Buffer.from('mc-ownership'),
      Buffer.from(`branches/${key}`),
    ]);
    expect(decodeRecord(new Uint8Array(raw.rows[0]!.value), `branches/${key}`).owner).toBe(held.owner);
    await held.release();
  });

  it('uses an existing table as is (any name, quoted), and two stores setting up at once agree', async () => {
    const table = `existing "odd"; name ${process.pid}`;
    await pool.query(
      `CREATE TABLE ${quoteIdentifier(table)} (partition_key bytea NOT NULL, key bytea NOT NULL, value bytea NOT NULL, PRIMARY KEY (partition_key, key))`,
    );
    const [s1, s2] = [new PostgresStore({ pool, table }), new PostgresStore({ pool, table })];
    await Promise.all([s1.ready(), s2.ready()]);
    await s1.setIf('p', b('k'), b('v'), null);
    expect((await s2.get('p', b('k')))?.value).toEqual(b('v'));
    const parts = await pool.query(`SELECT 1 FROM pg_inherits WHERE inhparent = to_regclass($1)`, [quoteIdentifier(table)]);
    expect(parts.rowCount).toBe(0); // left as it was: not partitioned
    await pool.query(`DROP TABLE ${quoteIdentifier(table)}`);

    const fresh = `mco_race_${process.pid}`;
    const racers = Array.from({ length: 3 }, () => new PostgresStore({ connectionString: url!, table: fresh }));
    await Promise.all(racers.map((r) => r.ready()));
    await Promise.all(racers.map((r) => r.close()));
    await pool.query(`DROP TABLE ${quoteIdentifier(fresh)} CASCADE`);
  });

  it('with createTable: false a missing table is a StoreError naming it', async () => {
    const store = new PostgresStore({ pool, table: 'mco_missing_table', createTable: false });
    const err = (await store.get('p', b('k')).catch((e: unknown) => e)) as StoreError;
    expect(err).toBeInstanceOf(StoreError);
    expect(err.message).toMatch(/postgres get on postgres:\/\/.*failed: relation "mco_missing_table" does not exist \(42P01\) on table "mco_missing_table"/);
  });

  it('close() ends its own pool but never a given one', async () => {
    const given = new pg.Pool({ connectionString: url! });
    const store = new PostgresStore({ pool: given });
    await store.get('p', b('k'));
    await store.close();
    expect((await given.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await given.end();
    const own = new PostgresStore({ connectionString: url! });
    await own.get('p', b('k'));
    await own.close();
    await own.close();
    await expect(own.get('p', b('k'))).rejects.toThrow(StoreError);
  });
});
