/** The HTML pages of `run`/`merge`, `sweep`/`tune` and `compare`, with their plots also as files; `replay` builds its own. */
import { writeFileSync } from 'node:fs';
import { escapeHtml, htmlPage, htmlTable, REPORT_COLUMNS, reportRows } from '../report/html.js';
import type { CellPoint, NamedPlot } from '../report/plots.js';
import { provenanceLine } from '../report/provenance.js';
import type { Report } from '../report/report.js';
import type { Sweep } from '../sweep.js';

/**
 * The plots module, loaded on first use: it pulls in vega and vega-lite,
 * ≈ 0.2 s of start-up that every `mco run` paid before its first seed, and
 * only the HTML outputs need it.
 */
export const plots = (): Promise<typeof import('../report/plots.js')> => import('../report/plots.js');

/** An HTML page and the plots it shows (each written beside it as SVG and as its Vega-Lite spec). */
export interface HtmlReport {
  page: string;
  plots: (NamedPlot & { svg: string })[];
}

/** Renders `named` and builds the page: the plots first, then `sections`. */
async function pageWithPlots(title: string, named: readonly NamedPlot[], sections: readonly { heading?: string; html: string }[], provenance: string): Promise<HtmlReport> {
  const { renderSvg } = await plots();
  const rendered = [];
  for (const p of named) rendered.push({ ...p, svg: await renderSvg(p.spec) });
  const plotSection = rendered.length ? [{ html: `<div class="plots">${rendered.map((p) => p.svg).join('')}</div>` }] : [];
  return { page: htmlPage(title, [...sections.slice(0, 1), ...plotSection, ...sections.slice(1)], provenance), plots: rendered };
}

/**
 * Writes the page to `file` and each plot beside it as `<stem>.<plot>.svg`
 * and `<stem>.<plot>.vl.json` (the Vega-Lite spec with its data inline, to
 * re-style or re-render: `vl2svg`, the Vega editor, Altair's `from_json`).
 */
export function writeHtml(file: string, r: HtmlReport, say: (line: string) => void = (l) => process.stderr.write(l)): void {
  if (file === '-') {
    process.stdout.write(r.page);
    return;
  }
  writeFileSync(file, r.page);
  say(`mco: wrote ${file}\n`);
  const stem = file.replace(/\.html?$/i, '');
  for (const p of r.plots) {
    writeFileSync(`${stem}.${p.name}.svg`, p.svg);
    writeFileSync(`${stem}.${p.name}.vl.json`, `${JSON.stringify(p.spec, null, 2)}\n`);
  }
  if (r.plots.length) say(`mco: wrote ${r.plots.length} plots beside it: ${stem}.{${r.plots.map((p) => p.name).join(',')}}.{svg,vl.json}\n`);
}

/** Reports of several scenarios (`run`, `merge`): rates per scenario, per acquisition, latencies, the table. */
export async function runHtml(reports: readonly Report[]): Promise<HtmlReport> {
  const items = reports.map((r) => ({ label: [r.scenario], report: r }));
  const { sweepPlots } = await plots();
  return pageWithPlots(
    'mco run',
    sweepPlots(reports.map((r) => ({ x: r.scenario, report: r })), 'scenario'),
    [{ heading: 'Results', html: htmlTable(['scenario', ...REPORT_COLUMNS], reportRows(items)) }],
    provenanceLine(reports[0]?.provenance),
  );
}

/**
 * The sweep as HTML. One parameter: rate, per-acquisition rate and latency
 * against it. Two, one of them `owner.strategy`: the same, one line per
 * strategy. Two others: a heatmap, and the rate and latencies with one line
 * per value of the second. More: the table only.
 */
export async function sweepHtml(sweep: Sweep): Promise<HtmlReport> {
  const named: NamedPlot[] = [];
  const v = sweep.vary;
  if (v.length >= 1 && v.length <= 2) {
    const p = await plots();
    const s = v.length === 2 ? v.findIndex((x) => x.path === 'owner.strategy') : -1;
    if (v.length === 1 || s >= 0) {
      const xi = v.length === 1 ? 0 : 1 - s;
      const points: CellPoint[] = sweep.cells.map((c) => ({ x: c.labels[xi]!, ...(s >= 0 ? { series: c.labels[s]! } : {}), report: c.report }));
      named.push(...p.sweepPlots(points, v[xi]!.path));
    } else {
      const points: CellPoint[] = sweep.cells.map((c) => ({ x: c.labels[0]!, y: c.labels[1]!, report: c.report }));
      named.push({ name: 'heatmap', spec: p.heatmapSpec(points, v[0]!.path, v[1]!.path) });
      named.push(...p.sweepPlots(points.map((c) => ({ ...c, series: `${v[1]!.path}=${c.y}` })), v[0]!.path, v[1]!.path));
    }
  }
  const heads = v.map((x) => x.path);
  return pageWithPlots(
    `mco sweep ${sweep.scenario}`,
    named,
    [
      { html: `<p>Varied: ${v.map((x) => `<code>${escapeHtml(x.path)}</code> = ${escapeHtml(x.values.join(', '))}`).join('; ')}</p>` },
      { heading: 'Cells', html: htmlTable([...heads, ...REPORT_COLUMNS], reportRows(sweep.cells.map((c) => ({ label: c.labels, report: c.report })))) },
    ],
    sweepProvenance(sweep),
  );
}

/** `compare`: a heatmap scenario × strategy, and the rates and latencies per scenario with one colour per strategy. */
export async function compareHtml(
  items: readonly { label: string[]; report: Report }[],
  table: string,
  more: readonly { heading?: string; html: string }[] = [],
): Promise<HtmlReport> {
  const p = await plots();
  const points: CellPoint[] = items.map((i) => ({ x: i.label[0]!, y: i.label[1]!, series: i.label[1]!, report: i.report }));
  return pageWithPlots(
    'mco compare',
    [{ name: 'heatmap', spec: p.heatmapSpec(points, 'scenario', 'strategy') }, ...p.sweepPlots(points, 'scenario')],
    [{ heading: 'Strategies side by side', html: table }, ...more],
    compareProvenance(items),
  );
}

/** The provenance line of a sweep's page: the first cell's, with the whole grid as the `--vary`s. */
export function sweepProvenance(sweep: Sweep): string {
  const p = sweep.cells[0]?.report.provenance;
  return provenanceLine(p, p && { set: p.overrides.set, vary: sweep.vary.map((v) => `${v.path}=${v.values.join(',')}`) });
}

/** The provenance line of a comparison: the first row's, without the strategy each row sets. */
export function compareProvenance(items: readonly { report: Report }[]): string {
  const p = items[0]?.report.provenance;
  return provenanceLine(p, p && { set: p.overrides.set.filter((s) => !s.startsWith('owner.strategy=')), vary: [] });
}

/** The head of a Markdown report: title, then `line` (by default the report's provenance line) when there is one. */
export function markdownHead(title: string, report: Report | undefined, line = provenanceLine(report?.provenance)): string {
  return `# ${title}\n\n${line === '' ? '' : `${line}\n\n`}`;
}
