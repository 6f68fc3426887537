/**
 * The human summary: one row per scenario report.
 */
import type { Rate } from '../stats.js';
import type { Report } from './report.js';

const pct = (r: Rate): string => `${fmtPct(r.value)} [${fmtPct(r.low)}, ${fmtPct(r.high)}]`;

function fmtPct(x: number): string {
  if (x === 0) return '0%';
  if (x >= 0.1) return `${(x * 100).toFixed(0)}%`;
  if (x >= 0.001) return `${(x * 100).toFixed(2)}%`;
  return `${(x * 100).toPrecision(2)}%`;
}

const ms = (x: number | undefined): string => (x === undefined ? '-' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

const COLUMNS = [
  'scenario',
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

/** Renders reports as an aligned text table. */
export function summaryTable(reports: readonly Report[]): string {
  const rows = reports.map((r) => [
    r.scenario,
    String(r.runs),
    pct(r.violationRate),
    String(r.acquisitions),
    pct(r.perAcquisitionViolationRate),
    ms(r.overlapMs?.max),
    ms(r.acquireLatencyMs?.p99),
    ms(r.handoffMs?.p99),
    ms(r.failoverMs?.p99),
    r.storeOps.perHeldSecond.toFixed(0),
  ]);
  const all = [[...COLUMNS], ...rows];
  const widths = COLUMNS.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  const line = (row: readonly string[]): string =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(all[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
