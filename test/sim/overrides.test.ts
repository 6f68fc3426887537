import { describe, expect, it } from 'vitest';
import { applySets, checkPath, INDEX, OverrideError, parseVary, SCENARIO_PATHS, setPath } from '../../sim/overrides.js';
import { parseScenario, ScenarioError } from '../../sim/scenario.js';

/**
 * A scenario with one element in every list, so that element fields can be
 * set, and the fields a block requires (a `pauses` or `crashes` block needs
 * its `rate`: setting only `faults.pauses.duration` is refused by the schema),
 * and faults an `importance:` proposal can tilt (a distribution with a
 * density, a rate or probability above 0) for each of its fields.
 */
const EXP = { dist: 'exponential', mean: 1 };
const BASE = {
  nodes: [{ jumps: [{ at: 1, by: 1 }], pauses: [{ at: 1, for: 1 }], busy: [{ at: 1, for: 1 }], crashes: [{ at: 1 }] }, {}],
  faults: {
    clock: { jumps: [{ node: 0, at: 1, by: 1 }], offset: EXP },
    pauses: { rate: 0.1, duration: EXP },
    busyLoop: { rate: 0.1 },
    timerLateness: EXP,
    store: { latency: EXP, errorRate: 0.1, lostReplyRate: 0.1 },
    crashes: { rate: 0.1 },
  },
};

/** Which kind of distribution has a field (the test's own copy of sim/dist.ts's shapes). */
const DIST_OF_FIELD: Record<string, string> = {
  dist: '{value: 1}',
  value: '{dist: constant, value: 1}',
  min: '{dist: uniform, min: 1, max: 2}',
  max: '{dist: uniform, min: 1, max: 2}',
  mean: '{dist: exponential, mean: 1}',
  median: '{dist: lognormal, median: 1, p99: 2}',
  p99: '{dist: lognormal, median: 1, p99: 2}',
};

/** Values to try, in order: the first one that validates and changes the scenario is the leaf's. */
const CANDIDATES = ['3', '1', '0.5', '7ms', 'lakefs', 'constant', 'some text', '{dist: exponential, mean: 2}'];

const leaves = SCENARIO_PATHS.filter((p) => !SCENARIO_PATHS.some((q) => q.startsWith(`${p}.`)));
const parsed = (sets: string[]): string => JSON.stringify(parseScenario(applySets(BASE, sets), 'x.yaml'));

describe('scenario parameter paths come from the zod schema', () => {
  it('has the fields the hand-kept list missed, and every field of a node and a distribution', () => {
    for (const p of ['workload.maxAttempts', 'workload.workGrowth', 'workload.work.mean', 'expect.violationRate.max', 'nodes.<i>.pauses', 'faults.clock.jumps.<i>.by']) {
      expect(SCENARIO_PATHS).toContain(p);
    }
    expect(leaves.length).toBeGreaterThan(100);
  });

  it('sets every leaf path to a value that validates and changes the scenario', () => {
    const base = parsed([]);
    const unset: string[] = [];
    for (const leaf of leaves) {
      const path = leaf.replaceAll(INDEX, '0');
      const parent = path.slice(0, path.lastIndexOf('.'));
      const field = path.slice(path.lastIndexOf('.') + 1);
      // a distribution's field fits only its own kind of distribution
      const prelude = SCENARIO_PATHS.includes(`${leaf.slice(0, leaf.lastIndexOf('.'))}.dist`) ? [`${parent}=${DIST_OF_FIELD[field]!}`] : [];
      const works = CANDIDATES.some((value) => {
        try {
          return parsed([...prelude, `${path}=${value}`]) !== base;
        } catch (err) {
          if (err instanceof ScenarioError) return false;
          throw err;
        }
      });
      if (!works) unset.push(leaf);
    }
    expect(unset).toEqual([]);
  });

  it('accepts any index for a list element, and refuses an unknown path in one line naming the closest', () => {
    expect(() => checkPath('nodes.12.offset')).not.toThrow();
    expect(() => checkPath('faults.clock.jumps.3.at')).not.toThrow();
    expect(() => checkPath('nodes.x.offset')).toThrow(OverrideError);
    expect(() => checkPath('workload.maxAttempt')).toThrow("unknown parameter path 'workload.maxAttempt' (did you mean 'workload.maxAttempts'?)");
    expect(() => checkPath('nodes.0.ofset')).toThrow("unknown parameter path 'nodes.0.ofset' (did you mean 'nodes.0.offset'?)");
    expect(() => parseVary('faults.clock.ofset.max=1ms,2ms')).toThrow("unknown parameter path 'faults.clock.ofset.max' (did you mean 'faults.clock.offset.max'?)");
  });

  it('leaves it to the schema to refuse a block without its required fields, in one line', () => {
    expect(() => parseScenario(applySets({}, ['faults.pauses.duration=100ms']), 'x.yaml')).toThrow('x.yaml: faults.pauses.rate: expected a number ≥ 0, got nothing');
  });

  it('makes a list when a path indexes into a field that is not there', () => {
    expect(setPath({}, 'faults.clock.jumps.0.node', 1)).toEqual({ faults: { clock: { jumps: [{ node: 1 }] } } });
    expect(() => parseScenario(applySets({ nodes: 2 }, ['faults.clock.jumps.0.node=1']), 'x.yaml')).toThrow(
      'x.yaml: faults.clock.jumps[0].at: expected a duration ≥ 0 (a number of ms, or a string like 5ms, 1.5s, 200us), got nothing',
    );
  });
});
