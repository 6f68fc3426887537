/**
 * Property 1 as a reusable piece, so the mutation test can run the very same
 * property against a deliberately broken owner.
 */
import fc from 'fast-check';
import { safetyMargin } from '../../sim/bound.js';
import type { ViolationInfo } from '../../sim/oracle.js';
import { runSeed, type RunOptions } from '../../sim/run.js';
import type { Replayable } from '../helpers/property.js';
import { insideEnvelope, scenarioOf, type RawScenario, type InsideOptions } from '../helpers/scenario-arbitraries.js';

/** Simulator seeds the properties draw. */
export const SIM_SEED = fc.integer({ min: 1, max: 1_000_000 });

/** Totals over the runs of a property, to show it was not vacuous. */
export interface SafetyTally {
  runs: number;
  acquisitions: number;
  handoffs: number;
}

/**
 * "Inside the envelope (safetyMargin > 0), a run has no violation." `run`
 * injects a mutation (per scenario, when a function); `note` says so in the
 * replay instructions.
 */
export function insideEnvelopeHasNoViolation(
  run: RunOptions | ((raw: RawScenario) => RunOptions) = {},
  note?: string,
  generator: InsideOptions = {},
): {
  arbitrary: fc.Arbitrary<[RawScenario, number]>;
  predicate: (v: [RawScenario, number]) => Promise<void>;
  replay: (v: [RawScenario, number]) => Replayable;
  tally: SafetyTally;
} {
  const tally: SafetyTally = { runs: 0, acquisitions: 0, handoffs: 0 };
  return {
    arbitrary: fc.tuple(insideEnvelope(generator), SIM_SEED),
    predicate: async ([raw, seed]) => {
      const scenario = scenarioOf(raw);
      const margin = safetyMargin(scenario);
      fc.pre(margin > 0);
      const r = await runSeed(scenario, seed, typeof run === 'function' ? run(raw) : run);
      tally.runs++;
      tally.acquisitions += r.acquisitions;
      tally.handoffs += r.handoffsMs.length;
      if (r.violations > 0) {
        throw new Error(`${r.violations} violation(s) with safety margin ${margin.toFixed(3)} ms; first: ${describeViolation(r.firstViolation)}`);
      }
    },
    replay: ([raw, seed]) => ({ raw, seed, ...(note ? { note } : {}) }),
    tally,
  };
}

/** One line about a violation. */
export function describeViolation(v: ViolationInfo | undefined): string {
  if (v === undefined) return '(none)';
  return `${v.key} at ${v.at.toFixed(3)} ms: ${v.later.owner} (node ${v.later.node}) while ${v.earlier.owner} (node ${v.earlier.node}, since ${v.earlier.start.toFixed(3)} ms) still believed`;
}
