/** `mco run`: scenarios over many seeds; the summary table, reports, and the scenarios' `expect:` blocks. */
import { ExitCode } from '../exit-codes.js';
import { checkExpectations, describeExpectation } from '../expect.js';
import { replayCommand, shellWord } from '../replay.js';
import { importanceLines } from '../report/importance-text.js';
import type { Report } from '../report/report.js';
import { markdownTable, summaryTable } from '../report/table.js';
import { markdownHead, runHtml, writeHtml } from './html.js';
import { provenance } from '../report/provenance.js';
import { resolveShard, seedsOf } from '../shard.js';
import { importanceOptions, runOptions, runsOutOption, shardOptions } from './options.js';
import { importanceFlags, interruptedCode, interruptible, jsonText, loadAll, refuseOverMaxWall, refuseShardWithImportance, runShard, runsOut, textOut, writeOut } from './shared.js';
import { paramNames, paramValues } from '../report/runs.js';
import { scenarioHash } from '../scenario.js';
import { defineVerb } from './verb.js';

/** How many violating seeds of each scenario `mco run` prints a replay command for. */
const REPLAY_HINTS = 3;

/** Writes `mco run`'s --json, --md and --html (also what `mco merge` writes for merged run shards). */
export async function writeRunOutputs(reports: readonly Report[], a: { json?: string; md?: string; html?: string }): Promise<void> {
  if (a.json !== undefined) writeOut(a.json, jsonText(reports.length === 1 ? reports[0] : { schemaVersion: 1, reports }));
  if (a.md !== undefined) writeOut(a.md, `${markdownHead('mco run', reports[0])}${markdownTable(['scenario'], reports.map((r) => ({ label: [r.scenario], report: r })))}\n`);
  if (a.html !== undefined) writeHtml(a.html, await runHtml(reports));
}

export const runVerb = defineVerb({
  command: 'run <scenario..>',
  describe: 'run scenarios (files or directories) over many seeds; print a summary, write reports',
  builder: (y) =>
    importanceOptions(runsOutOption(shardOptions(runOptions(y))))
      .positional('scenario', { type: 'string', array: true, demandOption: true, describe: 'scenario file(s) or directories' })
      .option('json', { type: 'string', describe: 'write the report as JSON' })
      .option('md', { type: 'string', describe: 'write the summary as Markdown' })
      .option('html', { type: 'string', describe: 'write a self-contained HTML report with plots' })
      .example('$0 run scenarios/healthy.yaml --seeds 200 --json out.json', 'one scenario, JSON report')
      .example('$0 run scenarios --set owner.refreshInterval=80ms', 'the whole library with a longer lease')
      .example('$0 run scenarios/gc-pause.yaml --seeds 500 --runs-out runs.csv', 'one row per run, for pandas or DuckDB')
      .example('$0 run scenarios/rare/lakefs-pauses.yaml --importance auto --seeds 2000', 'a rate near 1e-6 per acquisition, with its CI (docs/rare-events.md)'),
  run: async (a) => {
    const say = textOut(a.json);
    const shard = resolveShard(a.shard, a.shards);
    refuseShardWithImportance(shard, a.importance);
    const scenarios = loadAll(a.scenario, a.set);
    const seedsFor = (s: { seeds: number }): { start: number; count: number } => seedsOf(a.seedStart, a.seeds ?? s.seeds, shard);
    await refuseOverMaxWall(
      scenarios.map(({ scenario: s }) => ({ scenario: s, seeds: seedsFor(s).count, seedStart: seedsFor(s).start })),
      a.maxWall,
      a.workers,
      a.engine,
    );
    const runs = runsOut(a.runsOut, paramNames(a.set));
    const params = paramValues(a.set);
    const { signal, dispose } = interruptible();
    const reports: Report[] = [];
    try {
      for (const { file, scenario: s } of scenarios) {
        if (signal.aborted) break;
        const record = runs?.table.recorder({ scenario: s.name, scenarioHash: scenarioHash(s), strategy: s.owner.strategy, params });
        const report = await runShard(s, seedsFor(s), shard, a.workers, a.engine, signal, record, importanceFlags(a, file));
        report.provenance = provenance(s, { set: a.set }, a.engine);
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
    await writeRunOutputs(reports, a);
    await runs?.write();
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
