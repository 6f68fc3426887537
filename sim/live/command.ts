/**
 * `mco live`: runs scenario files with real processes on a real store (see
 * run.ts), and with `--compare` the simulator on the same seeds beside it.
 * Exit codes: 0 ran (and every rate agreed); 1 a rate disagreed at the 99%
 * level; 2 bad input or a scenario feature that cannot run live (one line);
 * 130 interrupted (Ctrl-C or SIGTERM: every process ended, a partial report
 * of the finished runs written).
 */
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../exit-codes.js';
import { applySets, OverrideError } from '../overrides.js';
import { progressReporter } from '../progress.js';
import type { SeedRecord } from '../report/report.js';
import { markdownTable, labelledTable } from '../report/table.js';
import { runScenario } from '../runner.js';
import { loadScenario, ScenarioError, type Scenario } from '../scenario.js';
import { COMPARE_HEAD, compareCells, compareRuns, disagrees, type CompareRow } from './compare.js';
import { LIBFAKETIME } from './faketime.js';
import { ChildSet, SETPRIV } from './processes.js';
import { liveRefusal } from './refuse.js';
import { defaultNodeCommand } from './run.js';
import { runLiveScenario, type LiveReport } from './runner.js';
import { existingServer, startPostgres, startRedis, type LiveServer } from './servers.js';

/** Bad input to `mco live`: one line, exit 2. */
export class LiveUsageError extends Error {
  override readonly name = 'LiveUsageError';
}

export interface LiveArgs {
  scenario: string[];
  store: 'redis' | 'postgres';
  runs?: number | undefined;
  seedStart: number;
  parallel: number;
  compare: boolean;
  set: string[];
  json?: string | undefined;
  md?: string | undefined;
}

/** One scenario's outcome. */
export interface LiveItem {
  file: string;
  live: LiveReport;
  liveRecords: SeedRecord[];
  sim?: { records: SeedRecord[] };
  compare?: CompareRow[];
}

function files(paths: readonly string[]): string[] {
  return paths.flatMap((p) => {
    let dir = false;
    try {
      dir = statSync(p).isDirectory();
    } catch {
      throw new ScenarioError(p, '', 'no such file or directory');
    }
    if (!dir) return [p];
    return readdirSync(p)
      .filter((f) => /\.(ya?ml|json)$/i.test(f))
      .sort()
      .map((f) => join(p, f));
  });
}

/** Checks flags and scenarios; throws LiveUsageError / ScenarioError with one line. */
export function prepare(a: LiveArgs): { file: string; scenario: Scenario }[] {
  if (a.runs !== undefined && (!Number.isInteger(a.runs) || a.runs < 1 || a.runs > 100_000)) throw new LiveUsageError(`--runs: expected a whole number from 1 to 100000, got ${String(a.runs)}`);
  if (!Number.isInteger(a.parallel) || a.parallel < 1 || a.parallel > 16) throw new LiveUsageError(`--parallel: expected a whole number from 1 to 16, got ${String(a.parallel)}`);
  if (!Number.isSafeInteger(a.seedStart) || a.seedStart < 0) throw new LiveUsageError(`--seed-start: expected a whole number ≥ 0, got ${String(a.seedStart)}`);
  const out = files(a.scenario).map((file) => ({ file, scenario: loadScenario(file, { edit: (raw) => applySets(raw, a.set) }) }));
  for (const { file, scenario } of out) {
    const why = liveRefusal(scenario);
    if (why !== undefined) throw new LiveUsageError(`${file}: ${why}`);
    const clocks = scenario.nodes.some((n) => n.offset || n.driftPpm || n.jumps.length > 0) || !isZeroClock(scenario);
    if (clocks && LIBFAKETIME === undefined) throw new LiveUsageError(`${file}: clock faults need libfaketime: apt-get install -y faketime`);
  }
  if (SETPRIV === undefined) throw new LiveUsageError('setpriv not found: mco live needs it (Debian package util-linux) so that no process outlives it');
  return out;
}

function isZeroClock(s: Scenario): boolean {
  const c = s.faults.clock;
  const zero = (d: Scenario['faults']['clock']['offset']): boolean => d.dist === 'constant' && d.value === 0;
  return zero(c.offset) && zero(c.driftPpm) && c.jumps.length === 0;
}

async function openServer(kind: 'redis' | 'postgres', children: ChildSet): Promise<LiveServer> {
  const url = kind === 'redis' ? process.env.REDIS_URL : process.env.DATABASE_URL;
  if (url !== undefined && url !== '') return existingServer(kind, url);
  return kind === 'redis' ? startRedis(children) : startPostgres(children);
}

/** Runs `mco live` with parsed arguments; resolves to the exit code. */
export async function runLiveCommand(a: LiveArgs, out: { stdout: (s: string) => void; stderr: (s: string) => void } = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) }): Promise<number> {
  let plan: { file: string; scenario: Scenario }[];
  try {
    plan = prepare(a);
  } catch (err) {
    if (err instanceof LiveUsageError || err instanceof ScenarioError || err instanceof OverrideError) {
      out.stderr(`mco: ${err.message}\n`);
      return ExitCode.badInput;
    }
    throw err;
  }
  // every temporary directory of this coordinator (servers', runs') lives under one, removed at the
  // end; one left by a coordinator that was SIGKILLed is removed by the next mco live
  const outerTmp = process.env.TMPDIR;
  sweepStaleTmp(tmpdir());
  const sessionTmp = mkdtempSync(join(tmpdir(), `mco-live-${process.pid}-`));
  chmodSync(sessionTmp, 0o755); // PostgreSQL runs as another user below it
  process.env.TMPDIR = sessionTmp;
  const children = new ChildSet();
  const ac = new AbortController();
  const onSignal = (name: string) => (): void => {
    out.stderr(`\nmco: ${name}: ending every live process, then reporting the runs that finished\n`);
    ac.abort(new Error(`interrupted by ${name}`));
  };
  const onInt = onSignal('SIGINT');
  const onTerm = onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  const items: LiveItem[] = [];
  let server: LiveServer | undefined;
  let crashed: string | undefined;
  try {
    try {
      server = await openServer(a.store, children);
    } catch (err) {
      out.stderr(`mco: cannot start the ${a.store} server: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}\n`);
      return ExitCode.badInput;
    }
    server.onCrash((why) => {
      crashed = why;
      ac.abort(new Error(why));
    });
    const node = defaultNodeCommand();
    out.stderr(`mco: live on ${server.version} at ${server.url}, ${a.parallel} run${a.parallel === 1 ? '' : 's'} at a time\n`);
    for (const { file, scenario } of plan) {
      if (ac.signal.aborted) break;
      const runs = a.runs ?? scenario.seeds;
      const progress = progressReporter(`mco live: ${scenario.name}`);
      let live;
      try {
        live = await runLiveScenario(scenario, { runs, seedStart: a.seedStart, parallel: a.parallel, server, children, node, signal: ac.signal, onProgress: (p) => progress.update(p) });
      } finally {
        progress.done();
      }
      const item: LiveItem = { file, live: live.report, liveRecords: live.records };
      if (a.compare && live.records.length > 0) {
        const sim = await runScenario(scenario, { seeds: live.records.length, seedStart: a.seedStart, workers: 1, keepPerSeed: true });
        item.sim = { records: sim.perSeed! };
        item.compare = compareRuns(live.records, sim.perSeed!);
      }
      items.push(item);
    }
  } catch (err) {
    if (!(ac.signal.aborted && err === ac.signal.reason)) throw err;
  } finally {
    process.removeListener('SIGINT', onInt);
    process.removeListener('SIGTERM', onTerm);
    await server?.stop();
    await children.killAll();
    if (outerTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = outerTmp;
    rmSync(sessionTmp, { recursive: true, force: true });
  }
  out.stdout(`${labelledTable(['scenario', 'mode'], items.map((i) => ({ label: [i.live.scenario, 'live'], report: i.live })))}\n`);
  const compared = items.filter((i) => i.compare !== undefined);
  if (compared.length > 0) out.stdout(`\n${aligned([...COMPARE_HEAD], compareCells(compared.map(cellsOf)))}\n`);
  if (items.some((i) => i.live.partial)) out.stderr('mco: partial report: only the runs that finished are included\n');
  if (a.json !== undefined) {
    const reports = items.map((i) => ({ ...i.live, ...(i.compare ? { compare: i.compare } : {}) }));
    writeFileSync(a.json, `${JSON.stringify(reports.length === 1 ? reports[0] : { schemaVersion: 1, mode: 'live', reports }, null, 2)}\n`);
    out.stderr(`mco: wrote ${a.json}\n`);
  }
  if (a.md !== undefined) {
    writeFileSync(a.md, liveMarkdown(items));
    out.stderr(`mco: wrote ${a.md}\n`);
  }
  if (crashed !== undefined) {
    out.stderr(`mco: ${crashed}\n`);
    return ExitCode.failed;
  }
  if (ac.signal.aborted) return ExitCode.interrupted;
  return compared.some((i) => disagrees(i.compare!)) ? ExitCode.failed : ExitCode.ok;
}

/** Removes `mco-live-<pid>-*` directories in `dir` whose coordinator is no longer running. */
export function sweepStaleTmp(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^mco-live-(\d+)-/.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
      continue; // still running
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EPERM') continue;
    }
    rmSync(join(dir, name), { recursive: true, force: true });
  }
}

const cellsOf = (i: LiveItem) => ({ scenario: i.live.scenario, strategy: i.live.strategy, runs: { live: i.liveRecords.length, sim: i.sim?.records.length ?? 0 }, rows: i.compare! });

function aligned(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: readonly string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The Markdown of `--md`: the live table, the comparison, the host and the noise. */
export function liveMarkdown(items: readonly LiveItem[]): string {
  const esc = (c: string): string => c.replace(/\|/g, '\\|');
  const parts = ['# mco live', '', markdownTable(['scenario', 'strategy'], items.map((i) => ({ label: [i.live.scenario, i.live.strategy], report: i.live }))), ''];
  const compared = items.filter((i) => i.compare !== undefined);
  if (compared.length > 0) {
    const rows = compareCells(compared.map(cellsOf));
    parts.push('## Live against simulated', '', `| ${COMPARE_HEAD.join(' | ')} |`, `|${COMPARE_HEAD.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`), '');
  }
  const h = items[0]?.live.host;
  if (h !== undefined) parts.push('## Host', '', `${h.cores} cores (${h.cpu}), Linux ${h.kernel}, Node ${h.node}, ${h.store}`, '');
  parts.push('## Noise (ms: p50 / p99 / max)', '', '| scenario | probe timer lateness | start late | pauses: sent − planned | pauses: seen − planned | busy blocks: start late | busy blocks: spun − planned | proxy: added − asked | proxy cuts: before apply / reply (of requests) |', '|---|---|---|---|---|---|---|---|---|');
  const s = (x: { p50: number; p99: number; max: number } | null): string => (x === null ? '-' : `${+x.p50.toFixed(2)} / ${+x.p99.toFixed(2)} / ${+x.max.toFixed(2)}`);
  for (const i of items) {
    const n = i.live.noise;
    parts.push(`| ${i.live.scenario} | ${s(n.probeTimerLatenessMs)} | ${s(n.startLateMs)} | ${s(n.pauses.sentMinusPlannedMs)} | ${s(n.pauses.seenMinusPlannedMs)} | ${s(n.busy.startLateMs)} | ${s(n.busy.spunMinusPlannedMs)} | ${s(n.proxy.addedMinusAskedMs)} | ${n.proxy.requests === 0 ? '-' : `${n.proxy.cutBeforeApply} / ${n.proxy.cutReply} (of ${n.proxy.requests})`} |`);
  }
  return `${parts.join('\n')}\n`;
}

/** The `live` verb; `setCode` receives the exit code (cli.ts keeps it). */
