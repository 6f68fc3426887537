/** `mco sweep`: a grid of varied parameters over one scenario; violation rate and costs per cell. */
import { ExitCode } from '../exit-codes.js';
import { parseVary } from '../overrides.js';
import { labelledTable, markdownTable } from '../report/table.js';
import { loadScenarioRaw, scenarioFiles } from '../scenario.js';
import { runSweep, sweepCsv, sweepScenarios, type Sweep } from '../sweep.js';
import { markdownHead, sweepHtml, sweepProvenance, writeHtml } from './html.js';
import { provenance } from '../report/provenance.js';
import { resolveShard, seedsOf } from '../shard.js';
import { importanceLines } from '../report/importance-text.js';
import { importanceOptions, runOptions, runsOutOption, shardOptions } from './options.js';
import { interruptedCode, interruptible, jsonText, refuseOverMaxWall, refuseShardWithImportance, runsOut, textOut, UsageError, writeOut } from './shared.js';
import { paramNames, paramValues } from '../report/runs.js';
import { scenarioHash } from '../scenario.js';
import { defineVerb } from './verb.js';

/** Prints the sweep's table and writes --csv, --json, --md and --html (also `mco merge`'s output for sweep shards). */
export async function sweepOutputs(sweep: Sweep, a: { csv?: string; json?: string; md?: string; html?: string }, say: (text: string) => void): Promise<void> {
  const heads = sweep.vary.map((v) => v.path);
  say(`${labelledTable(heads, sweep.cells.map((c) => ({ label: c.labels, report: c.report })))}\n`);
  for (const c of sweep.cells) if (c.report.importance) say(`${importanceLines({ ...c.report, scenario: `${c.report.scenario} ${c.labels.join(' ')}` }).join('\n')}\n`);
  if (a.csv !== undefined) writeOut(a.csv, sweepCsv(sweep));
  if (a.json !== undefined) writeOut(a.json, jsonText(sweep));
  if (a.md !== undefined) writeOut(a.md, `${markdownHead(`mco sweep ${sweep.scenario}`, undefined, sweepProvenance(sweep))}${markdownTable(heads, sweep.cells.map((c) => ({ label: c.labels, report: c.report })))}\n`);
  if (a.html !== undefined) writeHtml(a.html, await sweepHtml(sweep));
}

export const sweepVerb = defineVerb({
  command: 'sweep <scenario>',
  describe: 'run a grid of parameter values; print violation rate and costs per cell',
  builder: (y) =>
    importanceOptions(runsOutOption(shardOptions(runOptions(y))))
      .positional('scenario', { type: 'string', demandOption: true, describe: 'scenario file' })
      .option('vary', { type: 'string', array: true, default: [] as string[], describe: 'path=a,b,c or path=from..to:step (repeatable; two give a heatmap)' })
      .option('csv', { type: 'string', describe: 'write the cells as CSV' })
      .option('json', { type: 'string', describe: 'write the sweep as JSON' })
      .option('md', { type: 'string', describe: 'write the table as Markdown' })
      .option('html', { type: 'string', describe: 'write an HTML report (heatmap or rate curve, cost curves)' })
      .example(
        '$0 sweep scenarios/clock-skew.yaml --vary faults.clock.offset.max=0ms..60ms:10ms --vary owner.refreshInterval=20ms,40ms,80ms --seeds 100 --html sweep.html',
        'violation rate over offset × lease',
      ),
  run: async (a) => {
    const say = textOut(a.json);
    if (a.vary.length === 0) throw new UsageError('--vary: expected at least one, e.g. --vary owner.refreshInterval=20ms,40ms,80ms');
    const vary = a.vary.map(parseVary);
    const [file] = scenarioFiles([a.scenario]);
    const cells = sweepScenarios(file!, loadScenarioRaw(file!), a.set, vary);
    const shard = resolveShard(a.shard, a.shards);
    refuseShardWithImportance(shard, a.importance);
    const seeds = seedsOf(a.seedStart, a.seeds ?? cells[0]!.scenario.seeds, shard);
    await refuseOverMaxWall(cells.map((c) => ({ scenario: c.scenario, seeds: seeds.count, seedStart: seeds.start })), a.maxWall, a.workers, a.engine);
    const runs = runsOut(a.runsOut, paramNames(a.set, vary.map((v) => v.path)));
    const { signal, dispose } = interruptible();
    let sweep: Sweep;
    try {
      process.stderr.write(`mco: sweep ${cells[0]!.scenario.name}: ${cells.length} cells × ${seeds.count} seeds${shard ? ` (shard ${shard.index}/${shard.count})` : ''}\n`);
      sweep = await runSweep(file!, cells, vary, {
        seeds: seeds.count,
        seedStart: seeds.start,
        ...(shard ? { shard } : {}),
        workers: a.workers,
        engine: a.engine,
        signal,
        ...(runs
          ? {
              onCellRecord: (i: number) => {
                const { labels, scenario: s } = cells[i]!;
                const params = paramValues(a.set, vary.map((v, j) => [v.path, labels[j]!] as const));
                return runs.table.recorder({ scenario: s.name, scenarioHash: scenarioHash(s), strategy: s.owner.strategy, params });
              },
            }
          : {}),
        ...(a.importance === undefined ? {} : { weighted: { mode: a.importance, search: { batch: a.ceBatch, maxIterations: a.ceIterations } } }),
        onCell: (i, c) => process.stderr.write(`mco: cell ${i + 1}/${cells.length} ${c.labels.join(' ')}: ${(c.report.violationRate.value * 100).toFixed(1)}% runs with violation\n`),
      });
    } finally {
      dispose();
    }
    for (const [i, c] of sweep.cells.entries()) {
      c.report.provenance = provenance(cells[i]!.scenario, { set: a.set, vary: vary.map((v, j) => `${v.path}=${c.labels[j]}`) }, a.engine);
    }
    if (shard !== undefined) sweep = { ...sweep, shard };
    await sweepOutputs(sweep, a, say);
    await runs?.write();
    return signal.aborted ? interruptedCode(signal) : ExitCode.ok;
  },
});
