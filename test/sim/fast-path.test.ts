/**
 * The fast path in the simulator: `fixed` and `observed` nodes speculate
 * (write on a guess of the stored record), so they acquire, refresh and
 * release in one `swap` round trip each (same fault model as every
 * operation). The same scenario and seeds with the same strategies made not
 * to speculate (every write decided on a fresh read: get + swap, what
 * `fastPath: false` gives, and lakefs always does) must be as safe in a
 * healthy environment and cost more store operations.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineStrategy, fixedStrategy, observedStrategy, type Strategy } from '../../src/index.js';
import { runSeed } from '../../sim/run.js';
import { loadScenario, type Scenario } from '../../sim/scenario.js';

const healthy = loadScenario(join(import.meta.dirname, '../../scenarios', 'healthy.yaml'));
const withStrategy = (s: Scenario, strategy: 'fixed' | 'observed'): Scenario => ({ ...s, owner: { ...s.owner, strategy } });
/** The scenario's strategy with speculation off: the owner reads before every write (get + swap). */
const onRead: Record<'fixed' | 'observed', Strategy> = {
  fixed: defineStrategy({ ...fixedStrategy, name: 'fixed-on-read', speculate: false }),
  observed: defineStrategy({ ...observedStrategy, name: 'observed-on-read', speculate: false }),
};
const SEEDS = [1, 2, 3, 4, 5];

describe('simulator: fast path vs get + swap on the same seeds (healthy environment)', () => {
  for (const strategy of ['fixed', 'observed'] as const) {
    it(`${strategy}: zero violations either way, fewer store operations per acquisition with the fast path`, async () => {
      const scenario = withStrategy(healthy, strategy);
      let fast = { ops: 0, acquisitions: 0 };
      let generic = { ops: 0, acquisitions: 0 };
      for (const seed of SEEDS) {
        const f = await runSeed(scenario, seed);
        const g = await runSeed(scenario, seed, { strategy: onRead[strategy] });
        expect([f.violations, g.violations], `seed ${seed}`).toEqual([0, 0]);
        expect(f.acquisitions, `seed ${seed}`).toBeGreaterThan(0);
        fast = { ops: fast.ops + f.storeReads + f.storeWrites, acquisitions: fast.acquisitions + f.acquisitions };
        generic = { ops: generic.ops + g.storeReads + g.storeWrites, acquisitions: generic.acquisitions + g.acquisitions };
      }
      const perAcqFast = fast.ops / fast.acquisitions;
      const perAcqGeneric = generic.ops / generic.acquisitions;
      console.log(`${strategy} healthy, seeds ${SEEDS.join(',')}: store ops per acquisition ${perAcqFast.toFixed(2)} (fast path) vs ${perAcqGeneric.toFixed(2)} (get + swap)`);
      expect(perAcqFast).toBeLessThan(0.9 * perAcqGeneric);
    });
  }

  it('the same seed twice gives the same trace hash with the fast path', async () => {
    const scenario = withStrategy(healthy, 'fixed');
    const a = await runSeed(scenario, 7);
    const b = await runSeed(scenario, 7);
    expect(a.traceHash).toBe(b.traceHash);
    expect((await runSeed(scenario, 7, { strategy: onRead.fixed })).traceHash).not.toBe(a.traceHash);
  });
});
