/** `mco compare`: the same seeds under several strategies, side by side. */
import { ExitCode } from '../exit-codes.js';
import { applySets, closest } from '../overrides.js';
import { htmlTable } from '../report/html.js';
import type { Report } from '../report/report.js';
import { compareHead, compareMarkdown, compareRows, compareTable } from '../report/table.js';
import { loadScenario, OWNER_STRATEGIES, SCENARIO_STRATEGIES, scenarioFiles } from '../scenario.js';
import { compareHtml, compareProvenance, markdownHead, writeHtml } from './html.js';
import { provenance } from '../report/provenance.js';
import { runOptions, runsOutOption } from './options.js';
import { interruptedCode, interruptible, jsonText, refuseOverMaxWall, runOne, runsOut, textOut, UsageError, writeOut } from './shared.js';
import { paramNames, paramValues } from '../report/runs.js';
import { scenarioHash } from '../scenario.js';
import { defineVerb } from './verb.js';

export const compareVerb = defineVerb({
  command: 'compare <scenario..>',
  describe: 'run the same seeds under several strategies and print them side by side',
  builder: (y) =>
    runsOutOption(runOptions(y))
      .positional('scenario', { type: 'string', array: true, demandOption: true, describe: 'scenario file(s) or directories' })
      .option('strategies', {
        type: 'string',
        default: OWNER_STRATEGIES.join(','),
        describe: `comma-separated strategies: ${OWNER_STRATEGIES.join(', ')}, or none (no owner at all)`,
      })
      .option('json', { type: 'string', describe: 'write the rows as JSON' })
      .option('md', { type: 'string', describe: 'write the table as Markdown' })
      .option('html', { type: 'string', describe: 'write an HTML report (heatmap scenario × strategy, table)' })
      .example('$0 compare scenarios/clock-skew.yaml scenarios/gc-pause.yaml --strategies lakefs,fixed,observed --seeds 100', 'the headline table'),
  run: async (a) => {
    const say = textOut(a.json);
    const strategies = a.strategies.split(',').map((x) => x.trim());
    for (const st of strategies) {
      if (!(SCENARIO_STRATEGIES as readonly string[]).includes(st)) {
        const best = closest(st, SCENARIO_STRATEGIES);
        throw new UsageError(`--strategies: unknown strategy '${st}' (expected ${SCENARIO_STRATEGIES.join(', ')}${best === undefined ? '' : `; did you mean '${best}'?`})`);
      }
    }
    const files = scenarioFiles(a.scenario);
    const load = (file: string, st: string) => loadScenario(file, { edit: (raw) => applySets(raw, [...a.set, `owner.strategy=${st}`]) });
    const planned = files.flatMap((file) => strategies.map((st) => load(file, st)));
    await refuseOverMaxWall(planned.map((s) => ({ scenario: s, seeds: a.seeds ?? s.seeds, seedStart: a.seedStart })), a.maxWall, a.workers, a.engine);
    const runs = runsOut(a.runsOut, paramNames(a.set));
    const params = paramValues(a.set);
    const { signal, dispose } = interruptible();
    const items: { label: string[]; report: Report }[] = [];
    try {
      for (const file of files) {
        for (const st of strategies) {
          if (signal.aborted) break;
          const s = load(file, st);
          const record = runs?.table.recorder({ scenario: s.name, scenarioHash: scenarioHash(s), strategy: st, params });
          const report = await runOne(s, a.seeds ?? s.seeds, a.seedStart, a.workers, a.engine, signal, false, record);
          report.provenance = provenance(s, { set: [...a.set, `owner.strategy=${st}`] }, a.engine);
          items.push({ label: [s.name, st], report });
        }
      }
    } finally {
      dispose();
    }
    say(`${compareTable(items)}\n`);
    if (a.json !== undefined) writeOut(a.json, jsonText({ schemaVersion: 1, kind: 'compare', strategies, rows: items.map((i) => ({ scenario: i.label[0], strategy: i.label[1], report: i.report })) }));
    if (a.md !== undefined) writeOut(a.md, `${markdownHead('mco compare', undefined, compareProvenance(items))}${compareMarkdown(items)}\n`);
    if (a.html !== undefined) writeHtml(a.html, await compareHtml(items, htmlTable(compareHead(items), compareRows(items))));
    await runs?.write();
    return signal.aborted ? interruptedCode(signal) : ExitCode.ok;
  },
});
