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
 * Release notifications (`notify`/`watch`): `pg_notify(channel, payload)`,
 * the channel {@link releaseChannel}`(table, partition)` (`mco_released_` and
 * a hash: a valid identifier whatever the names), the payload the key's bytes
 * in hex. Watchers `LISTEN` on one connection taken out of the pool on the
 * first `watch` until `close()`. When it dies, the store opens another and
 * listens again; notifications sent in between are lost: waiters poll.
 *
 * `swap` ({@link Store.swap}) is one statement, one round trip (`current`
 * under a concurrent writer: `swapStatement` in `postgres-sql.ts`).
 */
import pg from 'pg';
import type { Notification, Pool, PoolClient, PoolConfig } from 'pg';
import { PredicateFailedError, StoreError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { describePoolConfig, messageOf, redactUrl, scrubSecrets, urlPassword } from './address.js';
import { asBuffer, toHex } from './bytes.js';
import { createTableStatements, pgErrorDetail, quoteIdentifier, releaseChannel, swapStatement } from './postgres-sql.js';
import { predicateValue, valuePredicate, type Predicate, type Store, type StoreEntry, type SwapResult, type Unsubscribe } from './store.js';

/** The part of a `pg` Pool the store uses; `connect` only for release notifications (without it watchers poll). */
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

export { LAKEFS_KV_PARTITIONS, advisoryLockId, quoteIdentifier, releaseChannel } from './postgres-sql.js';

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
  readonly #sql: { get: string; set: string; swapInsert: string; swapUpdate: string; delete: string };
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
      // pg emits 'error' on the pool when an idle connection dies (server restart, pg_terminate_backend);
      // unobserved, that event crashes the process. The pool drops it; the next query opens another.
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
      delete: `DELETE FROM ${t} WHERE partition_key = $1 AND key = $2`,
      // swap: the conditional write, and the row (as of the statement's snapshot) when it wrote nothing.
      // null predicate: the key must not exist, a conflicting row makes the insert a no-op; otherwise a
      // concurrent writer that committed first changed `value`, so the update re-checks and matches 0 rows.
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

  /** lakeFS's `SetIf`: {@link swap}, throwing {@link PredicateFailedError} when it wrote nothing. */
  async setIf(partition: string, key: Uint8Array, value: Uint8Array, predicate: Predicate | null): Promise<void> {
    const result = await this.#swap('setIf', partition, key, value, predicate);
    if (!result.swapped) throw new PredicateFailedError(partition, key);
  }

  /** {@link Store.swap} in one statement; see the module comment for what `current` means under a concurrent writer. */
  swap(partition: string, key: Uint8Array, value: Uint8Array, expected: Predicate | null): Promise<SwapResult> {
    return this.#swap('swap', partition, key, value, expected);
  }

  async #swap(operation: string, partition: string, key: Uint8Array, value: Uint8Array, expected: Predicate | null): Promise<SwapResult> {
    const params = [Buffer.from(partition), asBuffer(key), asBuffer(value)];
    const written = valuePredicate(new Uint8Array(value)); // copied now: the caller may reuse its array
    const result =
      expected === null
        ? await this.#query<SwapRow>(operation, this.#sql.swapInsert, params)
        : await this.#query<SwapRow>(operation, this.#sql.swapUpdate, [...params, asBuffer(predicateValue(expected))]);
    const row = result.rows[0];
    if (row === undefined) throw new StoreError('postgres', operation, this.address, 'the statement returned no row', { cause: undefined });
    if (row.swapped) return { swapped: true, predicate: written };
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
      if (listening.released) return; // its connection died (and went back to the pool) while LISTEN was in flight
      const ignore = (): void => {}; // a connection dying in UNLISTEN emits 'error' (else uncaught); the catch releases it
      listening.client.on('error', ignore);
      try {
        await listening.client.query('UNLISTEN *');
        listening.release();
      } catch (err) {
        listening.release(err instanceof Error ? err : true);
      } finally {
        listening.client.off('error', ignore);
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
    let released = false; // pg-pool throws on a second release; onError, retire and close may each try
    const release = (err?: Error | true): void => {
      if (!released) client.release(err);
      released = true;
    };
    const onNotification = (msg: Notification): void => {
      const listeners = this.#watchers.get(`${msg.channel}\n${msg.payload ?? ''}`);
      if (listeners !== undefined) for (const l of [...listeners]) l();
    };
    const onError = (err: Error): void => {
      client.off('notification', onNotification);
      client.off('error', onError);
      client.on('error', () => {}); // it may report again while being discarded
      release(true);
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
      release,
      get released() {
        return released;
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

  /** {@link close}: `await using store = new PostgresStore(…)`. */
  readonly [Symbol.asyncDispose] = (): Promise<void> => this.close();

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
    listening?.release(true);
    await this.#owned?.end();
  }

  async #setup(): Promise<void> {
    const exists = await this.#run('setup', () => this.#pool.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [this.#quoted]));
    if (exists.rows[0]?.t != null) return;
    // One multi-statement query runs as one transaction, so the advisory lock is held to the end.
    await this.#run('setup', () => this.#pool.query(createTableStatements(this.table).join(';\n')));
  }

  async #query<R extends object>(operation: string, text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      await this.ready();
    } catch (err) {
      // Report it as the operation the caller asked for; the setup is a detail.
      if (!(err instanceof StoreError)) throw err;
      throw new StoreError('postgres', operation, this.address, `${err.detail} (while checking for table ${this.#quoted})`, { cause: err.cause });
    }
    return this.#run(operation, () => this.#pool.query<R>(text, values));
  }

  async #run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      let detail = pgErrorDetail(err, this.#quoted);
      const last = this.#lastPoolError;
      if (last !== undefined && !detail.includes(last)) detail += ` (last idle-connection error: ${last})`;
      throw new StoreError('postgres', operation, this.address, scrubSecrets(detail, this.#secrets), { cause: err });
    }
  }
}

/** The listening connection, how to take the store's handlers off it, and its release (once; also on its death). */
interface Listening {
  readonly client: PoolClient;
  detach(): void;
  release(err?: Error | true): void;
  readonly released: boolean;
}

/** The one row of a swap statement. */
interface SwapRow {
  swapped: boolean;
  current: Buffer | null;
}

