/**
 * The bootstrap over runs. Acquisitions within one run are not independent
 * (one skewed clock or one long pause causes many steals), runs are: so the
 * intervals of per-acquisition rates and latency quantiles resample whole
 * runs (with replacement, as many as there were) and take the 2.5% and 97.5%
 * percentiles of the statistic over the resamples (percentile bootstrap).
 * The resampling stream is seeded from the seed range, so a report's
 * intervals depend only on its seeds' results: the same on any worker count,
 * and after `mco merge`.
 */
import { hashString, sfc32, type Prng } from './prng.js';

/** Resamples per interval or paired test. */
export const RESAMPLES = 2000;

/** The resampling stream of the runs of seeds `seedStart … seedStart + count − 1`. */
export function bootstrapStream(seedStart: number, count: number): Prng {
  return sfc32(hashString(`bootstrap over runs ${seedStart}+${count}`), hashString(String(seedStart), count >>> 0));
}

/** Fills `weights` with how often each of its runs is drawn in one resample. */
export function resample(rng: Prng, weights: Int32Array): void {
  const n = weights.length;
  weights.fill(0);
  for (let i = 0; i < n; i++) weights[Math.floor(rng.next() * n)]!++;
}

/** The 95% percentile interval of bootstrap replicates (sorted in place; NaN replicates, from empty resamples, left out). */
export function percentileInterval(replicates: number[]): { low: number; high: number } | null {
  const xs = replicates.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const lo = Math.floor(0.025 * xs.length);
  const hi = Math.max(lo, Math.ceil(0.975 * xs.length) - 1);
  return { low: xs[lo]!, high: xs[hi]! };
}

/**
 * Samples of many runs (e.g. acquire latencies), sorted once, so that the
 * nearest-rank quantile of a resample (runs weighted by how often they were
 * drawn) is one walk instead of a sort.
 */
export class RunSamples {
  readonly #values: Float64Array;
  readonly #run: Int32Array;
  readonly #lengths: Int32Array;

  constructor(perRun: readonly (readonly number[])[]) {
    const all: { v: number; r: number }[] = [];
    perRun.forEach((xs, r) => {
      for (const v of xs) all.push({ v, r });
    });
    all.sort((a, b) => a.v - b.v || a.r - b.r);
    this.#values = Float64Array.from(all, (x) => x.v);
    this.#run = Int32Array.from(all, (x) => x.r);
    this.#lengths = Int32Array.from(perRun, (xs) => xs.length);
  }

  get size(): number {
    return this.#values.length;
  }

  /** Nearest-rank quantile `q` of the samples of the runs weighted by `weights`; NaN when the resample has none. */
  quantile(weights: Int32Array, q: number): number {
    let total = 0;
    for (let r = 0; r < this.#lengths.length; r++) total += weights[r]! * this.#lengths[r]!;
    if (total === 0) return NaN;
    const rank = Math.min(total, Math.max(1, Math.ceil(q * total)));
    const values = this.#values;
    const run = this.#run;
    if (rank <= total / 2) {
      let seen = 0;
      for (let i = 0; i < values.length; i++) {
        seen += weights[run[i]!]!;
        if (seen >= rank) return values[i]!;
      }
    } else {
      // from the top: high quantiles only walk the tail
      const fromTop = total - rank + 1;
      let seen = 0;
      for (let i = values.length - 1; i >= 0; i--) {
        seen += weights[run[i]!]!;
        if (seen >= fromTop) return values[i]!;
      }
    }
    return NaN;
  }
}

/** Σ num / Σ den over the runs weighted by `weights`; NaN when Σ den is 0. */
export function weightedRatio(weights: Int32Array, num: ArrayLike<number>, den: ArrayLike<number>): number {
  let n = 0;
  let d = 0;
  for (let r = 0; r < weights.length; r++) {
    const w = weights[r]!;
    if (w === 0) continue;
    n += w * num[r]!;
    d += w * den[r]!;
  }
  return d === 0 ? NaN : n / d;
}
