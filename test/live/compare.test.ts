import { describe, expect, it } from 'vitest';
import { clusterRatio, compareRuns, disagrees, mannWhitney, normalCdf, quantileInterval, ratioZ, twoProportionZ2, Z_DISAGREE } from '../../sim/live/compare.js';
import type { SeedRecord } from '../../sim/report/report.js';
import { newOperationStats } from '../../sim/workload.js';

const record = (violations: number, acquisitions: number, extra: Partial<SeedRecord> = {}): SeedRecord => ({
  seed: 1,
  acquisitions,
  told: 0,
  violations,
  overlapsMs: [],
  maxSimultaneousOwners: violations > 0 ? 2 : 1,
  heldMs: 1000,
  acquireLatenciesMs: [],
  handoffsMs: [],
  failoversMs: [],
  pendingOwnAgesMs: [],
  events: 0,
  simulatedMs: 1000,
  resourceWrites: 0,
  rejectedWrites: 0,
  staleEffects: 0,
  storeReads: 10,
  storeWrites: 10,
  ops: newOperationStats(),
  notifications: { sent: 0, delivered: 0, lost: 0 },
  traceHash: 'x',
  marginMs: null,
  logWeight: 0,
  weight: 1,
  ...extra,
});

describe('live compare statistics', () => {
  it('normalCdf matches known values', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 6);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 5);
    expect(normalCdf(-2.575829)).toBeCloseTo(0.005, 5);
  });

  it('the 99% threshold is 2.576', () => {
    expect(Z_DISAGREE).toBeCloseTo(2.5758, 3);
  });

  it('two-proportion z: the issue prototype’s 38% of 160 against 37% agrees; 80% against 20% of 20 does not', () => {
    expect(Math.abs(twoProportionZ2(61, 160, 59, 160))).toBeLessThan(1);
    expect(Math.abs(twoProportionZ2(16, 20, 4, 20))).toBeGreaterThan(Z_DISAGREE);
    expect(twoProportionZ2(0, 10, 0, 10)).toBe(0);
  });

  it('cluster ratio: violations bunched in one run are far less certain than spread ones', () => {
    const spread = clusterRatio(Array.from({ length: 10 }, () => ({ num: 1, den: 10 })))!;
    const bunched = clusterRatio([{ num: 10, den: 10 }, ...Array.from({ length: 9 }, () => ({ num: 0, den: 10 }))])!;
    expect(spread.r).toBeCloseTo(0.1);
    expect(bunched.r).toBeCloseTo(0.1);
    expect(spread.variance).toBe(0);
    expect(bunched.variance).toBeGreaterThan(0.005);
    expect(ratioZ(bunched, { r: 0, variance: 0 })).toBeLessThan(Z_DISAGREE);
    expect(clusterRatio([])).toBeNull();
  });

  it('Mann–Whitney: equal samples agree, shifted samples differ', () => {
    const a = Array.from({ length: 50 }, (_, i) => i);
    expect(mannWhitney(a, a)!.p).toBeGreaterThan(0.9);
    expect(mannWhitney(a, a.map((x) => x + 40))!.p).toBeLessThan(0.001);
    expect(mannWhitney([], a)).toBeNull();
  });

  it('quantile interval contains the quantile', () => {
    const xs = Array.from({ length: 101 }, (_, i) => i);
    const q = quantileInterval(xs, 0.5);
    expect(q.value).toBe(50);
    expect(q.low!).toBeLessThan(50);
    expect(q.high!).toBeGreaterThan(50);
  });

  it('compareRuns gates on rates only: a run-level gap disagrees, a latency gap only differs', () => {
    const live = Array.from({ length: 30 }, (_, i) => record(i < 24 ? 1 : 0, 20, { handoffsMs: [10, 11, 12] }));
    const sameSim = Array.from({ length: 30 }, (_, i) => record(i < 22 ? 1 : 0, 20, { handoffsMs: [1, 2, 3] }));
    const rows = compareRuns(live, sameSim);
    expect(disagrees(rows)).toBe(false);
    expect(rows.find((r) => r.metric === 'handoff p50 ms')!.verdict).toBe('differs');
    const quietSim = Array.from({ length: 30 }, () => record(0, 20));
    const off = compareRuns(live, quietSim);
    expect(disagrees(off)).toBe(true);
    expect(off.find((r) => r.metric === 'runs with violation')!.verdict).toBe('DISAGREE');
  });
});
