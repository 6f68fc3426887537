/** `mco sweep`: a grid of varied parameters over one scenario; violation rate and costs per cell. */
import { ExitCode } from '../exit-codes.js';
import { parseVary } from '../overrides.js';
import { labelledTable, markdownTable } from '../report/table.js';
import { loadScenarioRaw, scenarioFiles } from '../scenario.js';
import { runSweep, sweepCsv, sweepScenarios, type Sweep } from '../sweep.js';
import { sweepHtml } from './html.js';
import { importanceLines } from '../report/importance-text.js';
import { importanceOptions, runOptions } from './options.js';
import { interruptedCode, interruptible, jsonText, textOut, UsageError, writeOut } from './shared.js';
import { defineVerb } from './verb.js';

export const sweepVerb = defineVerb({
  command: 'sweep <scenario>',
  describe: 'run a grid of parameter values; print violation rate and costs per cell',
  builder: (y) =>
    importanceOptions(runOptions(y))
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
        ...(a.importance === undefined ? {} : { weighted: { mode: a.importance, search: { batch: a.ceBatch, maxIterations: a.ceIterations } } }),
        onCell: (i, c) => process.stderr.write(`mco: cell ${i + 1}/${cells.length} ${c.labels.join(' ')}: ${(c.report.violationRate.value * 100).toFixed(1)}% runs with violation\n`),
      });
    } finally {
      dispose();
    }
    const heads = vary.map((v) => v.path);
    say(`${labelledTable(heads, sweep.cells.map((c) => ({ label: c.labels, report: c.report })))}\n`);
    for (const c of sweep.cells) if (c.report.importance) say(`${importanceLines({ ...c.report, scenario: `${c.report.scenario} ${c.labels.join(' ')}` }).join('\n')}\n`);
    if (a.csv !== undefined) writeOut(a.csv, sweepCsv(sweep));
    if (a.json !== undefined) writeOut(a.json, jsonText(sweep));
    if (a.md !== undefined) writeOut(a.md, `# mco sweep ${sweep.scenario}\n\n${markdownTable(heads, sweep.cells.map((c) => ({ label: c.labels, report: c.report })))}\n`);
    if (a.html !== undefined) writeOut(a.html, await sweepHtml(sweep));
    return signal.aborted ? interruptedCode(signal) : ExitCode.ok;
  },
});
