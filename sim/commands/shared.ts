/**
 * What several verbs share: loading scenarios with `--set`, running one
 * scenario with progress, Ctrl-C, reading and writing report files, and the
 * error for bad command-line usage.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { EngineKind } from '../engines.js';
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

/** Stops the run on the first Ctrl-C (the partial report is still written); a second one kills. */
export function interruptible(): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const onSigint = (): void => {
    process.stderr.write('\nmco: interrupted: finishing the seeds in flight, then reporting what finished (Ctrl-C again to quit now)\n');
    ac.abort();
    process.removeListener('SIGINT', onSigint);
  };
  process.on('SIGINT', onSigint);
  return { signal: ac.signal, dispose: () => process.removeListener('SIGINT', onSigint) };
}

/** Writes an output file and says so on stderr. */
export function writeOut(file: string, text: string): void {
  writeFileSync(file, text);
  process.stderr.write(`mco: wrote ${file}\n`);
}

export const jsonText = (x: unknown): string => `${JSON.stringify(x, null, 2)}\n`;

/** Runs `seeds` seeds of `s` from `seedStart`, with progress on stderr. */
export async function runOne(s: Scenario, seeds: number, seedStart: number, workers: number, engine: EngineKind, signal: AbortSignal, keepPerSeed = false): Promise<Report> {
  const progress = progressReporter(`mco: ${s.name}`);
  process.stderr.write(`mco: ${s.name}: seeds ${seedStart}..${seedStart + seeds - 1} on ${workers} worker${workers === 1 ? '' : 's'}\n`);
  try {
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
