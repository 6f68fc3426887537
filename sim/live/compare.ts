/**
 * `mco live --compare`: live and simulated runs of one scenario side by side,
 * per metric, with 95% intervals and a test of agreement.
 *
 * Rates (gated: a disagreement at the 99% level fails the comparison):
 * - runs with a violation: two-sided two-proportion z-test, pooled (runs are
 *   independent on both sides);
 * - violations per acquisition: acquisitions of one run are correlated (one
 *   paused holder can cause several), so a plain two-proportion test would be
 *   far too confident. Each side's rate is a ratio of per-run sums; its
 *   variance is the cluster (per-run) ratio estimator's,
 *   Σ(vᵢ − R·aᵢ)² / (n(n−1)·ā²), and z = (R₁ − R₂)/√(var₁ + var₂).
 * Latencies (reported, not gated: live adds the host's overhead): overlap,
 * handoff and failover percentiles with distribution-free 95% intervals
 * (order statistics), and a two-sided Mann–Whitney U test of the samples.
 * Store ops per held second: per-run ratio with the same cluster variance.
 */
import { normalQuantile } from '../report/check.js';
import type { SeedRecord } from '../report/report.js';
import { percentile, wilson } from '../stats.js';

/** Two-sided level at which a rate disagreement fails `--compare`. */
export const DISAGREE_LEVEL = 0.99;
/** |z| above which two rates disagree at {@link DISAGREE_LEVEL}. */
export const Z_DISAGREE = normalQuantile(1 - (1 - DISAGREE_LEVEL) / 2);
const Z95 = normalQuantile(0.975);

/** A value with its 95% interval. */
export interface Interval {
  value: number | null;
  low: number | null;
  high: number | null;
}

/** One metric of one scenario, live and simulated. */
export interface CompareRow {
  metric: string;
  live: Interval;
  sim: Interval;
  /** The test statistic: z for rates and ratios, and the two-sided p-value. */
  test: string;
  z: number | null;
  p: number | null;
  /** Gated rows decide the exit code; `differs` marks an ungated row whose test is significant at 99%. */
  gated: boolean;
  verdict: 'agree' | 'DISAGREE' | 'differs' | '-';
}

/** Two-sided p of a standard normal z. */
export function twoSidedP(z: number): number {
  return 2 * (1 - normalCdf(Math.abs(z)));
}

/** Φ(x) (Abramowitz–Stegun 7.1.26 through erf, |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp((-x * x) / 2);
  return x >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

/** Two-sided pooled two-proportion z (0 when both proportions are 0 or both 1). */
export function twoProportionZ2(x1: number, n1: number, x2: number, n2: number): number {
  if (n1 === 0 || n2 === 0) return 0;
  const p = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2));
  return se === 0 ? 0 : (x1 / n1 - x2 / n2) / se;
}

/** Ratio Σnum/Σden over runs with the cluster variance of a ratio estimator. */
export function clusterRatio(pairs: readonly { num: number; den: number }[]): { r: number; variance: number } | null {
  const n = pairs.length;
  let num = 0;
  let den = 0;
  for (const p of pairs) {
    num += p.num;
    den += p.den;
  }
  if (den === 0) return null;
  const r = num / den;
  if (n < 2) return { r, variance: 0 };
  const mean = den / n;
  let ss = 0;
  for (const p of pairs) ss += (p.num - r * p.den) ** 2;
  return { r, variance: ss / (n * (n - 1) * mean * mean) };
}

/** z of two cluster ratios (0 when both are equal with no variance). */
export function ratioZ(a: { r: number; variance: number }, b: { r: number; variance: number }): number {
  const se = Math.sqrt(a.variance + b.variance);
  if (se === 0) return a.r === b.r ? 0 : Infinity;
  return (a.r - b.r) / se;
}

/** Two-sided Mann–Whitney U test (normal approximation with tie correction): z and p. */
export function mannWhitney(x: readonly number[], y: readonly number[]): { z: number; p: number } | null {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) return null;
  const all = [...x.map((v) => ({ v, g: 0 })), ...y.map((v) => ({ v, g: 1 }))].sort((a, b) => a.v - b.v);
  let r1 = 0;
  let ties = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    const rank = (i + j + 2) / 2;
    const t = j - i + 1;
    ties += t ** 3 - t;
    for (let k = i; k <= j; k++) if (all[k]!.g === 0) r1 += rank;
    i = j + 1;
  }
  const n = n1 + n2;
  const u = r1 - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - ties / (n * (n - 1)));
  if (variance <= 0) return { z: 0, p: 1 };
  const z = (u - mean) / Math.sqrt(variance);
  return { z, p: twoSidedP(z) };
}

/** Percentile `q` of `samples` with a distribution-free 95% interval (order statistics). */
export function quantileInterval(samples: readonly number[], q: number): Interval {
  const n = samples.length;
  if (n === 0) return { value: null, low: null, high: null };
  const s = [...samples].sort((a, b) => a - b);
  const half = Z95 * Math.sqrt(n * q * (1 - q));
  const lo = Math.max(1, Math.floor(n * q - half));
  const hi = Math.min(n, Math.ceil(n * q + half) + 1);
  return { value: percentile(s, q)!, low: s[lo - 1]!, high: s[hi - 1]! };
}

const rateInterval = (x: number, n: number): Interval => {
  const w = wilson(x, n);
  return { value: n === 0 ? null : w.value, low: n === 0 ? null : w.low, high: n === 0 ? null : w.high };
};

const ratioInterval = (c: { r: number; variance: number } | null): Interval =>
  c === null ? { value: null, low: null, high: null } : { value: c.r, low: Math.max(0, c.r - Z95 * Math.sqrt(c.variance)), high: c.r + Z95 * Math.sqrt(c.variance) };

/** The comparison of one scenario's live and simulated runs (per-run records on both sides). */
export function compareRuns(live: readonly SeedRecord[], sim: readonly SeedRecord[]): CompareRow[] {
  const rows: CompareRow[] = [];
  const gate = (z: number): CompareRow['verdict'] => (Math.abs(z) > Z_DISAGREE ? 'DISAGREE' : 'agree');
  // runs with a violation
  const lx = live.filter((r) => r.violations > 0).length;
  const sx = sim.filter((r) => r.violations > 0).length;
  const z1 = twoProportionZ2(lx, live.length, sx, sim.length);
  rows.push({ metric: 'runs with violation', live: rateInterval(lx, live.length), sim: rateInterval(sx, sim.length), test: 'two-proportion z', z: z1, p: twoSidedP(z1), gated: true, verdict: gate(z1) });
  // violations per acquisition
  const perAcq = (rs: readonly SeedRecord[]) => clusterRatio(rs.map((r) => ({ num: r.violations, den: r.acquisitions })));
  const la = perAcq(live);
  const sa = perAcq(sim);
  const z2 = la === null || sa === null ? 0 : ratioZ(la, sa);
  rows.push({ metric: 'violations/acquisition', live: ratioInterval(la), sim: ratioInterval(sa), test: 'cluster ratio z', z: z2, p: twoSidedP(z2), gated: true, verdict: la === null || sa === null ? '-' : gate(z2) });
  // latencies
  const all = (rs: readonly SeedRecord[], f: (r: SeedRecord) => readonly number[]): number[] => rs.flatMap((r) => [...f(r)]);
  const latency = (metric: string, f: (r: SeedRecord) => readonly number[], qs: readonly number[]): void => {
    const a = all(live, f);
    const b = all(sim, f);
    const mw = mannWhitney(a, b);
    for (const q of qs) {
      rows.push({
        metric: `${metric} p${Math.round(q * 100)} ms`,
        live: quantileInterval(a, q),
        sim: quantileInterval(b, q),
        test: 'Mann–Whitney U',
        z: mw?.z ?? null,
        p: mw?.p ?? null,
        gated: false,
        verdict: mw === null ? '-' : mw.p < 1 - DISAGREE_LEVEL ? 'differs' : 'agree',
      });
    }
  };
  latency('overlap', (r) => r.overlapsMs, [0.99]);
  latency('handoff', (r) => r.handoffsMs, [0.5, 0.99]);
  latency('failover', (r) => r.failoversMs, [0.5, 0.99]);
  // store load
  const ops = (rs: readonly SeedRecord[]) => clusterRatio(rs.map((r) => ({ num: r.storeReads + r.storeWrites, den: r.heldMs / 1000 })));
  const lo = ops(live);
  const so = ops(sim);
  const z3 = lo === null || so === null ? 0 : ratioZ(lo, so);
  rows.push({
    metric: 'store ops/held s',
    live: ratioInterval(lo),
    sim: ratioInterval(so),
    test: 'cluster ratio z',
    z: z3,
    p: twoSidedP(z3),
    gated: false,
    verdict: lo === null || so === null ? '-' : Math.abs(z3) > Z_DISAGREE ? 'differs' : 'agree',
  });
  return rows;
}

/** Whether any gated row disagrees. */
export const disagrees = (rows: readonly CompareRow[]): boolean => rows.some((r) => r.gated && r.verdict === 'DISAGREE');

function fmt(metric: string, i: Interval): string {
  if (i.value === null) return '-';
  const pct = metric.startsWith('runs') || metric.startsWith('violations');
  const f = (x: number | null): string => (x === null ? '?' : pct ? `${(x * 100).toFixed(metric.startsWith('violations') ? 2 : 0)}%` : String(+x.toFixed(metric.startsWith('store') ? 1 : 1)));
  return `${f(i.value)} [${f(i.low)}, ${f(i.high)}]`;
}

/** Rows of the comparison table: scenario, strategy, metric, live, sim, test, verdict. */
export function compareCells(items: readonly { scenario: string; strategy: string; runs: { live: number; sim: number }; rows: readonly CompareRow[] }[]): string[][] {
  return items.flatMap((it) =>
    it.rows.map((r) => [
      it.scenario,
      it.strategy,
      r.metric,
      fmt(r.metric, r.live),
      fmt(r.metric, r.sim),
      r.z === null ? '-' : `${r.test} ${Number.isFinite(r.z) ? r.z.toFixed(2) : '∞'}${r.gated ? '' : ` (p ${r.p === null ? '-' : r.p < 0.001 ? '<0.001' : r.p.toFixed(3)})`}`,
      r.verdict,
    ]),
  );
}

export const COMPARE_HEAD = ['scenario', 'strategy', 'metric', 'live [95% CI]', 'sim [95% CI]', 'test (z)', 'verdict'] as const;
