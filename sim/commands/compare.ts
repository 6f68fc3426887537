/** `mco compare`: the same seeds under several strategies, side by side. */
import { ExitCode } from '../exit-codes.js';
import { applySets, closest } from '../overrides.js';
import { htmlPage, htmlTable } from '../report/html.js';
import type { Report } from '../report/report.js';
import { compareHead, compareMarkdown, compareRows, compareTable } from '../report/table.js';
import { loadScenario, OWNER_STRATEGIES, SCENARIO_STRATEGIES, scenarioFiles } from '../scenario.js';
import { plots } from './html.js';
import { resolveShard, seedsOf, type Shard } from '../shard.js';
import { runOptions, shardOptions } from './options.js';
import { interruptedCode, interruptible, jsonText, runShard, textOut, UsageError, writeOut } from './shared.js';
import { defineVerb } from './verb.js';

/** The compare document `--json` writes (a shard's carries its shard and per-seed records). */
export interface CompareDoc {
  schemaVersion: 1;
  kind: 'compare';
  strategies: string[];
  shard?: Shard;
  rows: { scenario: string; strategy: string; report: Report }[];
}

/** Prints the compare table and writes --json, --md and --html (also `mco merge`'s output for compare shards). */
export async function compareOutputs(
  items: readonly { label: string[]; report: Report }[],
  strategies: readonly string[],
  shard: Shard | undefined,
  a: { json?: string; md?: string; html?: string },
  say: (text: string) => void,
): Promise<void> {
    say(`${compareTable(items)}\n`);
    if (a.json !== undefined) writeOut(a.json, jsonText({ schemaVersion: 1, kind: 'compare', strategies, ...(shard ? { shard } : {}), rows: items.map((i) => ({ scenario: i.label[0], strategy: i.label[1], report: i.report })) }));
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
}

export const compareVerb = defineVerb({
  command: 'compare <scenario..>',
  describe: 'run the same seeds under several strategies and print them side by side',
  builder: (y) =>
    shardOptions(runOptions(y))
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
    const shard = resolveShard(a.shard, a.shards);
    const files = scenarioFiles(a.scenario);
    const { signal, dispose } = interruptible();
    const items: { label: string[]; report: Report }[] = [];
    try {
      for (const file of files) {
        for (const st of strategies) {
          if (signal.aborted) break;
          const s = loadScenario(file, { edit: (raw) => applySets(raw, [...a.set, `owner.strategy=${st}`]) });
          const report = await runShard(s, seedsOf(a.seedStart, a.seeds ?? s.seeds, shard), shard, a.workers, a.engine, signal);
          items.push({ label: [s.name, st], report });
        }
      }
    } finally {
      dispose();
    }
    await compareOutputs(items, strategies, shard, a, say);
    return signal.aborted ? interruptedCode(signal) : ExitCode.ok;
  },
});
