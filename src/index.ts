/**
 * mostly-correct-owner: public API.
 */
export { MostlyCorrectOwner, DEFAULT_OWNER_OPTIONS } from './owner.js';
export type { MostlyCorrectOwnerOptions, OwnOptions } from './owner.js';
export { Ownership } from './ownership.js';
export { systemClock } from './clock.js';
export type { Clock } from './clock.js';
export { systemRandom, randomSlug, randomFloat, SLUG_LENGTH } from './random.js';
export type { RandomSource } from './random.js';
export { silentLogger } from './logger.js';
export type { Logger, LogFn, LogFields, LogLevel } from './logger.js';
export { PredicateFailedError, CorruptRecordError, OwnError, OwnerClosedError, StoreError, OwnershipLostError, isPredicateFailed } from './errors.js';
export type { LossReason } from './errors.js';
// RedisStore and PostgresStore: import from 'mostly-correct-owner/redis' and
// 'mostly-correct-owner/postgres', so that this entry needs neither ioredis nor pg.
export { MemoryStore, MemoryKV } from './store/memory.js';
export { valuePredicate, predicateValue, bytesEqual } from './store/store.js';
export { swapOverSetIf } from './store/set-if.js';
export type { SetIfStore, SwapOverSetIfOptions } from './store/set-if.js';
export type { Store, StoreEntry, Predicate, SwapOptions, SwapResult, Unsubscribe } from './store/store.js';
export { lakefsStrategy, jitteredInterval, sleepUntilExpiryMs, wallClockExpiry } from './strategies/lakefs.js';
export { fixedStrategy, pollDelayMs } from './strategies/fixed.js';
export { observedStrategy, observedExpiry } from './strategies/observed.js';
export { STRATEGIES } from './strategies/index.js';
export type { StrategyName } from './strategies/index.js';
export { defineStrategy, StrategyError } from './strategies/strategy.js';
export type { Strategy, AcquireRetryInput, ExpiryRule, ExpiryJudge, Judgement, SeenRecord, RefreshRule, ReleaseRule, HandoffRule } from './strategies/strategy.js';
export {
  OWNERSHIP_PARTITION,
  MostlyCorrectOwnershipSchema,
  encodeRecord,
  decodeRecord,
  newRecord,
  expiresMs,
  timestampFromMs,
  msFromTimestamp,
  quantizeMs,
  isoFromMs,
} from './record.js';
export type { MostlyCorrectOwnership } from './record.js';
