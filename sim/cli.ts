/**
 * `mco`: the scenario runner. A thin yargs layer over the library in sim/;
 * tests call that library directly. Results go to stdout, progress and
 * diagnostics to stderr. Exit codes: see exit-codes.ts.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import yargs, { type Argv } from 'yargs';
import { SimulationLimitError } from './engine.js';
import { DEFAULT_ENGINE, ENGINE_KINDS, type EngineKind } from './engines.js';
import { ExitCode } from './exit-codes.js';
import { checkExpectations, describeExpectation } from './expect.js';
import { applySets, closest, OverrideError, parseVary } from './overrides.js';
import { assertComparable, checkAgainstBaseline, checkTable, COST_SLACK, COST_TOLERANCE } from './report/check.js';
import { escapeHtml, htmlPage, htmlTable, REPORT_COLUMNS, reportRows } from './report/html.js';
import { mergeReports, ReportMismatchError } from './report/merge.js';
import type { CellPoint } from './report/plots.js';
import type { Report } from './report/report.js';
import { compareHead, compareMarkdown, compareRows, compareTable, labelledTable, markdownTable, summaryTable } from './report/table.js';
import { progressReporter } from './progress.js';
import { replay, replayJson, replayText } from './replay.js';
import { defaultWorkers, runScenario } from './runner.js';
import { loadScenario, loadScenarioRaw, parseDuration, ScenarioError, type Scenario } from './scenario.js';
import { runSweep, sweepCsv, sweepScenarios, type Sweep } from './sweep.js';
import { evidenceScenarioRaw, tune, TuneRefusal, type TuneInput } from './tune.js';
import { liveCommand } from './live/command.js';

/**
 * The plots module, loaded on first use: it pulls in vega and vega-lite,
 * ≈ 0.2 s of start-up that every `mco run` paid before its first seed, and
 * only the HTML outputs need it.
 */
const plots = (): Promise<typeof import('./report/plots.js')> => import('./report/plots.js');

/** Bad command-line usage: printed as one line, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Expands files and directories into scenario files (directories: *.yaml, *.yml, *.json, sorted). */
export function scenarioFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      throw new ScenarioError(p, '', 'no such file or directory');
    }
    if (!isDir) {
      out.push(p);
      continue;
    }
    const found = readdirSync(p)
      .filter((f) => /\.(ya?ml|json)$/i.test(f))
      .sort()
      .map((f) => join(p, f));
    if (found.length === 0) throw new ScenarioError(p, '', 'expected a directory with scenario files (*.yaml, *.yml, *.json)');
    out.push(...found);
  }
  return out;
}

function loadAll(paths: readonly string[], sets: readonly string[]): { file: string; scenario: Scenario }[] {
  return scenarioFiles(paths).map((file) => ({ file, scenario: loadScenario(file, { edit: (raw) => applySets(raw, sets) }) }));
}

/** Stops the run on the first Ctrl-C (the partial report is still written); a second one kills. */
function interruptible(): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const onSigint = (): void => {
    process.stderr.write('\nmco: interrupted: finishing the seeds in flight, then reporting what finished (Ctrl-C again to quit now)\n');
    ac.abort();
    process.removeListener('SIGINT', onSigint);
  };
  process.on('SIGINT', onSigint);
  return { signal: ac.signal, dispose: () => process.removeListener('SIGINT', onSigint) };
}

function parseShard(text: string | undefined): { index: number; count: number } | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) throw new UsageError(`--shard: expected i/n with 1 ≤ i ≤ n, e.g. --shard 1/2, got '${text}'`);
  return { index, count };
}

/** Seeds of shard `index` of `count`: contiguous blocks that cover start..start+total-1 exactly. */
export function shardSeeds(start: number, total: number, shard: { index: number; count: number }): { start: number; count: number } {
  const from = Math.floor(((shard.index - 1) * total) / shard.count);
  const to = Math.floor((shard.index * total) / shard.count);
  return { start: start + from, count: to - from };
}

function writeOut(file: string, text: string): void {
  writeFileSync(file, text);
  process.stderr.write(`mco: wrote ${file}\n`);
}

const jsonText = (x: unknown): string => `${JSON.stringify(x, null, 2)}\n`;

async function runOne(s: Scenario, seeds: number, seedStart: number, workers: number, engine: EngineKind, signal: AbortSignal, keepPerSeed = false): Promise<Report> {
  const progress = progressReporter(`mco: ${s.name}`);
  process.stderr.write(`mco: ${s.name}: seeds ${seedStart}..${seedStart + seeds - 1} on ${workers} worker${workers === 1 ? '' : 's'}\n`);
  try {
    return await runScenario(s, { seeds, seedStart, workers, engine, signal, keepPerSeed, onProgress: (p) => progress.update(p) });
  } finally {
    progress.done();
  }
}

interface CommonRun {
  seeds?: number;
  seedStart: number;
  workers: number;
  engine: EngineKind;
  set: string[];
}

async function cmdRun(a: CommonRun & { scenario: string[]; json?: string; md?: string; html?: string; shard?: string }): Promise<number> {
  const shard = parseShard(a.shard);
  const scenarios = loadAll(a.scenario, a.set);
  const { signal, dispose } = interruptible();
  const reports: Report[] = [];
  try {
    for (const { scenario: s } of scenarios) {
      if (signal.aborted) break;
      let seeds = a.seeds ?? s.seeds;
      let seedStart = a.seedStart;
      if (shard) ({ start: seedStart, count: seeds } = shardSeeds(seedStart, seeds, shard));
      const report = await runOne(s, seeds, seedStart, a.workers, a.engine, signal, shard !== undefined);
      if (shard) report.shard = shard;
      reports.push(report);
    }
  } finally {
    dispose();
  }
  process.stdout.write(`${summaryTable(reports)}\n`);
  const interrupted = signal.aborted;
  if (reports.some((r) => r.partial)) process.stderr.write('mco: partial report: only the seeds that finished are included\n');
  if (a.json !== undefined) writeOut(a.json, jsonText(reports.length === 1 ? reports[0] : { schemaVersion: 1, reports }));
  if (a.md !== undefined) writeOut(a.md, `# mco run\n\n${markdownTable(['scenario'], reports.map((r) => ({ label: [r.scenario], report: r })))}\n`);
  if (a.html !== undefined) writeOut(a.html, await runHtml(reports));
  let failed = false;
  for (const [i, r] of reports.entries()) {
    const results = checkExpectations(r, scenarios[i]!.scenario.expect);
    if (results.length === 0) continue;
    const bad = results.filter((x) => !x.ok);
    failed ||= bad.length > 0;
    for (const x of bad) process.stdout.write(`expectation failed: ${r.scenario}: ${describeExpectation(x)}\n`);
    if (bad.length === 0) process.stdout.write(`${r.scenario}: all ${results.length} expectations held\n`);
  }
  if (interrupted) return ExitCode.interrupted;
  return failed ? ExitCode.failed : ExitCode.ok;
}

async function runHtml(reports: readonly Report[]): Promise<string> {
  const items = reports.map((r) => ({ label: [r.scenario], report: r }));
  const { costSpec, renderSvg, scenarioRatesSpec } = await plots();
  return htmlPage('mco run', [
    { html: `<div class="plots">${await renderSvg(scenarioRatesSpec(reports))}${await renderSvg(costSpec(reports.map((r) => ({ x: r.scenario, report: r })), 'scenario'))}</div>` },
    { heading: 'Results', html: htmlTable(['scenario', ...REPORT_COLUMNS], reportRows(items)) },
  ]);
}

function readReports(files: readonly string[]): (Report & { file: string })[] {
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

async function cmdMerge(a: { reports: string[]; json?: string; md?: string; html?: string }): Promise<number> {
  const all = readReports(a.reports);
  const names = [...new Set(all.map((r) => r.scenario))];
  const merged = names.map((n) => mergeReports(all.filter((r) => r.scenario === n)));
  process.stdout.write(`${summaryTable(merged)}\n`);
  if (a.json !== undefined) writeOut(a.json, jsonText(merged.length === 1 ? merged[0] : { schemaVersion: 1, reports: merged }));
  if (a.md !== undefined) writeOut(a.md, `# mco merge\n\n${markdownTable(['scenario'], merged.map((r) => ({ label: [r.scenario], report: r })))}\n`);
  if (a.html !== undefined) writeOut(a.html, await runHtml(merged));
  return ExitCode.ok;
}

async function cmdSweep(a: CommonRun & { scenario: string; vary: string[]; csv?: string; json?: string; md?: string; html?: string }): Promise<number> {
  if (a.vary.length === 0) throw new UsageError('--vary: expected at least one, e.g. --vary owner.refreshInterval=20ms,40ms,80ms');
  const vary = a.vary.map(parseVary);
  const [file] = scenarioFiles([a.scenario]);
  const cells = sweepScenarios(file!, loadScenarioRaw(file!), a.set, vary);
  const seeds = a.seeds ?? cells[0]!.scenario.seeds;
  const { signal, dispose } = interruptible();
  let sweep: Sweep;
  try {
    process.stderr.write(`mco: sweep ${cells[0]!.scenario.name}: ${cells.length} cells × ${seeds} seeds\n`);
    sweep = await runSweep(file!, cells, vary, {
      seeds,
      seedStart: a.seedStart,
      workers: a.workers,
      engine: a.engine,
      signal,
      onCell: (i, c) => process.stderr.write(`mco: cell ${i + 1}/${cells.length} ${c.labels.join(' ')}: ${(c.report.violationRate.value * 100).toFixed(1)}% runs with violation\n`),
    });
  } finally {
    dispose();
  }
  const heads = vary.map((v) => v.path);
  process.stdout.write(`${labelledTable(heads, sweep.cells.map((c) => ({ label: c.labels, report: c.report })))}\n`);
  if (a.csv !== undefined) writeOut(a.csv, sweepCsv(sweep));
  if (a.json !== undefined) writeOut(a.json, jsonText(sweep));
  if (a.md !== undefined) writeOut(a.md, `# mco sweep ${sweep.scenario}\n\n${markdownTable(heads, sweep.cells.map((c) => ({ label: c.labels, report: c.report })))}\n`);
  if (a.html !== undefined) writeOut(a.html, await sweepHtml(sweep));
  return signal.aborted ? ExitCode.interrupted : ExitCode.ok;
}

/** The sweep as HTML: heatmap (two parameters) or rate curve (one), cost curves, the table. */
export async function sweepHtml(sweep: Sweep): Promise<string> {
  const [p1, p2] = sweep.vary;
  const svgs: string[] = [];
  if (p1 !== undefined && sweep.vary.length <= 2) {
    const { costSpec, heatmapSpec, renderSvg, violationRateSpec } = await plots();
    const points: CellPoint[] = sweep.cells.map((c) => ({ x: c.labels[0]!, ...(p2 ? { y: c.labels[1]! } : {}), report: c.report }));
    svgs.push(await renderSvg(p2 ? heatmapSpec(points, p1.path, p2.path) : violationRateSpec(points, p1.path)));
    svgs.push(await renderSvg(costSpec(points, p1.path)));
  }
  const heads = sweep.vary.map((v) => v.path);
  return htmlPage(`mco sweep ${sweep.scenario}`, [
    { html: `<p>Varied: ${sweep.vary.map((v) => `<code>${escapeHtml(v.path)}</code> = ${escapeHtml(v.values.join(', '))}`).join('; ')}</p>` },
    ...(svgs.length ? [{ html: `<div class="plots">${svgs.join('')}</div>` }] : []),
    { heading: 'Cells', html: htmlTable([...heads, ...REPORT_COLUMNS], reportRows(sweep.cells.map((c) => ({ label: c.labels, report: c.report })))) },
  ]);
}

function timeFlag(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = parseDuration(v);
  if (ms === undefined) throw new UsageError(`--${name}: expected a duration like 1.5s or 200ms, got '${v}'`);
  return ms;
}

async function cmdReplay(a: { scenario: string; seed: number; from?: string; to?: string; json: boolean; html?: string; set: string[]; engine: EngineKind }): Promise<number> {
  const scenario = loadAll([a.scenario], a.set)[0]!.scenario;
  const r = await replay(scenario, a.seed, { fromMs: timeFlag('from', a.from), toMs: timeFlag('to', a.to), engine: a.engine });
  process.stdout.write(a.json ? jsonText(replayJson(r)) : `${replayText(r)}\n`);
  if (a.html !== undefined) {
    const beliefs = r.result.trace!.filter((e) => e.message === 'OWNS' || e.message === 'RELEASES' || e.text === 'CRASHED');
    const open = new Map<string, { node: string; owner: string; start: number }>();
    const bars: { node: string; owner: string; start: number; end: number }[] = [];
    for (const e of beliefs) {
      if (e.message === 'OWNS') open.set(e.owner!, { node: `n${e.node}`, owner: e.owner!, start: e.t });
      else {
        for (const [owner, b] of open) {
          if ((e.message === 'RELEASES' && owner === e.owner) || (e.text === 'CRASHED' && b.node === `n${e.node}`)) {
            bars.push({ ...b, end: e.t });
            open.delete(owner);
          }
        }
      }
    }
    for (const b of open.values()) bars.push({ ...b, end: scenario.durationMs });
    const from = timeFlag('from', a.from) ?? -Infinity;
    const to = timeFlag('to', a.to) ?? Infinity;
    const shown = bars.filter((b) => b.end >= from && b.start <= to).map((b) => ({ ...b, start: Math.max(b.start, from), end: Math.min(b.end, to) }));
    const overlaps: { start: number; end: number }[] = [];
    const sorted = [...shown].sort((x, y) => x.start - y.start);
    for (let i = 0; i < sorted.length; i++) {
      for (let j = i + 1; j < sorted.length && sorted[j]!.start < sorted[i]!.end; j++) {
        overlaps.push({ start: sorted[j]!.start, end: Math.min(sorted[i]!.end, sorted[j]!.end) });
      }
    }
    const { renderSvg, timelineSpec } = await plots();
    writeOut(
      a.html,
      htmlPage(`mco replay ${r.scenario} seed ${r.seed}`, [
        { html: r.explanation ? `<p><b>First violation:</b> ${escapeHtml(r.explanation.summary)}</p>` : '<p>No violation in this run.</p>' },
        { html: await renderSvg(timelineSpec(shown, overlaps)) },
        { heading: 'Timeline', html: `<pre>${escapeHtml(replayText(r))}</pre>` },
      ]),
    );
  }
  return ExitCode.ok;
}

async function cmdCheck(a: CommonRun & { scenario: string[]; baseline: string; update: boolean; md?: string }): Promise<number> {
  const scenarios = loadAll(a.scenario, a.set);
  const isDir = existsSync(a.baseline) && statSync(a.baseline).isDirectory();
  if (!isDir && scenarios.length > 1) throw new UsageError('--baseline: with several scenarios, give a directory of baselines (<dir>/<scenario>.json)');
  const { signal, dispose } = interruptible();
  let regressed = false;
  const md: string[] = [];
  try {
    for (const { scenario: s } of scenarios) {
      if (signal.aborted) break;
      const file = isDir ? join(a.baseline, `${s.name}.json`) : a.baseline;
      if (a.update) {
        const seeds = a.seeds ?? s.seeds;
        const report = await runOne(s, seeds, a.seedStart, a.workers, a.engine, signal);
        if (report.partial) throw new UsageError('interrupted: baseline not written');
        writeOut(file, jsonText(report));
        continue;
      }
      if (!existsSync(file)) throw new UsageError(`--baseline: ${file} does not exist (make it with mco check ${s.name} --baseline ${a.baseline} --update)`);
      const [baseline] = readReports([file]);
      if (baseline!.scenario !== s.name) assertComparable(baseline!, { ...baseline!, scenario: s.name }, file);
      const seeds = a.seeds ?? baseline!.runs;
      const current = await runOne(s, seeds, a.seedStart, a.workers, a.engine, signal);
      const warning = assertComparable(baseline!, current, file);
      if (warning !== undefined) process.stderr.write(`mco: warning: ${warning}\n`);
      const result = checkAgainstBaseline(baseline!, current, 2 * scenarios.length);
      regressed ||= result.regressed;
      const table = checkTable(result);
      process.stdout.write(`${table}\n\n`);
      md.push('```', table, '```', '');
    }
  } finally {
    dispose();
  }
  if (a.md !== undefined) writeOut(a.md, `# mco check\n\n${md.join('\n')}\n`);
  if (!a.update) {
    process.stdout.write(
      regressed
        ? 'mco check: REGRESSION (one-sided two-proportion z-test, family-wise 95%, on violation rates; or a cost above baseline × 1.25 + 2)\n'
        : 'mco check: no regression\n',
    );
  }
  return regressed ? ExitCode.failed : ExitCode.ok;
}

async function cmdCompare(a: CommonRun & { scenario: string[]; strategies: string; json?: string; md?: string; html?: string }): Promise<number> {
  const strategies = a.strategies.split(',').map((x) => x.trim());
  const known = ['none', 'lakefs', 'fixed', 'observed'];
  for (const st of strategies) {
    if (!known.includes(st)) {
      const best = closest(st, known);
      throw new UsageError(`--strategies: unknown strategy '${st}' (expected ${known.join(', ')}${best === undefined ? '' : `; did you mean '${best}'?`})`);
    }
  }
  const files = scenarioFiles(a.scenario);
  const { signal, dispose } = interruptible();
  const items: { label: string[]; report: Report }[] = [];
  try {
    for (const file of files) {
      for (const st of strategies) {
        if (signal.aborted) break;
        const s = loadScenario(file, { edit: (raw) => applySets(raw, [...a.set, `owner.strategy=${st}`]) });
        const report = await runOne(s, a.seeds ?? s.seeds, a.seedStart, a.workers, a.engine, signal);
        items.push({ label: [s.name, st], report });
      }
    }
  } finally {
    dispose();
  }
  process.stdout.write(`${compareTable(items)}\n`);
  if (a.json !== undefined) writeOut(a.json, jsonText({ schemaVersion: 1, kind: 'compare', strategies, rows: items.map((i) => ({ scenario: i.label[0], strategy: i.label[1], report: i.report })) }));
  if (a.md !== undefined) writeOut(a.md, `# mco compare\n\n${compareMarkdown(items)}\n`);
  if (a.html !== undefined) {
    const points = items.map((i) => ({ x: i.label[0]!, y: i.label[1]!, report: i.report }));
    const { heatmapSpec, renderSvg } = await plots();
    writeOut(
      a.html,
      htmlPage('mco compare', [
        { html: `<div class="plots">${await renderSvg(heatmapSpec(points, 'scenario', 'strategy'))}</div>` },
        { heading: 'Strategies side by side', html: htmlTable(compareHead(items), compareRows(items)) },
      ]),
    );
  }
  return signal.aborted ? ExitCode.interrupted : ExitCode.ok;
}

async function cmdTune(a: {
  maxOffset: string;
  maxPause: string;
  storeLatencyP99: string;
  nodes: number;
  strategy: string;
  target: string;
  maxFailover?: string;
  scenario?: string;
  seeds: number;
  seedStart: number;
  workers: number;
  html?: string;
}): Promise<number> {
  const need = (flag: string, v: string): number => {
    const d = parseDuration(v);
    if (d === undefined || d < 0) throw new UsageError(`--${flag}: expected a duration ≥ 0 like 20ms, got '${v}'`);
    return d;
  };
  const strategies = ['lakefs', 'fixed', 'observed'] as const;
  if (!(strategies as readonly string[]).includes(a.strategy)) throw new UsageError(`--strategy: expected lakefs, fixed or observed, got '${a.strategy}'`);
  const t = /^(violation-rate|per-acquisition)\s*<=\s*([\d.eE+-]+)$/.exec(a.target);
  if (!t || !(Number(t[2]) >= 0 && Number(t[2]) <= 1)) {
    throw new UsageError(`--target: expected violation-rate<=X or per-acquisition<=X with X in [0, 1], got '${a.target}'`);
  }
  if (!Number.isInteger(a.nodes) || a.nodes < 2 || a.nodes > 64) throw new UsageError(`--nodes: expected a whole number from 2 to 64, got ${a.nodes}`);
  const input: TuneInput = {
    maxOffsetMs: need('max-offset', a.maxOffset),
    maxPauseMs: need('max-pause', a.maxPause),
    storeLatencyP99Ms: need('store-latency-p99', a.storeLatencyP99),
    nodes: a.nodes,
    strategy: a.strategy as TuneInput['strategy'],
    target: { metric: t[1] as 'violation-rate' | 'per-acquisition', max: Number(t[2]) },
    maxFailoverMs: a.maxFailover === undefined ? undefined : need('max-failover', a.maxFailover),
  };
  let file: string;
  if (a.scenario !== undefined) {
    [file] = scenarioFiles([a.scenario]) as [string];
    input.scenarioRaw = loadScenarioRaw(file);
    input.scenarioFile = file;
  } else {
    file = join(mkdtempSync(join(tmpdir(), 'mco-tune-')), 'tune-evidence.yaml');
    writeFileSync(file, stringifyYaml(evidenceScenarioRaw(input)));
  }
  const { signal, dispose } = interruptible();
  let result;
  try {
    result = await tune(input, { seeds: a.seeds, seedStart: a.seedStart, workers: a.workers, signal });
  } catch (err) {
    if (err instanceof TuneRefusal) {
      process.stderr.write(`mco tune: refused: ${err.message}\n`);
      return ExitCode.badInput;
    }
    throw err;
  } finally {
    dispose();
  }
  const out: string[] = [];
  out.push(
    `mco tune: strategy ${input.strategy}; offset ≤ ${a.maxOffset}, pauses ≤ ${a.maxPause}, store latency p99 ${a.storeLatencyP99}, ${input.nodes} nodes; target ${a.target}${a.maxFailover ? `, failover p99 ≤ ${a.maxFailover}` : ''}`,
    `derived (sim/bound.ts, docs/bound.md): refreshInterval ≥ ${result.derived.refreshIntervalMs} ms is provably safe at these maxima (margin ${result.derived.marginMs.toFixed(3)} ms); acquireInterval ${result.derived.acquireIntervalMs} ms`,
    `measured on ${file}, seeds ${a.seedStart}..${a.seedStart + a.seeds - 1}:`,
    labelledTable(
      ['refreshInterval', 'meets'],
      result.candidates.map((c) => ({ label: [`${c.refreshIntervalMs}ms`, c.meetsTarget && c.meetsFailover ? 'yes' : c.meetsTarget ? 'failover' : 'no'], report: c.report })),
    ),
  );
  const r = result.recommended;
  if (r === undefined) {
    out.push('', 'no swept refreshInterval met the target: the environment is worse than its stated maxima in this scenario; widen the sweep with mco sweep, or relax the target');
  } else {
    const v = r.report.violationRate;
    const pa = r.report.perAcquisitionViolationRate;
    out.push(
      '',
      `recommendation: strategy ${input.strategy}, acquireInterval ${r.acquireIntervalMs} ms, refreshInterval ${r.refreshIntervalMs} ms`,
      `  runs with a violation ${(v.value * 100).toFixed(2)}% [${(v.low * 100).toFixed(2)}%, ${(v.high * 100).toFixed(2)}%], per acquisition ${(pa.value * 100).toFixed(4)}% [${(pa.low * 100).toFixed(4)}%, ${(pa.high * 100).toFixed(4)}%]`,
      `  failover p99 ${r.report.failoverMs ? `${r.report.failoverMs.p99} ms` : 'not measured (no holder crashed)'}, store ops per held second ${r.report.storeOps.perHeldSecond}`,
    );
    if (result.benefit) {
      const n = result.benefit.none.operations!;
      const o = result.benefit.owned.operations!;
      out.push(
        `  benefit against no owner: wasted work ${(n.wastedShare * 100).toFixed(1)}% → ${(o.wastedShare * 100).toFixed(1)}%, failed operations ${n.failed} → ${o.failed}, operations/s ${n.perSecond} → ${o.perSecond}`,
      );
    }
  }
  out.push(
    '',
    `reproduce: npx mco sweep ${file} --set owner.strategy=${input.strategy} --set owner.acquireInterval=${result.derived.acquireIntervalMs}ms --vary owner.refreshInterval=${result.candidates.map((c) => `${c.refreshIntervalMs}ms`).join(',')} --seeds ${a.seeds} --seed-start ${a.seedStart}`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
  if (a.html !== undefined) {
    const sweep: Sweep = {
      schemaVersion: 1,
      kind: 'sweep',
      scenario: result.candidates[0]?.report.scenario ?? 'tune',
      vary: [{ path: 'owner.refreshInterval', values: result.candidates.map((c) => `${c.refreshIntervalMs}ms`) }],
      cells: result.candidates.map((c) => ({ labels: [`${c.refreshIntervalMs}ms`], report: c.report })),
    };
    writeOut(a.html, await sweepHtml(sweep));
  }
  return signal.aborted ? ExitCode.interrupted : r === undefined ? ExitCode.failed : ExitCode.ok;
}

function cmdList(a: { dir: string }): number {
  const scenarios = loadAll([a.dir], []);
  const width = Math.max(...scenarios.map((s) => s.scenario.name.length));
  for (const { scenario: s } of scenarios) process.stdout.write(`${s.name.padEnd(width)}  ${s.description.replace(/\s+/g, ' ').trim()}\n`);
  return ExitCode.ok;
}

const VERBS = ['run', 'merge', 'sweep', 'replay', 'check', 'compare', 'tune', 'list', 'live'];
const OPTIONS = ['max-offset', 'max-pause', 'store-latency-p99', 'nodes', 'strategy', 'target', 'max-failover', 'scenario', 'strategies', 'seeds', 'seed-start', 'workers', 'engine', 'set', 'json', 'md', 'html', 'shard', 'vary', 'csv', 'seed', 'from', 'to', 'baseline', 'update', 'help', 'store', 'runs', 'parallel', 'compare'];

/** `--engine`: both engines give the same results; `reference` is the simple one to cross-check with. */
const engineOption = {
  choices: ENGINE_KINDS,
  default: DEFAULT_ENGINE,
  describe: 'simulation engine: fast (quiescence detection) or reference (one setImmediate turn per event); same results',
} as const;

function runOptions<T>(y: Argv<T>) {
  return y
    .option('seeds', { type: 'number', describe: "seed count (default: the scenario's `seeds`)" })
    .option('seed-start', { type: 'number', default: 1, describe: 'first seed' })
    .option('workers', { type: 'number', default: defaultWorkers(), describe: 'worker threads (the report is the same for any count)' })
    .option('engine', engineOption)
    .option('set', { type: 'string', array: true, default: [] as string[], describe: 'override a scenario field: --set owner.refreshInterval=80ms (repeatable)' })
    .check((a) => {
      if (a.seeds !== undefined && (!Number.isInteger(a.seeds) || a.seeds < 1)) throw new UsageError(`--seeds: expected a whole number ≥ 1, got ${String(a.seeds)}`);
      if (!Number.isSafeInteger(a['seed-start']) || a['seed-start'] < 0) throw new UsageError(`--seed-start: expected a whole number ≥ 0, got ${String(a['seed-start'])}`);
      if (!Number.isInteger(a.workers) || a.workers < 1 || a.workers > 256) throw new UsageError(`--workers: expected a whole number from 1 to 256, got ${String(a.workers)}`);
      return true;
    });
}

/** Runs the CLI with `args`; resolves to the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  let code: number = ExitCode.ok;
  const parser = yargs([...args])
    .scriptName('mco')
    .usage('$0 <command> [options]\n\nRuns the production MostlyCorrectOwner in a deterministic simulator and reports how often double ownership happens, and what it costs.')
    .command(
      'run <scenario..>',
      'run scenarios (files or directories) over many seeds; print a summary, write reports',
      (y) =>
        (
          runOptions(y)
            .positional('scenario', { type: 'string', array: true, demandOption: true, describe: 'scenario file(s) or directories' })
            .option('json', { type: 'string', describe: 'write the report as JSON' })
            .option('md', { type: 'string', describe: 'write the summary as Markdown' })
            .option('html', { type: 'string', describe: 'write a self-contained HTML report with plots' })
            .option('shard', { type: 'string', describe: 'run only part i of n of the seeds (i/n); combine with mco merge' })
            .example('$0 run scenarios/healthy.yaml --seeds 200 --json out.json', 'one scenario, JSON report')
            .example('$0 run scenarios --set owner.refreshInterval=80ms', 'the whole library with a longer lease')
        ),
      async (a) => {
        code = await cmdRun({ scenario: a.scenario, seeds: a.seeds, seedStart: a['seed-start'], workers: a.workers, engine: a.engine, set: a.set, json: a.json, md: a.md, html: a.html, shard: a.shard });
      },
    )
    .command(
      'merge <reports..>',
      'combine shard reports (mco run --shard) into the report of one run of all their seeds',
      (y) =>
        (
          y
            .positional('reports', { type: 'string', array: true, demandOption: true, describe: 'JSON reports from mco run --shard i/n --json' })
            .option('json', { type: 'string', describe: 'write the merged report as JSON' })
            .option('md', { type: 'string', describe: 'write the summary as Markdown' })
            .option('html', { type: 'string', describe: 'write an HTML report' })
            .example('$0 merge a.json b.json --json all.json', 'shards 1/2 and 2/2 → the full report')
        ),
      async (a) => {
        code = await cmdMerge({ reports: a.reports, json: a.json, md: a.md, html: a.html });
      },
    )
    .command(
      'sweep <scenario>',
      'run a grid of parameter values; print violation rate and costs per cell',
      (y) =>
        (
          runOptions(y)
            .positional('scenario', { type: 'string', demandOption: true, describe: 'scenario file' })
            .option('vary', { type: 'string', array: true, default: [] as string[], describe: 'path=a,b,c or path=from..to:step (repeatable; two give a heatmap)' })
            .option('csv', { type: 'string', describe: 'write the cells as CSV' })
            .option('json', { type: 'string', describe: 'write the sweep as JSON' })
            .option('md', { type: 'string', describe: 'write the table as Markdown' })
            .option('html', { type: 'string', describe: 'write an HTML report (heatmap or rate curve, cost curves)' })
            .example(
              '$0 sweep scenarios/clock-skew.yaml --vary faults.clock.offset.max=0ms..60ms:10ms --vary owner.refreshInterval=20ms,40ms,80ms --seeds 100 --html sweep.html',
              'violation rate over offset × lease',
            )
        ),
      async (a) => {
        code = await cmdSweep({ scenario: a.scenario, vary: a.vary, seeds: a.seeds, seedStart: a['seed-start'], workers: a.workers, engine: a.engine, set: a.set, csv: a.csv, json: a.json, md: a.md, html: a.html });
      },
    )
    .command(
      'replay <scenario>',
      "print one seed's run as a timeline, the first violation explained",
      (y) =>
        (
          y
            .positional('scenario', { type: 'string', demandOption: true, describe: 'scenario file' })
            .option('seed', { type: 'number', demandOption: true, describe: 'the seed to replay (see violatingSeeds in a report)' })
            .option('from', { type: 'string', describe: 'show events from this true time (e.g. 1.2s)' })
            .option('to', { type: 'string', describe: 'show events up to this true time' })
            .option('json', { type: 'boolean', default: false, describe: 'print the timeline as JSON' })
            .option('html', { type: 'string', describe: 'write an HTML timeline of beliefs per node, overlaps shaded' })
            .option('set', { type: 'string', array: true, default: [] as string[], describe: 'override a scenario field (repeatable)' })
            .option('engine', engineOption)
            .check((a) => {
              if (!Number.isSafeInteger(a.seed) || a.seed < 0) throw new UsageError(`--seed: expected a whole number ≥ 0, got ${String(a.seed)}`);
              return true;
            })
            .example('$0 replay scenarios/gc-pause.yaml --seed 3 --from 1s --to 1.5s', 'a window of one run')
        ),
      async (a) => {
        code = await cmdReplay({ scenario: a.scenario, seed: a.seed, from: a.from, to: a.to, json: a.json, html: a.html, set: a.set, engine: a.engine });
      },
    )
    .command(
      'check <scenario..>',
      `fail (exit 1) when the violation rate is significantly higher than a baseline's (one-sided two-proportion z-test, family-wise 95%) or a cost exceeds baseline × ${1 + COST_TOLERANCE} + ${COST_SLACK}; default seeds: the baseline's`,
      (y) =>
        (
          runOptions(y)
            .positional('scenario', { type: 'string', array: true, demandOption: true, describe: 'scenario file(s) or directories' })
            .option('baseline', { type: 'string', demandOption: true, describe: 'baseline report, or a directory of <scenario>.json baselines' })
            .option('update', { type: 'boolean', default: false, describe: 'rewrite the baseline(s) instead of checking' })
            .option('md', { type: 'string', describe: 'write the comparison as Markdown' })
            .example('$0 check scenarios --baseline reports --seeds 40', 'the CI gate')
            .example('$0 check scenarios --baseline reports --update', 'rewrite every baseline')
        ),
      async (a) => {
        code = await cmdCheck({ scenario: a.scenario, baseline: a.baseline, update: a.update, seeds: a.seeds, seedStart: a['seed-start'], workers: a.workers, engine: a.engine, set: a.set, md: a.md });
      },
    )
    .command(
      'compare <scenario..>',
      'run the same seeds under several strategies and print them side by side',
      (y) =>
        runOptions(y)
          .positional('scenario', { type: 'string', array: true, demandOption: true, describe: 'scenario file(s) or directories' })
          .option('strategies', { type: 'string', default: 'lakefs,fixed,observed', describe: 'comma-separated strategies: none (no owner at all), lakefs, fixed, observed' })
          .option('json', { type: 'string', describe: 'write the rows as JSON' })
          .option('md', { type: 'string', describe: 'write the table as Markdown' })
          .option('html', { type: 'string', describe: 'write an HTML report (heatmap scenario × strategy, table)' })
          .example('$0 compare scenarios/clock-skew.yaml scenarios/gc-pause.yaml --strategies lakefs,fixed,observed --seeds 100', 'the headline table'),
      async (a) => {
        code = await cmdCompare({ scenario: a.scenario, strategies: a.strategies, seeds: a.seeds, seedStart: a['seed-start'], workers: a.workers, engine: a.engine, set: a.set, json: a.json, md: a.md, html: a.html });
      },
    )
    .command(
      'tune',
      'propose acquireInterval and refreshInterval for an environment: derived bound, then a confirming sweep',
      (y) =>
        y
          .option('max-offset', { type: 'string', demandOption: true, describe: 'largest clock offset between two hosts (e.g. 20ms)' })
          .option('max-pause', { type: 'string', demandOption: true, describe: 'longest process pause (GC, stall), e.g. 150ms' })
          .option('store-latency-p99', { type: 'string', demandOption: true, describe: 'store latency p99 each way, e.g. 5ms' })
          .option('nodes', { type: 'number', default: 5, describe: 'processes contending for a key' })
          .option('strategy', { type: 'string', default: 'fixed', describe: 'lakefs, fixed or observed' })
          .option('target', { type: 'string', default: 'violation-rate<=0.001', describe: 'violation-rate<=X (runs with a violation) or per-acquisition<=X' })
          .option('max-failover', { type: 'string', describe: 'largest acceptable failover p99 after a crash, e.g. 2s' })
          .option('scenario', { type: 'string', describe: 'measure on this scenario instead of the generated one' })
          .option('seeds', { type: 'number', default: 50, describe: 'seeds per swept value' })
          .option('seed-start', { type: 'number', default: 1, describe: 'first seed' })
          .option('workers', { type: 'number', default: defaultWorkers(), describe: 'worker threads' })
          .option('html', { type: 'string', describe: 'write the sweep it used as HTML' })
          .example('$0 tune --max-offset 20ms --max-pause 150ms --store-latency-p99 5ms --max-failover 2s', 'a lakeFS deployment'),
      async (a) => {
        code = await cmdTune({
          maxOffset: a['max-offset'],
          maxPause: a['max-pause'],
          storeLatencyP99: a['store-latency-p99'],
          nodes: a.nodes,
          strategy: a.strategy,
          target: a.target,
          maxFailover: a['max-failover'],
          scenario: a.scenario,
          seeds: a.seeds,
          seedStart: a['seed-start'],
          workers: a.workers,
          html: a.html,
        });
      },
    )
    .command(
      'list [dir]',
      'list the scenario library with descriptions',
      (y) => y.positional('dir', { type: 'string', default: 'scenarios', describe: 'directory of scenario files' }),
      (a) => {
        code = cmdList({ dir: a.dir });
      },
    )
    .command(liveCommand((c) => (code = c)))
    .demandCommand(1, 'expected a command: run, merge, sweep, replay, check, compare, tune or list')
    .strict()
    .help()
    .version(false)
    .wrap(Math.min(120, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new UsageError(suggest(msg, args));
    });
  try {
    await parser.parseAsync();
  } catch (err) {
    if (err instanceof ScenarioError || err instanceof UsageError || err instanceof OverrideError || err instanceof ReportMismatchError) {
      process.stderr.write(`mco: ${err.message}\n`);
      return ExitCode.badInput;
    }
    if (err instanceof SimulationLimitError) {
      process.stderr.write(`mco: ${err.message}\n`);
      return ExitCode.limit;
    }
    if (err instanceof Error && err.name === 'YError') {
      process.stderr.write(`mco: ${err.message.split('\n')[0]}\n`);
      return ExitCode.badInput;
    }
    throw err;
  }
  return code;
}

/** yargs' message, plus the closest valid verb or flag where there is one. */
function suggest(msg: string, args: readonly string[]): string {
  const first = msg.split('\n')[0]!;
  // a flag with fixed choices (--engine): yargs spreads it over several lines
  const choice = /Argument: ([\w-]+), Given: ("[^"]*"), Choices: (.+)/.exec(msg);
  if (choice) return `--${choice[1]}: expected one of ${choice[3]!.trim()}, got ${choice[2]}`;
  const unknown = /^Unknown arguments?: (.+)$/.exec(first);
  if (!unknown) return first;
  const word = unknown[1]!.split(',')[0]!.trim();
  const isFlag = args.some((a) => a.replace(/^--?/, '').split('=')[0] === word && a.startsWith('-'));
  const best = isFlag ? closest(word, OPTIONS) : closest(word, VERBS);
  return best === undefined ? first : `${first} (did you mean ${isFlag ? `--${best}` : best}?)`;
}
