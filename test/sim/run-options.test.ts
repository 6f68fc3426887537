/**
 * The hooks `runSeed` offers tests (strategy, wrapStore) and the pending
 * own() ages in a run's result.
 */
import { describe, expect, it } from 'vitest';
import { defineStrategy, lakefsStrategy, type AcquireRetryInput, type Store } from '../../src/index.js';
import { runSeed } from '../../sim/run.js';
import { parseScenario } from '../../sim/scenario.js';

const scenario = (extra: object = {}) =>
  parseScenario({ duration: 100, owner: { strategy: 'lakefs', acquireInterval: 5, refreshInterval: 40 }, nodes: 2, workload: { think: 0, hold: 1000 }, ...extra }, 'x.yaml');

describe('runSeed options', () => {
  it('wrapStore wraps the store of each node incarnation once, and sees its traffic', async () => {
    const seen: number[] = [];
    let calls = 0;
    const s = scenario({ nodes: [{ crashes: [{ at: 50, restartAfter: 10 }] }, {}] });
    const r = await runSeed(s, 1, {
      wrapStore: (store: Store, node: number) => {
        seen.push(node);
        const count = <T>(p: () => Promise<T>): Promise<T> => (calls++, p());
        return {
          get: (p, k) => count(() => store.get(p, k)),
          swap: (p, k, v, expected, options) => count(() => store.swap(p, k, v, expected, options)),
        };
      },
    });
    expect(seen).toEqual([0, 1, 0]); // node 0 restarted once
    expect(calls).toBe(r.storeReads + r.storeWrites);
  });

  it('strategy replaces the scenario strategy on every node; without it the run is unchanged', async () => {
    let asked = 0;
    const counting = defineStrategy({
      ...lakefsStrategy,
      name: 'counting',
      acquireRetryDelayMs: (input: AcquireRetryInput) => (asked++, lakefsStrategy.acquireRetryDelayMs(input)),
    });
    const plain = await runSeed(scenario(), 3);
    const withStrategy = await runSeed(scenario(), 3, { strategy: counting });
    expect(asked).toBeGreaterThan(0);
    expect(withStrategy.traceHash).toBe(plain.traceHash); // same decisions, same run
  });

  it('lists the age of every own() still pending when the run ends', async () => {
    const r = await runSeed(scenario(), 1);
    expect(r.acquisitions).toBe(1); // one node holds for the whole run
    expect(r.pendingOwnAgesMs).toHaveLength(1);
    expect(r.pendingOwnAgesMs[0]).toBeCloseTo(100, 6); // the other called own() at 0 and still waits
    expect(r.acquireLatenciesMs).toHaveLength(1);
  });

  it('checkpoints are called in order at their true times, and the run is the same with or without them', async () => {
    const s = parseScenario(
      { duration: 2000, owner: { strategy: 'lakefs', acquireInterval: 5, refreshInterval: 40 }, nodes: 3, workload: { think: { dist: 'exponential', mean: 10 }, hold: { dist: 'uniform', min: 5, max: 50 } } },
      'x.yaml',
    );
    for (const engine of ['fast', 'reference'] as const) {
      const plain = await runSeed(s, 7, { engine });
      const seen: number[] = [];
      const split = await runSeed(s, 7, { engine, checkpoints: { atMs: [0, 333.3, 1000, 5000], fn: (t) => seen.push(t) } });
      expect(seen).toEqual([0, 333.3, 1000]);
      expect(split.traceHash).toBe(plain.traceHash);
      expect({ ...split, trace: undefined }).toStrictEqual({ ...plain, trace: undefined });
    }
  });
});
