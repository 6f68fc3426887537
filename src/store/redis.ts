/**
 * RedisStore: ownership records in Redis through ioredis, laid out as lakeFS's
 * Redis KV driver lays them out (`pkg/kv/redis/store.go`): the Redis key is
 * the bytes `[keyPrefix:]<partition>:<key>` and the value is the raw protobuf
 * record, so a lakeFS server and this library on one Redis read each other's
 * records. Keys and values travel as Buffers: any bytes are safe.
 *
 * Every command touches exactly one key, so a Cluster client works as well as
 * a single-node one.
 *
 * Release notifications (`notify`/`watch`): `PUBLISH` on the channel
 * `mco:released:[keyPrefix:]<partition>:<key>` (the record's Redis key behind
 * a fixed prefix); watchers `SUBSCRIBE` on a connection of their own (a
 * subscribed connection can run no other command), made by duplicating the
 * client when a first key is watched and closed when none is any more (or by
 * `close()`), also when the client was given. ioredis re-subscribes after a
 * reconnect; notifications sent while it is down are lost: waiters poll.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { PredicateFailedError, StoreError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { describeRedisClient, messageOf, redactUrl, redisClientPassword, scrubSecrets, urlPassword } from './address.js';
import { asBuffer } from './bytes.js';
import { predicateValue, valuePredicate, type Predicate, type Store, type StoreEntry, type SwapOptions, type SwapResult, type Unsubscribe } from './store.js';

/**
 * The part of an ioredis client the store uses: a `Redis` or a `Cluster`
 * (or anything with these methods, e.g. a test double).
 */
export type RedisClient = Pick<Redis, 'getBuffer' | 'set' | 'del'> & Partial<BufferScripts>;

/**
 * The Buffer-reply script commands `swap` needs. ioredis has them at run time
 * on `Redis` and `Cluster`, like every `<command>Buffer`, but does not type
 * them, so {@link RedisClient} cannot require them: the constructor checks.
 */
export interface BufferScripts {
  evalshaBuffer(sha1: string, numKeys: number, ...args: (string | Buffer)[]): Promise<unknown>;
  evalBuffer(script: string, numKeys: number, ...args: (string | Buffer)[]): Promise<unknown>;
}

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /**
   * An existing client (`Redis` or `Cluster`). The store never closes it and
   * never changes its settings: its retry and timeout behaviour is yours.
   * When absent, the store creates (and {@link RedisStore.close} closes) its
   * own client from `url` and `redisOptions`.
   */
  client?: RedisClient;
  /**
   * Where the store's own client connects:
   * `redis[s]://[[user]:password@]host[:port][/db]`. Default: ioredis's
   * default, `redis://localhost:6379/0`. Ignored when `client` is given.
   */
  url?: string;
  /**
   * ioredis options for the store's own client, laid over
   * {@link DEFAULT_REDIS_CLIENT_OPTIONS}. Ignored when `client` is given.
   */
  redisOptions?: RedisOptions;
  /**
   * lakeFS's `KeyPrefix`: when not empty, keys are `<keyPrefix>:<partition>:<key>`.
   * Default `''`. (Unlike ioredis's own `keyPrefix`, a `:` is added.)
   */
  keyPrefix?: string;
  /**
   * How errors name the server. Default: derived from `url` / `redisOptions`,
   * or from the given client's options. Any password in it is redacted.
   */
  address?: string;
  /**
   * Where the store's own client reports losing its connection (WARN, once
   * per outage; reconnect attempts are not logged). Default: silent.
   */
  logger?: Logger;
}

/**
 * Settings of a client the store creates itself, chosen to fail fast: ioredis
 * on its own queues a command while it reconnects and retries it 20 times,
 * so `own()` against a dead server would hang for many seconds. Override any
 * of them with `redisOptions`.
 */
export const DEFAULT_REDIS_CLIENT_OPTIONS: Readonly<RedisOptions> = Object.freeze({
  /** ms to establish a connection before it counts as failed. ioredis: 10000. */
  connectTimeout: 5000,
  /** ms a sent command may take before it rejects. ioredis: none (waits forever). */
  commandTimeout: 5000,
  /**
   * Reconnect attempts a queued command waits through before it rejects.
   * ioredis: 20. With 1, a command queued while the server refuses connections
   * fails on the second failed reconnect (about 50 ms, measured), while one sent
   * during a shorter blip is retried once the client reconnects.
   */
  maxRetriesPerRequest: 1,
});

/**
 * swap ({@link Store.swap}) and setIf, atomically on the server (a script
 * runs without interleaving): a compare and write, and on a mismatch the
 * current value in the same reply, so a failed compare costs no second round
 * trip.
 *
 * KEYS[1] the record's key; ARGV[1] the new value; ARGV[2] the mode: `absent`
 * writes only if the key does not exist, `match` only if the whole current
 * value equals ARGV[3] (the predicate: the bytes a `get` returned; any string
 * in `absent` mode); ARGV[4], optional: a release channel to `PUBLISH` to
 * after a write (the release notification in the same round trip). Keys and
 * values are never spliced into the script text, so its SHA1 is a constant.
 * Returns 1 when it wrote; when it did not, a one-element array `{0}` if the
 * key is absent, else `{0, value}` (a Lua `false` inside a table would end
 * the array, hence two shapes).
 */
export const SWAP_SCRIPT = `local current = redis.call('GET', KEYS[1])
if ARGV[2] == 'absent' then
  if current then return {0, current} end
elseif current ~= ARGV[3] then
  if current then return {0, current} end
  return {0}
end
redis.call('SET', KEYS[1], ARGV[1])
if ARGV[4] then redis.call('PUBLISH', ARGV[4], 'released') end
return 1
`;

/**
 * SHA1 of {@link SWAP_SCRIPT}, for EVALSHA. Precomputed because `src/` does
 * not touch `crypto`; a test recomputes it, and asks a real server.
 */
export const SWAP_SCRIPT_SHA1 = 'cd5908c81167267df3432c5e2bddd37eb32e4a72';

const COLON = Buffer.from(':');
/** Prefix of a release-notification channel; the rest is the record's Redis key. */
export const RELEASE_CHANNEL_PREFIX = 'mco:released:';
const CHANNEL_PREFIX = Buffer.from(RELEASE_CHANNEL_PREFIX);

/** What the store uses of the subscriber connection (a duplicate of the client). */
interface Subscriber {
  subscribe(channel: Buffer): Promise<unknown>;
  unsubscribe(channel: Buffer): Promise<unknown>;
  on(event: string, listener: (...args: never[]) => void): unknown;
  quit(): Promise<unknown>;
  disconnect(): void;
  readonly status: string;
}

/** The optional pub/sub side of a client: `publish`, and `duplicate` for the subscriber. */
interface PubSubClient {
  publish?: (channel: Buffer, message: string) => Promise<number>;
  duplicate?: () => Subscriber;
}

/** A {@link Store} on Redis; see the module comment for the layout. */
export class RedisStore implements Store {
  /** How errors name the server (password redacted). */
  readonly address: string;
  readonly #client: RedisClient & BufferScripts;
  readonly #owned: Redis | undefined;
  readonly #prefix: Buffer;
  readonly #secrets: (string | undefined)[];
  #lastConnectionError: string | undefined;
  #closed = false;
  readonly #logger: Logger;
  /** The subscriber connection, once a `watch` needed it. */
  #subscriber: Subscriber | undefined;
  /** Watchers by channel (latin1 of the channel bytes). */
  readonly #watchers = new Map<string, Set<() => void>>();

  constructor(options: RedisStoreOptions = {}) {
    const { client, url, redisOptions, keyPrefix = '' } = options;
    if (typeof keyPrefix !== 'string') throw new TypeError(`RedisStore: keyPrefix must be a string, got ${typeof keyPrefix}`);
    this.#prefix = keyPrefix === '' ? Buffer.alloc(0) : Buffer.concat([Buffer.from(keyPrefix), COLON]);
    this.#logger = options.logger ?? silentLogger;
    if (client !== undefined) {
      if (client === null || typeof client.evalshaBuffer !== 'function' || typeof client.evalBuffer !== 'function' || typeof client.getBuffer !== 'function') {
        throw new TypeError('RedisStore: options.client must be an ioredis Redis or Cluster client (getBuffer, evalshaBuffer, evalBuffer)');
      }
      this.#client = client as RedisClient & BufferScripts;
      this.#owned = undefined;
      this.#secrets = [redisClientPassword(client)];
      this.address = options.address === undefined ? describeRedisClient(client) : redactUrl(options.address);
    } else {
      const merged: RedisOptions = { ...DEFAULT_REDIS_CLIENT_OPTIONS, ...redisOptions };
      const owned = url === undefined ? new Redis(merged) : new Redis(url, merged);
      // An unobserved 'error' event makes ioredis print to the console; the
      // last one is kept for the next failing command's message instead.
      const logger = options.logger ?? silentLogger;
      owned.on('error', (err: unknown) => {
        const first = this.#lastConnectionError === undefined;
        this.#lastConnectionError = scrubSecrets(messageOf(err), this.#secrets);
        if (first) logger.warn({ store: this.address, err: this.#lastConnectionError }, 'Redis connection error; the client reconnects');
      });
      owned.on('ready', () => {
        this.#lastConnectionError = undefined;
      });
      this.#client = owned as unknown as RedisClient & BufferScripts; // ioredis has the *Buffer commands at run time, untyped
      this.#owned = owned;
      this.#secrets = [url === undefined ? undefined : urlPassword(url), redisOptions?.password];
      this.address = options.address === undefined ? describeRedisClient(this.#client) : redactUrl(options.address);
    }
  }

  async get(partition: string, key: Uint8Array): Promise<StoreEntry | undefined> {
    const value = await this.#run('get', () => this.#client.getBuffer(this.#key(partition, key)));
    if (value === null) return undefined;
    return { value: new Uint8Array(value), predicate: valuePredicate(new Uint8Array(value)) };
  }

  async set(partition: string, key: Uint8Array, value: Uint8Array): Promise<void> {
    await this.#run('set', () => this.#client.set(this.#key(partition, key), asBuffer(value)));
  }

  /** lakeFS's `SetIf`: {@link swap}, throwing {@link PredicateFailedError} when it wrote nothing. */
  async setIf(partition: string, key: Uint8Array, value: Uint8Array, predicate: Predicate | null): Promise<void> {
    const result = await this.#swap('setIf', partition, key, value, predicate, undefined);
    if (!result.swapped) throw new PredicateFailedError(partition, key);
  }

  /** {@link Store.swap} in one round trip ({@link SWAP_SCRIPT}). */
  swap(partition: string, key: Uint8Array, value: Uint8Array, expected: Predicate | null, options?: SwapOptions): Promise<SwapResult> {
    return this.#swap('swap', partition, key, value, expected, options);
  }

  async #swap(operation: string, partition: string, key: Uint8Array, value: Uint8Array, expected: Predicate | null, options: SwapOptions | undefined): Promise<SwapResult> {
    const args: Buffer[] =
      expected === null ? [asBuffer(value), ABSENT, EMPTY] : [asBuffer(value), MATCH, asBuffer(predicateValue(expected))];
    // the release notification rides along when the client could publish it itself
    const notify = options?.notify === true && typeof (this.#client as PubSubClient).publish === 'function';
    if (notify) args.push(this.#channel(partition, key));
    const written = valuePredicate(new Uint8Array(value)); // copied now: the caller may reuse its array
    const reply = await this.#run(operation, () => this.#evalSwap(this.#key(partition, key), args));
    if (reply === 1) return notify ? { swapped: true, predicate: written, notified: true } : { swapped: true, predicate: written };
    if (Array.isArray(reply) && reply[0] === 0) {
      const current: unknown = reply[1];
      if (current === undefined) return { swapped: false, current: undefined };
      if (Buffer.isBuffer(current)) {
        return { swapped: false, current: { value: new Uint8Array(current), predicate: valuePredicate(new Uint8Array(current)) } };
      }
    }
    throw new StoreError('redis', operation, this.address, `unexpected script reply ${describeReply(reply)}`, { cause: reply });
  }

  /**
   * Runs {@link SWAP_SCRIPT} by its SHA1; when this server has not cached it
   * (first use, a restart, SCRIPT FLUSH, another Cluster node: NOSCRIPT),
   * EVAL runs it and caches it for the next EVALSHA.
   */
  async #evalSwap(redisKey: Buffer, args: Buffer[]): Promise<unknown> {
    try {
      return await this.#client.evalshaBuffer(SWAP_SCRIPT_SHA1, 1, redisKey, ...args);
    } catch (err) {
      if (!messageOf(err).startsWith('NOSCRIPT')) throw err;
      return await this.#client.evalBuffer(SWAP_SCRIPT, 1, redisKey, ...args);
    }
  }

  async delete(partition: string, key: Uint8Array): Promise<void> {
    await this.#run('delete', () => this.#client.del(this.#key(partition, key)));
  }

  /**
   * `PUBLISH mco:released:<redis key> released`. A client without `publish`
   * (a test double) makes this a no-op: its watchers poll.
   */
  async notify(partition: string, key: Uint8Array): Promise<void> {
    const publish = (this.#client as PubSubClient).publish;
    if (typeof publish !== 'function') return;
    await this.#run('notify', () => publish.call(this.#client, this.#channel(partition, key), 'released'));
  }

  /**
   * Subscribes (on the store's subscriber connection, created on first use)
   * to the key's release channel. Never throws: a failed SUBSCRIBE is logged
   * at WARN and the watcher polls.
   */
  watch(partition: string, key: Uint8Array, listener: () => void): Unsubscribe {
    const subscriber = this.#closed ? undefined : this.#ensureSubscriber();
    if (subscriber === undefined) return () => {};
    const channel = this.#channel(partition, key);
    const id = channel.toString('latin1');
    let listeners = this.#watchers.get(id);
    if (listeners === undefined) {
      this.#watchers.set(id, (listeners = new Set()));
      subscriber.subscribe(channel).catch((err: unknown) => {
        this.#logger.warn({ store: this.address, err: scrubSecrets(messageOf(err), this.#secrets) }, 'Redis SUBSCRIBE for release notifications failed; waiters poll');
      });
    }
    const entry = (): void => listener();
    listeners.add(entry);
    return () => {
      if (!listeners.delete(entry) || listeners.size > 0 || this.#watchers.get(id) !== listeners) return;
      this.#watchers.delete(id);
      if (this.#subscriber !== subscriber) return;
      if (this.#watchers.size > 0) {
        subscriber.unsubscribe(channel).catch(() => {});
      } else {
        // nothing watched: close the subscriber, so a store on a given client
        // holds no extra connection (nor keeps the process alive) while nobody waits
        this.#subscriber = undefined;
        void quitOrDrop(subscriber);
      }
    };
  }

  /** Number of channels with at least one watcher (for leak checks). */
  get watchedChannels(): number {
    return this.#watchers.size;
  }

  #ensureSubscriber(): Subscriber | undefined {
    if (this.#subscriber !== undefined) return this.#subscriber;
    const duplicate = (this.#client as PubSubClient).duplicate;
    if (typeof duplicate !== 'function') return undefined;
    const subscriber = duplicate.call(this.#client);
    let reported = false;
    subscriber.on('error', (err: unknown) => {
      if (reported) return;
      reported = true;
      this.#logger.warn({ store: this.address, err: scrubSecrets(messageOf(err), this.#secrets) }, 'Redis subscriber connection error; it reconnects (waiters poll meanwhile)');
    });
    subscriber.on('ready', () => {
      reported = false;
    });
    subscriber.on('messageBuffer', (channel: Buffer) => {
      const listeners = this.#watchers.get(channel.toString('latin1'));
      if (listeners !== undefined) for (const listener of [...listeners]) listener();
    });
    this.#subscriber = subscriber;
    return subscriber;
  }

  /**
   * Closes the client the store created (gracefully: pending replies are
   * awaited). A client passed in as `options.client` is left open: it is the
   * caller's. Safe to call twice.
   */
  /** {@link close}: `await using store = new RedisStore(…)`. */
  readonly [Symbol.asyncDispose] = (): Promise<void> => this.close();

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    this.#watchers.clear();
    // the subscriber is always the store's own, even when the client was given
    if (subscriber !== undefined) await quitOrDrop(subscriber);
    if (this.#owned !== undefined) await quitOrDrop(this.#owned);
  }

  /** `mco:released:[keyPrefix:]partition:key`, as bytes. */
  #channel(partition: string, key: Uint8Array): Buffer {
    return Buffer.concat([CHANNEL_PREFIX, this.#key(partition, key)]);
  }

  /** `[keyPrefix:]partition:key`, as bytes. */
  #key(partition: string, key: Uint8Array): Buffer {
    return Buffer.concat([this.#prefix, Buffer.from(partition), COLON, asBuffer(key)]);
  }

  async #run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.#error(operation, err);
    }
  }

  /** The {@link StoreError} for a failed `operation`, naming the last connection error. */
  #error(operation: string, err: unknown): StoreError {
    let detail = messageOf(err);
    const last = this.#lastConnectionError;
    if (last !== undefined && !detail.includes(last)) detail += ` (last connection error: ${last})`;
    return new StoreError('redis', operation, this.address, scrubSecrets(detail, this.#secrets), { cause: err });
  }
}

/** Closes gracefully when connected, else drops the connection. */
async function quitOrDrop(connection: { status: string; quit(): Promise<unknown>; disconnect(): void }): Promise<void> {
  if (connection.status === 'ready') {
    try {
      await connection.quit();
      return;
    } catch {
      // fall through: drop the connection
    }
  }
  connection.disconnect();
}

const ABSENT = Buffer.from('absent');
const MATCH = Buffer.from('match');
const EMPTY = Buffer.alloc(0);

function describeReply(reply: unknown): string {
  if (Buffer.isBuffer(reply)) return `<${reply.length} bytes>`;
  if (Array.isArray(reply)) return `[${reply.map(describeReply).join(', ')}]`;
  return String(reply);
}
