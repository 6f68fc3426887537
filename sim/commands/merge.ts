/**
 * `mco merge`: shard files (`--shard i/n` of run, sweep, compare, check or
 * tune) →
 * exactly what one unsharded invocation writes. Reports are grouped by
 * scenario hash and sweep cell (and strategy, for compare); each group must
 * hold shards 1..n of one n, each once.
 */
import { readFileSync } from 'node:fs';
import { ExitCode } from '../exit-codes.js';
import { mergeGroups, ReportMismatchError, type FiledReport } from '../report/merge.js';
import type { Report } from '../report/report.js';
import { summaryTable } from '../report/table.js';
import type { Sweep } from '../sweep.js';
import { judgeChecks, type CheckShardDoc } from './check.js';
import { compareOutputs, type CompareDoc } from './compare.js';
import { writeRunOutputs } from './run.js';
import { textOut, UsageError } from './shared.js';
import { sweepOutputs } from './sweep.js';
import { tuneOutputs, writeTuneHtml } from './tune.js';
import { decide, type TuneInput, type TuneResult } from '../tune.js';
import { defineVerb } from './verb.js';

type Doc = { file: string } & (
  | { kind: 'run'; reports: Report[] }
  | { kind: 'sweep'; sweep: Sweep }
  | { kind: 'compare'; compare: CompareDoc }
  | { kind: 'check'; check: CheckShardDoc }
  | { kind: 'tune'; tune: TuneShardDoc }
);

/** What `mco tune --shard i/n --json F` writes. */
type TuneShardDoc = TuneResult & { input: Omit<TuneInput, 'scenarioRaw'>; scenario: string; seeds: { start: number; count: number }; partial: boolean };

/** Reads a file written with --json by run, sweep, compare or check. */
function readDoc(file: string): Doc {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`${file}: expected a JSON file written by mco --json (${(err as NodeJS.ErrnoException).code ?? 'not valid JSON'})`);
  }
  if (data === null || typeof data !== 'object') throw new UsageError(`${file}: expected a JSON object written by mco --json`);
  if (data.schemaVersion !== 1) throw new UsageError(`${file}: expected schemaVersion 1, got ${JSON.stringify(data.schemaVersion)}`);
  if (data.kind === 'sweep' && Array.isArray(data.cells)) return { file, kind: 'sweep', sweep: data as unknown as Sweep };
  if (data.kind === 'compare' && Array.isArray(data.rows)) return { file, kind: 'compare', compare: data as unknown as CompareDoc };
  if (data.kind === 'check') {
    if (!Array.isArray(data.checks) || data.shard === undefined) throw new UsageError(`${file}: is a check result, not a check shard; merge takes files of mco check --shard i/n --json`);
    return { file, kind: 'check', check: data as unknown as CheckShardDoc };
  }
  if (data.kind === 'tune') {
    if (!Array.isArray(data.candidates) || data.shard === undefined) throw new UsageError(`${file}: is a tune result, not a tune shard; merge takes files of mco tune --shard i/n --json`);
    return { file, kind: 'tune', tune: data as unknown as TuneShardDoc };
  }
  if (data.kind === undefined && Array.isArray(data.reports)) return { file, kind: 'run', reports: data.reports as Report[] };
  if (data.kind === undefined && typeof data.scenario === 'string') return { file, kind: 'run', reports: [data as unknown as Report] };
  throw new UsageError(`${file}: expected the --json of mco run, sweep, compare, check or tune --shard i/n`);
}

const tag = (file: string, r: Report): FiledReport => ({ ...r, file });
const scenarioKey = (r: Report): string => `${r.scenario}\u0000${r.scenarioHash}`;
const scenarioWhat = (r: Report): string => `scenario ${r.scenario} (${r.scenarioHash})`;

/** Refuses files of one kind whose set-up differs (another sweep grid, other strategies). */
function same<T>(docs: readonly { file: string; value: T }[], what: string, show: (v: T) => string): void {
  const first = docs[0]!;
  for (const d of docs) {
    if (show(d.value) !== show(first.value)) throw new ReportMismatchError(`${d.file}: ${what} ${show(d.value)}, not ${show(first.value)} as in ${first.file}`);
  }
}

export const mergeVerb = defineVerb({
  command: 'merge <files..>',
  describe: 'combine shard files (--shard i/n of run, sweep, compare, check or tune) into what one unsharded run writes',
  builder: (y) =>
    y
      .positional('files', { type: 'string', array: true, demandOption: true, describe: 'the --json files of every shard' })
      .option('json', { type: 'string', describe: 'write the merged JSON (- for stdout)' })
      .option('md', { type: 'string', describe: 'write the merged table as Markdown' })
      .option('html', { type: 'string', describe: 'write an HTML report (run, sweep, compare)' })
      .option('csv', { type: 'string', describe: 'write the cells as CSV (sweep)' })
      .example('$0 merge a.json b.json --json all.json', 'shards 1/2 and 2/2 → the full report')
      .example('$0 merge check-*.json', 'judge a sharded mco check against its baselines'),
  run: async (a) => {
    const say = textOut(a.json);
    const docs = a.files.map(readDoc);
    const kind = docs[0]!.kind;
    for (const d of docs) if (d.kind !== kind) throw new UsageError(`${d.file}: is from mco ${d.kind}, ${docs[0]!.file} from mco ${kind}: merge the shards of one invocation`);
    if (a.csv !== undefined && kind !== 'sweep') throw new UsageError('--csv: only for sweep shards');
    if (a.html !== undefined && kind === 'check') throw new UsageError('--html: not for check shards (use --md or --json)');
    switch (kind) {
      case 'run': {
        const units = docs.flatMap((d) => (d.kind === 'run' ? d.reports.map((r) => tag(d.file, r)) : []));
        const merged = mergeGroups(units, scenarioKey, scenarioWhat, (r) => r).map((g) => g.report);
        say(`${summaryTable(merged)}\n`);
        await writeRunOutputs(merged, a);
        return ExitCode.ok;
      }
      case 'sweep': {
        const sweeps = docs.flatMap((d) => (d.kind === 'sweep' ? [{ file: d.file, value: d.sweep }] : []));
        same(sweeps, 'sweeps', (s) => `${s.scenario} over ${JSON.stringify(s.vary)}`);
        const cells = sweeps.flatMap((s) => s.value.cells.map((c) => ({ labels: c.labels, report: tag(s.file, c.report) })));
        const merged = mergeGroups(
          cells,
          (c) => `${c.labels.join('\u0000')}\u0000${c.report.scenarioHash}`,
          (c) => `sweep cell ${sweeps[0]!.value.vary.map((v, i) => `${v.path}=${c.labels[i]}`).join(', ')} (${c.report.scenarioHash})`,
          (c) => c.report,
        );
        const { shard: _shard, ...head } = sweeps[0]!.value;
        await sweepOutputs({ ...head, cells: merged.map((g) => ({ labels: g.unit.labels, report: g.report })) }, a, say);
        return ExitCode.ok;
      }
      case 'compare': {
        const compares = docs.flatMap((d) => (d.kind === 'compare' ? [{ file: d.file, value: d.compare }] : []));
        same(compares, 'compares strategies', (c) => c.strategies.join(','));
        const rows = compares.flatMap((c) => c.value.rows.map((r) => ({ ...r, report: tag(c.file, r.report) })));
        const merged = mergeGroups(
          rows,
          (r) => `${r.strategy}\u0000${scenarioKey(r.report)}`,
          (r) => `${scenarioWhat(r.report)} under ${r.strategy}`,
          (r) => r.report,
        );
        const items = merged.map((g) => ({ label: [g.unit.scenario, g.unit.strategy], report: g.report, records: g.records }));
        await compareOutputs(items, compares[0]!.value.strategies, undefined, a, say);
        return ExitCode.ok;
      }
      case 'check': {
        const checks = docs.flatMap((d) => (d.kind === 'check' ? [{ file: d.file, value: d.check }] : []));
        same(checks, 'has', (c) => `${c.rateTests} rate tests`);
        const runs = checks.flatMap((c) => c.value.checks.map((x) => ({ ...x, current: tag(c.file, x.current) })));
        const merged = mergeGroups(
          runs,
          (r) => `${r.baseline}\u0000${scenarioKey(r.current)}`,
          (r) => `the check of ${scenarioWhat(r.current)} against ${r.baseline}`,
          (r) => r.current,
        );
        const regressed = judgeChecks(
          merged.map((g) => ({ baseline: g.unit.baseline, current: g.report, records: g.records })),
          checks[0]!.value.rateTests,
          false,
          a,
          say,
        );
        return regressed ? ExitCode.failed : ExitCode.ok;
      }
      case 'tune': {
        const tunes = docs.flatMap((d) => (d.kind === 'tune' ? [{ file: d.file, value: d.tune }] : []));
        same(tunes, 'tunes', (t) => JSON.stringify([t.input, t.derived, t.seeds]));
        const byLease = <T extends { refreshIntervalMs: number; report: Report }>(pick: (t: TuneShardDoc) => readonly T[], what: string) =>
          mergeGroups(
            tunes.flatMap((t) => pick(t.value).map((c) => ({ ...c, report: tag(t.file, c.report) }))),
            (c) => `${c.refreshIntervalMs}\u0000${c.report.scenarioHash}`,
            (c) => `${what} at refreshInterval ${c.refreshIntervalMs}ms (${c.report.scenarioHash})`,
            (c) => c.report,
          ).map((g) => ({ refreshIntervalMs: g.unit.refreshIntervalMs, report: g.report }));
        const first = tunes[0]!.value;
        const measured = byLease((t) => t.candidates, 'the tuning evidence');
        const nones = byLease((t) => t.noneRuns ?? [], 'the no-owner benefit run');
        let result = decide(first.input, first.derived, measured, {});
        const none = nones.find((n) => n.refreshIntervalMs === result.recommended?.refreshIntervalMs);
        if (none !== undefined) result = decide(first.input, first.derived, measured, {}, none.report);
        const found = tuneOutputs(result, first.input, first.scenario, first.seeds, false, a, say);
        if (a.html !== undefined) await writeTuneHtml(result, a.html);
        return found ? ExitCode.ok : ExitCode.failed;
      }
    }
  },
});
