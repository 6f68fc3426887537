/**
 * Honest intervals and paired tests: the bootstrap over runs (reproducible
 * from the seed range, the same on any worker count), McNemar's exact test,
 * and the paired bootstrap — which sees differences the unpaired tests miss
 * when seeds differ more from each other than the two sides do.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RunSamples } from '../../sim/bootstrap.js';
import { clusterRatio, ratioZ, twoProportionZ2, twoSidedP } from '../../sim/live/compare.js';
import { checkAgainstBaseline, withPerRun } from '../../sim/report/check.js';
import { mergeReports } from '../../sim/report/merge.js';
import { binomialHalfCdf, mcnemar, pairedBootstrap, pairedTests, perAcquisitionStat, type PairedRecord } from '../../sim/report/paired.js';
import type { Report } from '../../sim/report/report.js';
import { runScenario } from '../../sim/runner.js';
import { loadScenario } from '../../sim/scenario.js';
import { wilson } from '../../sim/stats.js';

const lib = (name: string): string => join(import.meta.dirname, '../../scenarios', `${name}.yaml`);

describe('McNemar, exact', () => {
  it('matches the hand computation: 1 and 6 discordant seeds', () => {
    // X ~ Bin(7, 1/2): P(X ≤ 1) = (1 + 7) / 128; two-sided doubles it; P(X ≥ 6) = (7 + 1) / 128
    expect(binomialHalfCdf(1, 7)).toBeCloseTo(8 / 128, 12);
    expect(mcnemar(1, 6).p).toBeCloseTo(16 / 128, 12);
    expect(mcnemar(6, 1).p).toBeCloseTo(16 / 128, 12);
    expect(mcnemar(1, 6).pGreater).toBeCloseTo(8 / 128, 12);
    expect(mcnemar(6, 1).pGreater).toBeCloseTo(127 / 128, 12);
    expect(binomialHalfCdf(2, 10)).toBeCloseTo((1 + 10 + 45) / 1024, 12);
    expect(mcnemar(0, 0)).toEqual({ p: 1, pGreater: 1 });
    expect(mcnemar(3, 3).p).toBe(1);
    // large n does not underflow: Bin(2000, 1/2), P(X ≤ 1000) ≈ 0.509
    expect(binomialHalfCdf(1000, 2000)).toBeCloseTo(0.5089, 3);
  });
});

/** Runs of `n` seeds: `violations(i)` of `acquisitions` each. */
const runs = (n: number, acquisitions: number, violations: (i: number) => number): PairedRecord[] =>
  Array.from({ length: n }, (_, i) => ({ seed: i + 1, acquisitions, violations: violations(i) }));

describe('paired tests detect what the unpaired ones miss', () => {
  it('runs with a violation: 6 seeds more, none fewer — McNemar significant, the two-proportion z not', () => {
    const ref = runs(40, 100, (i) => (i < 10 ? 1 : 0));
    const other = runs(40, 100, (i) => (i < 16 ? 1 : 0));
    const z = twoProportionZ2(16, 40, 10, 40);
    expect(twoSidedP(z)).toBeGreaterThan(0.1);
    const [t] = pairedTests(ref, other, false);
    expect(t!.test).toMatch(/^McNemar exact \(6 seeds violate only here, 0 only there\)$/);
    expect(t!.p).toBeCloseTo(2 / 64, 12);
    expect(t!.p).toBeLessThan(0.05);
  });

  it('per acquisition: a small constant increase under large between-seed variance — paired bootstrap significant, cluster-ratio z not', () => {
    const ref = runs(40, 100, (i) => (i % 4) * 10);
    const other = runs(40, 100, (i) => (i % 4) * 10 + 2);
    const unpaired = ratioZ(
      clusterRatio(other.map((r) => ({ num: r.violations, den: r.acquisitions })))!,
      clusterRatio(ref.map((r) => ({ num: r.violations, den: r.acquisitions })))!,
    );
    expect(twoSidedP(unpaired)).toBeGreaterThan(0.3);
    const d = pairedBootstrap(40, 1, perAcquisitionStat(ref), perAcquisitionStat(other))!;
    expect(d.difference).toBeCloseTo(0.02, 12);
    expect(d.low).toBeGreaterThan(0);
    expect(d.p).toBeLessThan(0.001);
    const t = pairedTests(ref, other, false)[1]!;
    expect(t.test).toBe('paired bootstrap over 40 seeds');
    expect(t.low).toBeGreaterThan(0);
  });

  it('mco check flags the constructed regression with per-run counts, and not without them', () => {
    const report = (rs: readonly PairedRecord[]): Report => {
      const v = rs.reduce((t, r) => t + r.violations, 0);
      const a = rs.reduce((t, r) => t + r.acquisitions, 0);
      const k = rs.filter((r) => r.violations > 0).length;
      return {
        schemaVersion: 1, scenario: 's', scenarioHash: 'h', description: '', strategy: 'lakefs', seeds: { start: 1, count: rs.length }, runs: rs.length,
        runsWithViolation: k, violationRate: wilson(k, rs.length), acquisitions: a, violations: v, perAcquisitionViolationRate: wilson(v, a),
        bootstrap: { unit: 'run', resamples: 2000 }, overlapMs: null, maxSimultaneousOwners: 1, told: 0, resource: { writes: 0, rejected: 0, staleEffects: 0 },
        acquireLatencyMs: null, handoffMs: null, failoverMs: null, storeOps: { reads: 0, writes: 0, perHeldSecond: 0 }, operations: null, heldMs: 0, events: 0,
        simulatedMs: 0, wallMs: 0, traceHash: '0', violatingSeeds: [],
      };
    };
    const ref = runs(40, 100, (i) => (i % 4) * 10);
    const worse = runs(40, 100, (i) => (i % 4) * 10 + 2);
    const baseline = withPerRun(report(ref), ref);
    const paired = checkAgainstBaseline(baseline, report(worse), 2, worse);
    expect(paired.rows[1]).toMatchObject({ metric: 'violations / acquisition', verdict: 'REGRESSION' });
    expect(paired.rows[1]!.detail).toMatch(/^paired bootstrap over 40 seeds: \+2 pp \[\+2 pp, \+2 pp\], one-sided p = 0\.0005/);
    // the same data without per-run counts: the old unpaired test, which says so
    const unpaired = checkAgainstBaseline(report(ref), report(worse), 2, worse);
    expect(unpaired.rows[1]!.detail).toMatch(/two-proportion z = .*unpaired: the baseline has no per-run counts/);
    // unchanged runs: never a regression
    expect(checkAgainstBaseline(baseline, report(ref), 2, ref).regressed).toBe(false);
  });
});

describe('bootstrap intervals over runs', () => {
  it('weighted nearest-rank quantiles equal the quantile of the resample spelled out', () => {
    const perRun = [[5, 1, 9], [2], [], [7, 7, 3, 8]];
    const s = new RunSamples(perRun);
    const weights = Int32Array.from([2, 0, 3, 1]);
    const spelled = [...perRun[0]!, ...perRun[0]!, ...perRun[3]!].sort((a, b) => a - b);
    for (const q of [0.01, 0.25, 0.5, 0.75, 0.99, 1]) expect(s.quantile(weights, q)).toBe(spelled[Math.max(1, Math.ceil(q * spelled.length)) - 1]);
    expect(s.quantile(Int32Array.from([0, 0, 4, 0]), 0.5)).toBeNaN();
  });

  it('the block index answers as the resample spelled out, for any block size (ties, empty runs, zero weights)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 12 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 8, maxLength: 8 }),
        fc.integer({ min: 1, max: 9 }),
        (perRun, w, blockSize) => {
          const weights = Int32Array.from(perRun, (_, r) => w[r]!);
          const spelled = perRun.flatMap((xs, r) => Array.from({ length: weights[r]! }, () => xs).flat()).sort((a, b) => a - b);
          for (const s of [new RunSamples(perRun, blockSize), new RunSamples(perRun)]) {
            expect(s.size).toBe(perRun.flat().length);
            for (const q of [0, 0.01, 0.3, 0.5, 0.75, 0.99, 1]) {
              const want = spelled.length === 0 ? NaN : spelled[Math.min(spelled.length, Math.max(1, Math.ceil(q * spelled.length))) - 1];
              expect(s.quantile(weights, q)).toBe(want);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reproducible: the same seeds give the same intervals, on 1 and 2 workers, and rebuilt by merge', async () => {
    const s = loadScenario(lib('clock-skew'));
    const one = await runScenario(s, { seeds: 12, seedStart: 3, workers: 1, keepPerSeed: true });
    const two = await runScenario(s, { seeds: 12, seedStart: 3, workers: 2 });
    const { perSeed, ...first } = one;
    expect({ ...two, wallMs: 0 }).toEqual({ ...first, wallMs: 0 });
    const rebuilt = mergeReports([{ ...one, shard: { index: 1, count: 1 } }]);
    expect(rebuilt.perAcquisitionViolationRate).toEqual(one.perAcquisitionViolationRate);
    expect(rebuilt.acquireLatencyMs).toEqual(one.acquireLatencyMs);
    // a bootstrap interval, not Wilson's: wider (the acquisitions of a run are correlated), around the value
    const r = one.perAcquisitionViolationRate;
    const w = wilson(one.violations, one.acquisitions);
    expect(r.value).toBeGreaterThan(0);
    expect(r.low).toBeLessThanOrEqual(r.value);
    expect(r.high).toBeGreaterThanOrEqual(r.value);
    expect(r.high - r.low).toBeGreaterThan(w.high - w.low);
    const ci = one.acquireLatencyMs!.ci95;
    expect(ci.p99[0]).toBeLessThanOrEqual(one.acquireLatencyMs!.p99);
    expect(ci.p99[1]).toBeGreaterThanOrEqual(one.acquireLatencyMs!.p99);
    expect(perSeed).toHaveLength(12);
    // another seed range resamples differently
    const other = await runScenario(s, { seeds: 12, seedStart: 4, workers: 1 });
    expect(other.perAcquisitionViolationRate).not.toEqual(one.perAcquisitionViolationRate);
  }, 60_000);

  it('no violation at all: Wilson upper bound, not a zero-width bootstrap', async () => {
    const r = await runScenario(loadScenario(lib('healthy')), { seeds: 4, workers: 1 });
    expect(r.violations).toBe(0);
    expect(r.perAcquisitionViolationRate.high).toBeCloseTo(wilson(0, r.acquisitions).high, 6);
  }, 60_000);
});
