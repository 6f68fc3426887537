/**
 * Properties 1 and 2 of the safety envelope (docs/bound.md):
 * 1. inside the envelope (safetyMargin > 0) no seed ever gives double ownership;
 * 2. far outside it (margin ≤ −refreshInterval/2, with contention) most seeds
 *    do: the oracle is not blind.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { safetyAnalysis, safetyMargin } from '../../sim/bound.js';
import { runSeed } from '../../sim/run.js';
import { PROPERTY_TIMEOUT_MS, runProperty } from '../helpers/property.js';
import { farOutside, insideEnvelope, scenarioOf, type RawScenario } from '../helpers/scenario-arbitraries.js';
import { insideEnvelopeHasNoViolation, SIM_SEED } from './safety-property.js';

describe('property 1: safety inside the envelope', () => {
  it('inside the envelope: zero violations for any mix of faults', async () => {
    const property = insideEnvelopeHasNoViolation();
    const { numRuns } = await runProperty({
      name: 'inside the envelope: zero violations for any mix of faults',
      file: import.meta.filename,
      ...property,
      numRuns: 400,
    });
    // not vacuous: most generated scenarios were inside, and keys changed hands under contention
    expect(property.tally.runs).toBeGreaterThan(numRuns / 2);
    expect(property.tally.handoffs).toBeGreaterThan(property.tally.runs * 5);
  }, PROPERTY_TIMEOUT_MS);
});

describe('property 2: the oracle is not blind', () => {
  const SEEDS = 5;
  it('far outside the envelope: violations in at least 4 of 5 seeds', async () => {
    await runProperty({
      name: 'far outside the envelope: violations in at least 4 of 5 seeds',
      file: import.meta.filename,
      arbitrary: fc.tuple(farOutside(), SIM_SEED),
      predicate: async ([raw, seed]: [RawScenario, number]) => {
        const scenario = scenarioOf(raw);
        const a = safetyAnalysis(scenario);
        expect(a.marginMs, 'the bound must call this scenario unsafe').toBeLessThanOrEqual(-scenario.owner.refreshIntervalMs / 2);
        let violating = 0;
        for (let s = seed; s < seed + SEEDS; s++) if ((await runSeed(scenario, s)).violations > 0) violating++;
        expect(violating, `seeds ${seed}..${seed + SEEDS - 1} with a violation`).toBeGreaterThanOrEqual(4);
      },
      replay: ([raw, seed]) => ({ raw, seed, seeds: SEEDS }),
      numRuns: 50,
    });
  }, PROPERTY_TIMEOUT_MS);

  it('the generators agree with the bound: inside scenarios are mostly inside, outside ones never are', () => {
    const inside = fc.sample(insideEnvelope(), { numRuns: 200, seed: 1 }).map((raw) => safetyMargin(scenarioOf(raw)));
    expect(inside.filter((m) => m > 0).length).toBeGreaterThan(120);
    const outside = fc.sample(farOutside(), { numRuns: 100, seed: 1 }).map((raw) => safetyMargin(scenarioOf(raw)));
    expect(outside.every((m) => m < 0)).toBe(true);
  });
});
