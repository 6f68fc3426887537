/**
 * Importance sampling is unbiased where plain Monte Carlo can check it: on
 * small scenarios whose violations are common enough (about 1 run in 100)
 * for 1,000 plain seeds to measure, the weighted estimate from 1,000 runs
 * under a proposal agrees with the plain one within their combined 95%
 * uncertainty, for each kind of tilted cause: pause lengths (a mixture),
 * clock offsets, store latency (every operation's draws), crash rate. The
 * proposal's own unweighted rate is checked to differ, so the agreement is
 * the weights' doing. Fixed seeds; the two samples use disjoint seeds.
 */
import { describe, expect, it } from 'vitest';
import type { Proposal } from '../../sim/importance/proposal.js';
import { runScenario } from '../../sim/runner.js';
import { parseScenario } from '../../sim/scenario.js';

const Z95 = 1.959963984540054;
const base = { duration: 400, owner: { strategy: 'lakefs', acquireInterval: 10, refreshInterval: 40 }, nodes: 2 };
const pauses = { rate: 4, duration: { dist: 'lognormal', median: 6, p99: 30 } };

const cases: [string, object, Proposal][] = [
  ['pause lengths (mixture)', { pauses }, { 'pauses.duration': { mix: 0.3, dist: 'lognormal', median: 25, p99: 60 } }],
  ['clock offsets', { clock: { offset: { dist: 'exponential', mean: 5 } } }, { 'clock.offset': { dist: 'exponential', mean: 9 } }],
  ['store latency', { store: { latency: { dist: 'exponential', mean: 2 } } }, { 'store.requestLatency': { dist: 'exponential', mean: 2.08 }, 'store.responseLatency': { dist: 'exponential', mean: 2.08 } }],
  ['crash rate', { pauses, crashes: { rate: 1, restartAfter: 50 } }, { 'crashes.rate': 0.4 }],
];

describe('importance sampling agrees with plain Monte Carlo where both can measure', () => {
  it.each(cases)('%s', async (_name, faults, proposal) => {
    const s = parseScenario({ ...base, faults }, 'agreement.yaml');
    // plain runs through the same estimators (weights all 1): per acquisition, a ratio over runs,
    // whose interval allows for violations clustering in runs (Wilson's, per acquisition, does not)
    const plainReport = await runScenario(s, { seeds: 1000, seedStart: 1, importance: { method: 'scenario', proposal: {} } });
    const plain = plainReport.importance!;
    expect(plain.meanWeight).toBe(1);
    const tilted = await runScenario(s, { seeds: 1000, seedStart: 100_001, importance: { method: 'scenario', proposal } });
    const w = tilted.importance!;
    expect(plain.runsWithViolation).toBeGreaterThanOrEqual(5); // plain MC has something to say
    expect(w.essViolations).toBeGreaterThan(5);
    for (const [mc, is] of [
      [plain.violationRate, w.violationRate],
      [plain.perAcquisitionViolationRate, w.perAcquisitionViolationRate],
    ] as const) {
      const seMc = (mc.value * mc.relHalfWidth) / Z95;
      const seIs = (is.value * is.relHalfWidth) / Z95;
      const z = Math.abs(is.value - mc.value) / Math.hypot(seMc, seIs);
      expect(z, `plain ${mc.value} [${mc.low}, ${mc.high}], weighted ${is.value} [${is.low}, ${is.high}]`).toBeLessThan(Z95 * 1.5);
    }
    // the proposal changed what the runs saw: unweighted, its rate is not the scenario's
    expect(Math.abs(tilted.violationRate.value / w.violationRate.value - 1)).toBeGreaterThan(0.1);
  });
});
