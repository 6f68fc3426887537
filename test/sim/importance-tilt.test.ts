/**
 * Importance sampling's mechanism (sim/importance/tilt.ts): the densities it
 * weighs with, the Poisson and Bernoulli likelihood ratios, and that a run
 * without a proposal is exactly the plain run.
 */
import { describe, expect, it } from 'vitest';
import type { Distribution } from '../../sim/dist.js';
import { logDensity, proposalProblem, type NominalFaults, type Proposal } from '../../sim/importance/proposal.js';
import { Tilt } from '../../sim/importance/tilt.js';
import { stream } from '../../sim/prng.js';
import { runSeed } from '../../sim/run.js';
import { parseScenario } from '../../sim/scenario.js';

const faults = (over: Partial<{ pauses: NominalFaults['pauses']; offset: Distribution; errorRate: number }> = {}): NominalFaults => ({
  clock: { offset: over.offset ?? { dist: 'constant', value: 0 } },
  pauses: over.pauses ?? { rate: 0, duration: { dist: 'constant', value: 0 } },
  timerLateness: { dist: 'constant', value: 0 },
  store: { requestLatency: { dist: 'constant', value: 0 }, responseLatency: { dist: 'constant', value: 0 }, errorRate: over.errorRate ?? 0, lostReplyRate: 0 },
  crashes: { rate: 0 },
});

/** Mean and standard error of `xs`. */
function meanSe(xs: readonly number[]): { mean: number; se: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { mean, se: Math.sqrt(v / xs.length) };
}

describe('importance sampling: the likelihood ratio', () => {
  it.each<[string, Distribution]>([
    ['uniform', { dist: 'uniform', min: 2, max: 7 }],
    ['exponential', { dist: 'exponential', mean: 3 }],
    ['lognormal', { dist: 'lognormal', median: 4, p99: 40 }],
  ])('the %s density integrates to 1', (_name, d) => {
    let total = 0;
    const step = 0.001;
    for (let x = step / 2; x < 2000; x += step) total += Math.exp(logDensity(d, x)) * step;
    expect(total).toBeCloseTo(1, 2);
  });

  it('weights have mean 1 under the proposal: durations, Poisson arrivals, Bernoulli failures', () => {
    const nominal = faults({ pauses: { rate: 2, duration: { dist: 'lognormal', median: 10, p99: 100 } }, errorRate: 0.01 });
    const proposal: Proposal = { 'pauses.rate': 5, 'pauses.duration': { dist: 'lognormal', median: 40, p99: 300 }, 'store.errorRate': 0.05 };
    const weights: number[] = [];
    const rng = stream(7, 'test');
    for (let i = 0; i < 20_000; i++) {
      const tilt = new Tilt(nominal, proposal);
      const length = tilt.drawer('pauses.duration');
      tilt.arrivals('pauses.rate', 1000, rng, () => length(rng));
      const fail = tilt.chance('store.errorRate');
      for (let k = 0; k < 10; k++) fail(rng);
      weights.push(Math.exp(tilt.logWeight));
    }
    const { mean, se } = meanSe(weights);
    expect(Math.abs(mean - 1)).toBeLessThan(4 * se);
    expect(se).toBeGreaterThan(0);
  });

  it('the Poisson term is k·log(λ/λ′) − (λ−λ′)·T', () => {
    const tilt = new Tilt(faults({ pauses: { rate: 2, duration: { dist: 'exponential', mean: 1 } } }), { 'pauses.rate': 8 });
    const arrivals = tilt.arrivals('pauses.rate', 3000, stream(1, 'x'), (at) => at);
    expect(arrivals.length).toBeGreaterThan(0);
    expect(tilt.logWeight).toBeCloseTo(arrivals.length * Math.log(2 / 8) - (2 - 8) * 3, 12);
    expect(tilt.stats['pauses.rate']).toEqual({ n: arrivals.length, r: arrivals.length, sum: 3, sumLog: 0, sumLog2: 0 });
  });

  it('refuses proposals that cannot draw what the scenario draws', () => {
    expect(proposalProblem('pauses.duration', { dist: 'exponential', mean: 5 }, { dist: 'uniform', min: 0, max: 100 })).toMatch(/support/);
    expect(proposalProblem('pauses.duration', { dist: 'constant', value: 5 }, { dist: 'exponential', mean: 5 })).toMatch(/constant cannot be tilted/);
    expect(proposalProblem('pauses.rate', 0, 3)).toMatch(/no events/);
    expect(proposalProblem('store.errorRate', 0.1, 1)).toMatch(/strictly between/);
    expect(proposalProblem('pauses.duration', { dist: 'uniform', min: 1, max: 5 }, { dist: 'lognormal', median: 5, p99: 50 })).toBeUndefined();
  });
});

describe('importance sampling: runs', () => {
  const scenario = parseScenario(
    {
      duration: 2000,
      owner: { strategy: 'lakefs', acquireInterval: 20, refreshInterval: 60 },
      nodes: 2,
      faults: { pauses: { rate: 1, duration: { dist: 'lognormal', median: 5, p99: 30 } }, clock: { offset: { dist: 'exponential', mean: 2 } }, store: { latency: { dist: 'exponential', mean: 0.5 } } },
    },
    'x.yaml',
  );

  it('an empty proposal is the plain run: same result, trace hash, weight exactly 1', async () => {
    const plain = await runSeed(scenario, 5);
    const empty = await runSeed(scenario, 5, { proposal: {} });
    expect(empty).toStrictEqual(plain);
    expect(plain.weight).toBe(1);
    expect(plain.logWeight).toBe(0);
    expect(plain.importance).toBeUndefined();
  });

  it('a tilted run draws from the proposal, carries its weight and statistics, and repeats exactly', async () => {
    const proposal: Proposal = { 'pauses.duration': { dist: 'lognormal', median: 20, p99: 100 }, 'clock.offset': { dist: 'exponential', mean: 6 }, 'store.requestLatency': { dist: 'exponential', mean: 1 } };
    const a = await runSeed(scenario, 5, { proposal });
    const b = await runSeed(scenario, 5, { proposal });
    expect(a).toStrictEqual(b);
    expect(a.traceHash).not.toBe((await runSeed(scenario, 5)).traceHash);
    expect(a.logWeight).not.toBe(0);
    expect(a.weight).toBe(Math.exp(a.logWeight));
    expect(a.importance?.['clock.offset']?.n).toBe(2);
    expect(a.importance?.['store.requestLatency']?.n).toBe(a.storeReads + a.storeWrites);
  });
});

describe('importance sampling: the scenario block and the search', () => {
  const raw = {
    duration: 400,
    owner: { strategy: 'lakefs', acquireInterval: 10, refreshInterval: 40 },
    nodes: 2,
    faults: { pauses: { rate: 4, duration: { dist: 'lognormal', median: 6, p99: 30 } }, clock: { offset: { dist: 'uniform', min: 0, max: 2 } } },
  };

  it('reads an importance: block into a proposal (store.latency sets both directions)', () => {
    const s = parseScenario({ ...raw, faults: { ...raw.faults, store: { latency: { dist: 'exponential', mean: 1 } } }, importance: { pauses: { rate: 6, duration: { mix: 0.2, dist: 'lognormal', median: '30ms', p99: '80ms' } }, store: { latency: { dist: 'exponential', mean: 2 } } } }, 'x.yaml');
    expect(s.importance).toEqual({
      'pauses.rate': 6,
      'pauses.duration': { dist: 'lognormal', median: 30, p99: 80, mix: 0.2 },
      'store.requestLatency': { dist: 'exponential', mean: 2 },
      'store.responseLatency': { dist: 'exponential', mean: 2 },
    });
  });

  it.each<[object, string]>([
    [{ pauses: { duration: { dist: 'uniform', min: 0, max: 50 } } }, 'x.yaml: importance.pauses.duration: expected a proposal that can draw every value the scenario can'],
    [{ clock: { offset: { dist: 'uniform', min: 0.5, max: 3 } } }, 'x.yaml: importance.clock.offset: expected a proposal that can draw every value the scenario can'],
    [{ crashes: { rate: 1 } }, "x.yaml: importance.crashes.rate: the scenario's faults.crashes.rate is 0"],
    [{ pauses: { duration: { mix: 2, dist: 'exponential', mean: 3 } } }, 'x.yaml: importance.pauses.duration.mix: expected a number in (0, 1], got 2'],
    [{ pauses: { duration: { dist: 'lognormal', median: 3 } } }, 'x.yaml: importance.pauses.duration.p99: expected a duration'],
    [{ pause: {} }, 'x.yaml: importance.pause: unknown field'],
  ])('refuses %j with one line naming the field', (importance, message) => {
    expect(() => parseScenario({ ...raw, importance }, 'x.yaml')).toThrow(message);
  });

  it('auto: the search and the final batch are the same on 1 and 2 workers, and repeat from the printed proposal', async () => {
    const { runImportance } = await import('../../sim/importance/run-importance.js');
    const s = parseScenario(raw, 'x.yaml');
    const opts = { seeds: 30, seedStart: 3, search: { batch: 20, maxIterations: 2 } };
    const one = await runImportance('x.yaml', s, 'auto', { ...opts, workers: 1 });
    const two = await runImportance('x.yaml', s, 'auto', { ...opts, workers: 2 });
    expect({ ...two, wallMs: 0 }).toStrictEqual({ ...one, wallMs: 0 });
    expect(one.importance?.method).toBe('auto');
    expect((one.importance?.search as { steps: unknown[] }).steps.length).toBeGreaterThan(0);
    // the printed block, pasted into the scenario, repeats the final batch exactly
    const pasted = parseScenario({ ...raw, importance: one.importance!.proposal }, 'x.yaml');
    const again = await runImportance('x.yaml', pasted, 'scenario', { seeds: 30, seedStart: 3 });
    expect(again.traceHash).toBe(one.traceHash);
    expect(again.importance!.perAcquisitionViolationRate).toStrictEqual(one.importance!.perAcquisitionViolationRate);
  });
});
