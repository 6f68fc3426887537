/**
 * Many seeds of a scenario under importance sampling: the proposal from the
 * scenario's `importance:` block (`scenario`) or from the cross-entropy
 * search (`auto`), then one weighted batch and its report.
 */
import type { Report } from '../report/report.js';
import { runScenario, type RunScenarioOptions } from '../runner.js';
import { ScenarioError, type Scenario } from '../scenario.js';
import { autoParams, crossEntropy, DEFAULT_SEARCH, type SearchOptions } from './cross-entropy.js';
import { roundProposal } from './proposal.js';

/** `--importance`: where the proposal comes from. */
export const IMPORTANCE_MODES = ['scenario', 'auto'] as const;
export type ImportanceMode = (typeof IMPORTANCE_MODES)[number];

export interface ImportanceOptions extends Omit<RunScenarioOptions, 'importance' | 'keepPerSeed'> {
  /** The cross-entropy search's settings (`auto`); the defaults are {@link DEFAULT_SEARCH}. */
  search?: Partial<Omit<SearchOptions, 'seedStart'>>;
  /** Called after each pilot batch of the search. */
  onSearchStep?: (step: number, runsWithViolation: number, batch: number) => void;
  /** Keep per-seed records in the report. */
  keepPerSeed?: boolean;
}

/** Runs `scenario` (from `file`) under importance sampling; the report has an `importance` block. */
export async function runImportance(file: string, scenario: Scenario, mode: ImportanceMode, options: ImportanceOptions = {}): Promise<Report> {
  const { search: searchOptions, onSearchStep, ...run } = options;
  if (mode === 'scenario') {
    if (scenario.importance === undefined || Object.keys(scenario.importance).length === 0) {
      throw new ScenarioError(file, 'importance', 'expected an importance: block naming the fault parameters to tilt (for --importance scenario; or use --importance auto)');
    }
    return runScenario(scenario, { ...run, importance: { method: 'scenario', proposal: roundProposal(scenario.importance) } });
  }
  const params = autoParams(scenario.faults, scenario.importance);
  if (params.length === 0) {
    throw new ScenarioError(file, 'faults', 'expected a fault to tilt for --importance auto: pauses or crashes with a rate > 0, or a lognormal/exponential clock offset (or name parameters in an importance: block)');
  }
  const settings: SearchOptions = { ...DEFAULT_SEARCH, ...searchOptions, seedStart: run.seedStart ?? 1 };
  let step = 0;
  const search = await crossEntropy(
    scenario.faults,
    params,
    scenario.importance ?? {},
    async (proposal, seedStart, count) => {
      const report = await runScenario(scenario, { ...run, onProgress: undefined, onRecord: undefined, seeds: count, seedStart, keepPerSeed: true, importance: { method: 'auto', proposal } });
      const records = report.perSeed ?? [];
      onSearchStep?.(++step, records.filter((r) => r.violations > 0).length, records.length);
      return records;
    },
    settings,
    run.signal,
  );
  const { proposal, ...rest } = search;
  return runScenario(scenario, { ...run, importance: { method: 'auto', proposal, search: { ...rest, batch: settings.batch, eliteShare: settings.eliteShare } } });
}
