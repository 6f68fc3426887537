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
import { abortable } from './abort.js';
import { systemClock, type Clock } from './clock.js';
import { OwnError, isPredicateFailed } from './errors.js';
import { bytesEqual } from './store/store.js';
import { logs, silentLogger, type Logger } from './logger.js';
import { KeyQueue, type Acquired, type Claim } from './key-queue.js';
import { Ownership } from './ownership.js';
import { systemRandom, randomSlug, type RandomSource } from './random.js';
import {
  OWNERSHIP_PARTITION,
  decodeRecord,
  encodeRecord,
  expiresMs,
  isoFromMs,
  newRecord,
  quantizeMs,
  type MostlyCorrectOwnership,
} from './record.js';
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
}

/** Defaults for the optional fields of {@link MostlyCorrectOwnerOptions}. */
export const DEFAULT_OWNER_OPTIONS: Readonly<
  Required<Pick<MostlyCorrectOwnerOptions, 'logger' | 'clock' | 'random' | 'strategy'>>
> = Object.freeze({
  logger: silentLogger,
  clock: systemClock,
  random: systemRandom,
  strategy: fixedStrategy,
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
}

const textEncoder = new TextEncoder();

/** Aborts a waiter's sleep when a release notification arrives. */
const NOTIFIED = Object.freeze({ name: 'Notified', message: 'release notification' });

/** Hands out mostly-correct ownership of keys; see the module comment. */
export class MostlyCorrectOwner {
  readonly #ctx: OwnerContext;
  readonly #prefix: string;
  /** Local waiters per prefixed key (strategies with `coalesce`). */
  readonly #queues = new Map<string, KeyQueue>();

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
    this.#prefix = options.prefix;
    this.#ctx = Object.freeze({
      store: options.store,
      clock: options.clock ?? DEFAULT_OWNER_OPTIONS.clock,
      random: options.random ?? DEFAULT_OWNER_OPTIONS.random,
      logger,
      strategy: options.strategy ?? DEFAULT_OWNER_OPTIONS.strategy,
      acquireIntervalMs,
      refreshIntervalMs,
      lossMarginMs: options.lossMargin === undefined ? refreshIntervalMs / 4 : nonNegativeMs('lossMargin', options.lossMargin, refreshIntervalMs),
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
    const { store, clock, logger, strategy, random, acquireIntervalMs, refreshIntervalMs } = this.#ctx;
    const observed = strategy.expiry === 'observed';
    // observed expiry: the record last read and when (monotonic) it was first seen unchanged
    let seen: { value: Uint8Array; sinceMono: number } | undefined;
    const tracing = logs(logger, 'trace');
    const fields = {
      owner: ownerId ?? '(local queue)',
      prefixed_key: prefixedKey,
      acquire_interval: acquireIntervalMs,
      refresh_interval: refreshIntervalMs,
    };
    // push handoff: a release notification cuts the current sleep short
    const push = strategy.pushHandoff && store.watch !== undefined && store.notify !== undefined;
    let notified = false;
    let wake: AbortController | undefined;
    const unwatch = push
      ? store.watch!(OWNERSHIP_PARTITION, keyBytes, () => {
          notified = true;
          wake?.abort(NOTIFIED);
        })
      : undefined;
    try {
      for (let attempt = 1; ; attempt++) {
        let entry;
        const sentAtMono = clock.monotonicNow();
        notified = false;
        try {
          entry = await abortable(store.get(OWNERSHIP_PARTITION, keyBytes), signal);
        } catch (err) {
          throw signal?.aborted ? signal.reason : new OwnError(prefixedKey, ownerId ?? '(local queue)', 'get', attempt, { cause: err });
        }
        const read: MostlyCorrectOwnership | undefined =
          entry === undefined ? undefined : decodeRecord(entry.value, prefixedKey, ownerId ?? '(local queue)');
        const nowMs = quantizeMs(clock.now());
        let readExpiresMs = read === undefined ? undefined : expiresMs(read);
        let state: 'not owned' | 'expired' | 'owned';
        let retryNowMs = nowMs;
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
        let candidateExpiresMs: number | undefined;
        let outcome: 'held' | 'lost-race' = 'held';
        if (state !== 'owned') {
          const candidateOwner = claim.pick();
          const candidate = newRecord(candidateOwner, nowMs + refreshIntervalMs, `${candidateOwner}@${isoFromMs(nowMs)}`);
          const token = strategy.fencing ? (read?.token ?? 0n) + 1n : undefined;
          if (token !== undefined) {
            candidate.token = token;
            candidate.leaseMs = Math.round(refreshIntervalMs);
          }
          candidateExpiresMs = expiresMs(candidate);
          if (tracing) logger.trace({ ...fields, ownership: state, expires: candidateExpiresMs, now: nowMs }, 'Try to take ownership');
          try {
            await abortable(store.setIf(OWNERSHIP_PARTITION, keyBytes, encodeRecord(candidate), entry?.predicate ?? null), signal);
            if (tracing) logger.trace(ownerId === undefined ? { ...fields, owner: candidateOwner } : fields, 'Got ownership');
            return { sentAtMono, token };
          } catch (err) {
            if (signal?.aborted) throw signal.reason;
            if (!isPredicateFailed(err)) throw new OwnError(prefixedKey, candidateOwner, 'setIf', attempt, { cause: err });
          }
          claim.unpick();
          outcome = 'lost-race';
          seen = undefined;
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
        if (notified) continue; // released while this attempt was in flight: retry at once
        if (await this.#sleepUnlessNotified(sleepMs, signal, (ac) => (wake = ac))) logger.trace(fields, 'Release notified; try again now');
        wake = undefined;
      }
    } finally {
      unwatch?.();
    }
  }

  /**
   * Sleeps `ms`, or less when a notification aborts the controller handed to
   * `expose` (then resolves `true`); rejects only when `signal` aborts. Leaves
   * no timer and no listener behind.
   */
  async #sleepUnlessNotified(ms: number, signal: AbortSignal | undefined, expose: (ac: AbortController) => void): Promise<boolean> {
    signal?.throwIfAborted();
    const ac = new AbortController();
    expose(ac);
    const onAbort = (): void => ac.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await this.#ctx.clock.sleep(ms, ac.signal);
      return false;
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (ac.signal.reason !== NOTIFIED) throw err;
      return true;
    } finally {
      signal?.removeEventListener('abort', onAbort);
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
