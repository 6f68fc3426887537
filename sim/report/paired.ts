/**
 * Paired tests: `mco compare` and `mco check` run both sides on the same
 * seeds, and a seed's runs under two strategies (or two versions of the code)
 * share their faults, clocks and workload. Comparing seed by seed removes the
 * between-seed variance, which for violations is most of it: a skewed clock
 * makes every strategy steal in that seed.
 * - Runs with a violation: McNemar's test, exact (binomial on the discordant
 *   seeds: violated on one side only).
 * - Per-acquisition rate and latency quantiles: the paired bootstrap —
 *   resample seeds (both sides of a seed together), take the difference of
 *   the statistic; 95% percentile interval and a bootstrap p-value.
 * The unpaired tests these replace (two-proportion z; the cluster-ratio z that
 * `mco live --compare` uses, where the two sides are different runs) stay in
 * stats.ts.
 */
import { bootstrapStream, percentileInterval, RESAMPLES, resample, RunSamples, weightedRatio } from '../bootstrap.js';
import type { SeedRecord } from './seed-record.js';

/** Exact binomial tail P(X ≤ k) for X ~ Bin(n, 1/2). */
export function binomialHalfCdf(k: number, n: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  let lnC = 0; // ln C(n, 0)
  let total = 0;
  const ln2n = n * Math.LN2;
  for (let i = 0; i <= k; i++) {
    total += Math.exp(lnC - ln2n);
    lnC += Math.log(n - i) - Math.log(i + 1);
  }
  return Math.min(1, total);
}

/**
 * McNemar's exact test on `b` seeds where only the first side violated and
 * `c` where only the second did: the two-sided p, and the one-sided p of
 * "the second side violates more often" (P(X ≥ c), X ~ Bin(b + c, 1/2)).
 */
export function mcnemar(b: number, c: number): { p: number; pGreater: number } {
  const n = b + c;
  if (n === 0) return { p: 1, pGreater: 1 };
  return { p: Math.min(1, 2 * binomialHalfCdf(Math.min(b, c), n)), pGreater: 1 - binomialHalfCdf(c - 1, n) };
}

/** What the paired tests read of a run: a full record, or a baseline's per-run counts (`perRun`). */
export type PairedRecord = Pick<SeedRecord, 'seed' | 'violations' | 'acquisitions'> & Partial<Pick<SeedRecord, 'acquireLatenciesMs' | 'handoffsMs' | 'failoversMs'>>;

/** The seeds both sides ran, with each side's record (in seed order). */
export function pairBySeed<R extends PairedRecord>(a: readonly R[], b: readonly R[]): { a: R[]; b: R[] } {
  const bySeed = new Map(b.map((r) => [r.seed, r]));
  const outA: R[] = [];
  const outB: R[] = [];
  for (const r of a) {
    const other = bySeed.get(r.seed);
    if (other === undefined) continue;
    outA.push(r);
    outB.push(other);
  }
  return { a: outA, b: outB };
}

/** A paired bootstrap of `second − first`: the point difference, its 95% interval, and p-values. */
export interface PairedDifference {
  first: number;
  second: number;
  difference: number;
  low: number;
  high: number;
  /** Two-sided bootstrap p of "no difference". */
  p: number;
  /** One-sided bootstrap p of "second is not larger". */
  pGreater: number;
}

/** The per-seed view a paired bootstrap needs of one side: its statistic for runs weighted by how often they were drawn. */
export type Statistic = (weights: Int32Array) => number;

/** The per-acquisition violation rate of one side's runs. */
export function perAcquisitionStat(runs: readonly PairedRecord[]): Statistic {
  const v = runs.map((r) => r.violations);
  const a = runs.map((r) => r.acquisitions);
  return (w) => weightedRatio(w, v, a);
}

/** Quantile `q` of one side's pooled latency samples (`pick` chooses which). */
export function quantileStat(runs: readonly PairedRecord[], pick: (r: PairedRecord) => readonly number[] | undefined, q: number): Statistic | undefined {
  const samples = new RunSamples(runs.map((r) => pick(r) ?? []));
  return samples.size === 0 ? undefined : (w) => samples.quantile(w, q);
}

/**
 * Paired bootstrap over `n` shared seeds (the first `seedStart`, for the
 * stream): resample seeds, evaluate both statistics on the same resample,
 * take `second − first`. Null when a statistic is undefined on the data.
 */
export function pairedBootstrap(n: number, seedStart: number, first: Statistic, second: Statistic): PairedDifference | null {
  if (n === 0) return null;
  const all = new Int32Array(n).fill(1);
  const f = first(all);
  const s = second(all);
  if (Number.isNaN(f) || Number.isNaN(s)) return null;
  const rng = bootstrapStream(seedStart, n);
  const weights = new Int32Array(n);
  const diffs: number[] = [];
  let atMost = 0;
  let atLeast = 0;
  for (let i = 0; i < RESAMPLES; i++) {
    resample(rng, weights);
    const d = second(weights) - first(weights);
    if (Number.isNaN(d)) continue;
    diffs.push(d);
    if (d <= 0) atMost++;
    if (d >= 0) atLeast++;
  }
  const ci = percentileInterval(diffs);
  if (ci === null) return null;
  const b = diffs.length;
  return {
    first: f,
    second: s,
    difference: s - f,
    ...ci,
    p: Math.min(1, (2 * (1 + Math.min(atMost, atLeast))) / (b + 1)),
    pGreater: (1 + atMost) / (b + 1),
  };
}

/** One paired comparison of a metric between a reference and another side. */
export interface PairedTest {
  metric: string;
  /** The reference side's and the other side's value (a rate, or ms). */
  reference: number | null;
  value: number | null;
  /** other − reference, with its 95% interval (bootstrap; for McNemar, the point only). */
  difference: number | null;
  low: number | null;
  high: number | null;
  test: string;
  p: number | null;
  /** One-sided p of "the other side is worse (larger)". */
  pGreater: number | null;
  /** Shared seeds the test used. */
  seeds: number;
}

/** Latency metrics the paired tests cover. */
const LATENCIES: readonly { metric: string; pick: (r: PairedRecord) => readonly number[] | undefined }[] = [
  { metric: 'acquire p99 ms', pick: (r) => r.acquireLatenciesMs },
  { metric: 'handoff p99 ms', pick: (r) => r.handoffsMs },
  { metric: 'failover p99 ms', pick: (r) => r.failoversMs },
];

/**
 * Every paired test of `other` against `reference` on their shared seeds:
 * runs with a violation (McNemar), violations per acquisition and the
 * latencies' p99 (paired bootstrap).
 */
export function pairedTests(reference: readonly PairedRecord[], other: readonly PairedRecord[], latencies = true): PairedTest[] {
  const { a, b } = pairBySeed(reference, other);
  const n = a.length;
  if (n === 0) return [];
  const seedStart = a[0]!.seed;
  const out: PairedTest[] = [];
  let onlyRef = 0;
  let onlyOther = 0;
  let refRuns = 0;
  let otherRuns = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]!.violations > 0;
    const y = b[i]!.violations > 0;
    if (x) refRuns++;
    if (y) otherRuns++;
    if (x && !y) onlyRef++;
    if (y && !x) onlyOther++;
  }
  const m = mcnemar(onlyRef, onlyOther);
  out.push({
    metric: 'runs with violation',
    reference: refRuns / n,
    value: otherRuns / n,
    difference: (otherRuns - refRuns) / n,
    low: null,
    high: null,
    test: `McNemar exact (${onlyOther} seeds violate only here, ${onlyRef} only there)`,
    p: m.p,
    pGreater: m.pGreater,
    seeds: n,
  });
  const boot = (metric: string, first: Statistic | undefined, second: Statistic | undefined): void => {
    const d = first && second ? pairedBootstrap(n, seedStart, first, second) : null;
    if (d === null) return;
    out.push({ metric, reference: d.first, value: d.second, difference: d.difference, low: d.low, high: d.high, test: `paired bootstrap over ${n} seeds`, p: d.p, pGreater: d.pGreater, seeds: n });
  };
  boot('violations/acquisition', perAcquisitionStat(a), perAcquisitionStat(b));
  if (latencies) for (const l of LATENCIES) boot(l.metric, quantileStat(a, l.pick, 0.99), quantileStat(b, l.pick, 0.99));
  return out;
}
