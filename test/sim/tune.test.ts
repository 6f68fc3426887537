/**
 * `mco tune`: the recommendation meets its target in a sweep, half of it does
 * not where the model says so, and impossible targets are refused.
 */
import { describe, expect, it } from 'vitest';
import { safetyMargin } from '../../sim/bound.js';
import { boundScenario, derivedRefreshInterval, tune, TuneRefusal, type TuneInput } from '../../sim/tune.js';

const env = (over: Partial<TuneInput> = {}): TuneInput => ({
  maxOffsetMs: 30,
  maxPauseMs: 10,
  storeLatencyP99Ms: 1,
  nodes: 3,
  strategy: 'fixed',
  target: { metric: 'violation-rate', max: 0.001 },
  maxFailoverMs: undefined,
  ...over,
});

describe('mco tune', () => {
  it('derives the smallest provably safe lease: positive margin there, none 2% below', () => {
    const d = derivedRefreshInterval(env());
    expect(d.marginMs).toBeGreaterThan(0);
    expect(safetyMargin(boundScenario(env(), d.refreshIntervalMs * 0.98))).toBeLessThanOrEqual(0);
    // observed ignores clock offset: a shorter lease suffices
    expect(derivedRefreshInterval(env({ strategy: 'observed' })).refreshIntervalMs).toBeLessThan(d.refreshIntervalMs);
  });

  it('recommends a lease that meets the target in its sweep; at half of it, offsets this large cause violations', async () => {
    const r = await tune(env(), { seeds: 20, workers: 1 });
    expect(r.recommended).toBeDefined();
    const rec = r.recommended!;
    expect(rec.refreshIntervalMs).toBeGreaterThanOrEqual(r.derived.refreshIntervalMs);
    expect(rec.report.violationRate.value).toBeLessThanOrEqual(0.001);
    const half = r.candidates.find((c) => c.refreshIntervalMs === Math.max(2, Math.round(r.derived.refreshIntervalMs * 0.5)))!;
    // the model says: 30 ms of offset > half of half the lease, so waiters steal
    expect(safetyMargin(boundScenario(env(), half.refreshIntervalMs))).toBeLessThan(0);
    expect(half.meetsTarget).toBe(false);
    expect(half.report.violations).toBeGreaterThan(0);
  }, 120_000);

  it('refuses a failover limit below what a safe lease allows, saying why', async () => {
    await expect(tune(env({ maxOffsetMs: 20, maxPauseMs: 150, storeLatencyP99Ms: 5, maxFailoverMs: 300 }), { seeds: 1, workers: 1 })).rejects.toThrow(
      /--max-failover 300ms is below what this environment allows: a provably safe refreshInterval is at least \d+ms/,
    );
    await expect(tune(env({ maxFailoverMs: 1 }), { seeds: 1, workers: 1 })).rejects.toBeInstanceOf(TuneRefusal);
  });
});
