/**
 * The fast engine against the reference engine on the whole scenario library:
 * both are exact, so they must deliver the same events in the same order —
 * the same trace hash for every seed, the same report. (CI runs this with
 * `npm test`; `mco run --engine reference` reruns any scenario the slow way.)
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ENGINE } from '../../sim/engines.js';
import type { SeedRecord } from '../../sim/report/report.js';
import { runSeed } from '../../sim/run.js';
import { runScenario } from '../../sim/runner.js';
import { loadScenario, scenarioFiles } from '../../sim/scenario.js';

const SEEDS = 3;
const files = scenarioFiles([join(import.meta.dirname, '../../scenarios')]);

describe('engine equivalence: fast and reference on every scenario of the library', () => {
  it('covers the library', () => {
    expect(files.length).toBeGreaterThanOrEqual(12);
  });

  it.each(files.map((f) => [f.split('/').at(-1)!, f]))('%s: same trace hash per seed, same report', async (_name, file) => {
    const scenario = loadScenario(file);
    const run = async (engine: 'fast' | 'reference'): Promise<{ report: unknown; records: SeedRecord[] }> => {
      const records: SeedRecord[] = [];
      const { wallMs: _wallMs, ...report } = await runScenario(scenario, { seeds: SEEDS, engine, onRecord: (r) => records.push(r) });
      return { report, records };
    };
    const reference = await run('reference');
    const fast = await run('fast');
    expect(fast.records.map((r) => r.traceHash)).toEqual(reference.records.map((r) => r.traceHash));
    expect(fast.records).toEqual(reference.records);
    expect(fast.report).toEqual(reference.report);
  }, 120_000);

  it('the timeline of a traced run is the same on both engines', async () => {
    const scenario = loadScenario(files.find((f) => f.endsWith('gc-pause.yaml'))!);
    const reference = await runSeed(scenario, 6, { trace: true, engine: 'reference' });
    const fast = await runSeed(scenario, 6, { trace: true, engine: 'fast' });
    expect(fast.trace).toEqual(reference.trace);
    expect(fast.traceHash).toBe(reference.traceHash);
  }, 60_000);

  it('the default engine is the fast one', () => {
    expect(DEFAULT_ENGINE).toBe('fast');
  });
});
