/**
 * Many seeds → one report. Seeds run one after another here (each run is
 * independent, so the report depends only on the scenario and the seeds).
 */
import { ReportBuilder, type Report } from './report/report.js';
import { runSeed, type RunResult } from './run.js';
import type { Scenario } from './scenario.js';

export interface RunScenarioOptions {
  /** Number of seeds; default: the scenario's `seeds`. */
  seeds?: number;
  /** First seed; default 1. */
  seedStart?: number;
  /** Called after each seed, e.g. for progress or keeping results. */
  onResult?: (r: RunResult) => void;
  /** Wall-clock source for `wallMs` only (never affects results). */
  wallNow?: () => number;
}

/** Runs `scenario` over consecutive seeds and builds its report. */
export async function runScenario(scenario: Scenario, options: RunScenarioOptions = {}): Promise<Report> {
  const count = options.seeds ?? scenario.seeds;
  const start = options.seedStart ?? 1;
  const wallNow = options.wallNow ?? (() => performance.now());
  const builder = new ReportBuilder(scenario, start);
  const t0 = wallNow();
  for (let seed = start; seed < start + count; seed++) {
    const r = await runSeed(scenario, seed);
    options.onResult?.(r);
    builder.add(r);
  }
  return builder.build(wallNow() - t0);
}
