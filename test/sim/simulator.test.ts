/**
 * What the simulator must show about the `lakefs` strategy, on the scenario
 * library itself (scenarios/*.yaml), plus determinism.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSeed } from '../../sim/run.js';
import { runScenario } from '../../sim/runner.js';
import { loadScenario, parseScenario, type Scenario } from '../../sim/scenario.js';

const library = (name: string): Scenario => loadScenario(join(import.meta.dirname, '../../scenarios', `${name}.yaml`));
const withoutWall = <T extends { wallMs: number }>(r: T): Omit<T, 'wallMs'> => {
  const { wallMs: _wallMs, ...rest } = r;
  return rest;
};

describe('simulator on the scenario library', () => {
  it('healthy: zero violations over 500 seeds, with real contention', async () => {
    const r = await runScenario(library('healthy'), { seeds: 500 });
    expect(r.runs).toBe(500);
    expect(r.acquisitions).toBeGreaterThan(500 * 50);
    expect(r.handoffMs).not.toBeNull();
    expect(r.violations).toBe(0);
    expect(r.runsWithViolation).toBe(0);
    expect(r.violationRate.high).toBeLessThan(0.01);
  }, 120_000);

  // clock-skew with its offsets pinned: node 1's wall clock a constant `offset` ahead of node 0's
  const pinnedSkew = (offset: number): Scenario => {
    const s = library('clock-skew');
    const node = (o: number) => ({ offset: o, driftPpm: 0, jumps: [], pauses: [], busy: [], crashes: [] });
    return { ...s, nodes: [node(0), node(offset)] };
  };

  it('clock-skew: a constant offset of 30 ms > refreshInterval/2 gives violations in most runs', async () => {
    const s = pinnedSkew(30);
    expect(30).toBeGreaterThan(s.owner.refreshIntervalMs / 2);
    const r = await runScenario(s, { seeds: 100 });
    expect(r.runsWithViolation / r.runs).toBeGreaterThan(0.5);
    expect(r.maxSimultaneousOwners).toBe(2);
    expect(r.overlapMs!.max).toBeGreaterThan(0);
  });

  it('clock-skew control: the same two nodes 10 ms apart never double-own', async () => {
    const r = await runScenario(pinnedSkew(10), { seeds: 100 });
    expect(r.acquisitions).toBeGreaterThan(1000);
    expect(r.violations).toBe(0);
  });

  it('crash-failover: a crashed holder is replaced within refreshInterval + acquireInterval + 4 one-way store delays (max over seeds)', async () => {
    const base = library('crash-failover');
    // Waiters always present (no think time) and at most one node down at a time
    // (node i crashes at 50 + 250·i + 1000·k ms, back 100 ms later), so failover
    // measures the algorithm, not think time or a cluster with nobody left.
    const nodes = Array.from({ length: 4 }, (_, i) => ({
      offset: 0,
      driftPpm: 0,
      jumps: [],
      pauses: [],
      busy: [],
      crashes: Array.from({ length: 10 }, (_, k) => ({ at: 50 + 250 * i + 1000 * k, restartAfter: 100 })),
    }));
    const s: Scenario = {
      ...base,
      nodes,
      workload: { ...base.workload, think: { dist: 'constant', value: 0 } },
      faults: { ...base.faults, crashes: { rate: 0, restartAfterMs: 0 } },
    };
    const maxDelay = 2; // scenario store latency is uniform 0.1–2 ms each way
    const bound = s.owner.refreshIntervalMs + s.owner.acquireIntervalMs + 4 * maxDelay;
    const r = await runScenario(s, { seeds: 100 });
    expect(r.failoverMs).not.toBeNull();
    expect(r.violations).toBe(0);
    expect(r.failoverMs!.max).toBeLessThanOrEqual(bound);
    // and not trivially: failover takes a good part of a lease
    expect(r.failoverMs!.p50).toBeGreaterThan(s.owner.refreshIntervalMs / 4);
  });

  it('flaky-store: injected errors and lost replies cause violations (refresh stops on one failed read) without unhandled rejections', async () => {
    const r = await runScenario(library('flaky-store'), { seeds: 20 });
    expect(r.violations).toBeGreaterThan(0);
    expect(r.acquisitions).toBeGreaterThan(1000);
  });
});

describe('determinism', () => {
  it('the same seed twice gives the same trace hash and an identical report apart from wallMs', async () => {
    const s = library('gc-pause');
    const a = await runScenario(s, { seeds: 8, seedStart: 40 });
    const b = await runScenario(s, { seeds: 8, seedStart: 40 });
    expect(withoutWall(b)).toEqual(withoutWall(a));
    expect(JSON.stringify(withoutWall(b))).toBe(JSON.stringify(withoutWall(a)));
    const other = await runScenario(s, { seeds: 8, seedStart: 41 });
    expect(other.traceHash).not.toBe(a.traceHash);
  });

  it('recording a timeline does not change the run', async () => {
    const s = parseScenario({ nodes: 3, duration: '2s', owner: { acquireInterval: '5ms', refreshInterval: '40ms' }, faults: { pauses: { rate: 2, duration: '30ms' }, crashes: { rate: 1, restartAfter: '100ms' } } }, 't.yaml');
    const plain = await runSeed(s, 7);
    const traced = await runSeed(s, 7, { trace: true });
    expect(traced.traceHash).toBe(plain.traceHash);
    expect(traced.acquisitions).toBe(plain.acquisitions);
    expect(traced.trace!.length).toBeGreaterThan(100);
    expect(plain.trace).toBeUndefined();
  });

  it('a fault source does not reshuffle the others: adding store errors keeps node clocks and workload draws', async () => {
    const base = parseScenario({ nodes: 2, duration: '300ms', faults: { clock: { offset: { dist: 'uniform', min: '-5ms', max: '5ms' } } } }, 'a.yaml');
    const noisy = parseScenario({ nodes: 2, duration: '300ms', faults: { clock: { offset: { dist: 'uniform', min: '-5ms', max: '5ms' } }, pauses: { rate: 1, duration: '1ms' } } }, 'b.yaml');
    const a = await runSeed(base, 3, { trace: true });
    const b = await runSeed(noisy, 3, { trace: true });
    const firstLines = (r: typeof a) => r.trace!.filter((e) => e.text.startsWith('clock offset') || e.text.endsWith('called')).slice(0, 4);
    expect(firstLines(b)).toEqual(firstLines(a));
  });
});

describe('strategies beyond lakeFS in the simulator (same seeds)', () => {
  const skewed = (strategy: Scenario['owner']['strategy']): Scenario => {
    const s = library('clock-skew');
    const node = (o: number) => ({ offset: o, driftPpm: 0, jumps: [], pauses: [], busy: [], crashes: [] });
    return { ...s, nodes: [node(0), node(30)], owner: { ...s.owner, strategy } };
  };

  it('30 ms of clock offset: lakefs writes stale effects; fixed tells the holder and fencing rejects them; observed never double-owns', async () => {
    const [lakefs, fixed, observed] = await Promise.all(['lakefs', 'fixed', 'observed'].map((st) => runScenario(skewed(st as 'lakefs'), { seeds: 30 })));
    expect(lakefs!.violations).toBeGreaterThan(0);
    expect(lakefs!.resource.staleEffects).toBeGreaterThan(0);
    expect(lakefs!.told).toBe(0);
    expect(fixed!.violations).toBeGreaterThan(0); // same wall-clock rule as lakeFS
    expect(fixed!.told).toBeGreaterThan(0);
    expect(fixed!.resource.staleEffects).toBe(0);
    expect(fixed!.resource.rejected).toBeGreaterThan(0);
    expect(fixed!.overlapMs!.max).toBeLessThan(lakefs!.overlapMs!.max);
    expect(observed!.violations).toBe(0);
    expect(fixed!.handoffMs!.p99).toBeLessThan(lakefs!.handoffMs!.p99);
    expect(observed!.handoffMs!.p99).toBeLessThan(lakefs!.handoffMs!.p99);
  }, 60_000);
});
