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
import { abortable, linkSignal } from './abort.js';
import { ownerComment } from './comment.js';
import { systemClock, type Clock } from './clock.js';
import { OwnError, isPredicateFailed } from './errors.js';
import { bytesEqual, type Predicate, type StoreEntry, type SwapResult } from './store/store.js';
import { logs, silentLogger, type Logger } from './logger.js';
import { KeyQueue, type Acquired, type Claim } from './key-queue.js';
import { Ownership } from './ownership.js';
import { systemRandom, randomSlug, type RandomSource } from './random.js';
import { OWNERSHIP_PARTITION, decodeRecord, encodeRecord, expiresMs, newRecord, quantizeMs, type MostlyCorrectOwnership } from './record.js';
import type { Store } from './store/store.js';
import { fixedStrategy } from './strategies/fixed.js';
import type { Strategy } from './strategies/strategy.js';

/** Options of {@link MostlyCorrectOwner}. All durations are milliseconds. */
export interface MostlyCorrectOwnerOptions {
  /** Where ownership records live. Required. */
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
   * Whether to take the one-round-trip path on stores that offer `swap`
   * (`Store.swap`: the bundled `MemoryStore`, `RedisStore`, `PostgresStore`),
   * under strategies that `speculate` (`fixed`, `observed`; never `lakefs`).
   * Default `true`. An uncontended acquire, refresh and release then each
   * cost one store operation instead of two (a read and a SetIf), with the
   * same decisions; `false` forces `get` + `setIf`. See docs/strategies.md.
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

/** The settings every {@link Ownership} shares with its owner. */
export interface OwnerContext {
  readonly store: Store;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly logger: Logger;
  readonly strategy: Strategy;
  readonly acquireIntervalMs: number;
  readonly refreshIntervalMs: number;
  readonly lossMarginMs: number;
  /** The store's `swap` when the fast path is on (option, strategy and store allow it); else `undefined`. */
  readonly swap: SwapFn | undefined;
  /** Fast path: tells the owner what the store holds for a prefixed key (`undefined`: absent), for its next guess. */
  readonly remember: (prefixedKey: string, entry: StoreEntry | undefined) => void;
}

/** {@link Store.swap}, bound to its store. */
export type SwapFn = NonNullable<Store['swap']>;

const textEncoder = new TextEncoder();

/** Hands out mostly-correct ownership of keys; see the module comment. */
export class MostlyCorrectOwner {
  readonly #ctx: OwnerContext;
  readonly #prefix: string;
  /** Local waiters per prefixed key (strategies with `coalesce`). */
  readonly #queues = new Map<string, KeyQueue>();
  /** Fast path: the last entry known per prefixed key, oldest first (a Map keeps insertion order). */
  readonly #guesses = new Map<string, StoreEntry>();
  readonly #guessCap: number;

  constructor(options: MostlyCorrectOwnerOptions) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError('MostlyCorrectOwner: options must be an object with store, prefix, acquireInterval and refreshInterval');
    }
    if (options.store === null || typeof options.store !== 'object' || typeof options.store.setIf !== 'function') {
      throw new TypeError('MostlyCorrectOwner: options.store must be a Store (get, set, setIf, delete), e.g. new MemoryStore()');
    }
    if (typeof options.prefix !== 'string') {
      throw new TypeError(`MostlyCorrectOwner: options.prefix must be a string (may be empty), got ${typeof options.prefix}`);
    }
    const acquireIntervalMs = positiveMs('acquireInterval', options.acquireInterval);
    const refreshIntervalMs = positiveMs('refreshInterval', options.refreshInterval);
    const logger = options.logger ?? DEFAULT_OWNER_OPTIONS.logger;
    const strategy = options.strategy ?? DEFAULT_OWNER_OPTIONS.strategy;
    if (options.fastPath !== undefined && typeof options.fastPath !== 'boolean') {
      throw new TypeError(`MostlyCorrectOwner: options.fastPath must be true or false, got ${describeValue(options.fastPath)}`);
    }
    const fastPath = options.fastPath ?? DEFAULT_OWNER_OPTIONS.fastPath;
    const cap = options.fastPathCacheSize ?? DEFAULT_OWNER_OPTIONS.fastPathCacheSize;
    if (!Number.isInteger(cap) || cap < 0) {
      throw new RangeError(`MostlyCorrectOwner: options.fastPathCacheSize must be an integer ≥ 0, got ${describeValue(cap)}`);
    }
    this.#guessCap = cap;
    const store = options.store;
    const swap: SwapFn | undefined =
      fastPath && strategy.speculate && typeof store.swap === 'function' ? store.swap.bind(store) : undefined;
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
      swap,
      remember: (prefixedKey: string, entry: StoreEntry | undefined) => this.#remember(prefixedKey, entry),
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
    signal?.throwIfAborted();
    const ownerId = `${owner}#${randomSlug(this.#ctx.random)}`;
    const prefixedKey = `${this.#prefix}/${key}`;
    const keyBytes = textEncoder.encode(prefixedKey);
    if (this.#ctx.strategy.coalesce) return this.#queueFor(key, prefixedKey, keyBytes).enqueue(ownerId, signal);
    const acquired = await this.#acquire({ pick: () => ownerId, unpick: () => {} }, ownerId, prefixedKey, keyBytes, signal);
    return new Ownership(this.#ctx, { owner: ownerId, key, prefixedKey, keyBytes, signal, ...acquired });
  }

  /**
   * How many `own()` calls on this instance wait for `key` (strategies with
   * `coalesce`; always 0 otherwise, where each call waits on its own).
   */
  waiting(key: string): number {
    return this.#queues.get(`${this.#prefix}/${key}`)?.waiting ?? 0;
  }

  #queueFor(key: string, prefixedKey: string, keyBytes: Uint8Array): KeyQueue {
    let queue = this.#queues.get(prefixedKey);
    if (queue !== undefined) return queue;
    const ctx = this.#ctx;
    const created: KeyQueue = new KeyQueue({
      acquire: (claim, signal) => this.#acquire(claim, undefined, prefixedKey, keyBytes, signal),
      ownership: (ownerId, signal, acquired, hooks) =>
        new Ownership(ctx, { owner: ownerId, key, prefixedKey, keyBytes, signal, ...acquired, hooks }),
      failure: (err, ownerId) => (err instanceof OwnError ? new OwnError(prefixedKey, ownerId, err.operation, err.attempt, { cause: err.cause }) : err),
      idle: () => {
        if (this.#queues.get(prefixedKey) === created) this.#queues.delete(prefixedKey);
      },
    });
    queue = created;
    this.#queues.set(prefixedKey, queue);
    return queue;
  }

  /**
   * Owns `key`, runs `fn` with a signal that aborts when the ownership is lost
   * (see {@link Ownership.lost}), and releases when `fn` settles, whatever
   * happens. `options.owner` names the owner (default `"owner"`).
   */
  async withOwnership<T>(
    key: string,
    fn: (signal: AbortSignal, ownership: Ownership) => Promise<T>,
    options: OwnOptions & { owner?: string } = {},
  ): Promise<T> {
    const ownership = await this.own(options.owner ?? 'owner', key, options);
    try {
      return await fn(ownership.lost, ownership);
    } finally {
      await ownership.release();
    }
  }

  /**
   * The acquire loop: until a SetIf succeeds for the owner id `claim` picks.
   * `ownerId` is the owner whose `own()` runs it alone, or `undefined` for a
   * queue's poller (errors and logs then name the queue's head).
   */
  async #acquire(
    claim: Claim,
    ownerId: string | undefined,
    prefixedKey: string,
    keyBytes: Uint8Array,
    signal: AbortSignal | undefined,
  ): Promise<Acquired> {
    const { store, swap, clock, logger, strategy, random, acquireIntervalMs, refreshIntervalMs } = this.#ctx;
    const tracing = logs(logger, 'trace');
    const observed = strategy.expiry === 'observed';
    // observed expiry: the record last read and when (monotonic) it was first seen unchanged
    let seen: { value: Uint8Array; sinceMono: number } | undefined;
    const fields = {
      owner: ownerId ?? '(local queue)',
      prefixed_key: prefixedKey,
      acquire_interval: acquireIntervalMs,
      refresh_interval: refreshIntervalMs,
    };
    // push handoff: a release notification cuts the current sleep short. The
    // subscription is made only once this call has to wait (an uncontended
    // acquire costs no SUBSCRIBE/LISTEN), and the record is then read again at
    // once, so a release between the first read and the subscription is seen.
    const push = strategy.pushHandoff && store.watch !== undefined && store.notify !== undefined;
    let notified = false;
    let wake: AbortController | undefined;
    let unwatch: (() => void) | undefined;
    try {
      for (let attempt = 1; ; attempt++) {
        let sentAtMono = clock.monotonicNow();
        notified = false;
        let entry: StoreEntry | undefined;
        let haveRead = false;
        let outcome: 'held' | 'lost-race' = 'held';
        let candidateExpiresMs: number | undefined;
        let readExpiresMs: number | undefined;
        let retryNowMs = 0;
        // Fast path: decide on the guess (the record this process last wrote or read
        // here; absent when it knows none) as on a read of it, and when that decision
        // is "take it", write at once. The store compares with the guess, so a write
        // happens only when the guess was the stored record: the decision a read
        // would have led to. A wrong guess is answered with the record: a read.
        const guess = swap === undefined ? undefined : this.#guesses.get(prefixedKey);
        const guessRecord = guess === undefined ? undefined : tryDecode(guess.value, prefixedKey);
        const guessNowMs = quantizeMs(clock.now());
        if (
          swap !== undefined &&
          (guess === undefined ||
            (guessRecord !== undefined && (observed ? expiresMs(guessRecord) === 0 : expiresMs(guessRecord) < guessNowMs)))
        ) {
          const candidateOwner = claim.pick();
          const { bytes, token, expires } = this.#candidate(candidateOwner, guessRecord, guessNowMs);
          if (tracing) logger.trace(
            { ...fields, ownership: guess === undefined ? 'not owned' : 'expired', expires, now: guessNowMs, speculative: true },
            'Try to take ownership',
          );
          const result = await this.#swapCandidate(swap, keyBytes, bytes, guess?.predicate ?? null, signal, prefixedKey, candidateOwner, attempt);
          if (result.written !== undefined) {
            if (tracing) logger.trace(ownerId === undefined ? { ...fields, owner: candidateOwner } : fields, 'Got ownership');
            return { sentAtMono, token, written: result.written };
          }
          claim.unpick();
          if (sameEntry(result.current, guess)) {
            // the store answered from before a concurrent write that won (PostgreSQL's
            // snapshot): as a failed setIf after a read of the guess, a lost race
            outcome = 'lost-race';
            candidateExpiresMs = expires;
            readExpiresMs = guessRecord === undefined ? undefined : expiresMs(guessRecord);
            retryNowMs = observed ? clock.monotonicNow() : guessNowMs;
            seen = undefined;
          } else {
            entry = result.current;
            haveRead = true;
          }
        }
        if (outcome === 'held') {
          if (!haveRead) {
            sentAtMono = clock.monotonicNow();
            try {
              entry = await abortable(store.get(OWNERSHIP_PARTITION, keyBytes), signal);
            } catch (err) {
              throw signal?.aborted ? signal.reason : new OwnError(prefixedKey, ownerId ?? '(local queue)', 'get', attempt, { cause: err });
            }
            if (swap !== undefined) this.#remember(prefixedKey, entry);
          }
          const read: MostlyCorrectOwnership | undefined =
            entry === undefined ? undefined : decodeRecord(entry.value, prefixedKey, ownerId ?? '(local queue)');
          const nowMs = quantizeMs(clock.now());
          readExpiresMs = read === undefined ? undefined : expiresMs(read);
          let state: 'not owned' | 'expired' | 'owned';
          retryNowMs = nowMs;
          if (!observed) {
            // Go: checkOwnership — absent: not owned; `expires.Before(now)`: expired; else owned.
            state = read === undefined ? 'not owned' : readExpiresMs! < nowMs ? 'expired' : 'owned';
          } else if (read === undefined || entry === undefined) {
            state = 'not owned';
          } else if (readExpiresMs === 0) {
            state = 'expired'; // released: expires at the epoch
          } else {
            const monoNow = clock.monotonicNow();
            if (seen === undefined || !bytesEqual(seen.value, entry.value)) seen = { value: entry.value, sinceMono: monoNow };
            const leaseMs = read.leaseMs > 0 ? read.leaseMs : refreshIntervalMs;
            const endMono = seen.sinceMono + leaseMs;
            state = monoNow >= endMono ? 'expired' : 'owned';
            // the retry delay is computed on the monotonic clock for this strategy
            retryNowMs = monoNow;
            readExpiresMs = endMono;
          }
          if (state !== 'owned') {
            const candidateOwner = claim.pick();
            const { bytes, token, expires } = this.#candidate(candidateOwner, read, nowMs);
            candidateExpiresMs = expires;
            if (tracing) logger.trace({ ...fields, ownership: state, expires: candidateExpiresMs, now: nowMs }, 'Try to take ownership');
            if (swap === undefined) {
              try {
                await abortable(store.setIf(OWNERSHIP_PARTITION, keyBytes, bytes, entry?.predicate ?? null), signal);
                if (tracing) logger.trace(ownerId === undefined ? { ...fields, owner: candidateOwner } : fields, 'Got ownership');
                return { sentAtMono, token, written: undefined };
              } catch (err) {
                if (signal?.aborted) throw signal.reason;
                if (!isPredicateFailed(err)) throw new OwnError(prefixedKey, candidateOwner, 'setIf', attempt, { cause: err });
              }
            } else {
              const result = await this.#swapCandidate(swap, keyBytes, bytes, entry?.predicate ?? null, signal, prefixedKey, candidateOwner, attempt);
              if (result.written !== undefined) {
                if (tracing) logger.trace(ownerId === undefined ? { ...fields, owner: candidateOwner } : fields, 'Got ownership');
                return { sentAtMono, token, written: result.written };
              }
            }
            claim.unpick();
            outcome = 'lost-race';
            seen = undefined;
          }
        }
        const sleepMs = strategy.acquireRetryDelayMs({
          outcome,
          nowMs: retryNowMs,
          readExpiresMs,
          candidateExpiresMs,
          attempt,
          acquireIntervalMs,
          refreshIntervalMs,
          random,
        });
        if (tracing) logger.trace({ ...fields, sleep: sleepMs }, 'Still owned; try again soon');
        if (!push) {
          await clock.sleep(sleepMs, signal);
          continue;
        }
        if (unwatch === undefined) {
          unwatch = store.watch!(OWNERSHIP_PARTITION, keyBytes, () => {
            notified = true;
            wake?.abort();
          });
          continue; // subscribed: look again at once
        }
        if (notified) continue; // released while this attempt was in flight: retry at once
        if (await this.#sleepUnlessNotified(sleepMs, signal, (w) => (wake = w))) logger.trace(fields, 'Release notified; try again now');
        wake = undefined;
      }
    } finally {
      unwatch?.();
    }
  }

  /** The candidate record for `owner`, decided on `read` (the record read or guessed; absent: undefined) at `nowMs`. */
  #candidate(
    owner: string,
    read: MostlyCorrectOwnership | undefined,
    nowMs: number,
  ): { bytes: Uint8Array; token: bigint | undefined; expires: number } {
    const { strategy, refreshIntervalMs } = this.#ctx;
    const candidate = newRecord(owner, nowMs + refreshIntervalMs, ownerComment(owner, nowMs));
    const token = strategy.fencing ? (read?.token ?? 0n) + 1n : undefined;
    if (token !== undefined) {
      candidate.token = token;
      candidate.leaseMs = Math.round(refreshIntervalMs);
    }
    return { bytes: encodeRecord(candidate), token, expires: expiresMs(candidate) };
  }

  /**
   * Swaps the candidate `bytes` in for `expected` and
   * remembers the outcome as the key's next guess: what was written, or what
   * the store answered instead (`current`). Rejects with `signal.reason` when
   * it aborts, else with {@link OwnError} on a store failure.
   */
  async #swapCandidate(
    swap: SwapFn,
    keyBytes: Uint8Array,
    bytes: Uint8Array,
    expected: Predicate | null,
    signal: AbortSignal | undefined,
    prefixedKey: string,
    owner: string,
    attempt: number,
  ): Promise<{ written: StoreEntry; current?: never } | { written: undefined; current: StoreEntry | undefined }> {
    let result: SwapResult;
    try {
      result = await abortable(swap(OWNERSHIP_PARTITION, keyBytes, bytes, expected), signal);
    } catch (err) {
      throw signal?.aborted ? signal.reason : new OwnError(prefixedKey, owner, 'swap', attempt, { cause: err });
    }
    if (result.swapped) {
      const written = { value: bytes, predicate: result.predicate };
      this.#remember(prefixedKey, written);
      return { written };
    }
    this.#remember(prefixedKey, result.current);
    return { written: undefined, current: result.current };
  }

  /**
   * Remembers what the store holds for `prefixedKey` (`undefined`: absent),
   * evicting the oldest entry beyond the cap. The value is copied: the next
   * acquire decides on these bytes, so nothing the caller or the store does
   * to its arrays afterwards can change that decision.
   */
  #remember(prefixedKey: string, entry: StoreEntry | undefined): void {
    this.#guesses.delete(prefixedKey);
    if (entry === undefined) return; // absent is what an unknown key is guessed to be anyway
    this.#guesses.set(prefixedKey, { value: entry.value.slice(), predicate: entry.predicate });
    if (this.#guesses.size > this.#guessCap) this.#guesses.delete(this.#guesses.keys().next().value!);
  }

  /**
   * Sleeps `ms`, or less when a notification aborts the controller handed to
   * `expose` (then resolves `true`); rejects only when `signal` aborts. Leaves
   * no timer and no listener behind.
   */
  async #sleepUnlessNotified(ms: number, signal: AbortSignal | undefined, expose: (wake: AbortController) => void): Promise<boolean> {
    signal?.throwIfAborted();
    const wake = new AbortController();
    expose(wake);
    const detach = linkSignal(signal, wake);
    try {
      await this.#ctx.clock.sleep(ms, wake.signal);
      return false;
    } catch (err) {
      signal?.throwIfAborted();
      if (!wake.signal.aborted) throw err;
      return true;
    } finally {
      detach();
    }
  }
}

/** The record in `value`, or `undefined` when it is not one (a guess that cannot be decided on). */
function tryDecode(value: Uint8Array, prefixedKey: string): MostlyCorrectOwnership | undefined {
  try {
    return decodeRecord(value, prefixedKey);
  } catch {
    return undefined;
  }
}

/** Whether two answers name the same stored state (both absent, or equal bytes). */
function sameEntry(a: StoreEntry | undefined, b: StoreEntry | undefined): boolean {
  return a === undefined || b === undefined ? a === b : bytesEqual(a.value, b.value);
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
