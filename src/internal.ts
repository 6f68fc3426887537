/**
 * `mostly-correct-owner/internal`: what the simulator (mostly-correct-owner-sim)
 * and the tests need beyond the public API. UNSTABLE: no semver promise,
 * anything here may change or go in any release. Applications import
 * `mostly-correct-owner` instead.
 */

// the synchronous core of MemoryStore, for a store that applies operations at an exact instant
export { MemoryKV } from './store/memory.js';
export { valuePredicate, predicateValue, bytesEqual } from './store/store.js';

// the ownership record: where it is stored and its wire format
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

// the strategies' decisions, one function each
export { jitteredInterval, sleepUntilExpiryMs, wallClockExpiry } from './strategies/lakefs.js';
export { pollDelayMs } from './strategies/fixed.js';
export { observedExpiry } from './strategies/observed.js';

// owner slugs and jitter from a random source
export { randomSlug, randomFloat, SLUG_LENGTH } from './random.js';
