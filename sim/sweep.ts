/**
 * `mco sweep`: the grid of one or more varied parameters over a base scenario;
 * one report per cell, every cell on the same seeds.
 */
import { runImportance, type ImportanceMode } from './importance/run-importance.js';
import type { SearchOptions } from './importance/cross-entropy.js';
import { applySets, setPath, type Vary } from './overrides.js';
import type { Report } from './report/report.js';
import { runScenario, type RunScenarioOptions } from './runner.js';
import type { Shard } from './shard.js';
import { parseScenario, ScenarioError, type Scenario } from './scenario.js';

export interface SweepCell {
  /** The varied values of this cell, as given on the command line, in `vary` order. */
  labels: string[];
  report: Report;
}

export interface Sweep {
  schemaVersion: 1;
  kind: 'sweep';
  scenario: string;
  vary: { path: string; values: string[] }[];
  cells: SweepCell[];
  /** Set on a shard's sweep (`--shard i/n`): every cell ran that part of the seeds. */
  shard?: Shard;
}

/** Every combination of the varied values (first parameter varies slowest). */
export function gridCells(vary: readonly Vary[]): { labels: string[]; values: unknown[] }[] {
  let cells: { labels: string[]; values: unknown[] }[] = [{ labels: [], values: [] }];
  for (const v of vary) {
    cells = cells.flatMap((c) => v.values.map((value, i) => ({ labels: [...c.labels, v.labels[i]!], values: [...c.values, value] })));
  }
  return cells;
}

/** Validates every cell's scenario up front, so a bad value fails before anything runs. */
export function sweepScenarios(file: string, raw: unknown, sets: readonly string[], vary: readonly Vary[]): { labels: string[]; scenario: Scenario }[] {
  const base = applySets(raw, sets);
  const name = file.replace(/^.*[\\/]/, '').replace(/\.(ya?ml|json)$/i, '');
  return gridCells(vary).map((cell) => {
    let edited = base;
    cell.values.forEach((value, i) => (edited = setPath(edited, vary[i]!.path, value)));
    try {
      return { labels: cell.labels, scenario: parseScenario(edited, file, name) };
    } catch (err) {
      if (err instanceof ScenarioError) {
        const where = vary.map((v, i) => `${v.path}=${cell.labels[i]}`).join(', ');
        throw new ScenarioError(file, err.field, `${err.expected} (with --vary ${where})`);
      }
      throw err;
    }
  });
}

/** Runs every cell. */
export async function runSweep(
  file: string,
  cells: readonly { labels: string[]; scenario: Scenario }[],
  vary: readonly Vary[],
  options: Omit<RunScenarioOptions, 'importance'> & {
    onCell?: (i: number, cell: SweepCell) => void;
    /** The `onRecord` of cell `i`'s runs (instead of `onRecord`), e.g. to label per-run rows with the cell. */
    onCellRecord?: (i: number) => RunScenarioOptions['onRecord'];
    shard?: Shard;
    /** Importance sampling in every cell (each `auto` cell searches its own proposal). */
    weighted?: { mode: ImportanceMode; search?: Partial<Omit<SearchOptions, 'seedStart'>> };
  },
): Promise<Sweep> {
  const out: SweepCell[] = [];
  const { weighted: importance, onCell: _onCell, shard, onCellRecord, ...run } = options;
  for (const [i, c] of cells.entries()) {
    if (options.signal?.aborted) break;
    const onRecord = onCellRecord ? onCellRecord(i) : options.onRecord;
    const opts = { ...run, ...(onRecord ? { onRecord } : {}), keepPerSeed: shard !== undefined };
    const full =
      importance === undefined
        ? await runScenario(c.scenario, opts)
        : await runImportance(file, c.scenario, importance.mode, { ...opts, ...(importance.search ? { search: importance.search } : {}) });
    let report = full;
    if (shard !== undefined) {
      const { perSeed, ...rest } = full;
      report = { ...rest, shard, perSeed };
    }
    const cell = { labels: c.labels, report };
    out.push(cell);
    options.onCell?.(i, cell);
  }
  return {
    schemaVersion: 1,
    kind: 'sweep',
    scenario: cells[0]?.scenario.name ?? file,
    vary: vary.map((v) => ({ path: v.path, values: v.labels })),
    cells: out,
  };
}

/** The sweep as CSV: varied values, then the report metrics. */
export function sweepCsv(sweep: Sweep): string {
  const head = [
    ...sweep.vary.map((v) => v.path),
    'runs',
    'runs_with_violation',
    'violation_rate',
    'violation_rate_low',
    'violation_rate_high',
    'acquisitions',
    'violations',
    'per_acquisition_rate',
    'per_acquisition_low',
    'per_acquisition_high',
    'overlap_max_ms',
    'acquire_p99_ms',
    'handoff_p99_ms',
    'failover_p99_ms',
    'store_ops_per_held_s',
  ];
  // importance sampling's weighted estimates, only when the cells have them (a plain sweep's CSV is unchanged)
  const weighted = sweep.cells.some((c) => c.report.importance !== undefined);
  if (weighted) head.push('is_per_acquisition', 'is_per_acquisition_low', 'is_per_acquisition_high', 'is_violation_rate', 'is_violation_rate_low', 'is_violation_rate_high', 'is_ess_violations', 'is_max_weight_share', 'is_warnings');
  const rows = sweep.cells.map(({ labels, report: r }) => [
    ...labels,
    r.runs,
    r.runsWithViolation,
    r.violationRate.value,
    r.violationRate.low,
    r.violationRate.high,
    r.acquisitions,
    r.violations,
    r.perAcquisitionViolationRate.value,
    r.perAcquisitionViolationRate.low,
    r.perAcquisitionViolationRate.high,
    r.overlapMs?.max ?? '',
    r.acquireLatencyMs?.p99 ?? '',
    r.handoffMs?.p99 ?? '',
    r.failoverMs?.p99 ?? '',
    r.storeOps.perHeldSecond,
    ...(weighted ? importanceCells(r) : []),
  ]);
  const cell = (v: unknown): string => {
    const s = String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [head, ...rows].map((r) => r.map(cell).join(',')).join('\n') + '\n';
}

function importanceCells(r: Report): unknown[] {
  const imp = r.importance;
  if (imp === undefined) return ['', '', '', '', '', '', '', '', ''];
  const a = imp.perAcquisitionViolationRate;
  const v = imp.violationRate;
  return [a.value, a.low, a.high, v.value, v.low, v.high, imp.essViolations, imp.maxWeightShare, imp.warnings.length];
}
