/**
 * Property 3 (liveness) as reusable pieces, so the mutation test can run the
 * same properties against a deliberately slow strategy.
 */
import fc from 'fast-check';
import { failoverBoundMs, handoffBoundMs, waitBoundMs } from '../../sim/bound.js';
import { runSeed, type RunOptions } from '../../sim/run.js';
import { parseScenario, type Scenario } from '../../sim/scenario.js';
import type { Replayable } from '../helpers/property.js';
import { insideEnvelope, msIn, scenarioOf, type RawScenario } from '../helpers/scenario-arbitraries.js';
import { SIM_SEED } from './safety-property.js';

type Case = [RawScenario, number];

/** Counts over the runs of a property, to show it was not vacuous. */
export interface LivenessTally {
  runs: number;
  samples: number;
  worstRatio: number;
}

interface Property {
  arbitrary: fc.Arbitrary<Case>;
  predicate: (v: Case) => Promise<void>;
  replay: (v: Case) => Replayable;
  tally: LivenessTally;
}

function property(arbitrary: fc.Arbitrary<RawScenario>, check: (scenario: Scenario, seed: number, tally: LivenessTally) => Promise<void>, note?: string): Property {
  const tally: LivenessTally = { runs: 0, samples: 0, worstRatio: 0 };
  return {
    arbitrary: fc.tuple(arbitrary, SIM_SEED),
    predicate: async ([raw, seed]) => check(scenarioOf(raw), seed, tally),
    replay: ([raw, seed]) => ({ raw, seed, ...(note ? { note } : {}) }),
    tally,
  };
}

function within(what: string, samples: readonly number[], bound: number, tally: LivenessTally): void {
  tally.samples += samples.length;
  for (const x of samples) {
    tally.worstRatio = Math.max(tally.worstRatio, x / bound);
    if (x > bound) throw new Error(`${what} took ${x.toFixed(3)} ms > derived bound ${bound.toFixed(3)} ms`);
  }
}

/** 3a. No crashes, no store faults, inside the envelope: every handoff within handoffBoundMs. */
export function handoffWithinBound(run: RunOptions = {}, note?: string): Property {
  return property(
    insideEnvelope({ storeFaults: false, crashes: false }),
    async (scenario, seed, tally) => {
      const bound = handoffBoundMs(scenario);
      fc.pre(Number.isFinite(bound));
      const r = await runSeed(scenario, seed, run);
      tally.runs++;
      within('a handoff (release with a waiter → next owner)', r.handoffsMs, bound, tally);
    },
    note,
  );
}

/**
 * 3b. Finite holds, no crashes, think times longer than waitBoundMs: every
 * own() (also those still pending when the run ends) resolves within it.
 */
export function everyOwnWithinBound(run: RunOptions = {}, note?: string): Property {
  const gated = fc
    .tuple(insideEnvelope({ storeFaults: false, crashes: false, nodes: [2, 4], durationMs: [300, 300] }), fc.integer({ min: 2, max: 4 }), msIn(0, 50))
    .map(([raw, rounds, spread]) => {
      const hold = (raw.workload as { hold: { dist: string } }).hold;
      const bounded = hold.dist === 'exponential' ? { dist: 'uniform', min: 1, max: 20 } : hold;
      const probe = { ...raw, workload: { think: { dist: 'constant', value: 1e9 }, hold: bounded } };
      const bound = waitBoundMs(parseScenario(probe, '<generated>'));
      if (!Number.isFinite(bound)) return probe; // filtered out below
      const thinkMin = Math.ceil(bound * 1.001) + 1;
      return { ...probe, duration: thinkMin * rounds + spread, workload: { think: { dist: 'uniform', min: thinkMin, max: thinkMin + spread }, hold: bounded } };
    });
  return property(
    gated,
    async (scenario, seed, tally) => {
      const bound = waitBoundMs(scenario);
      fc.pre(Number.isFinite(bound));
      const r = await runSeed(scenario, seed, run);
      tally.runs++;
      within('an own() call', r.acquireLatenciesMs, bound, tally);
      within('an own() call still pending at the end of the run', r.pendingOwnAgesMs, bound, tally);
    },
    note,
  );
}

/**
 * 3c. Crashes one at a time, every other node alive and waiting (think 0), no
 * store faults, inside the envelope: every failover within failoverBoundMs.
 */
export function failoverWithinBound(run: RunOptions = {}, note?: string): Property {
  const crashing = fc
    .tuple(insideEnvelope({ storeFaults: false, crashes: false, nodes: [2, 5], durationMs: [1000, 2000] }), msIn(0, 100), msIn(0, 50))
    .map(([raw, restartAfter, phase]) => {
      // one key: a crashed holder's key is the one everybody waits for
      const base: RawScenario = { ...raw, keys: 1, workload: { ...(raw.workload as object), think: { dist: 'constant', value: 0 } } };
      const bound = failoverBoundMs(parseScenario(base, '<generated>'));
      if (!Number.isFinite(bound)) return base;
      const nodes = base.nodes as { crashes: { at: number; restartAfter: number }[] }[];
      const spacing = Math.ceil(bound + restartAfter) + 10; // the failover and the restart finish before the next crash
      const crashes = nodes.map(() => [] as { at: number; restartAfter: number }[]);
      for (let k = 0, at = 20 + phase; at < (base.duration as number); k++, at += spacing) {
        crashes[k % nodes.length]!.push({ at: Math.round(at * 1000) / 1000, restartAfter });
      }
      return { ...base, nodes: nodes.map((n, i) => ({ ...n, crashes: crashes[i]! })) };
    });
  return property(
    crashing,
    async (scenario, seed, tally) => {
      const bound = failoverBoundMs(scenario);
      fc.pre(Number.isFinite(bound) && scenario.nodes.some((n) => n.crashes.length > 0));
      const r = await runSeed(scenario, seed, run);
      tally.runs++;
      within('a failover (holder crashed → next owner)', r.failoversMs, bound, tally);
    },
    note,
  );
}
