/** `mco check`: the regression gate against committed baseline reports. */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../exit-codes.js';
import { assertComparable, checkAgainstBaseline, checkTable, COST_SLACK, COST_TOLERANCE, withPerRun, type CheckResult } from '../report/check.js';
import { provenance } from '../report/provenance.js';
import type { Report, SeedRecord } from '../report/report.js';
import { resolveShard, seedsOf, type Shard } from '../shard.js';
import { runOptions, shardOptions } from './options.js';
import { interruptedCode, interruptible, jsonText, loadAll, readReports, refuseOverMaxWall, runOne, runShard, textOut, UsageError, writeOut } from './shared.js';
import { defineVerb } from './verb.js';

/** What a check shard (`mco check --shard i/n --json F`) writes: the current runs, judged by `mco merge`. */
export interface CheckShardDoc {
  schemaVersion: 1;
  kind: 'check';
  shard: Shard;
  /** Rate tests of the whole check (2 per scenario), for the family-wise level. */
  rateTests: number;
  checks: { baseline: string; current: Report }[];
}

/** Reads the baseline `file` for scenario `name`, refusing another scenario's. */
function loadBaseline(file: string, name: string, dir: string): Report {
  if (!existsSync(file)) throw new UsageError(`--baseline: ${file} does not exist (make it with mco check ${name} --baseline ${dir} --update)`);
  const [baseline] = readReports([file]);
  if (baseline!.scenario !== name) assertComparable(baseline!, { ...baseline!, scenario: name }, file);
  return baseline!;
}

/**
 * Judges each current run against its baseline, prints the tables and the
 * verdict, writes --md and --json; returns whether anything regressed (also
 * how `mco merge` judges check shards).
 */
export function judgeChecks(
  runs: readonly { baseline: string; current: Report; records?: readonly SeedRecord[] }[],
  rateTests: number,
  partial: boolean,
  a: { md?: string; json?: string },
  say: (text: string) => void,
): boolean {
  let regressed = false;
  const md: string[] = [];
  const checks: { baseline: string; result: CheckResult }[] = [];
  for (const run of runs) {
    const [baseline] = readReports([run.baseline]);
    const warning = assertComparable(baseline!, run.current, run.baseline);
    if (warning !== undefined) process.stderr.write(`mco: warning: ${warning}\n`);
    const result = checkAgainstBaseline(baseline!, run.current, rateTests, run.records);
    regressed ||= result.regressed;
    checks.push({ baseline: run.baseline, result });
    const table = checkTable(result);
    say(`${table}\n\n`);
    md.push('```', table, '```', '');
  }
  if (a.md !== undefined) writeOut(a.md, `# mco check\n\n${md.join('\n')}\n`);
  if (a.json !== undefined) writeOut(a.json, jsonText({ schemaVersion: 1, kind: 'check', regressed, partial, checks }));
  say(
    regressed
      ? 'mco check: REGRESSION (violation rates higher, paired on the shared seeds — McNemar, paired bootstrap — family-wise 95%; or a cost above baseline × 1.25 + 2)\n'
      : 'mco check: no regression\n',
  );
  return regressed;
}

export const checkVerb = defineVerb({
  command: 'check <scenario..>',
  describe: `fail (exit 1) when a violation rate is significantly higher than a baseline's (paired on the shared seeds: McNemar for runs with a violation, paired bootstrap per acquisition; one-sided, family-wise 95%) or a cost exceeds baseline × ${1 + COST_TOLERANCE} + ${COST_SLACK}; default seeds: the baseline's`,
  builder: (y) =>
    shardOptions(runOptions(y))
      .positional('scenario', { type: 'string', array: true, demandOption: true, describe: 'scenario file(s) or directories' })
      .option('baseline', { type: 'string', demandOption: true, describe: 'baseline report, or a directory of <scenario>.json baselines' })
      .option('update', { type: 'boolean', default: false, describe: 'rewrite the baseline(s) instead of checking' })
      .option('md', { type: 'string', describe: 'write the comparison as Markdown' })
      .option('json', { type: 'string', describe: 'write the comparison as JSON (- for stdout); with --shard, the shard for mco merge' })
      .example('$0 check scenarios --baseline reports --seeds 40', 'the CI gate')
      .example('$0 check scenarios --baseline reports --shard 2/4 --json check-2.json', 'part 2 of 4; mco merge check-*.json judges')
      .example('$0 check scenarios --baseline reports --update', 'rewrite every baseline'),
  run: async (a) => {
    const say = textOut(a.json);
    const shard = resolveShard(a.shard, a.shards);
    if (shard !== undefined && a.update) throw new UsageError('--shard: not with --update (a baseline is written from all its seeds)');
    if (shard !== undefined && a.json === undefined) throw new UsageError('--shard: needs --json FILE (the shard\'s runs, which mco merge judges)');
    if (shard !== undefined && a.md !== undefined) throw new UsageError('--md: not with --shard (mco merge --md writes the comparison of all shards)');
    const scenarios = loadAll(a.scenario, a.set);
    const isDir = existsSync(a.baseline) && statSync(a.baseline).isDirectory();
    if (!isDir && scenarios.length > 1) throw new UsageError('--baseline: with several scenarios, give a directory of baselines (<dir>/<scenario>.json)');
    const { signal, dispose } = interruptible();
    const runs: { baseline: string; current: Report; records?: readonly SeedRecord[] }[] = [];
    let regressed = false;
    try {
      for (const { scenario: s } of scenarios) {
        if (signal.aborted) break;
        const file = isDir ? join(a.baseline, `${s.name}.json`) : a.baseline;
        if (a.update) {
          const seeds = a.seeds ?? s.seeds;
          await refuseOverMaxWall([{ scenario: s, seeds, seedStart: a.seedStart }], a.maxWall, a.workers, a.engine);
          const { perSeed, ...report } = await runOne(s, seeds, a.seedStart, a.workers, a.engine, signal, true);
          if (report.partial) throw new UsageError('interrupted: baseline not written');
          report.provenance = provenance(s, { set: a.set }, a.engine);
          writeOut(file, jsonText(withPerRun(report, perSeed!)));
          continue;
        }
        const baseline = loadBaseline(file, s.name, a.baseline);
        const seeds = seedsOf(a.seedStart, a.seeds ?? baseline.runs, shard);
        await refuseOverMaxWall([{ scenario: s, seeds: seeds.count, seedStart: seeds.start }], a.maxWall, a.workers, a.engine);
        if (shard !== undefined) runs.push({ baseline: file, current: await runShard(s, seeds, shard, a.workers, a.engine, signal) });
        else {
          const { perSeed, ...current } = await runOne(s, seeds.count, seeds.start, a.workers, a.engine, signal, true);
          runs.push({ baseline: file, current, records: perSeed! });
        }
      }
    } finally {
      dispose();
    }
    const rateTests = 2 * scenarios.length;
    if (shard !== undefined) {
      const doc: CheckShardDoc = { schemaVersion: 1, kind: 'check', shard, rateTests, checks: runs };
      writeOut(a.json!, jsonText(doc));
      say(`mco check: shard ${shard.index}/${shard.count} ran; judge all shards with mco merge\n`);
    } else if (!a.update) {
      regressed = judgeChecks(runs, rateTests, signal.aborted, a, say);
    }
    if (signal.aborted) return interruptedCode(signal);
    return regressed ? ExitCode.failed : ExitCode.ok;
  },
});
