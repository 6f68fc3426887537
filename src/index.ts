/**
 * mostly-correct-owner: the public API, all of it.
 *
 * The Redis and PostgreSQL stores are separate entry points,
 * `mostly-correct-owner/redis` and `mostly-correct-owner/postgres`, so that
 * this one needs neither ioredis nor pg. What the simulator needs beyond this
 * (the synchronous memory map, the record codec, the strategies' helpers) is
 * `mostly-correct-owner/internal`: unstable, no semver promise.
 */

// the owner, its options, and the handle of one ownership
export { MostlyCorrectOwner, DEFAULT_OWNER_OPTIONS } from './owner.js';
export type { MostlyCorrectOwnerOptions, OwnOptions } from './owner.js';
export { Ownership } from './ownership.js';

// errors: each has a `name`, a `cause` where there is one, and the key/owner it is about
export { OwnError, OwnerClosedError, OwnershipLostError, StoreError, PredicateFailedError, CorruptRecordError, isPredicateFailed } from './errors.js';
export type { LossReason } from './errors.js';

// the store contract (get + swap), the adapter for SetIf-only stores, the in-process store
export type { Store, StoreEntry, Predicate, SwapOptions, SwapResult, Unsubscribe } from './store/store.js';
export { swapOverSetIf } from './store/set-if.js';
export type { SetIfStore, SwapOverSetIfOptions } from './store/set-if.js';
export { MemoryStore } from './store/memory.js';

// strategies: the bundled ones, and the rules a new one is made of
export { lakefsStrategy } from './strategies/lakefs.js';
export { fixedStrategy } from './strategies/fixed.js';
export { observedStrategy } from './strategies/observed.js';
export { STRATEGIES } from './strategies/index.js';
export type { StrategyName } from './strategies/index.js';
export { defineStrategy, StrategyError } from './strategies/strategy.js';
export type { Strategy, AcquireRetryInput, ExpiryRule, ExpiryJudge, Judgement, SeenRecord, RefreshRule, ReleaseRule, HandoffRule } from './strategies/strategy.js';

// the seams: time, randomness, logging
export { systemClock } from './clock.js';
export type { Clock } from './clock.js';
export { systemRandom } from './random.js';
export type { RandomSource } from './random.js';
export { silentLogger } from './logger.js';
export type { Logger, LogFn, LogFields, LogLevel } from './logger.js';
