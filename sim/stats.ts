/**
 * Statistics for reports: Wilson score intervals for rates, and percentiles.
 */

/** A rate with its 95% Wilson score interval. */
export interface Rate {
  value: number;
  low: number;
  high: number;
}

const Z95 = 1.959963984540054;

/** `successes / trials` with its 95% Wilson score interval; all zeros when there are no trials. */
export function wilson(successes: number, trials: number, z = Z95): Rate {
  if (trials === 0) return { value: 0, low: 0, high: 0 };
  const p = successes / trials;
  const z2 = z * z;
  const denom = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / denom;
  return { value: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** Nearest-rank percentile (`q` in [0, 1]) of `sorted` (ascending); undefined when empty. */
export function percentile(sorted: ArrayLike<number>, q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1];
}

/** Latency summary: p50, p99 and max (ms), or null without samples. */
export interface LatencySummary {
  p50: number;
  p99: number;
  max: number;
}

export function summarize(samples: readonly number[]): LatencySummary | null {
  return summarizeSorted(Float64Array.from(samples).sort()); // numeric order (samples are never NaN)
}

/** {@link summarize} of samples already in ascending order. */
export function summarizeSorted(sorted: ArrayLike<number>): LatencySummary | null {
  if (sorted.length === 0) return null;
  return { p50: round(percentile(sorted, 0.5)!), p99: round(percentile(sorted, 0.99)!), max: round(sorted[sorted.length - 1]!) };
}

/** Rounds to 1 µs so reports do not carry float noise. */
export function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
