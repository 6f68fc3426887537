/**
 * PostgresStore: ownership records in PostgreSQL through `pg`, in lakeFS's KV
 * table (`pkg/kv/postgres/store.go`):
 *
 *     kv(partition_key bytea, key bytea, value bytea, primary key (partition_key, key))
 *
 * hash-partitioned on `partition_key` into 100 partitions `kv_0 … kv_99`, with
 * a human-readable view `kv_v`. A missing table is created in exactly that
 * shape (under lakeFS's advisory lock), so a lakeFS server started later on
 * the same database accepts it; an existing table is used as it is.
 *
 * Release notifications (`notify`/`watch`): `NOTIFY` through
 * `pg_notify(channel, payload)`, where the channel is
 * {@link releaseChannel}`(table, partition)` (`mco_released_` and a hash:
 * always a valid identifier, whatever the table and partition) and the
 * payload the key's bytes in hex. Watchers `LISTEN` on one connection taken
 * from the pool on the first `watch` and kept out of it (a listening
 * connection must stay open) until `close()`. When that connection dies, the
 * store opens another and listens again; notifications sent in between are
 * lost, and the waiters poll.
 *
 * `swap` ({@link Store.swap}) is one SQL statement, so one round trip: the
 * conditional write (`INSERT … ON CONFLICT DO NOTHING` for an absent key,
 * `UPDATE … WHERE value = <expected>` otherwise) in a data-modifying CTE, and,
 * when it wrote nothing, the current row read in the same statement. Under
 * READ COMMITTED both parts share the statement's snapshot, while the write
 * re-checks its condition against the newest committed row (waiting for a
 * writer in progress). So the compare is exactly `setIf`'s, and `current` is
 * the row as of the start of the statement: when a concurrent writer commits
 * while the statement runs, the swap fails and `current` can still be the
 * value before that write (then it equals `expected`, or is absent for an
 * insert). The caller learns exactly what a failed `setIf` after a `get`
 * would have told it: someone else wrote in between.
 */
import pg from 'pg';
import type { Notification, Pool, PoolClient, PoolConfig } from 'pg';
import { PredicateFailedError, StoreError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { messageOf, redactUrl, scrubSecrets, urlPassword } from './address.js';
import { predicateValue, valuePredicate, type Predicate, type Store, type StoreEntry, type SwapResult, type Unsubscribe } from './store.js';

/**
 * The part of a `pg` Pool the store uses. `connect` is needed only for
 * release notifications (`watch`); without it watchers poll.
 */
export type PostgresPool = Pick<Pool, 'query'> & Partial<Pick<Pool, 'connect'>>;

/** Options of {@link PostgresStore}. */
export interface PostgresStoreOptions {
  /**
   * An existing pool. The store never ends it and adds no listeners to it:
   * attach your own `pool.on('error', …)`, as `pg` requires, or an idle
   * connection dropped by the server crashes the process. When absent, the
   * store creates (and {@link PostgresStore.close} ends) its own pool from
   * `connectionString` and `poolConfig`.
   */
  pool?: PostgresPool;
  /** `postgres://user:password@host:port/database` for the store's own pool. Ignored when `pool` is given. */
  connectionString?: string;
  /** `pg` pool settings for the store's own pool, laid over {@link DEFAULT_POSTGRES_POOL_OPTIONS}. */
  poolConfig?: PoolConfig;
  /** Table name, one identifier (quoted, so any characters are fine). Default `kv`, as lakeFS. */
  table?: string;
  /**
   * Create the table in lakeFS's layout when it does not exist (on first
   * use). Default `true`. With `false` the table must exist.
   */
  createTable?: boolean;
  /** How errors name the server. Default: derived from the connection settings. Any password is redacted. */
  address?: string;
  /** Where the store's own pool reports connections it lost while idle (WARN). Default: silent. */
  logger?: Logger;
}

/**
 * Settings of a pool the store creates itself. `pg` on its own waits forever
 * for a connection or a reply; a lock library should fail instead. Override
 * any of them with `poolConfig`.
 */
export const DEFAULT_POSTGRES_POOL_OPTIONS: Readonly<PoolConfig> = Object.freeze({
  /** ms to wait for a connection (new or from the pool). pg: 0 = forever. */
  connectionTimeoutMillis: 5000,
  /** ms a query may take, measured by the client. pg: none. */
  query_timeout: 5000,
  /** Shown in `pg_stat_activity`. */
  application_name: 'mostly-correct-owner',
});

/** lakeFS's `DefaultPartitions`: changing it would repartition lakeFS's table. */
export const LAKEFS_KV_PARTITIONS = 100;

/** A {@link Store} on PostgreSQL; see the module comment for the layout. */
export class PostgresStore implements Store {
  /** How errors name the server (password redacted). */
  readonly address: string;
  /** The table name as given (unquoted). */
  readonly table: string;
  readonly #pool: PostgresPool;
  readonly #owned: Pool | undefined;
  readonly #quoted: string;
  readonly #createTable: boolean;
  readonly #secrets: (string | undefined)[];
  readonly #sql: { get: string; set: string; insert: string; update: string; swapInsert: string; swapUpdate: string; delete: string };
  #ready: Promise<void> | undefined;
  #lastPoolError: string | undefined;
  #closed = false;
  readonly #logger: Logger;
  /** Watchers by `<channel>\n<key hex>`. */
  readonly #watchers = new Map<string, Set<() => void>>();
  /** How many watched keys each channel has (LISTEN on the first, UNLISTEN after the last). */
  readonly #channels = new Map<string, number>();
  /** The listening connection, while some key is watched. */
  #listener: Promise<Listening | undefined> | undefined;

  constructor(options: PostgresStoreOptions = {}) {
    const { pool, connectionString, poolConfig, table = 'kv', createTable = true } = options;
    if (typeof table !== 'string' || table === '' || table.includes('\0')) {
      throw new TypeError(`PostgresStore: table must be a non-empty name without NUL, got ${JSON.stringify(table)}`);
    }
    this.table = table;
    this.#quoted = quoteIdentifier(table);
    this.#createTable = createTable;
    this.#logger = options.logger ?? silentLogger;
    if (pool !== undefined) {
      if (pool === null || typeof pool.query !== 'function') throw new TypeError('PostgresStore: options.pool must be a pg Pool');
      this.#pool = pool;
      this.#owned = undefined;
      const o = (pool as { options?: PoolConfig }).options;
      this.#secrets = [typeof o?.password === 'string' ? o.password : undefined, o?.connectionString && urlPassword(o.connectionString)];
      this.address = redactUrl(options.address ?? describePoolConfig(o));
    } else {
      const config: PoolConfig = { ...DEFAULT_POSTGRES_POOL_OPTIONS, ...poolConfig };
      if (connectionString !== undefined) config.connectionString = connectionString;
      const owned = new pg.Pool(config);
      // pg emits 'error' on the pool when an idle connection dies (server
      // restart, pg_terminate_backend); unobserved, that event crashes the
      // process. The pool drops the connection; the next query opens another.
      const logger = options.logger ?? silentLogger;
      owned.on('error', (err) => {
        this.#lastPoolError = scrubSecrets(messageOf(err), this.#secrets);
        logger.warn({ store: this.address, err: this.#lastPoolError }, 'PostgreSQL connection lost while idle; the pool opens a new one');
      });
      this.#pool = owned;
      this.#owned = owned;
      this.#secrets = [typeof config.password === 'string' ? config.password : undefined, connectionString && urlPassword(connectionString)];
      this.address = redactUrl(options.address ?? describePoolConfig(config));
    }
    const t = this.#quoted;
    this.#sql = {
      get: `SELECT value FROM ${t} WHERE partition_key = $1 AND key = $2`,
      set: `INSERT INTO ${t} (partition_key, key, value) VALUES ($1, $2, $3) ON CONFLICT (partition_key, key) DO UPDATE SET value = $3`,
      // null predicate: the key must not exist; a conflicting row makes it a no-op (0 rows).
      insert: `INSERT INTO ${t} (partition_key, key, value) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      // a concurrent writer that committed first changed `value`, so this re-checks and matches 0 rows.
      update: `UPDATE ${t} SET value = $3 WHERE partition_key = $1 AND key = $2 AND value = $4`,
      delete: `DELETE FROM ${t} WHERE partition_key = $1 AND key = $2`,
      // swap: the write of insert / update, and the row (as of the statement's snapshot) when it wrote nothing
      swapInsert: swapStatement(t, `INSERT INTO ${t} (partition_key, key, value) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1`),
      swapUpdate: swapStatement(t, `UPDATE ${t} SET value = $3 WHERE partition_key = $1 AND key = $2 AND value = $4 RETURNING 1`),
    };
  }

  async get(partition: string, key: Uint8Array): Promise<StoreEntry | undefined> {
    const result = await this.#query<{ value: Buffer }>('get', this.#sql.get, [Buffer.from(partition), asBuffer(key)]);
    const row = result.rows[0];
    if (row === undefined) return undefined;
    return { value: new Uint8Array(row.value), predicate: valuePredicate(new Uint8Array(row.value)) };
  }

  async set(partition: string, key: Uint8Array, value: Uint8Array): Promise<void> {
    await this.#query('set', this.#sql.set, [Buffer.from(partition), asBuffer(key), asBuffer(value)]);
  }

  async setIf(partition: string, key: Uint8Array, value: Uint8Array, predicate: Predicate | null): Promise<void> {
    const params = [Buffer.from(partition), asBuffer(key), asBuffer(value)];
    const result =
      predicate === null
        ? await this.#query('setIf', this.#sql.insert, params)
        : await this.#query('setIf', this.#sql.update, [...params, asBuffer(predicateValue(predicate))]);
    if (result.rowCount !== 1) throw new PredicateFailedError(partition, key);
  }

  /** {@link Store.swap} in one statement; see the module comment for what `current` means under a concurrent writer. */
  async swap(partition: string, key: Uint8Array, value: Uint8Array, expected: Predicate | null): Promise<SwapResult> {
    const params = [Buffer.from(partition), asBuffer(key), asBuffer(value)];
    const result =
      expected === null
        ? await this.#query<SwapRow>('swap', this.#sql.swapInsert, params)
        : await this.#query<SwapRow>('swap', this.#sql.swapUpdate, [...params, asBuffer(predicateValue(expected))]);
    const row = result.rows[0];
    if (row === undefined) throw new StoreError('postgres', 'swap', this.address, 'the statement returned no row', { cause: undefined });
    if (row.swapped) return { swapped: true, predicate: valuePredicate(new Uint8Array(value)) };
    if (row.current === null) return { swapped: false, current: undefined };
    return { swapped: false, current: { value: new Uint8Array(row.current), predicate: valuePredicate(new Uint8Array(row.current)) } };
  }

  async delete(partition: string, key: Uint8Array): Promise<void> {
    await this.#query('delete', this.#sql.delete, [Buffer.from(partition), asBuffer(key)]);
  }

  /** `SELECT pg_notify(<channel>, <key hex>)`: delivered to listeners when it commits (at once: autocommit). */
  async notify(partition: string, key: Uint8Array): Promise<void> {
    await this.#run('notify', () => this.#pool.query('SELECT pg_notify($1, $2)', [releaseChannel(this.table, partition), toHex(key)]));
  }

  /**
   * Listens (on the store's listening connection, taken from the pool on
   * first use) for the key's release notifications. Never throws: a failed
   * LISTEN is logged at WARN and the watcher polls.
   */
  watch(partition: string, key: Uint8Array, listener: () => void): Unsubscribe {
    if (this.#closed || typeof this.#pool.connect !== 'function') return () => {};
    const channel = releaseChannel(this.table, partition);
    const id = `${channel}\n${toHex(key)}`;
    let listeners = this.#watchers.get(id);
    if (listeners === undefined) {
      this.#watchers.set(id, (listeners = new Set()));
      const count = this.#channels.get(channel) ?? 0;
      this.#channels.set(channel, count + 1);
      if (count === 0) this.#listenerQuery(`LISTEN ${quoteIdentifier(channel)}`);
    }
    const entry = (): void => listener();
    listeners.add(entry);
    return () => {
      if (!listeners.delete(entry) || listeners.size > 0 || this.#watchers.get(id) !== listeners) return;
      this.#watchers.delete(id);
      const left = (this.#channels.get(channel) ?? 1) - 1;
      if (left > 0) {
        this.#channels.set(channel, left);
      } else {
        this.#channels.delete(channel);
        if (this.#channels.size > 0) this.#listenerQuery(`UNLISTEN ${quoteIdentifier(channel)}`);
        else this.#retireListener();
      }
    };
  }

  /**
   * Nothing is watched any more: the listening connection goes back to the
   * pool (after `UNLISTEN *`, so no notification reaches its next user), so
   * a store on a given pool holds no connection while nobody waits.
   */
  #retireListener(): void {
    const listener = this.#listener;
    this.#listener = undefined;
    void listener?.then(async (listening) => {
      if (listening === undefined) return;
      listening.detach();
      try {
        await listening.client.query('UNLISTEN *');
        listening.client.release();
      } catch (err) {
        listening.client.release(err instanceof Error ? err : true);
      }
    });
  }

  /** Number of keys with at least one watcher (for leak checks). */
  get watchedKeys(): number {
    return this.#watchers.size;
  }

  /** Runs a LISTEN/UNLISTEN on the listening connection (opened when needed); failures are logged. */
  #listenerQuery(text: string): void {
    this.#listener ??= this.#openListener();
    const listener = this.#listener;
    void listener.then(async (listening) => {
      if (listening === undefined || this.#listener !== listener) return; // a new connection listens on every channel anyway
      try {
        await listening.client.query(text);
      } catch (err) {
        this.#logger.warn({ store: this.address, err: scrubSecrets(messageOf(err), this.#secrets) }, `PostgreSQL ${text.split(' ')[0]} failed; waiters poll`);
      }
    });
  }

  /** Takes a connection out of the pool for LISTEN, listening on every watched channel; `undefined` when it cannot. */
  async #openListener(): Promise<Listening | undefined> {
    let client: PoolClient;
    try {
      await this.ready();
      client = await this.#pool.connect!();
    } catch (err) {
      this.#listener = undefined; // the next watch tries again
      this.#logger.warn({ store: this.address, err: scrubSecrets(messageOf(err), this.#secrets) }, 'PostgreSQL connection for release notifications failed; waiters poll');
      return undefined;
    }
    if (this.#closed) {
      client.release(true);
      return undefined;
    }
    const self = this.#listener;
    const onNotification = (msg: Notification): void => {
      const listeners = this.#watchers.get(`${msg.channel}\n${msg.payload ?? ''}`);
      if (listeners !== undefined) for (const l of [...listeners]) l();
    };
    const onError = (err: Error): void => {
      client.off('notification', onNotification);
      client.off('error', onError);
      client.on('error', () => {}); // it may report again while being discarded
      client.release(true);
      if (this.#listener !== self) return;
      this.#logger.warn({ store: this.address, err: scrubSecrets(messageOf(err), this.#secrets) }, 'PostgreSQL listening connection lost; opening another (waiters poll meanwhile)');
      this.#listener = undefined;
      if (!this.#closed && this.#channels.size > 0) this.#listener = this.#openListener();
    };
    client.on('notification', onNotification);
    client.on('error', onError);
    try {
      for (const channel of this.#channels.keys()) await client.query(`LISTEN ${quoteIdentifier(channel)}`);
    } catch (err) {
      this.#logger.warn({ store: this.address, err: scrubSecrets(messageOf(err), this.#secrets) }, 'PostgreSQL LISTEN failed; waiters poll');
    }
    return {
      client,
      detach: () => {
        client.off('notification', onNotification);
        client.off('error', onError);
      },
    };
  }

  /**
   * Creates the table if it is missing (when `createTable`). Runs by itself
   * before the first operation; call it to fail early. A failure is not
   * cached: the next call tries again.
   */
  ready(): Promise<void> {
    if (!this.#createTable) return Promise.resolve();
    this.#ready ??= this.#setup().catch((err: unknown) => {
      this.#ready = undefined;
      throw err;
    });
    return this.#ready;
  }

  /**
   * Returns the listening connection (closed, not reused) and ends the pool
   * the store created; a pool passed in as `options.pool` is left open.
   * Safe to call twice.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const listener = this.#listener;
    this.#listener = undefined;
    this.#watchers.clear();
    this.#channels.clear();
    const listening = await listener;
    listening?.detach();
    listening?.client.release(true);
    await this.#owned?.end();
  }

  async #setup(): Promise<void> {
    const exists = await this.#run('setup', () => this.#pool.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [this.#quoted]));
    if (exists.rows[0]?.t != null) return;
    // One multi-statement query runs as one transaction, so the transaction-
    // level advisory lock is held to the end. It shares lakeFS's lock id,
    // which serialises this with a lakeFS server (or another store) setting up
    // the same table; IF NOT EXISTS makes the loser's statements no-ops.
    const t = this.#quoted;
    const statements = [
      `SELECT pg_advisory_xact_lock(${advisoryLockId(`lakefs:${this.table}`)})`,
      `CREATE TABLE IF NOT EXISTS ${t} (partition_key BYTEA NOT NULL, key BYTEA NOT NULL, value BYTEA NOT NULL, ` +
        `PRIMARY KEY (partition_key, key)) PARTITION BY HASH (partition_key)`,
      ...Array.from(
        { length: LAKEFS_KV_PARTITIONS },
        (_, i) =>
          `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(`${this.table}_${i}`)} PARTITION OF ${t} ` +
          `FOR VALUES WITH (MODULUS ${LAKEFS_KV_PARTITIONS}, REMAINDER ${i})`,
      ),
      `CREATE OR REPLACE VIEW ${quoteIdentifier(`${this.table}_v`)} AS SELECT ENCODE(partition_key, 'escape') AS partition_key, ` +
        `ENCODE(key, 'escape') AS key, value FROM ${t}`,
    ];
    await this.#run('setup', () => this.#pool.query(statements.join(';\n')));
  }

  async #query<R extends object>(operation: string, text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      await this.ready();
    } catch (err) {
      // Report it as the operation the caller asked for; the setup is a detail.
      if (!(err instanceof StoreError)) throw err;
      throw new StoreError('postgres', operation, this.address, `${err.detail} (while checking for table ${this.#quoted})`, {
        cause: err.cause,
      });
    }
    return this.#run(operation, () => this.#pool.query<R>(text, values));
  }

  async #run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      let detail = messageOf(err);
      if (detail === '' && err instanceof AggregateError) detail = err.errors.map(messageOf).join('; ');
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && !detail.includes(code)) detail += ` (${code})`;
      // SQLSTATE class 42: undefined table or column, permissions: name the table.
      if (typeof code === 'string' && code.startsWith('42')) detail += ` on table ${this.#quoted}`;
      const last = this.#lastPoolError;
      if (last !== undefined && !detail.includes(last)) detail += ` (last idle-connection error: ${last})`;
      throw new StoreError('postgres', operation, this.address, scrubSecrets(detail, this.#secrets), { cause: err });
    }
  }
}

/**
 * The NOTIFY channel of release notifications for `partition` of `table`:
 * `mco_released_` and the FNV-1a (32 bit) hash of `<table>\0<partition>` in
 * hex. Always a valid identifier well below PostgreSQL's 63 bytes, whatever
 * characters the names hold; a hash collision costs only a spurious wake-up
 * (the payload names the key as well).
 */
export function releaseChannel(table: string, partition: string): string {
  return `mco_released_${advisoryLockId(`${table}\0${partition}`).toString(16).padStart(8, '0')}`;
}

/** The listening connection and how to take the store's handlers off it. */
interface Listening {
  readonly client: PoolClient;
  detach(): void;
}

/** The one row of a swap statement. */
interface SwapRow {
  swapped: boolean;
  current: Buffer | null;
}

/**
 * One statement: `write` (returning a row when it wrote) as a CTE, then
 * whether it wrote and, only when it did not, the current value (NULL: no
 * row). `value` is NOT NULL in the table, so NULL means absent.
 */
function swapStatement(table: string, write: string): string {
  return (
    `WITH w AS (${write}) SELECT EXISTS (SELECT 1 FROM w) AS swapped, ` +
    `CASE WHEN EXISTS (SELECT 1 FROM w) THEN NULL ELSE (SELECT value FROM ${table} WHERE partition_key = $1 AND key = $2) END AS current`
  );
}

/** `name` as one SQL identifier: in double quotes, inner quotes doubled. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * lakeFS's advisory lock id for a table: FNV-1a (32 bit) of `lakefs:<table>`
 * over its UTF-8 bytes, as an unsigned decimal.
 */
export function advisoryLockId(name: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(name)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

function toHex(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('hex');
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A URL naming the server of a pool config (connection string wins, as in pg). */
function describePoolConfig(config: PoolConfig | undefined): string {
  if (config?.connectionString) return config.connectionString;
  const user = config?.user ?? process.env.PGUSER ?? '';
  const password = config?.password !== undefined && config.password !== '' ? ':***' : '';
  const host = config?.host ?? process.env.PGHOST ?? 'localhost';
  const port = config?.port ?? process.env.PGPORT ?? 5432;
  const database = config?.database ?? process.env.PGDATABASE ?? user;
  const auth = user !== '' || password !== '' ? `${encodeURIComponent(user)}${password}@` : '';
  const hostPart = host.startsWith('/') ? encodeURIComponent(host) : host;
  return `postgres://${auth}${hostPart}:${port}/${database}`;
}
