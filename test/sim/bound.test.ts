/**
 * The derived envelopes (sim/bound.ts): the worked example of docs/bound.md,
 * the unbounded cases, and the clock-gap maximisation against brute force.
 * Whether the bounds *hold* is what test/property/ checks in the simulator.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FLOAT_SLACK_MS,
  clockGap,
  failoverBoundMs,
  handoffBoundMs,
  mergePauses,
  progressAnalysis,
  safetyAnalysis,
  safetyMargin,
  waitBoundMs,
  type NodeEnvelope,
} from '../../sim/bound.js';
import { loadScenario, parseScenario } from '../../sim/scenario.js';

const library = (name: string) => loadScenario(join(import.meta.dirname, '../../scenarios', `${name}.yaml`));
const base = {
  duration: '2s',
  owner: { acquireInterval: 5, refreshInterval: 40 },
  nodes: 3,
  faults: { store: { latency: { dist: 'uniform', min: 0.1, max: 2 } } },
};

describe('safetyMargin', () => {
  it('worked example (docs/bound.md): healthy = 40 − (20 + 3·2 + 2·2) − 2 ms skew − ε', () => {
    const a = safetyAnalysis(library('healthy'));
    expect(a.requestDelayMaxMs).toBe(2);
    expect(a.responseDelayMaxMs).toBe(2);
    expect(a.refreshGapMs).toBe(20 + 6 + 4);
    expect(a.holdCoverMs).toBe(2 + 2 + 50);
    expect(a.windowMs).toBe(30);
    expect(a.skewMs).toBe(2); // offsets uniform in [-1, 1] ms
    expect(a.marginMs).toBeCloseTo(40 - 30 - 2 - FLOAT_SLACK_MS, 9);
    expect(a.unbounded).toEqual([]);
  });

  it('agrees in sign with the scenario library: positive exactly where the library shows no violation', () => {
    for (const name of ['healthy', 'crash-failover', 'many-keys', 'thundering-herd']) expect(safetyMargin(library(name)), name).toBeGreaterThan(0);
    for (const name of ['clock-skew', 'clock-drift', 'clock-jump', 'flaky-store', 'gc-pause', 'late-timers', 'slow-store']) {
      expect(safetyMargin(library(name)), name).toBeLessThan(0);
    }
  });

  it('each fault takes its share: skew, lateness, a pause and each one-way delay', () => {
    const m = (extra: object) => safetyMargin(parseScenario({ ...base, ...extra }, 'x.yaml'));
    const m0 = m({});
    expect(m({ nodes: [{ offset: 0 }, { offset: 5 }, {}] })).toBeCloseTo(m0 - 5, 9);
    expect(m({ faults: { ...base.faults, timerLateness: { dist: 'uniform', min: 0, max: 3 } } })).toBeCloseTo(m0 - 3, 9);
    expect(m({ nodes: [{ pauses: [{ at: 100, for: 4 }] }, {}, {}] })).toBeCloseTo(m0 - 4, 9);
    expect(m({ faults: { store: { requestLatency: { dist: 'uniform', min: 0.1, max: 3 }, responseLatency: { dist: 'uniform', min: 0.1, max: 2 } } } })).toBeCloseTo(m0 - 3, 9);
    expect(m({ faults: { store: { requestLatency: { dist: 'uniform', min: 0.1, max: 2 }, responseLatency: { dist: 'uniform', min: 0.1, max: 3 } } } })).toBeCloseTo(m0 - 2, 9);
  });

  it('overlapping pauses stall as one; pauses that fit in one window add up', () => {
    expect(mergePauses([{ at: 10, for: 5 }, { at: 12, for: 10 }, { at: 40, for: 1 }])).toEqual([[10, 22], [40, 41]]);
    const m = (pauses: object[]) => safetyMargin(parseScenario({ ...base, nodes: [{ pauses }, {}, {}] }, 'x.yaml'));
    const m0 = m([]);
    expect(m([{ at: 10, for: 2 }, { at: 11, for: 2 }])).toBeCloseTo(m0 - 3, 9);
    expect(m([{ at: 10, for: 2 }, { at: 25, for: 2 }])).toBeCloseTo(m0 - 4, 9); // both inside a ~34 ms window
    expect(m([{ at: 10, for: 2 }, { at: 500, for: 2 }])).toBeCloseTo(m0 - 2, 9);
  });

  it('store faults: refresh cannot be relied on, so only holds shorter than about a lease are safe', () => {
    const faulty = (hold: object) => safetyAnalysis(parseScenario({ ...base, workload: { hold }, faults: { store: { ...base.faults.store, errorRate: 0.01 } } }, 'x.yaml'));
    const short = faulty({ dist: 'uniform', min: 1, max: 10 });
    expect(short.storeFaults).toBe(true);
    expect(short.windowMs).toBe(2 + 2 + 10);
    expect(short.marginMs).toBeGreaterThan(0);
    expect(faulty({ dist: 'uniform', min: 1, max: 50 }).marginMs).toBeLessThan(0);
    expect(faulty({ dist: 'exponential', mean: 5 }).marginMs).toBe(-Infinity);
  });

  it('is -Infinity when a needed maximum does not exist, and says why', () => {
    const cases: [object, RegExp][] = [
      [{ faults: { store: { latency: { dist: 'exponential', mean: 1 } } } }, /requestLatency \(exponential\)/],
      [{ faults: { ...base.faults, timerLateness: { dist: 'lognormal', median: 1, p99: 3 } } }, /timerLateness \(lognormal\)/],
      [{ faults: { ...base.faults, clock: { offset: { dist: 'exponential', mean: 1 } } } }, /clock.offset/],
      [{ faults: { ...base.faults, pauses: { rate: 1, duration: 5 } } }, /Poisson pauses/],
    ];
    for (const [extra, why] of cases) {
      const a = safetyAnalysis(parseScenario({ ...base, ...extra }, 'x.yaml'));
      expect(a.marginMs).toBe(-Infinity);
      expect(a.unbounded.join('; ')).toMatch(why);
    }
    // an unbounded distribution that no node uses does not matter
    const overridden = parseScenario({ ...base, nodes: [{ offset: 0 }, { offset: 1 }], faults: { ...base.faults, clock: { offset: { dist: 'exponential', mean: 9 } } } }, 'x.yaml');
    expect(safetyMargin(overridden)).toBeGreaterThan(0);
  });

  it('is +Infinity with one node (it never owns twice at once)', () => {
    expect(safetyMargin(parseScenario({ ...base, nodes: 1 }, 'x.yaml'))).toBe(Infinity);
  });

  it('drift: a slow holder ticks late and a fast reader runs ahead over the run', () => {
    const m = (drifts: number[], duration: string) => safetyAnalysis(parseScenario({ ...base, duration, nodes: drifts.map((driftPpm) => ({ driftPpm })) }, 'x.yaml'));
    const d = m([-1000, 1000], '10s');
    expect(d.refreshGapMs).toBeCloseTo(20 / (1 - 0.001) + 10, 9);
    expect(d.skewMs).toBeCloseTo(10_000 * 0.002, 6); // the reader gains 1 ms/s, the writer loses 1 ms/s
    expect(m([-1000, 1000], '1s').skewMs).toBeCloseTo(2, 6);
  });
});

describe('clockGap: the vertex enumeration equals brute force', () => {
  const envelope: fc.Arbitrary<NodeEnvelope> = fc
    .record({
      o: fc.tuple(fc.integer({ min: -20, max: 20 }), fc.integer({ min: 0, max: 10 })),
      r: fc.tuple(fc.integer({ min: -2000, max: 2000 }), fc.integer({ min: 0, max: 2000 })),
      jumps: fc.array(fc.record({ at: fc.integer({ min: 0, max: 1000 }), by: fc.integer({ min: -30, max: 30 }) }), { maxLength: 3 }),
    })
    .map(({ o, r, jumps }) => ({
      offsetMin: o[0],
      offsetMax: o[0] + o[1],
      rateErrMin: r[0] / 1e6,
      rateErrMax: (r[0] + r[1]) / 1e6,
      jumps: [...jumps].sort((a, b) => a.at - b.at),
      pauses: [],
    }));

  const err = (n: NodeEnvelope, t: number, high: boolean): number =>
    (high ? n.offsetMax : n.offsetMin) + t * (high ? n.rateErrMax : n.rateErrMin) + n.jumps.filter((j) => j.at <= t).reduce((s, j) => s + j.by, 0);

  function brute(reader: NodeEnvelope, writer: NodeEnvelope, w: number, d: number): number {
    const ts = new Set<number>();
    for (let i = 0; i <= 200; i++) ts.add((d * i) / 200);
    for (const j of [...reader.jumps, ...writer.jumps]) for (const t of [j.at, j.at - 1e-9, j.at - w, j.at - w - 1e-9, j.at + w]) if (t >= 0 && t <= d) ts.add(t);
    const times = [...ts].sort((a, b) => a - b);
    let best = -Infinity;
    for (const c of times) {
      const low = err(writer, c, false);
      const ys = [c, Math.min(d, c + w), ...times.filter((y) => y >= c && y <= c + w)];
      for (const y of ys) best = Math.max(best, err(reader, y, true) - low);
    }
    return best;
  }

  it('over random offsets, drifts and jumps', () => {
    fc.assert(
      fc.property(envelope, envelope, fc.integer({ min: 1, max: 300 }), fc.integer({ min: 100, max: 1000 }), (reader, writer, w, d) => {
        const exact = clockGap(reader, writer, w, d);
        const sampled = brute(reader, writer, w, d);
        // sound (never below what the clocks can do, up to the ns probe inside FLOAT_SLACK_MS) and tight up to the grid's drift resolution
        expect(exact).toBeGreaterThanOrEqual(sampled - 1e-5);
        expect(exact).toBeLessThanOrEqual(sampled + (d / 200) * 0.004 + 1e-5);
      }),
      { numRuns: 300 },
    );
  });
});

describe('liveness bounds', () => {
  it('handoff and failover for the healthy library scenario (docs/bound.md)', () => {
    const s = library('healthy');
    // H = max(X + Dq + 2·Dp + RI, C + RI + S_all) + 2·(Dq + Dp), X = 3·Dq + 2·Dp, C = 2·Dq + 2·Dp, S_all = 2
    expect(handoffBoundMs(s)).toBeCloseTo(Math.max(10 + 2 + 4 + 40, 8 + 40 + 2) + 8, 6);
    // F: the same with X = Dq, C = 0
    expect(failoverBoundMs(s)).toBeCloseTo(Math.max(2 + 2 + 4 + 40, 0 + 40 + 2) + 8, 6);
    expect(progressAnalysis(s).unbounded).toEqual([]);
  });

  it('are infinite outside the envelope, with store faults, and handoff with crashes', () => {
    expect(handoffBoundMs(library('clock-skew'))).toBe(Infinity);
    expect(failoverBoundMs(library('flaky-store'))).toBe(Infinity);
    expect(handoffBoundMs(library('crash-failover'))).toBe(Infinity);
    expect(failoverBoundMs(library('crash-failover'))).toBeLessThan(60);
  });

  it('wait bound: finite only when think times are longer than it', () => {
    const s = (think: number) => parseScenario({ ...base, workload: { think: { dist: 'uniform', min: think, max: think + 10 }, hold: { dist: 'uniform', min: 1, max: 20 } } }, 'x.yaml');
    const bound = 20 + 3 * (20 + handoffBoundMs(s(1e9)));
    expect(waitBoundMs(s(1e9))).toBeCloseTo(bound, 9);
    expect(waitBoundMs(s(bound + 1))).toBeCloseTo(bound, 9);
    expect(waitBoundMs(s(bound - 1))).toBe(Infinity);
    expect(waitBoundMs(library('healthy'))).toBe(Infinity); // exponential think: lakefs can starve a waiter
  });
});
