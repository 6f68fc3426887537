/**
 * Poisson arrivals for fault schedules: exponential gaps with mean
 * 1000 / ratePerSecond ms, from true time 0 until `durationMs`. `make` is
 * called at each arrival, between gap draws, so it may draw from the same
 * stream (a pause duration) without changing the arrival sequence's order.
 */
import type { Prng } from '../prng.js';

export function poissonArrivals<T>(ratePerSecond: number, durationMs: number, rng: Prng, make: (at: number) => T): T[] {
  const out: T[] = [];
  if (ratePerSecond <= 0) return out;
  const meanGapMs = 1000 / ratePerSecond;
  const gap = (): number => -meanGapMs * Math.log(1 - rng.next());
  for (let t = gap(); t < durationMs; t += gap()) out.push(make(t));
  return out;
}
