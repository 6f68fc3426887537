/**
 * Text and Markdown tables of reports: one row per report, optional leading
 * label columns (scenario name, or the varied parameters of a sweep).
 */
import { REPORT_COLUMNS, reportRows } from './html.js';
import type { Report } from './report.js';

function aligned(head: readonly string[], rows: readonly (readonly string[])[], labels: number): string {
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  const line = (row: readonly string[]): string =>
    row.map((cell, i) => (i < labels ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Renders labelled reports as an aligned text table. */
export function labelledTable(labelHeads: readonly string[], items: readonly { label: readonly string[]; report: Report }[]): string {
  return aligned([...labelHeads, ...REPORT_COLUMNS], reportRows(items), labelHeads.length);
}

/** The `mco run` summary: one row per scenario. */
export function summaryTable(reports: readonly Report[]): string {
  return labelledTable(['scenario'], reports.map((r) => ({ label: [r.scenario], report: r })));
}

/** The same as a Markdown table. */
export function markdownTable(labelHeads: readonly string[], items: readonly { label: readonly string[]; report: Report }[]): string {
  const head = [...labelHeads, ...REPORT_COLUMNS];
  const rows = reportRows(items);
  const esc = (c: string): string => c.replace(/\|/g, '\\|');
  return [
    `| ${head.map(esc).join(' | ')} |`,
    `|${head.map((_, i) => (i < labelHeads.length ? '---' : '---:')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}
