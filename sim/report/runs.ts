/**
 * Per-run data (`--runs-out F`): one row per seed's run, for pandas, R or
 * DuckDB. A row is the run's identity (scenario, its hash, strategy, the
 * parameters the command line set or varied, seed) and what the oracle
 * measured in that run. Rows come in the order the report adds seeds (seed
 * order), so the same seeds give a byte-identical file on any worker count.
 *
 * The measured columns are one table, {@link RUN_COLUMNS}: a new per-run
 * number (say an importance-sampling `weight` on the run result) is one more
 * line there. `test/sim/runs-out.test.ts` fails when a seed record carries a
 * number that is neither a column nor named in {@link NOT_COLUMNS}.
 */
import { parseDuration } from '../scenario.js';
import { round, summarize } from '../stats.js';
import type { SeedRecord } from './seed-record.js';

/** One cell of the table: a number, a text, or missing (no samples). */
export type RunCell = number | string | null;

/** The type a column is written as in Parquet (CSV and NDJSON carry it implicitly). */
export type RunColumnType = 'int' | 'double' | 'string';

/** A measured column: its name, type, and how it is read off a seed's record. */
export interface RunColumn {
  readonly name: string;
  readonly type: RunColumnType;
  readonly get: (r: SeedRecord) => RunCell;
}

const p = (samples: readonly number[], which: 'p50' | 'p99'): number | null => summarize(samples)?.[which] ?? null;
const col = (name: string, type: RunColumnType, get: (r: SeedRecord) => RunCell): RunColumn => ({ name, type, get });

/** What one run measured, one column each, in file order. */
export const RUN_COLUMNS: readonly RunColumn[] = Object.freeze([
  col('seed', 'int', (r) => r.seed),
  col('acquisitions', 'int', (r) => r.acquisitions),
  col('violations', 'int', (r) => r.violations),
  col('overlap_total_ms', 'double', (r) => round(r.overlapsMs.reduce((a, b) => a + b, 0))),
  col('overlap_max_ms', 'double', (r) => round(r.overlapsMs.reduce((a, b) => Math.max(a, b), 0))),
  col('max_owners', 'int', (r) => r.maxSimultaneousOwners),
  col('told', 'int', (r) => r.told),
  col('held_ms', 'double', (r) => round(r.heldMs)),
  col('acquire_p50_ms', 'double', (r) => p(r.acquireLatenciesMs, 'p50')),
  col('acquire_p99_ms', 'double', (r) => p(r.acquireLatenciesMs, 'p99')),
  col('handoff_p50_ms', 'double', (r) => p(r.handoffsMs, 'p50')),
  col('handoff_p99_ms', 'double', (r) => p(r.handoffsMs, 'p99')),
  col('failover_p50_ms', 'double', (r) => p(r.failoversMs, 'p50')),
  col('failover_p99_ms', 'double', (r) => p(r.failoversMs, 'p99')),
  col('store_reads', 'int', (r) => r.storeReads),
  col('store_writes', 'int', (r) => r.storeWrites),
  col('resource_writes', 'int', (r) => r.resourceWrites),
  col('rejected_writes', 'int', (r) => r.rejectedWrites),
  col('stale_effects', 'int', (r) => r.staleEffects),
  col('events', 'int', (r) => r.events),
  col('simulated_ms', 'double', (r) => round(r.simulatedMs)),
  col('margin_ms', 'double', (r) => (r.marginMs === null ? null : round(r.marginMs))),
  col('log_weight', 'double', (r) => r.logWeight),
  col('weight', 'double', (r) => r.weight),
  col('trace_hash', 'string', (r) => r.traceHash),
]);

/**
 * Numeric fields of a seed record deliberately left out of the rows, with the
 * reason. Every other top-level number of a record must be a column.
 */
export const NOT_COLUMNS: Readonly<Record<string, string>> = Object.freeze({});

/** What names the run a row belongs to (the same for every seed of one report). */
export interface RunIdentity {
  scenario: string;
  scenarioHash: string;
  strategy: string;
  /** Parameter path → the value as given on the command line (`--set`, `--vary`). */
  params: ReadonlyMap<string, string>;
}

/** The columns before the parameters. */
const IDENTITY_COLUMNS = ['scenario', 'scenario_hash', 'strategy'] as const;

/**
 * A parameter as a cell: a duration or plain number as its number of ms (so
 * `20ms` and `0.02s` are both 20 and an axis is numeric), anything else
 * (a strategy, a distribution, a node list) as the text given.
 */
export function paramCell(text: string): RunCell {
  const ms = /^\s*-?[\d.]/.test(text) ? parseDuration(text) : undefined;
  return ms === undefined ? text : ms;
}

/** The rows of one output file, with the parameter columns fixed up front. */
export class RunsTable {
  readonly columns: readonly string[];
  readonly #rows: RunCell[][] = [];

  /** `paramNames`: every parameter path any row sets, in column order. */
  constructor(readonly paramNames: readonly string[]) {
    this.columns = [...IDENTITY_COLUMNS, ...paramNames, ...RUN_COLUMNS.map((c) => c.name)];
  }

  /** Adds one run's row. */
  add(id: RunIdentity, r: SeedRecord): void {
    const params = this.paramNames.map((n) => {
      const v = id.params.get(n);
      return v === undefined ? null : paramCell(v);
    });
    this.#rows.push([id.scenario, id.scenarioHash, id.strategy, ...params, ...RUN_COLUMNS.map((c) => c.get(r))]);
  }

  /** A callback for `onRecord` that adds rows under `id`. */
  recorder(id: RunIdentity): (r: SeedRecord) => void {
    return (r) => this.add(id, r);
  }

  get rows(): readonly (readonly RunCell[])[] {
    return this.#rows;
  }

  /** The type of column `i` (a parameter is a number when every row's value is one). */
  columnType(i: number): RunColumnType {
    if (i < IDENTITY_COLUMNS.length) return 'string';
    const p = i - IDENTITY_COLUMNS.length;
    if (p < this.paramNames.length) return this.#rows.every((row) => row[i] === null || typeof row[i] === 'number') ? 'double' : 'string';
    return RUN_COLUMNS[p - this.paramNames.length]!.type;
  }
}

/** The parameter paths of `--set` assignments and `--vary` paths, first mention first. */
export function paramNames(sets: readonly string[], varied: readonly string[] = []): string[] {
  const names = [...sets.map((s) => s.slice(0, s.indexOf('=')).trim()), ...varied];
  return [...new Set(names)];
}

/** `--set` assignments (later ones win) and a cell's varied values, as a parameter map. */
export function paramValues(sets: readonly string[], varied: readonly (readonly [string, string])[] = []): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of sets) {
    const eq = s.indexOf('=');
    out.set(s.slice(0, eq).trim(), s.slice(eq + 1).trim());
  }
  for (const [k, v] of varied) out.set(k, v);
  return out;
}
