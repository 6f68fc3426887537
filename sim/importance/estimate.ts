/**
 * Estimates from importance-sampled runs. Each run i carries its likelihood
 * ratio w_i (sim/importance/tilt.ts), so for any per-run quantity X,
 * (1/n)·Σ w_i·X_i estimates E_p[X] under the scenario itself, unbiased, and
 * Σ w_i·V_i / Σ w_i·A_i estimates a ratio of such means (violations per
 * acquisition, violations per hour held). The intervals are the CLT's on
 * those weighted means (the delta method for ratios), checked by a
 * bootstrap over runs; both are only as good as the sample of weights, which
 * the diagnostics describe: effective sample sizes and the share of the
 * largest weight in the estimate.
 */
import { stream } from '../prng.js';

/** What an estimate needs of one run. */
export interface WeightedRun {
  logWeight: number;
  violations: number;
  acquisitions: number;
  heldMs: number;
}

/** An estimate with its 95% interval; `relHalfWidth` is (high − low) / 2 / value (Infinity at 0). */
export interface Interval {
  value: number;
  low: number;
  high: number;
  relHalfWidth: number;
}

export interface ImportanceEstimate {
  runs: number;
  /** Runs with a violation under the proposal (unweighted). */
  runsWithViolation: number;
  /** P(a run has a violation) under the scenario. */
  violationRate: Interval;
  /** Violations per acquisition under the scenario (ratio estimator). */
  perAcquisitionViolationRate: Interval;
  /** Violations per hour of holding under the scenario (ratio estimator). */
  violationsPerHeldHour: Interval;
  /** Percentile bootstrap (runs resampled) of the same three estimators. */
  bootstrap: { replicates: number; violationRate: [number, number]; perAcquisitionViolationRate: [number, number]; violationsPerHeldHour: [number, number] };
  /** (Σw)²/Σw² over all runs. */
  ess: number;
  /** The same over the weighted violation counts w_i·V_i: how many runs the estimate effectively rests on. */
  essViolations: number;
  /** Largest w_i·V_i / Σ w_i·V_i: the share of the estimate carried by one run. */
  maxWeightShare: number;
  /** Mean weight: 1 in expectation under any valid proposal; far from 1 says the weights are not yet sampled well. */
  meanWeight: number;
  /** Why the estimate should not be trusted, if it should not. */
  warnings: string[];
}

const Z95 = 1.959963984540054;

/** Below this many effective runs behind the violations an estimate gets a warning. */
export const MIN_ESS_VIOLATIONS = 30;
/** Above this share of one run in the estimate it gets a warning. */
export const MAX_WEIGHT_SHARE = 0.1;

/**
 * The weighted estimates of `runs`. `bootstrapSeed` seeds the bootstrap's
 * resampling (the same runs and seed give the same intervals).
 */
export function estimate(runs: readonly WeightedRun[], bootstrapSeed: number, replicates = 1000): ImportanceEstimate {
  const n = runs.length;
  const w = runs.map((r) => Math.exp(r.logWeight));
  const wv = runs.map((r, i) => w[i]! * r.violations);
  const wa = runs.map((r, i) => w[i]! * r.acquisitions);
  const wh = runs.map((r, i) => (w[i]! * r.heldMs) / 3_600_000);
  const wi = runs.map((r, i) => (r.violations > 0 ? w[i]! : 0));
  const sumV = sum(wv);
  const runsWithViolation = runs.filter((r) => r.violations > 0).length;
  const result: ImportanceEstimate = {
    runs: n,
    runsWithViolation,
    violationRate: meanInterval(wi),
    perAcquisitionViolationRate: ratioInterval(wv, wa),
    violationsPerHeldHour: ratioInterval(wv, wh),
    bootstrap: bootstrap(wi, wv, wa, wh, bootstrapSeed, n === 0 ? 0 : Math.max(100, Math.min(replicates, Math.floor(5e7 / n)))),
    ess: essOf(w),
    essViolations: essOf(wv),
    maxWeightShare: sumV > 0 ? Math.max(...wv) / sumV : 0,
    meanWeight: n === 0 ? 0 : sum(w) / n,
    warnings: [],
  };
  if (runsWithViolation === 0) result.warnings.push('no run had a violation: the estimate is 0 and bounds nothing; tilt further (--importance auto) or run more seeds');
  else {
    if (result.essViolations < MIN_ESS_VIOLATIONS) result.warnings.push(`the estimate rests on ${result.essViolations.toFixed(1)} effective runs (< ${MIN_ESS_VIOLATIONS}): its interval is not reliable; run more seeds or choose a closer proposal`);
    if (result.maxWeightShare > MAX_WEIGHT_SHARE) result.warnings.push(`one run carries ${(result.maxWeightShare * 100).toFixed(0)}% of the estimate: a few heavy weights dominate; the proposal tilts too far or misses a cause`);
  }
  return result;
}

function sum(xs: readonly number[]): number {
  let t = 0;
  for (const x of xs) t += x;
  return t;
}

function essOf(w: readonly number[]): number {
  let s = 0;
  let s2 = 0;
  for (const x of w) {
    s += x;
    s2 += x * x;
  }
  return s2 === 0 ? 0 : (s * s) / s2;
}

function interval(value: number, half: number): Interval {
  return { value, low: Math.max(0, value - half), high: value + half, relHalfWidth: value > 0 ? half / value : Infinity };
}

/** Mean of `y` with the CLT interval. */
function meanInterval(y: readonly number[]): Interval {
  const n = y.length;
  if (n < 2) return interval(n === 1 ? y[0]! : 0, Infinity);
  const m = sum(y) / n;
  let ss = 0;
  for (const v of y) ss += (v - m) ** 2;
  return interval(m, Z95 * Math.sqrt(ss / (n - 1) / n));
}

/** Σy/Σx with the delta-method interval: Var ≈ s²(y − R·x) / (n·x̄²). */
function ratioInterval(y: readonly number[], x: readonly number[]): Interval {
  const n = y.length;
  const sx = sum(x);
  if (n < 2 || sx === 0) return interval(0, Infinity);
  const r = sum(y) / sx;
  const xbar = sx / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (y[i]! - r * x[i]!) ** 2;
  return interval(r, (Z95 * Math.sqrt(ss / (n - 1) / n)) / xbar);
}

function bootstrap(wi: readonly number[], wv: readonly number[], wa: readonly number[], wh: readonly number[], seed: number, replicates: number): ImportanceEstimate['bootstrap'] {
  const n = wi.length;
  const rng = stream(seed, 'importance:bootstrap');
  const p: number[] = [];
  const pa: number[] = [];
  const ph: number[] = [];
  for (let b = 0; b < replicates; b++) {
    let si = 0;
    let sv = 0;
    let sa = 0;
    let sh = 0;
    for (let k = 0; k < n; k++) {
      const j = Math.floor(rng.next() * n);
      si += wi[j]!;
      sv += wv[j]!;
      sa += wa[j]!;
      sh += wh[j]!;
    }
    p.push(si / n);
    pa.push(sa === 0 ? 0 : sv / sa);
    ph.push(sh === 0 ? 0 : sv / sh);
  }
  const q = (xs: number[]): [number, number] => {
    if (xs.length === 0) return [0, 0];
    xs.sort((a, b) => a - b);
    return [xs[Math.floor(0.025 * (xs.length - 1))]!, xs[Math.ceil(0.975 * (xs.length - 1))]!];
  };
  return { replicates, violationRate: q(p), perAcquisitionViolationRate: q(pa), violationsPerHeldHour: q(ph) };
}
