/**
 * Fault model: late timers. Each timer of a node fires late by a delay drawn
 * from a distribution (an overloaded event loop, coarse timer resolution, a
 * throttled container). Applies to every sleep of the production code: refresh
 * ticks and acquire back-offs alike, and to the workload's think/hold timers.
 * Limits: a timer is never early; lateness draws are independent.
 */
import { isZero, sample, type Distribution } from '../dist.js';
import type { Prng } from '../prng.js';

/** A function drawing each timer's lateness (ms) from `dist` with `rng` (through `draw` when importance sampling tilts it). */
export function timerLateness(dist: Distribution, rng: Prng, draw?: (rng: Prng) => number): () => number {
  if (draw !== undefined) return () => draw(rng);
  if (isZero(dist)) return () => 0;
  return () => sample(dist, rng);
}
