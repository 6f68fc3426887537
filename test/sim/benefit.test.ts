/**
 * The benefit side: on an only-one-can-succeed workload (branch-merges), the
 * owner must cut wasted work and failed operations against no owner at all.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Oracle } from '../../sim/oracle.js';
import { ProtectedResource } from '../../sim/resource.js';
import { runScenario } from '../../sim/runner.js';
import { loadScenario, type Scenario } from '../../sim/scenario.js';

const branchMerges = (strategy: Scenario['owner']['strategy']): Scenario => {
  const s = loadScenario(join(import.meta.dirname, '../../scenarios/branch-merges.yaml'));
  return { ...s, owner: { ...s.owner, strategy } };
};

describe('benefit model', () => {
  it('the resource lets exactly one updater of a version win', () => {
    const r = new ProtectedResource(new Oracle());
    expect(r.version('k')).toBe(0);
    expect(r.cas('k', 0)).toBe(true);
    expect(r.cas('k', 0)).toBe(false);
    expect(r.version('k')).toBe(1);
    expect(r.cas('other', 0)).toBe(true);
  });

  it('branch-merges: no owner wastes most work and fails operations; an owner wastes almost none', async () => {
    const none = await runScenario(branchMerges('none'), { seeds: 10 });
    const lakefs = await runScenario(branchMerges('lakefs'), { seeds: 10 });
    const fixed = await runScenario(branchMerges('fixed'), { seeds: 10 });
    expect(none.acquisitions).toBe(0);
    expect(none.operations!.wastedShare).toBeGreaterThan(0.5);
    expect(none.operations!.failed).toBeGreaterThan(100);
    expect(none.operations!.retriesPerOp).toBeGreaterThan(1);
    for (const owned of [lakefs, fixed]) {
      expect(owned.operations!.wastedShare).toBeLessThan(0.05);
      expect(owned.operations!.failed).toBeLessThan(none.operations!.failed / 10);
      expect(owned.violations).toBe(0);
    }
    // lakeFS's waiters sleep until the expiry they read: fewer operations get through than with fixed
    expect(fixed.operations!.perSecond).toBeGreaterThan(lakefs.operations!.perSecond);
    expect(fixed.operations!.latencyMs!.p99).toBeLessThan(lakefs.operations!.latencyMs!.p99);
  }, 60_000);

  it('without a work model there are no operations in the report', async () => {
    const s = branchMerges('fixed');
    const r = await runScenario({ ...s, durationMs: 500, workload: { ...s.workload, work: undefined } }, { seeds: 2 });
    expect(r.operations).toBeNull();
  });
});
