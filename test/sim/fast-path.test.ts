/**
 * The fast path in the simulator: the simulated store offers `swap` (one
 * request/response, same fault model as every operation), so `fixed` and
 * `observed` nodes acquire, refresh and release in one round trip each. The
 * same scenario and seeds with `swap` hidden from every node (get + setIf)
 * must be as safe in a healthy environment and cost more store operations;
 * `lakefs` runs never swap, so the library's baselines are unchanged.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/index.js';
import { runSeed } from '../../sim/run.js';
import { loadScenario, type Scenario } from '../../sim/scenario.js';

const healthy = loadScenario(join(import.meta.dirname, '../../scenarios', 'healthy.yaml'));
const withStrategy = (s: Scenario, strategy: 'fixed' | 'observed'): Scenario => ({ ...s, owner: { ...s.owner, strategy } });
/** The node's store without `swap`: the owner takes get + setIf. */
const hideSwap = (store: Store): Store => ({ ...store, swap: undefined });
const SEEDS = [1, 2, 3, 4, 5];

describe('simulator: fast path vs get + setIf on the same seeds (healthy environment)', () => {
  for (const strategy of ['fixed', 'observed'] as const) {
    it(`${strategy}: zero violations either way, fewer store operations per acquisition with the fast path`, async () => {
      const scenario = withStrategy(healthy, strategy);
      let fast = { ops: 0, acquisitions: 0 };
      let generic = { ops: 0, acquisitions: 0 };
      for (const seed of SEEDS) {
        const f = await runSeed(scenario, seed);
        const g = await runSeed(scenario, seed, { wrapStore: hideSwap });
        expect([f.violations, g.violations], `seed ${seed}`).toEqual([0, 0]);
        expect(f.acquisitions, `seed ${seed}`).toBeGreaterThan(0);
        fast = { ops: fast.ops + f.storeReads + f.storeWrites, acquisitions: fast.acquisitions + f.acquisitions };
        generic = { ops: generic.ops + g.storeReads + g.storeWrites, acquisitions: generic.acquisitions + g.acquisitions };
      }
      const perAcqFast = fast.ops / fast.acquisitions;
      const perAcqGeneric = generic.ops / generic.acquisitions;
      console.log(`${strategy} healthy, seeds ${SEEDS.join(',')}: store ops per acquisition ${perAcqFast.toFixed(2)} (fast path) vs ${perAcqGeneric.toFixed(2)} (get + setIf)`);
      expect(perAcqFast).toBeLessThan(0.9 * perAcqGeneric);
    });
  }

  it('the same seed twice gives the same trace hash with the fast path', async () => {
    const scenario = withStrategy(healthy, 'fixed');
    const a = await runSeed(scenario, 7);
    const b = await runSeed(scenario, 7);
    expect(a.traceHash).toBe(b.traceHash);
    expect((await runSeed(scenario, 7, { wrapStore: hideSwap })).traceHash).not.toBe(a.traceHash);
  });
});
