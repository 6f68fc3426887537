/**
 * Text and Markdown tables of reports: one row per report, optional leading
 * label columns (scenario name, or the varied parameters of a sweep).
 */
import { fmtPct, REPORT_COLUMNS, reportRows } from './html.js';
import type { PairedTest } from './paired.js';
import type { Report } from './report.js';

/** An aligned text table; the first `labels` columns left-aligned, the rest right-aligned. */
export function alignedTable(head: readonly string[], rows: readonly (readonly string[])[], labels = 3): string {
  return aligned(head, rows, labels);
}

/** A Markdown table; the first `labels` columns left-aligned. */
export function markdownOf(head: readonly string[], rows: readonly (readonly string[])[], labels: number): string {
  const esc = (c: string): string => c.replace(/\|/g, '\\|');
  return [`| ${head.map(esc).join(' | ')} |`, `|${head.map((_, i) => (i < labels ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

/** Columns of the paired tests of `mco compare`. */
export const PAIRED_HEAD = ['scenario', 'strategy', 'metric', 'reference', 'this', 'difference [95% CI]', 'test', 'p'] as const;

/** Rows of the paired tests: rates in %, differences in percentage points, latencies in ms. */
export function pairedCells(tests: readonly ({ scenario: string; strategy: string } & PairedTest)[]): string[][] {
  return tests.map((t) => {
    const rate = !t.metric.endsWith('ms');
    const v = (x: number | null): string => (x === null ? '-' : rate ? fmtPct(x) : String(+x.toFixed(2)));
    const d = (x: number | null): string => (x === null ? '?' : rate ? `${x > 0 ? '+' : ''}${+(x * 100).toPrecision(3)} pp` : `${x > 0 ? '+' : ''}${+x.toFixed(2)}`);
    const diff = t.low === null ? d(t.difference) : `${d(t.difference)} [${d(t.low)}, ${d(t.high)}]`;
    const p = t.p === null ? '-' : t.p < 0.001 ? '<0.001' : t.p.toFixed(3);
    return [t.scenario, t.strategy, t.metric, v(t.reference), v(t.value), diff, t.test, p];
  });
}

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

/** Columns of `mco compare`: the risk side and the cost side of each strategy. */
export const COMPARE_COLUMNS = [
  'runs w/ violation [95% CI]',
  'violations/acq [95% CI]',
  'overlap max ms',
  'told',
  'stale effects',
  'acquire p99 ms',
  'handoff p99 ms',
  'failover p99 ms',
  'store ops/held s',
] as const;

/** Columns of the benefit model, added to `mco compare` when a scenario has a work model. */
export const BENEFIT_COLUMNS = ['ops/s', 'wasted work', 'retries/op', 'failed ops', 'op p99 ms'] as const;

type Item = { label: readonly string[]; report: Report };
const hasOps = (items: readonly Item[]): boolean => items.some((i) => i.report.operations !== null);

/** Header of `mco compare` for these rows. */
export function compareHead(items: readonly Item[]): string[] {
  return ['scenario', 'strategy', ...COMPARE_COLUMNS, ...(hasOps(items) ? BENEFIT_COLUMNS : [])];
}

/** Rows of `mco compare`, labelled (scenario, strategy). */
export function compareRows(items: readonly Item[]): string[][] {
  const full = reportRows(items);
  const benefit = hasOps(items);
  return items.map(({ label, report: r }, i) => {
    const row = full[i]!;
    const n = label.length;
    // reportRows: label…, runs, rate, acquisitions, per-acq, overlap, acquire, handoff, failover, ops
    const base = [...label, row[n + 1]!, row[n + 3]!, row[n + 4]!, String(r.told), String(r.resource.staleEffects), row[n + 5]!, row[n + 6]!, row[n + 7]!, row[n + 8]!];
    if (!benefit) return base;
    const o = r.operations;
    return [
      ...base,
      o ? o.perSecond.toFixed(1) : '-',
      o ? `${(o.wastedShare * 100).toFixed(1)}%` : '-',
      o ? o.retriesPerOp.toFixed(2) : '-',
      o ? String(o.failed) : '-',
      o?.latencyMs ? String(+o.latencyMs.p99.toFixed(1)) : '-',
    ];
  });
}

/** `mco compare` as aligned text. */
export function compareTable(items: readonly Item[]): string {
  return aligned(compareHead(items), compareRows(items), 2);
}

/** `mco compare` as Markdown. */
export function compareMarkdown(items: readonly Item[]): string {
  const head = compareHead(items);
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`,
    ...compareRows(items).map((r) => `| ${r.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`),
  ].join('\n');
}
