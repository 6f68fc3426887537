/**
 * Which engine runs a simulation. Both are exact and deliver the same events
 * in the same order (same trace hash, same report): `reference`
 * ({@link Engine}: one `setImmediate` turn per event that can resume code,
 * simple and obviously exact) and `fast` ({@link FastEngine}: quiescence
 * detected from Node's queue order, no event-loop turn per event). The
 * equivalence test (test/sim/engine-equivalence.test.ts) runs both on every
 * scenario of the library.
 */
import { Engine, type EngineOptions } from './engine.js';
import { FastEngine } from './fast-engine.js';

export type EngineKind = 'reference' | 'fast';

export const ENGINE_KINDS: readonly EngineKind[] = Object.freeze(['reference', 'fast']);

/** The engine used when none is named. */
export const DEFAULT_ENGINE: EngineKind = 'fast';

/** A new engine of kind `kind`. */
export function createEngine(kind: EngineKind, options: EngineOptions): Engine {
  return kind === 'fast' ? new FastEngine(options) : new Engine(options);
}
