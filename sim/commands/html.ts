/** The HTML pages of `run`/`merge` and `sweep`/`tune`; `replay` and `compare` build their own. */
import { escapeHtml, htmlPage, htmlTable, REPORT_COLUMNS, reportRows } from '../report/html.js';
import type { CellPoint } from '../report/plots.js';
import { provenanceLine } from '../report/provenance.js';
import type { Report } from '../report/report.js';
import type { Sweep } from '../sweep.js';

/**
 * The plots module, loaded on first use: it pulls in vega and vega-lite,
 * ≈ 0.2 s of start-up that every `mco run` paid before its first seed, and
 * only the HTML outputs need it.
 */
export const plots = (): Promise<typeof import('../report/plots.js')> => import('../report/plots.js');

/** Reports of several scenarios (`run`, `merge`): violation rates per scenario, cost curves, the table. */
export async function runHtml(reports: readonly Report[]): Promise<string> {
  const items = reports.map((r) => ({ label: [r.scenario], report: r }));
  const { costSpec, renderSvg, scenarioRatesSpec } = await plots();
  return htmlPage('mco run', [
    { html: `<div class="plots">${await renderSvg(scenarioRatesSpec(reports))}${await renderSvg(costSpec(reports.map((r) => ({ x: r.scenario, report: r })), 'scenario'))}</div>` },
    { heading: 'Results', html: htmlTable(['scenario', ...REPORT_COLUMNS], reportRows(items)) },
  ], provenanceLine(reports[0]?.provenance));
}

/** The sweep as HTML: heatmap (two parameters) or rate curve (one), cost curves, the table. */
export async function sweepHtml(sweep: Sweep): Promise<string> {
  const [p1, p2] = sweep.vary;
  const svgs: string[] = [];
  if (p1 !== undefined && sweep.vary.length <= 2) {
    const { costSpec, heatmapSpec, renderSvg, violationRateSpec } = await plots();
    const points: CellPoint[] = sweep.cells.map((c) => ({ x: c.labels[0]!, ...(p2 ? { y: c.labels[1]! } : {}), report: c.report }));
    svgs.push(await renderSvg(p2 ? heatmapSpec(points, p1.path, p2.path) : violationRateSpec(points, p1.path)));
    svgs.push(await renderSvg(costSpec(points, p1.path)));
  }
  const heads = sweep.vary.map((v) => v.path);
  return htmlPage(`mco sweep ${sweep.scenario}`, [
    { html: `<p>Varied: ${sweep.vary.map((v) => `<code>${escapeHtml(v.path)}</code> = ${escapeHtml(v.values.join(', '))}`).join('; ')}</p>` },
    ...(svgs.length ? [{ html: `<div class="plots">${svgs.join('')}</div>` }] : []),
    { heading: 'Cells', html: htmlTable([...heads, ...REPORT_COLUMNS], reportRows(sweep.cells.map((c) => ({ label: c.labels, report: c.report })))) },
  ], provenanceLine(sweep.cells[0]?.report.provenance));
}

/** The head of a Markdown report: title, then the provenance line (when there is one). */
export function markdownHead(title: string, report: Report | undefined): string {
  const line = provenanceLine(report?.provenance);
  return `# ${title}\n\n${line === '' ? '' : `${line}\n\n`}`;
}
