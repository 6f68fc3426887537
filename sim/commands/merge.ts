/** `mco merge`: shard reports (`mco run --shard i/n`) → the report of one run of all their seeds. */
import { ExitCode } from '../exit-codes.js';
import { mergeReports } from '../report/merge.js';
import { markdownTable, summaryTable } from '../report/table.js';
import { markdownHead, runHtml, writeHtml } from './html.js';
import { jsonText, readReports, textOut, writeOut } from './shared.js';
import { defineVerb } from './verb.js';

export const mergeVerb = defineVerb({
  command: 'merge <reports..>',
  describe: 'combine shard reports (mco run --shard) into the report of one run of all their seeds',
  builder: (y) =>
    y
      .positional('reports', { type: 'string', array: true, demandOption: true, describe: 'JSON reports from mco run --shard i/n --json' })
      .option('json', { type: 'string', describe: 'write the merged report as JSON' })
      .option('md', { type: 'string', describe: 'write the summary as Markdown' })
      .option('html', { type: 'string', describe: 'write an HTML report' })
      .example('$0 merge a.json b.json --json all.json', 'shards 1/2 and 2/2 → the full report'),
  run: async (a) => {
    const say = textOut(a.json);
    const all = readReports(a.reports);
    const names = [...new Set(all.map((r) => r.scenario))];
    const merged = names.map((n) => mergeReports(all.filter((r) => r.scenario === n)));
    say(`${summaryTable(merged)}\n`);
    if (a.json !== undefined) writeOut(a.json, jsonText(merged.length === 1 ? merged[0] : { schemaVersion: 1, reports: merged }));
    if (a.md !== undefined) writeOut(a.md, `${markdownHead('mco merge', merged[0])}${markdownTable(['scenario'], merged.map((r) => ({ label: [r.scenario], report: r })))}\n`);
    if (a.html !== undefined) writeHtml(a.html, await runHtml(merged));
    return ExitCode.ok;
  },
});
