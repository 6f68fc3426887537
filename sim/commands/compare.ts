/** `mco compare`: the same seeds under several strategies, side by side. */
import { ExitCode } from '../exit-codes.js';
import { applySets, closest } from '../overrides.js';
import { htmlTable } from '../report/html.js';
import type { Report, SeedRecord } from '../report/report.js';
import { pairedTests, type PairedTest } from '../report/paired.js';
import { alignedTable, compareHead, compareMarkdown, compareRows, compareTable, markdownOf, PAIRED_HEAD, pairedCells } from '../report/table.js';
import { loadScenario, OWNER_STRATEGIES, SCENARIO_STRATEGIES, scenarioFiles } from '../scenario.js';
import { compareHtml, compareProvenance, markdownHead, writeHtml } from './html.js';
import { provenance } from '../report/provenance.js';
import { resolveShard, seedsOf, type Shard } from '../shard.js';
import { runOptions, runsOutOption, shardOptions } from './options.js';
import { interruptedCode, interruptible, jsonText, refuseOverMaxWall, runOne, runShard, runsOut, textOut, UsageError, writeOut } from './shared.js';
import { paramNames, paramValues } from '../report/runs.js';
import { scenarioHash } from '../scenario.js';
import { defineVerb } from './verb.js';

/** The compare document `--json` writes (a shard's carries its shard and per-seed records). */
export interface CompareDoc {
  schemaVersion: 1;
  kind: 'compare';
  strategies: string[];
  shard?: Shard;
  rows: { scenario: string; strategy: string; report: Report }[];
}

/** One row of a compare: (scenario, strategy), its report and its runs (for the paired tests). */
export type CompareItem = { label: string[]; report: Report; records?: readonly SeedRecord[] };

/** Each strategy against the first on the same scenario, seed by seed. */
function pairedAgainstFirst(items: readonly CompareItem[], strategies: readonly string[]): ({ scenario: string; strategy: string; against: string } & PairedTest)[] {
  const ref = strategies[0];
  return items.flatMap((it) => {
    if (it.label[1] === ref || it.records === undefined) return [];
    const base = items.find((x) => x.label[0] === it.label[0] && x.label[1] === ref);
    if (base?.records === undefined) return [];
    return pairedTests(base.records, it.records).map((t) => ({ scenario: it.label[0]!, strategy: it.label[1]!, against: ref!, ...t }));
  });
}

/** Prints the compare table and writes --json, --md and --html (also `mco merge`'s output for compare shards). */
export async function compareOutputs(
  items: readonly CompareItem[],
  strategies: readonly string[],
  shard: Shard | undefined,
  a: { json?: string; md?: string; html?: string },
  say: (text: string) => void,
): Promise<void> {
  say(`${compareTable(items)}\n`);
  const paired = shard === undefined ? pairedAgainstFirst(items, strategies) : [];
  const cells = pairedCells(paired);
  if (paired.length > 0) say(`\npaired tests against ${strategies[0]} on the same seeds:\n${alignedTable([...PAIRED_HEAD], cells)}\n`);
  if (a.json !== undefined) {
    writeOut(
      a.json,
      jsonText({
        schemaVersion: 1,
        kind: 'compare',
        strategies,
        ...(shard ? { shard } : {}),
        rows: items.map((i) => ({ scenario: i.label[0], strategy: i.label[1], report: i.report })),
        ...(shard ? {} : { paired }),
      }),
    );
  }
  if (a.md !== undefined) {
    const pairedMd = paired.length === 0 ? '' : `\n\n## Paired tests against ${strategies[0]} on the same seeds\n\n${markdownOf([...PAIRED_HEAD], cells, 3)}`;
    writeOut(a.md, `${markdownHead('mco compare', undefined, compareProvenance(items))}${compareMarkdown(items)}${pairedMd}\n`);
  }
  if (a.html !== undefined) {
    const pairedHtml = paired.length === 0 ? [] : [{ heading: `Paired tests against ${strategies[0]} on the same seeds`, html: htmlTable(PAIRED_HEAD, cells) }];
    writeHtml(a.html, await compareHtml(items, htmlTable(compareHead(items), compareRows(items)), pairedHtml));
  }
}

export const compareVerb = defineVerb({
  command: 'compare <scenario..>',
  describe: 'run the same seeds under several strategies and print them side by side',
  builder: (y) =>
    runsOutOption(shardOptions(runOptions(y)))
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
    const load = (file: string, st: string) => loadScenario(file, { edit: (raw) => applySets(raw, [...a.set, `owner.strategy=${st}`]) });
    const planned = files.flatMap((file) => strategies.map((st) => load(file, st)));
    const seedsFor = (s: { seeds: number }) => seedsOf(a.seedStart, a.seeds ?? s.seeds, shard);
    await refuseOverMaxWall(planned.map((s) => ({ scenario: s, seeds: seedsFor(s).count, seedStart: seedsFor(s).start })), a.maxWall, a.workers, a.engine);
    const runs = runsOut(a.runsOut, paramNames(a.set));
    const params = paramValues(a.set);
    const { signal, dispose } = interruptible();
    const items: CompareItem[] = [];
    try {
      for (const file of files) {
        for (const st of strategies) {
          if (signal.aborted) break;
          const s = load(file, st);
          const record = runs?.table.recorder({ scenario: s.name, scenarioHash: scenarioHash(s), strategy: st, params });
          const seeds = seedsFor(s);
          let item: CompareItem;
          if (shard !== undefined) item = { label: [s.name, st], report: await runShard(s, seeds, shard, a.workers, a.engine, signal, record) };
          else {
            // the paired tests need every seed's record; the written report does not carry them
            const { perSeed, ...report } = await runOne(s, seeds.count, seeds.start, a.workers, a.engine, signal, true, record);
            item = { label: [s.name, st], report, records: perSeed };
          }
          item.report.provenance = provenance(s, { set: [...a.set, `owner.strategy=${st}`] }, a.engine);
          items.push(item);
        }
      }
    } finally {
      dispose();
    }
    await compareOutputs(items, strategies, shard, a, say);
    await runs?.write();
    return signal.aborted ? interruptedCode(signal) : ExitCode.ok;
  },
});
