/**
 * Distributions of durations (ms) used by scenarios: constant, uniform,
 * exponential (by mean) and lognormal (by median and 99th percentile).
 */
import type { Prng } from './prng.js';

export type Distribution =
  | { dist: 'constant'; value: number }
  | { dist: 'uniform'; min: number; max: number }
  | { dist: 'exponential'; mean: number }
  | { dist: 'lognormal'; median: number; p99: number };

/** z-score of the 99th percentile of a standard normal. */
const Z99 = 2.3263478740408408;

/** Draws one sample from `d` using `rng`. Never negative. */
export function sample(d: Distribution, rng: Prng): number {
  switch (d.dist) {
    case 'constant':
      return d.value;
    case 'uniform':
      return d.min + (d.max - d.min) * rng.next();
    case 'exponential':
      return d.mean === 0 ? 0 : -d.mean * Math.log(1 - rng.next());
    case 'lognormal': {
      if (d.median === 0) return 0;
      const mu = Math.log(d.median);
      const sigma = (Math.log(d.p99) - mu) / Z99;
      return Math.exp(mu + sigma * standardNormal(rng));
    }
  }
}

/** Largest value `d` can produce (Infinity for unbounded tails), used for bounds. */
export function upperBound(d: Distribution): number {
  switch (d.dist) {
    case 'constant':
      return d.value;
    case 'uniform':
      return d.max;
    case 'exponential':
      return d.mean === 0 ? 0 : Infinity;
    case 'lognormal':
      return d.median === 0 ? 0 : Infinity;
  }
}

/** True when `d` always yields 0. */
export function isZero(d: Distribution): boolean {
  return upperBound(d) === 0;
}

/** Box-Muller; draws two uniforms per call (deterministic per stream). */
function standardNormal(rng: Prng): number {
  const u1 = 1 - rng.next();
  const u2 = rng.next();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

export const ZERO: Distribution = Object.freeze({ dist: 'constant', value: 0 });
