/**
 * What several verbs share: loading scenarios with `--set`, running one
 * scenario with progress, Ctrl-C, reading and writing report files, and the
 * error for bad command-line usage.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { EngineKind } from '../engines.js';
import { ExitCode } from '../exit-codes.js';
import { runImportance, type ImportanceMode } from '../importance/run-importance.js';
import { applySets } from '../overrides.js';
import { progressReporter } from '../progress.js';
import type { Report } from '../report/report.js';
import { runScenario } from '../runner.js';
import { loadScenario, parseDuration, scenarioFiles, type Scenario } from '../scenario.js';

/** Bad command-line usage: printed as one line, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Loads every scenario file of `paths` (files or directories) with the `--set` edits applied. */
export function loadAll(paths: readonly string[], sets: readonly string[]): { file: string; scenario: Scenario }[] {
  return scenarioFiles(paths).map((file) => ({ file, scenario: loadScenario(file, { edit: (raw) => applySets(raw, sets) }) }));
}

/** The signals that stop a run the way Ctrl-C does: SIGINT (Ctrl-C) and SIGTERM (a supervisor, `kill`, CI's timeout). */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * Stops the run on the first SIGINT or SIGTERM (the partial report is still
 * printed and written); a second one kills (Node's default handler is back).
 * The signal's name is the abort reason, for {@link interruptedCode}.
 */
export function interruptible(): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const dispose = (): void => {
    for (const name of STOP_SIGNALS) process.removeListener(name, onSignal);
  };
  function onSignal(name: NodeJS.Signals): void {
    process.stderr.write(`\nmco: ${name === 'SIGINT' ? 'interrupted' : 'terminated'}: finishing the seeds in flight, then reporting what finished (${name === 'SIGINT' ? 'Ctrl-C' : name} again to quit now)\n`);
    ac.abort(name);
    dispose();
  }
  for (const name of STOP_SIGNALS) process.on(name, onSignal);
  return { signal: ac.signal, dispose };
}

/** The exit code of a run stopped by `signal`: 130 after SIGINT, 143 after SIGTERM (128 + the signal number, as a shell reports it). */
export function interruptedCode(signal: AbortSignal): number {
  return signal.reason === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted;
}

/** Writes an output file and says so on stderr; `-` is stdout (`--json -`). */
export function writeOut(file: string, text: string): void {
  if (file === '-') {
    process.stdout.write(text);
    return;
  }
  writeFileSync(file, text);
  process.stderr.write(`mco: wrote ${file}\n`);
}

/**
 * Where a verb's human-readable text goes: stdout, unless `--json -` puts the
 * JSON there, in which case stderr (stdout then holds one JSON document only).
 */
export function textOut(json: string | undefined): (text: string) => void {
  return json === '-' ? (text) => process.stderr.write(text) : (text) => process.stdout.write(text);
}

export const jsonText = (x: unknown): string => `${JSON.stringify(x, null, 2)}\n`;

/** `--importance` as a verb hands it on: the mode, the scenario's file (for errors), the search's settings. */
export interface ImportanceFlags {
  mode: ImportanceMode;
  file: string;
  batch: number;
  iterations: number;
}

/** The `--importance` flags of parsed arguments, or undefined without `--importance`. */
export function importanceFlags(a: { importance?: ImportanceMode | undefined; ceBatch: number; ceIterations: number }, file: string): ImportanceFlags | undefined {
  return a.importance === undefined ? undefined : { mode: a.importance, file, batch: a.ceBatch, iterations: a.ceIterations };
}

/** Runs `seeds` seeds of `s` from `seedStart`, with progress on stderr (under importance sampling with `importance`). */
export async function runOne(
  s: Scenario,
  seeds: number,
  seedStart: number,
  workers: number,
  engine: EngineKind,
  signal: AbortSignal,
  keepPerSeed = false,
  importance?: ImportanceFlags,
): Promise<Report> {
  const progress = progressReporter(`mco: ${s.name}`);
  try {
    if (importance !== undefined) {
      if (importance.mode === 'auto') process.stderr.write(`mco: ${s.name}: searching a proposal (cross-entropy, batches of ${importance.batch} on ${workers} worker${workers === 1 ? '' : 's'})\n`);
      const opts = { seeds, seedStart, workers, engine, signal, keepPerSeed, search: { batch: importance.batch, maxIterations: importance.iterations } };
      return await runImportance(importance.file, s, importance.mode, {
        ...opts,
        onSearchStep: (i, v, n) => process.stderr.write(`mco: ${s.name}: search batch ${i}: ${v} of ${n} runs with a violation\n`),
        onProgress: (p) => progress.update(p),
      });
    }
    process.stderr.write(`mco: ${s.name}: seeds ${seedStart}..${seedStart + seeds - 1} on ${workers} worker${workers === 1 ? '' : 's'}\n`);
    return await runScenario(s, { seeds, seedStart, workers, engine, signal, keepPerSeed, onProgress: (p) => progress.update(p) });
  } finally {
    progress.done();
  }
}

/** Reads JSON reports written by `mco run` (one report, or `{reports: […]}`), each tagged with its file. */
export function readReports(files: readonly string[]): (Report & { file: string })[] {
  return files.flatMap((file) => {
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new UsageError(`${file}: expected a JSON report written by mco (${(err as NodeJS.ErrnoException).code ?? 'not valid JSON'})`);
    }
    const d = data as { reports?: Report[]; schemaVersion?: unknown; scenario?: unknown };
    if (d.schemaVersion !== 1) throw new UsageError(`${file}: expected schemaVersion 1, got ${JSON.stringify(d.schemaVersion)}`);
    const list = Array.isArray(d.reports) ? d.reports : typeof d.scenario === 'string' ? [data as Report] : undefined;
    if (list === undefined) throw new UsageError(`${file}: expected an mco run report`);
    return list.map((r) => ({ ...r, file }));
  });
}

/** A duration flag (`--from 1.2s`) in ms; undefined when not given. */
export function timeFlag(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = parseDuration(v);
  if (ms === undefined) throw new UsageError(`--${name}: expected a duration like 1.5s or 200ms, got '${v}'`);
  return ms;
}
