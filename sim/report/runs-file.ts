/**
 * Writing a {@link RunsTable} as CSV, NDJSON or Parquet, chosen by the file's
 * extension. Parquet goes through hyparquet-writer (pure JS, no native
 * code); docs/analysis.md says why that one.
 */
import type { RunCell, RunsTable } from './runs.js';

/** The formats `--runs-out` writes, by extension. */
export const RUNS_FORMATS = Object.freeze({ '.csv': 'csv', '.ndjson': 'ndjson', '.jsonl': 'ndjson', '.parquet': 'parquet' } as const);

export type RunsFormat = (typeof RUNS_FORMATS)[keyof typeof RUNS_FORMATS];

/** The format of `file` by its extension (case-insensitive), or undefined when it has none of {@link RUNS_FORMATS}. */
export function runsFormat(file: string): RunsFormat | undefined {
  const ext = /\.[^./\\]+$/.exec(file)?.[0]?.toLowerCase();
  return ext === undefined ? undefined : (RUNS_FORMATS as Record<string, RunsFormat>)[ext];
}

const csvCell = (v: RunCell): string => {
  if (v === null) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** The table as CSV: a header row of column names, empty cells where a value is missing. */
export function runsCsv(t: RunsTable): string {
  return [t.columns, ...t.rows].map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
}

/** The table as NDJSON: one object per row, keys in column order, `null` where a value is missing. */
export function runsNdjson(t: RunsTable): string {
  return t.rows.map((row) => `${JSON.stringify(Object.fromEntries(t.columns.map((c, i) => [c, row[i]])))}\n`).join('');
}

const PARQUET_TYPE = { int: 'INT64', double: 'DOUBLE', string: 'STRING' } as const;

/** The table as a Parquet file (snappy). hyparquet-writer is loaded on first use: only Parquet output needs it. */
export async function runsParquet(t: RunsTable): Promise<Uint8Array> {
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const columnData = t.columns.map((name, i) => {
    const type = t.columnType(i);
    // INT64 takes bigints; every int column holds safe integers
    const cell = type === 'int' ? (v: RunCell) => (v === null ? null : BigInt(v)) : (v: RunCell) => v;
    return { name, type: PARQUET_TYPE[type], nullable: true, data: t.rows.map((row) => cell(row[i] ?? null)) };
  });
  return new Uint8Array(parquetWriteBuffer({ columnData, createdBy: 'mco (mostly-correct-owner-sim)' }));
}

/** The file's bytes in `format`. */
export async function runsBytes(t: RunsTable, format: RunsFormat): Promise<string | Uint8Array> {
  if (format === 'csv') return runsCsv(t);
  if (format === 'ndjson') return runsNdjson(t);
  return await runsParquet(t);
}
