/**
 * Mutation check: deliberately broken owners must make the properties fail,
 * with a counterexample that replays. The mutations are injected through
 * `runSeed`'s `wrapStore` / `strategy` options (a scenario file cannot name
 * them), so the written YAML replays the *unmutated* scenario: the test shows
 * the same scenario and seed violate with the mutation and not without it.
 *
 * - skip refresh: the holder's refresh swaps report success but never reach
 *   the store (a holder that stops refreshing and does not know it);
 * - early expiry: every record is read with its expiry 2 × refreshInterval
 *   earlier (expiry judged with a 2 × refreshInterval grace the wrong way);
 * - slow waiters: the strategy sleeps 2 × refreshInterval longer than lakefs
 *   before each retry (breaks the liveness bound, not safety).
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defineStrategy, lakefsStrategy, type AcquireRetryInput, type Store, type StoreEntry } from '../../src/index.js';
import { decodeRecord, encodeRecord, expiresMs, predicateValue, timestampFromMs, valuePredicate } from '../../src/internal.js';
import { safetyMargin } from '../../sim/bound.js';
import { runSeed, type RunOptions } from '../../sim/run.js';
import { loadScenario } from '../../sim/scenario.js';
import { PROPERTY_TIMEOUT_MS, runProperty, type PropertyFailure } from '../helpers/property.js';
import type { RawScenario } from '../helpers/scenario-arbitraries.js';
import { handoffWithinBound } from './liveness-property.js';
import { insideEnvelopeHasNoViolation } from './safety-property.js';

/** Refresh swaps (same owner before and after, not a release) answer success without writing. */
function skipRefresh(store: Store): Store {
  return {
    get: (p, k) => store.get(p, k),
    swap: (p, k, v, expected, options) => {
      if (expected !== null) {
        const before = decodeRecord(predicateValue(expected), 'k');
        const after = decodeRecord(v, 'k');
        // the holder is told its record is now `v`, as if the write had landed
        if (before.owner === after.owner && expiresMs(after) !== 0) return Promise.resolve({ swapped: true, predicate: valuePredicate(v.slice()) });
      }
      return store.swap(p, k, v, expected, options);
    },
  };
}

/** Every record is read as expiring `byMs` earlier (the predicate still matches the stored bytes), also when a swap answers with it. */
function earlyExpiry(byMs: number): (store: Store) => Store {
  const early = (entry: StoreEntry | undefined): StoreEntry | undefined => {
    if (entry === undefined) return undefined;
    const record = decodeRecord(entry.value, 'k');
    record.expires = timestampFromMs(expiresMs(record) - byMs);
    return { value: encodeRecord(record), predicate: entry.predicate };
  };
  return (store) => ({
    get: async (p, k) => early(await store.get(p, k)),
    swap: async (p, k, v, expected, options) => {
      const result = await store.swap(p, k, v, expected, options);
      return result.swapped ? result : { swapped: false, current: early(result.current) };
    },
  });
}

/** Replays the failure's scenario file and seed with and without the mutation. */
async function replayBothWays(failure: PropertyFailure, mutation: RunOptions): Promise<{ mutated: number; plain: number; margin: number }> {
  expect(failure.scenarioFile).toBeDefined();
  expect(existsSync(failure.scenarioFile!)).toBe(true);
  expect(failure.message).toContain(`npx mco replay ${failure.scenarioFile} --seed ${failure.replay!.seed}`);
  expect(failure.message).toContain(`npx mco run ${failure.scenarioFile} --seed-start ${failure.replay!.seed} --seeds 1`);
  expect(failure.message).toContain(`FC_SEED=${failure.seed}`);
  expect(readFileSync(failure.scenarioFile!, 'utf8')).toMatch(/^# shrunk counterexample/);
  const scenario = loadScenario(failure.scenarioFile!);
  const seed = failure.replay!.seed;
  return {
    mutated: (await runSeed(scenario, seed, mutation)).violations,
    plain: (await runSeed(scenario, seed)).violations,
    margin: safetyMargin(scenario),
  };
}

describe('mutation check: broken owners fail the properties with a replayable counterexample', () => {
  it('property 1 catches a holder that silently skips refreshing', async () => {
    const mutation: RunOptions = { wrapStore: skipRefresh };
    const property = insideEnvelopeHasNoViolation(mutation, 'mutation "skip refresh" injected via runSeed({ wrapStore }); this file replays the unmutated scenario');
    const { failure } = await runProperty({ name: 'mutation: skip refresh', file: import.meta.filename, ...property, numRuns: 200 }, { expectFailure: true });
    expect(failure!.message).toMatch(/violation\(s\) with safety margin/);
    const replay = await replayBothWays(failure!, mutation);
    expect(replay.margin).toBeGreaterThan(0);
    expect(replay.mutated).toBeGreaterThan(0);
    expect(replay.plain).toBe(0);
  }, PROPERTY_TIMEOUT_MS);

  it('property 1 catches expiry judged 2 × refreshInterval early', async () => {
    // the grace depends on each scenario's refreshInterval
    const mutation = (raw: RawScenario): RunOptions => ({ wrapStore: earlyExpiry(2 * (raw.owner as { refreshInterval: number }).refreshInterval) });
    const property = insideEnvelopeHasNoViolation(
      mutation,
      'mutation "expiry 2 × refreshInterval early" injected via runSeed({ wrapStore }); this file replays the unmutated scenario',
    );
    const { failure } = await runProperty({ name: 'mutation: early expiry', file: import.meta.filename, ...property, numRuns: 200 }, { expectFailure: true });
    const [raw] = failure!.counterexample as [RawScenario, number];
    const replay = await replayBothWays(failure!, mutation(raw));
    expect(replay.margin).toBeGreaterThan(0);
    expect(replay.mutated).toBeGreaterThan(0);
    expect(replay.plain).toBe(0);
  }, PROPERTY_TIMEOUT_MS);

  it('property 3 catches waiters that sleep 2 × refreshInterval too long', async () => {
    const slow = defineStrategy({
      ...lakefsStrategy,
      name: 'slow-waiters',
      acquireRetryDelayMs: (input: AcquireRetryInput) => lakefsStrategy.acquireRetryDelayMs(input) + 2 * input.refreshIntervalMs,
    });
    const property = handoffWithinBound({ strategy: slow }, 'mutation "slow waiters" injected via runSeed({ strategy })');
    const { failure } = await runProperty({ name: 'mutation: slow waiters', file: import.meta.filename, ...property, numRuns: 100 }, { expectFailure: true });
    expect(failure!.message).toMatch(/handoff .* took .* > derived bound/);
    const scenario = loadScenario(failure!.scenarioFile!);
    const seed = failure!.replay!.seed;
    expect((await runSeed(scenario, seed, { strategy: slow })).handoffsMs.length).toBeGreaterThan(0);
  }, PROPERTY_TIMEOUT_MS);
});
