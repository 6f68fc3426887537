/**
 * Property 6: any scenario and seed, run twice, give the same trace hash and
 * the same results; recording a timeline does not change the run.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runSeed } from '../../sim/run.js';
import { PROPERTY_TIMEOUT_MS, runProperty } from '../helpers/property.js';
import { farOutside, insideEnvelope, msIn, scenarioOf, type RawScenario } from '../helpers/scenario-arbitraries.js';
import { SIM_SEED } from './safety-property.js';

/** Scenarios with the unbounded fault models too: Poisson pauses, busy-loop blocks and crashes, exponential and lognormal delays. */
function wild(): fc.Arbitrary<RawScenario> {
  return fc.record({
    name: fc.constant('wild'),
    duration: fc.integer({ min: 100, max: 600 }),
    owner: fc.record({ acquireInterval: fc.integer({ min: 1, max: 10 }), refreshInterval: fc.integer({ min: 20, max: 60 }) }),
    nodes: fc.integer({ min: 1, max: 6 }),
    keys: fc.integer({ min: 1, max: 3 }),
    faults: fc.record({
      clock: fc.record({ offset: msIn(0, 30).map((mean) => ({ dist: 'exponential', mean })) }),
      pauses: fc.record({ rate: fc.double({ min: 0, max: 20, noNaN: true }), duration: msIn(0, 40).map((median) => ({ dist: 'lognormal', median, p99: median * 3 })) }),
      busyLoop: fc.record({ rate: fc.double({ min: 0, max: 20, noNaN: true }), duration: msIn(0, 40).map((mean) => ({ dist: 'exponential', mean })) }),
      timerLateness: msIn(0, 3).map((mean) => ({ dist: 'exponential', mean })),
      store: fc.record({
        latency: msIn(0, 3).map((median) => ({ dist: 'lognormal', median, p99: median * 4 })),
        errorRate: fc.double({ min: 0, max: 0.2, noNaN: true }),
        lostReplyRate: fc.double({ min: 0, max: 0.2, noNaN: true }),
      }),
      crashes: fc.record({ rate: fc.double({ min: 0, max: 5, noNaN: true }), restartAfter: msIn(0, 100) }),
    }),
  });
}

const shorter = (raw: RawScenario): RawScenario => ({ ...raw, duration: Math.min(raw.duration as number, 600) });

describe('property 6: determinism', () => {
  it('any scenario and seed run twice: identical trace hash and results', async () => {
    await runProperty({
      name: 'any scenario and seed run twice',
      file: import.meta.filename,
      arbitrary: fc.tuple(fc.oneof(insideEnvelope().map(shorter), farOutside().map(shorter), wild()), SIM_SEED),
      predicate: async ([raw, seed]) => {
        const scenario = scenarioOf(raw);
        const a = await runSeed(scenario, seed);
        const b = await runSeed(scenario, seed, { trace: true });
        expect(b.traceHash).toBe(a.traceHash);
        expect({ ...b, trace: undefined }).toEqual({ ...a, trace: undefined });
      },
      replay: ([raw, seed]) => ({ raw, seed }),
      numRuns: 100,
    });
  }, PROPERTY_TIMEOUT_MS);

  it('the check can fail: a different seed gives a different hash', async () => {
    const scenario = scenarioOf({ duration: 300, nodes: 3, owner: { acquireInterval: 5, refreshInterval: 40 } });
    expect((await runSeed(scenario, 1)).traceHash).not.toBe((await runSeed(scenario, 2)).traceHash);
  });
});
