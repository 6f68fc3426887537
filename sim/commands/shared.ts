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
import { estimateRun, humanCount, humanDuration, type PilotUnit } from '../pilot.js';
import { progressReporter } from '../progress.js';
import type { Report, SeedRecord } from '../report/report.js';
import { runsBytes, runsFormat } from '../report/runs-file.js';
import { RunsTable } from '../report/runs.js';
import type { Shard } from '../shard.js';
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
export function writeOut(file: string, text: string | Uint8Array): void {
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

/** `--shard` with `--importance` is refused (run, sweep, tune): the weighted estimates are not merged across shards yet. */
export function refuseShardWithImportance(shard: Shard | undefined, importance: string | undefined): void {
  if (shard !== undefined && importance !== undefined) {
    throw new UsageError('--shard: not with --importance (the weighted estimates are not merged across shards yet); run the seeds in one process');
  }
}

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
  onRecord?: (r: SeedRecord) => void,
  importance?: ImportanceFlags,
): Promise<Report> {
  const progress = progressReporter(`mco: ${s.name}`);
  try {
    if (importance !== undefined) {
      if (importance.mode === 'auto') process.stderr.write(`mco: ${s.name}: searching a proposal (cross-entropy, batches of ${importance.batch} on ${workers} worker${workers === 1 ? '' : 's'})\n`);
      const opts = { seeds, seedStart, workers, engine, signal, keepPerSeed, ...(onRecord ? { onRecord } : {}), search: { batch: importance.batch, maxIterations: importance.iterations } };
      return await runImportance(importance.file, s, importance.mode, {
        ...opts,
        onSearchStep: (i, v, n) => process.stderr.write(`mco: ${s.name}: search batch ${i}: ${v} of ${n} runs with a violation\n`),
        onProgress: (p) => progress.update(p),
      });
    }
    process.stderr.write(`mco: ${s.name}: seeds ${seedStart}..${seedStart + seeds - 1} on ${workers} worker${workers === 1 ? '' : 's'}\n`);
    return await runScenario(s, { seeds, seedStart, workers, engine, signal, keepPerSeed, onProgress: (p) => progress.update(p), ...(onRecord ? { onRecord } : {}) });
  } finally {
    progress.done();
  }
}

/**
 * Runs `seeds` of `s`; on a shard (`--shard i/n`) the report carries the
 * shard and its per-seed records, which is what `mco merge` needs.
 */
export async function runShard(
  s: Scenario,
  seeds: { start: number; count: number },
  shard: Shard | undefined,
  workers: number,
  engine: EngineKind,
  signal: AbortSignal,
  onRecord?: (r: SeedRecord) => void,
  importance?: ImportanceFlags,
): Promise<Report> {
  const report = await runOne(s, seeds.count, seeds.start, workers, engine, signal, shard !== undefined, onRecord, importance);
  if (shard === undefined) return report;
  const { perSeed, ...rest } = report;
  return { ...rest, shard, perSeed };
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

/**
 * The per-run table of `--runs-out` (undefined without the flag), with the
 * parameter columns of `paramNames`; `write()` writes it in the format of the
 * file's extension.
 */
export function runsOut(file: string | undefined, paramNames: readonly string[]): { table: RunsTable; write: () => Promise<void> } | undefined {
  if (file === undefined) return undefined;
  const table = new RunsTable(paramNames);
  return { table, write: async () => writeOut(file, await runsBytes(table, runsFormat(file)!)) };
}

/** A projection past the limit by less than this factor is measured again, warm (sim/pilot.ts `calibrationEvents`). */
const REFINE_BELOW = 30;
/** Events of that warm measurement: ≈ 0.1–0.3 s. */
const CALIBRATION_EVENTS = 50_000;

/**
 * Refuses (one line, exit 2) a run that its pilots project past `--max-wall`
 * (sim/pilot.ts); with `0` or `none`, no limit and no pilot.
 */
export async function refuseOverMaxWall(units: readonly PilotUnit[], maxWall: string, workers: number, engine: EngineKind): Promise<void> {
  const limit = maxWallMs(maxWall);
  if (limit === undefined || units.length === 0) return;
  let e = await estimateRun(units, { workers, engine });
  // the pilots run cold and err high; near the limit, measure the cost per event on a longer, warm run
  if (e.wallMs > limit && e.wallMs < REFINE_BELOW * limit) e = await estimateRun(units, { workers, engine, calibrationEvents: CALIBRATION_EVENTS });
  if (e.wallMs <= limit) return;
  const worst = e.units.reduce((a, b) => (b.wallMs > a.wallMs ? b : a));
  const perSeed = `${humanCount(worst.eventsPerSeed)} events per seed of ${worst.scenario}${worst.overMaxEvents ? ', past its maxEvents' : ''}`;
  throw new UsageError(
    `--max-wall ${maxWall}: refused: a pilot projects ${humanCount(e.events)} events, about ${humanDuration(e.wallMs)} of wall time on ${workers} worker${workers === 1 ? '' : 's'} (${perSeed}); shorten duration or seeds, or raise --max-wall (0 or none: no limit)`,
  );
}

/** `--max-wall` in ms; undefined when disabled (`0`, `none`). */
export function maxWallMs(text: string): number | undefined {
  if (/^\s*(none|0)\s*$/i.test(text)) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined || !(ms > 0)) throw new UsageError(`--max-wall: expected a duration like 30m or 2h, or 0 / none for no limit, got '${text}'`);
  return ms;
}
