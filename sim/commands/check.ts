/** `mco check`: the regression gate against committed baseline reports. */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../exit-codes.js';
import { assertComparable, checkAgainstBaseline, checkTable, COST_SLACK, COST_TOLERANCE, type CheckResult } from '../report/check.js';
import { runOptions } from './options.js';
import { provenance } from '../report/provenance.js';
import { interruptedCode, interruptible, jsonText, loadAll, readReports, refuseOverMaxWall, runOne, textOut, UsageError, writeOut } from './shared.js';
import { defineVerb } from './verb.js';

export const checkVerb = defineVerb({
  command: 'check <scenario..>',
  describe: `fail (exit 1) when the violation rate is significantly higher than a baseline's (one-sided two-proportion z-test, family-wise 95%) or a cost exceeds baseline × ${1 + COST_TOLERANCE} + ${COST_SLACK}; default seeds: the baseline's`,
  builder: (y) =>
    runOptions(y)
      .positional('scenario', { type: 'string', array: true, demandOption: true, describe: 'scenario file(s) or directories' })
      .option('baseline', { type: 'string', demandOption: true, describe: 'baseline report, or a directory of <scenario>.json baselines' })
      .option('update', { type: 'boolean', default: false, describe: 'rewrite the baseline(s) instead of checking' })
      .option('md', { type: 'string', describe: 'write the comparison as Markdown' })
      .option('json', { type: 'string', describe: 'write the comparison as JSON (- for stdout)' })
      .example('$0 check scenarios --baseline reports --seeds 40', 'the CI gate')
      .example('$0 check scenarios --baseline reports --update', 'rewrite every baseline'),
  run: async (a) => {
    const say = textOut(a.json);
    const scenarios = loadAll(a.scenario, a.set);
    const isDir = existsSync(a.baseline) && statSync(a.baseline).isDirectory();
    if (!isDir && scenarios.length > 1) throw new UsageError('--baseline: with several scenarios, give a directory of baselines (<dir>/<scenario>.json)');
    const { signal, dispose } = interruptible();
    let regressed = false;
    const md: string[] = [];
    const checks: { baseline: string; result: CheckResult }[] = [];
    try {
      for (const { scenario: s } of scenarios) {
        if (signal.aborted) break;
        const file = isDir ? join(a.baseline, `${s.name}.json`) : a.baseline;
        if (a.update) {
          const seeds = a.seeds ?? s.seeds;
          await refuseOverMaxWall([{ scenario: s, seeds, seedStart: a.seedStart }], a.maxWall, a.workers, a.engine);
          const report = await runOne(s, seeds, a.seedStart, a.workers, a.engine, signal);
          if (report.partial) throw new UsageError('interrupted: baseline not written');
          report.provenance = provenance(s, { set: a.set }, a.engine);
          writeOut(file, jsonText(report));
          continue;
        }
        if (!existsSync(file)) throw new UsageError(`--baseline: ${file} does not exist (make it with mco check ${s.name} --baseline ${a.baseline} --update)`);
        const [baseline] = readReports([file]);
        if (baseline!.scenario !== s.name) assertComparable(baseline!, { ...baseline!, scenario: s.name }, file);
        const seeds = a.seeds ?? baseline!.runs;
        await refuseOverMaxWall([{ scenario: s, seeds, seedStart: a.seedStart }], a.maxWall, a.workers, a.engine);
        const current = await runOne(s, seeds, a.seedStart, a.workers, a.engine, signal);
        const warning = assertComparable(baseline!, current, file);
        if (warning !== undefined) process.stderr.write(`mco: warning: ${warning}\n`);
        const result = checkAgainstBaseline(baseline!, current, 2 * scenarios.length);
        regressed ||= result.regressed;
        checks.push({ baseline: file, result });
        const table = checkTable(result);
        say(`${table}\n\n`);
        md.push('```', table, '```', '');
      }
    } finally {
      dispose();
    }
    if (a.md !== undefined) writeOut(a.md, `# mco check\n\n${md.join('\n')}\n`);
    if (a.json !== undefined && !a.update) writeOut(a.json, jsonText({ schemaVersion: 1, kind: 'check', regressed, partial: signal.aborted, checks }));
    if (!a.update) {
      say(
        regressed
          ? 'mco check: REGRESSION (one-sided two-proportion z-test, family-wise 95%, on violation rates; or a cost above baseline × 1.25 + 2)\n'
          : 'mco check: no regression\n',
      );
    }
    if (signal.aborted) return interruptedCode(signal);
    return regressed ? ExitCode.failed : ExitCode.ok;
  },
});
