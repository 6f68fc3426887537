/** `mco replay`: one seed's run as a timeline, the first violation explained. */
import { ExitCode } from '../exit-codes.js';
import { replay, replayJson, replayText, replayTimeline } from '../replay.js';
import { escapeHtml, htmlPage } from '../report/html.js';
import { plots, writeHtml } from './html.js';
import { engineOption } from './options.js';
import { jsonText, loadAll, timeFlag, UsageError } from './shared.js';
import { defineVerb } from './verb.js';

export const replayVerb = defineVerb({
  command: 'replay <scenario>',
  describe: "print one seed's run as a timeline, the first violation explained",
  builder: (y) =>
    y
      .positional('scenario', { type: 'string', demandOption: true, describe: 'scenario file' })
      .option('seed', { type: 'number', demandOption: true, describe: 'the seed to replay (see violatingSeeds in a report)' })
      .option('from', { type: 'string', describe: 'show events from this true time (e.g. 1.2s)' })
      .option('to', { type: 'string', describe: 'show events up to this true time' })
      .option('json', { type: 'boolean', default: false, describe: 'print the timeline as JSON' })
      .option('html', { type: 'string', describe: 'write an HTML timeline of beliefs per node, overlaps shaded' })
      .option('set', { type: 'string', array: true, default: [] as string[], describe: 'override a scenario field (repeatable)' })
      .option('engine', engineOption)
      .check((a) => {
        if (!Number.isSafeInteger(a.seed) || a.seed < 0) throw new UsageError(`--seed: expected a whole number ≥ 0, got ${String(a.seed)}`);
        return true;
      })
      .example('$0 replay scenarios/gc-pause.yaml --seed 3 --from 1s --to 1.5s', 'a window of one run'),
  run: async (a) => {
    const scenario = loadAll([a.scenario], a.set)[0]!.scenario;
    const fromMs = timeFlag('from', a.from);
    const toMs = timeFlag('to', a.to);
    const r = await replay(scenario, a.seed, { fromMs, toMs, engine: a.engine });
    process.stdout.write(a.json ? jsonText(replayJson(r)) : `${replayText(r)}\n`);
    if (a.html !== undefined) {
      const { bars, overlaps } = replayTimeline(r, fromMs, toMs);
      const { renderSvg, timelineSpec } = await plots();
      const spec = timelineSpec(bars, overlaps);
      const svg = await renderSvg(spec);
      writeHtml(a.html, {
        page: htmlPage(`mco replay ${r.scenario} seed ${r.seed}`, [
          { html: r.explanation ? `<p><b>First violation:</b> ${escapeHtml(r.explanation.summary)}</p>` : '<p>No violation in this run.</p>' },
          { html: svg },
          { heading: 'Timeline', html: `<pre>${escapeHtml(replayText(r))}</pre>` },
        ]),
        plots: [{ name: 'timeline', spec, svg }],
      });
    }
    return ExitCode.ok;
  },
});
