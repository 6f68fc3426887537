/**
 * Self-contained HTML reports: inline SVG plots (see plots.ts), tables, no
 * scripts, no network.
 */
import type { Report } from './report.js';

export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A table from a header row and body rows of text. */
export function htmlTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** A whole page: title, a provenance line under it (when given), sections of (heading, html). */
export function htmlPage(title: string, sections: readonly { heading?: string; html: string }[], provenance = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:1em 0;font-variant-numeric:tabular-nums}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
.plots{display:flex;flex-wrap:wrap;gap:2em;align-items:flex-start}
pre{background:#f8f8f8;padding:1em;overflow:auto;font-size:12px}
.provenance{color:#666;font-size:12px}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
${provenance === '' ? '' : `<p class="provenance">${escapeHtml(provenance)}</p>\n`}${sections.map((s) => `${s.heading ? `<h2>${escapeHtml(s.heading)}</h2>\n` : ''}${s.html}`).join('\n')}
</body></html>
`;
}

/** Rows of the standard report table. */
export function reportRows(reports: readonly { label: readonly string[]; report: Report }[]): string[][] {
  const ci = (r: { value: number; low: number; high: number }): string => `${fmtPct(r.value)} [${fmtPct(r.low)}, ${fmtPct(r.high)}]`;
  const ms = (x: number | undefined): string => (x === undefined ? '-' : String(+x.toFixed(2)));
  return reports.map(({ label, report: r }) => [
    ...label,
    String(r.runs),
    ci(r.violationRate),
    String(r.acquisitions),
    ci(r.perAcquisitionViolationRate),
    ms(r.overlapMs?.max),
    ms(r.acquireLatencyMs?.p99),
    ms(r.handoffMs?.p99),
    ms(r.failoverMs?.p99),
    r.storeOps.perHeldSecond.toFixed(0),
  ]);
}

export const REPORT_COLUMNS = [
  'runs',
  'runs w/ violation [95% CI]',
  'acquisitions',
  'violations/acq [95% CI]',
  'overlap max ms',
  'acquire p99 ms',
  'handoff p99 ms',
  'failover p99 ms',
  'store ops/held s',
] as const;

export function fmtPct(x: number): string {
  if (x === 0) return '0%';
  if (x >= 0.1) return `${(x * 100).toFixed(0)}%`;
  if (x >= 0.001) return `${(x * 100).toFixed(2)}%`;
  return `${(x * 100).toPrecision(2)}%`;
}
