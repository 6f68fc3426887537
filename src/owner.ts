/**
 * MostlyCorrectOwner: "mostly correct" ownership of a key across processes
 * sharing a {@link Store}, ported from lakeFS. This file holds the options and
 * the acquire loop; `ownership.ts` holds the handle with its refresh loop and
 * release. Time comes only from the injected {@link Clock}, randomness only
 * from the injected {@link RandomSource}, decisions from the {@link Strategy}.
 *
 * It is deliberately not a correct lock: when clocks disagree, or a holder's
 * refresh is late, a second owner can take the key while the first still
 * believes it owns it. Use it where a mistaken second owner is wasteful but
 * harmless.
 */
import { acquire } from './acquire.js';
import { systemClock, type Clock } from './clock.js';
import { KnownRecords, type OwnerContext } from './context.js';
import { CorruptRecordError, OwnError, OwnerClosedError } from './errors.js';
import { silentLogger, type Logger } from './logger.js';
import { KeyQueue } from './key-queue.js';
import { Ownership, type OwnershipInit } from './ownership.js';
import { systemRandom, randomSlug, type RandomSource } from './random.js';
import type { Store } from './store/store.js';
import { fixedStrategy } from './strategies/fixed.js';
import { checkStrategy, type Strategy } from './strategies/strategy.js';

/** Options of {@link MostlyCorrectOwner}. All durations are milliseconds. */
export interface MostlyCorrectOwnerOptions {
  /**
   * Where ownership records live: a {@link Store} (`get` + `swap`), e.g.
   * `new MemoryStore()`, a `RedisStore` or a `PostgresStore`. A store with
   * lakeFS's `get` + `setIf` instead works through `swapOverSetIf(store)`.
   * Required.
   */
  store: Store;
  /**
   * Namespace for keys: records are stored at partition `mc-ownership`, key
   * `<prefix>/<key>`. Required (may be empty). lakeFS uses e.g. `branches`.
   */
  prefix: string;
  /**
   * Polling interval (ms) for acquiring a key whose record is expired but not
   * taken. Required, > 0. Under the `lakefs` strategy this interval is never
   * used (see `lakefsStrategy`); lakeFS still requires it.
   */
  acquireInterval: number;
  /**
   * Lease length (ms): a holder's record expires this long after it was
   * written, and the holder re-writes it every `refreshInterval / 2`.
   * Required, > 0. Should be well above `acquireInterval` (a warning is logged
   * below 2×). Shorter means faster failover after a crash but more store
   * writes and more false takeovers when a holder is slow or clocks differ.
   */
  refreshInterval: number;
  /** pino-compatible logger. Default: silent. */
  logger?: Logger;
  /** Time source. Default: {@link systemClock}. */
  clock?: Clock;
  /** Randomness for owner slugs and jitter. Default: {@link systemRandom} (crypto-grade). */
  random?: RandomSource;
  /**
   * Decision policy. Default: `fixedStrategy` (lakeFS's algorithm with its
   * defects fixed). `lakefsStrategy` is lakeFS as shipped; `observedStrategy`
   * judges expiry by the waiter's own monotonic clock. See docs/strategies.md.
   */
  strategy?: Strategy;
  /**
   * How long before the end of its lease a holder considers the ownership lost
   * when no refresh has succeeded (ms; strategies that signal loss only).
   * Default `refreshInterval / 4`. See {@link Ownership.lost}.
   */
  lossMargin?: number;
  /**
   * Whether to write on a guess of the stored record (the last one this
   * owner wrote or read) under strategies that `speculate` (`fixed`,
   * `observed`; never `lakefs`). Default `true`. An uncontended acquire,
   * refresh and release then each cost one store round trip (a `swap`)
   * instead of two (a `get`, then a `swap`), with the same decisions;
   * `false` decides every write on a fresh read. See docs/strategies.md.
   */
  fastPath?: boolean;
  /**
   * Fast path: how many keys' last known records (bytes) this instance keeps
   * to guess from, the oldest forgotten first. Default 1024. A key whose
   * record is forgotten is guessed absent, which costs nothing extra when it
   * is (one swap) and is answered with the record when not.
   */
  fastPathCacheSize?: number;
}

/** Defaults for the optional fields of {@link MostlyCorrectOwnerOptions}. */
export const DEFAULT_OWNER_OPTIONS: Readonly<
  Required<Pick<MostlyCorrectOwnerOptions, 'logger' | 'clock' | 'random' | 'strategy'>>
> & { readonly fastPath: boolean; readonly fastPathCacheSize: number } = Object.freeze({
  logger: silentLogger,
  clock: systemClock,
  random: systemRandom,
  strategy: fixedStrategy,
  fastPath: true,
  fastPathCacheSize: 1024,
});

/** Options of {@link MostlyCorrectOwner.own}. */
export interface OwnOptions {
  /**
   * Aborting rejects a pending `own()` promptly with `signal.reason`. Under
   * the `lakefs` strategy, as with the Go context it mirrors, the signal also
   * scopes the refresh loop: aborting it after `own()` resolved stops
   * refreshing, and the record then expires `refreshInterval` later. Other
   * strategies use it for the wait only.
   */
  signal?: AbortSignal;
}


/** Hands out mostly-correct ownership of keys; see the module comment. */
export class MostlyCorrectOwner implements AsyncDisposable {
  readonly #ctx: OwnerContext;
  readonly #prefix: string;
  /** Local waiters per prefixed key (strategies with `handoff.localQueue`). */
  readonly #queues = new Map<string, KeyQueue<Ownership>>();
  /** The ownerships handed out and not yet released (what `close()` releases). */
  readonly #held = new Set<Ownership>();
  /** Aborted by `close()`, with an {@link OwnerClosedError}: stops every acquire loop. */
  readonly #closing = new AbortController();
  #closed: Promise<void> | undefined;

  constructor(options: MostlyCorrectOwnerOptions) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError('MostlyCorrectOwner: options must be an object with store, prefix, acquireInterval and refreshInterval');
    }
    const store: unknown = options.store;
    if (store === null || typeof store !== 'object' || typeof (store as Store).get !== 'function' || typeof (store as Store).swap !== 'function') {
      const hint =
        store !== null && typeof store === 'object' && typeof (store as { setIf?: unknown }).setIf === 'function'
          ? ': this one has setIf but no swap; wrap it with swapOverSetIf(store)'
          : ', e.g. new MemoryStore()';
      throw new TypeError(`MostlyCorrectOwner: options.store must be a Store (get and swap)${hint}`);
    }
    if (typeof options.prefix !== 'string') {
      throw new TypeError(`MostlyCorrectOwner: options.prefix must be a string (may be empty), got ${typeof options.prefix}`);
    }
    const acquireIntervalMs = positiveMs('acquireInterval', options.acquireInterval);
    const refreshIntervalMs = positiveMs('refreshInterval', options.refreshInterval);
    const logger = options.logger ?? DEFAULT_OWNER_OPTIONS.logger;
    const strategy = options.strategy ?? DEFAULT_OWNER_OPTIONS.strategy;
    checkStrategy(strategy);
    if (options.fastPath !== undefined && typeof options.fastPath !== 'boolean') {
      throw new TypeError(`MostlyCorrectOwner: options.fastPath must be true or false, got ${describeValue(options.fastPath)}`);
    }
    const fastPath = options.fastPath ?? DEFAULT_OWNER_OPTIONS.fastPath;
    const cap = options.fastPathCacheSize ?? DEFAULT_OWNER_OPTIONS.fastPathCacheSize;
    if (!Number.isInteger(cap) || cap < 0) {
      throw new RangeError(`MostlyCorrectOwner: options.fastPathCacheSize must be an integer ≥ 0, got ${describeValue(cap)}`);
    }
    this.#prefix = options.prefix;
    this.#ctx = Object.freeze({
      store: options.store,
      clock: options.clock ?? DEFAULT_OWNER_OPTIONS.clock,
      random: options.random ?? DEFAULT_OWNER_OPTIONS.random,
      logger,
      strategy,
      acquireIntervalMs,
      refreshIntervalMs,
      lossMarginMs: options.lossMargin === undefined ? refreshIntervalMs / 4 : nonNegativeMs('lossMargin', options.lossMargin, refreshIntervalMs),
      known: fastPath && strategy.speculate ? new KnownRecords(cap) : undefined,
    });
    if (refreshIntervalMs < 2 * acquireIntervalMs) {
      logger.warn(
        { acquire_interval: acquireIntervalMs, refresh_interval: refreshIntervalMs },
        'refreshInterval is less than 2 × acquireInterval: waiters will poll about as often as holders refresh; ' +
          'lakeFS suggests refreshInterval of at least 3 × acquireInterval',
      );
    }
  }

  /** The prefix this owner stores keys under. */
  get prefix(): string {
    return this.#prefix;
  }

  /**
   * Blocks until `owner` mostly-correctly owns `key`, then starts refreshing
   * the ownership in the background and resolves with the handle. The owner
   * id is made unique as `<owner>#<slug>`.
   *
   * Rejects with `signal.reason` when the signal aborts, with
   * {@link CorruptRecordError} when the stored record cannot be decoded (it is
   * never overwritten), and with {@link OwnError} when the store fails.
   */
  async own(owner: string, key: string, options: OwnOptions = {}): Promise<Ownership> {
    const { signal } = options;
    this.#throwIfClosed();
    signal?.throwIfAborted();
    const { ownerId, prefixedKey, keyBytes } = this.#name(owner, key);
    if (this.#ctx.strategy.handoff.localQueue) return this.#queueFor(key, prefixedKey, keyBytes).enqueue(ownerId, signal);
    const acquired = await acquire(this.#ctx, { pick: () => ownerId, unpick: () => {} }, { prefixedKey, keyBytes, ownerId, closing: this.#closing.signal }, signal);
    return this.#hand({ owner: ownerId, key, prefixedKey, keyBytes, signal, ...acquired });
  }

  /**
   * One attempt, no waiting: owns `key` for `owner` (as {@link own} would)
   * when its record is absent or expired now, else resolves `undefined` at
   * once. It reads the record (or, when the strategy speculates, writes on
   * its guess) and writes once at most; it never sleeps. Under strategies
   * with a local queue it also resolves `undefined` when another call on
   * this owner holds or waits for the key: it never jumps the queue.
   * Rejects as {@link own} does.
   */
  async tryOwn(owner: string, key: string, options: OwnOptions = {}): Promise<Ownership | undefined> {
    const { signal } = options;
    this.#throwIfClosed();
    signal?.throwIfAborted();
    const { ownerId, prefixedKey, keyBytes } = this.#name(owner, key);
    const target = { prefixedKey, keyBytes, ownerId, once: true, closing: this.#closing.signal } as const;
    const attempt = (claim: { pick(): string; unpick(): void }) => acquire(this.#ctx, claim, target, signal);
    if (this.#ctx.strategy.handoff.localQueue) return this.#queueFor(key, prefixedKey, keyBytes).tryTake(ownerId, attempt);
    const acquired = await attempt({ pick: () => ownerId, unpick: () => {} });
    return acquired === undefined ? undefined : this.#hand({ owner: ownerId, key, prefixedKey, keyBytes, signal, ...acquired });
  }

  /**
   * Releases every ownership this owner handed out and has not seen released,
   * rejects every pending `own()` with {@link OwnerClosedError}, and stops
   * all pollers; later `own()` and `tryOwn()` calls reject with it too.
   * Resolves once those releases are done (a release never throws). Safe to
   * call more than once. `await using owners = new MostlyCorrectOwner(…)`
   * closes at the end of the block. The store is the caller's to close.
   */
  close(): Promise<void> {
    if (this.#closed === undefined) {
      const reason = new OwnerClosedError(this.#prefix);
      this.#closing.abort(reason);
      for (const queue of this.#queues.values()) queue.close(reason);
      this.#closed = Promise.all([...this.#held].map((o) => o.release())).then(() => {});
    }
    return this.#closed;
  }

  /** {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #throwIfClosed(): void {
    if (this.#closed !== undefined) throw new OwnerClosedError(this.#prefix);
  }

  /** The unique owner id for `owner`, and the stored key of `key`. */
  #name(owner: string, key: string): { ownerId: string; prefixedKey: string; keyBytes: Uint8Array } {
    const prefixedKey = `${this.#prefix}/${key}`;
    return { ownerId: `${owner}#${randomSlug(this.#ctx.random)}`, prefixedKey, keyBytes: new TextEncoder().encode(prefixedKey) };
  }

  /** A new handle, tracked until it is released (for `close()`). */
  #hand(init: OwnershipInit): Ownership {
    const ownership = new Ownership(this.#ctx, { ...init, onReleased: (o) => this.#held.delete(o) });
    this.#held.add(ownership);
    return ownership;
  }

  /**
   * How many `own()` calls on this instance wait for `key` (strategies with
   * a local queue; always 0 otherwise, where each call waits on its own).
   */
  waiting(key: string): number {
    return this.#queues.get(`${this.#prefix}/${key}`)?.waiting ?? 0;
  }

  #queueFor(key: string, prefixedKey: string, keyBytes: Uint8Array): KeyQueue<Ownership> {
    let queue = this.#queues.get(prefixedKey);
    if (queue !== undefined) return queue;
    const ctx = this.#ctx;
    const created: KeyQueue<Ownership> = new KeyQueue<Ownership>({
      acquire: (claim, signal) => acquire(ctx, claim, { prefixedKey, keyBytes, ownerId: undefined }, signal),
      ownership: (ownerId, signal, acquired, hooks) => this.#hand({ owner: ownerId, key, prefixedKey, keyBytes, signal, ...acquired, hooks }),
      failure: (err, ownerId) =>
        err instanceof OwnError
          ? new OwnError(prefixedKey, ownerId, err.operation, err.attempt, { cause: err.cause })
          : err instanceof CorruptRecordError
            ? new CorruptRecordError(err.key, ownerId, err.value, { cause: err.cause })
            : err,
      idle: () => {
        if (this.#queues.get(prefixedKey) === created) this.#queues.delete(prefixedKey);
      },
    });
    queue = created;
    this.#queues.set(prefixedKey, queue);
    return queue;
  }

  /**
   * Owns `key` for `owner` (as {@link own}), runs `fn` with a signal that
   * aborts when the ownership is lost (see {@link Ownership.lost}), and
   * releases when `fn` settles, whatever happens.
   */
  async withOwnership<T>(
    owner: string,
    key: string,
    fn: (signal: AbortSignal, ownership: Ownership) => Promise<T>,
    options: OwnOptions = {},
  ): Promise<T> {
    const ownership = await this.own(owner, key, options);
    try {
      return await fn(ownership.lost, ownership);
    } finally {
      await ownership.release();
    }
  }
}

function positiveMs(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(
      `MostlyCorrectOwner: options.${name} must be a finite number of milliseconds > 0, got ${describeValue(value)}`,
    );
  }
  return value;
}

function nonNegativeMs(name: string, value: unknown, below: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value >= below) {
    throw new RangeError(`MostlyCorrectOwner: options.${name} must be a number of milliseconds in [0, refreshInterval), got ${describeValue(value)}`);
  }
  return value;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  return typeof value === 'string' ? JSON.stringify(value) : typeof value === 'number' ? String(value) : typeof value;
}
