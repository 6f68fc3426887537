/** `mco run`: scenarios over many seeds; the summary table, reports, and the scenarios' `expect:` blocks. */
import { ExitCode } from '../exit-codes.js';
import { checkExpectations, describeExpectation } from '../expect.js';
import { replayCommand, shellWord } from '../replay.js';
import { importanceLines } from '../report/importance-text.js';
import type { Report } from '../report/report.js';
import { markdownTable, summaryTable } from '../report/table.js';
import { runHtml } from './html.js';
import { importanceOptions, runOptions } from './options.js';
import { importanceFlags, interruptedCode, interruptible, jsonText, loadAll, runOne, textOut, UsageError, writeOut } from './shared.js';
import { defineVerb } from './verb.js';

function parseShard(text: string | undefined): { index: number; count: number } | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) throw new UsageError(`--shard: expected i/n with 1 ≤ i ≤ n, e.g. --shard 1/2, got '${text}'`);
  return { index, count };
}

/** How many violating seeds of each scenario `mco run` prints a replay command for. */
const REPLAY_HINTS = 3;

/** Seeds of shard `index` of `count`: contiguous blocks that cover start..start+total-1 exactly. */
export function shardSeeds(start: number, total: number, shard: { index: number; count: number }): { start: number; count: number } {
  const from = Math.floor(((shard.index - 1) * total) / shard.count);
  const to = Math.floor((shard.index * total) / shard.count);
  return { start: start + from, count: to - from };
}

export const runVerb = defineVerb({
  command: 'run <scenario..>',
  describe: 'run scenarios (files or directories) over many seeds; print a summary, write reports',
  builder: (y) =>
    importanceOptions(runOptions(y))
      .positional('scenario', { type: 'string', array: true, demandOption: true, describe: 'scenario file(s) or directories' })
      .option('json', { type: 'string', describe: 'write the report as JSON' })
      .option('md', { type: 'string', describe: 'write the summary as Markdown' })
      .option('html', { type: 'string', describe: 'write a self-contained HTML report with plots' })
      .option('shard', { type: 'string', describe: 'run only part i of n of the seeds (i/n); combine with mco merge' })
      .example('$0 run scenarios/healthy.yaml --seeds 200 --json out.json', 'one scenario, JSON report')
      .example('$0 run scenarios --set owner.refreshInterval=80ms', 'the whole library with a longer lease')
      .example('$0 run scenarios/rare/lakefs-pauses.yaml --importance auto --seeds 2000', 'a rate near 1e-6 per acquisition, with its CI (docs/rare-events.md)'),
  run: async (a) => {
    const say = textOut(a.json);
    const shard = parseShard(a.shard);
    if (shard !== undefined && a.importance !== undefined) throw new UsageError('--shard: not with --importance (the weighted estimates are not merged across shards yet); run the seeds in one process');
    const scenarios = loadAll(a.scenario, a.set);
    const { signal, dispose } = interruptible();
    const reports: Report[] = [];
    try {
      for (const { file, scenario: s } of scenarios) {
        if (signal.aborted) break;
        let seeds = a.seeds ?? s.seeds;
        let seedStart = a.seedStart;
        if (shard) ({ start: seedStart, count: seeds } = shardSeeds(seedStart, seeds, shard));
        const report = await runOne(s, seeds, seedStart, a.workers, a.engine, signal, shard !== undefined, importanceFlags(a, file));
        if (shard) report.shard = shard;
        reports.push(report);
      }
    } finally {
      dispose();
    }
    say(`${summaryTable(reports)}\n`);
    if (a.importance !== undefined) say(`(the table's rates are those of the proposal's runs; the scenario's own are below)\n`);
    for (const [i, r] of reports.entries()) {
      if (r.importance === undefined) continue;
      // the proposal goes into the file's importance: block, so a --set of that block would undo the paste
      const sets = a.set.filter((x) => r.importance!.method === 'scenario' || !x.startsWith('importance')).flatMap((x) => ['--set', x]);
      const repeat = ['npx', 'mco', 'run', scenarios[i]!.file, '--importance', 'scenario', '--seeds', String(r.seeds.count), '--seed-start', String(r.seeds.start), ...sets].map(shellWord).join(' ');
      say(`${importanceLines(r, r.importance.method === 'auto' ? `with that block in the scenario, ${repeat}` : repeat).join('\n')}\n`);
    }
    for (const [i, r] of reports.entries()) {
      if (r.importance !== undefined) continue; // a violating seed's replay needs the proposal: not offered
      const seeds = r.violatingSeeds.slice(0, REPLAY_HINTS);
      if (seeds.length === 0) continue;
      const first = seeds.length === 1 ? 'it' : `the first ${seeds.length}`;
      say(`${r.scenario}: ${r.runsWithViolation} run${r.runsWithViolation === 1 ? '' : 's'} with a violation; replay ${first}:\n`);
      for (const seed of seeds) say(`  ${replayCommand(scenarios[i]!.file, seed, a.set)}\n`);
    }
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
      for (const x of bad) say(`expectation failed: ${r.scenario}: ${describeExpectation(x)}\n`);
      if (bad.length === 0) say(`${r.scenario}: all ${results.length} expectations held\n`);
    }
    if (interrupted) return interruptedCode(signal);
    return failed ? ExitCode.failed : ExitCode.ok;
  },
});
