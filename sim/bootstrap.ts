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
 * Index cells (one Int32 each) a {@link RunSamples} may spend on its block
 * index: 2^21 (8 MB), whatever the number of runs and samples.
 */
const INDEX_CELLS = 1 << 21;

/**
 * Samples of many runs (e.g. acquire latencies), sorted once by (value, run),
 * so that the nearest-rank quantile of a resample (runs weighted by how often
 * they were drawn) needs no sort. The sorted samples are cut into blocks, and
 * for each block boundary the index keeps how many samples of each run lie
 * before it; a quantile is a binary search over the boundaries (the weighted
 * count before a boundary is one pass over the runs) and a walk inside one
 * block. The answer is exactly that of walking all the samples: integer
 * counts, no rounding.
 */
export class RunSamples {
  readonly #values: Float64Array;
  readonly #run: Int32Array;
  readonly #lengths: Int32Array;
  readonly #block: number;
  /** `#before[b * runs + r]`: samples of run `r` among the first `b * #block` sorted samples. */
  readonly #before: Int32Array;

  /** @param blockSize samples per block (default: as small as the index budget allows; tests pass small ones) */
  constructor(perRun: readonly (readonly number[])[], blockSize?: number) {
    const runs = perRun.length;
    this.#lengths = Int32Array.from(perRun, (xs) => xs.length);
    let n = 0;
    for (const xs of perRun) n += xs.length;
    this.#values = new Float64Array(n);
    this.#run = new Int32Array(n);
    mergeRuns(perRun, this.#values, this.#run);
    const block = Math.max(1, blockSize ?? Math.max(64, Math.ceil((n * Math.max(1, runs)) / INDEX_CELLS)));
    this.#block = block;
    const boundaries = Math.floor(n / block) + 1;
    const before = new Int32Array(boundaries * runs);
    const counts = new Int32Array(runs);
    for (let b = 1; b < boundaries; b++) {
      for (let i = (b - 1) * block; i < b * block; i++) counts[this.#run[i]!]!++;
      before.set(counts, b * runs);
    }
    this.#before = before;
  }

  get size(): number {
    return this.#values.length;
  }

  /** Every sample, ascending (the caller must not change them). */
  get sorted(): Float64Array {
    return this.#values;
  }

  /** Nearest-rank quantile `q` of the samples of the runs weighted by `weights`; NaN when the resample has none. */
  quantile(weights: Int32Array, q: number): number {
    const runs = this.#lengths.length;
    let total = 0;
    for (let r = 0; r < runs; r++) total += weights[r]! * this.#lengths[r]!;
    if (total === 0) return NaN;
    const rank = Math.min(total, Math.max(1, Math.ceil(q * total)));
    // the last boundary with fewer than `rank` weighted samples before it (boundary 0 has none)
    const before = this.#before;
    let lo = 0;
    let seenLo = 0;
    let hi = before.length / Math.max(1, runs) - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      let seen = 0;
      const base = mid * runs;
      for (let r = 0; r < runs; r++) seen += weights[r]! * before[base + r]!;
      if (seen < rank) {
        lo = mid;
        seenLo = seen;
      } else {
        hi = mid - 1;
      }
    }
    const values = this.#values;
    const run = this.#run;
    let seen = seenLo;
    for (let i = lo * this.#block; i < values.length; i++) {
      seen += weights[run[i]!]!;
      if (seen >= rank) return values[i]!;
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

/**
 * All samples of `perRun` into `values` (ascending) and `run` (whose they
 * are), ties in run order: each run sorted on its own, then merged through a
 * binary heap of the runs' heads.
 */
function mergeRuns(perRun: readonly (readonly number[])[], values: Float64Array, run: Int32Array): void {
  const sorted = perRun.map((xs) => Float64Array.from(xs).sort());
  const at = new Int32Array(perRun.length);
  // the heap holds run indices; `head[r]` is run r's next value
  const head = new Float64Array(perRun.length);
  const heap = new Int32Array(perRun.length);
  let size = 0;
  const less = (a: number, b: number): boolean => head[a]! < head[b]! || (head[a] === head[b] && a < b);
  const down = (top: number): void => {
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) break;
      const c = l + 1 < size && less(heap[l + 1]!, heap[l]!) ? l + 1 : l;
      if (!less(heap[c]!, top)) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = top;
  };
  // runs in index order with their first values: sift each up
  sorted.forEach((xs, r) => {
    if (xs.length === 0) return;
    head[r] = xs[0]!;
    let i = size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(r, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = r;
  });
  for (let k = 0; size > 0; k++) {
    const r = heap[0]!;
    const xs = sorted[r]!;
    values[k] = head[r]!;
    run[k] = r;
    const next = ++at[r]!;
    if (next < xs.length) {
      head[r] = xs[next]!;
      down(r);
    } else if (--size > 0) {
      down(heap[size]!);
    }
  }
}
