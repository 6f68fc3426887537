/**
 * The text `mco run --importance` prints for a report: the weighted
 * estimates with their intervals, the diagnostics, and the proposal as an
 * `importance:` block to paste into the scenario to repeat the run exactly.
 */
import { stringify as stringifyYaml } from 'yaml';
import type { Interval } from '../importance/estimate.js';
import type { ImportanceReport, Report } from './report.js';

/** A rate in scientific notation, 3 significant digits. */
export const sci = (x: number): string => (x === 0 ? '0' : Number.isFinite(x) ? x.toExponential(2) : String(x));

/** A weighted estimate and its interval, `value [low, high]`, each as {@link sci}. */
export const sciInterval = (i: Interval): string => `${sci(i.value)} [${sci(i.low)}, ${sci(i.high)}]`;
const ci = (i: Interval): string => `${sci(i.value)} [${sci(i.low)}, ${sci(i.high)}]${Number.isFinite(i.relHalfWidth) ? ` (±${(i.relHalfWidth * 100).toFixed(0)}%)` : ''}`;
const pair = ([a, b]: [number, number]): string => `[${sci(a)}, ${sci(b)}]`;

/** The proposal as YAML for a scenario file, under `importance:`. */
export function importanceYaml(imp: Pick<ImportanceReport, 'proposal'>): string {
  return stringifyYaml({ importance: imp.proposal }, { flow: false }).trimEnd();
}

/** The lines about one importance-sampled report; `repeat` is the command that repeats the weighted batch. */
export function importanceLines(r: Report, repeat?: string): string[] {
  const imp = r.importance;
  if (imp === undefined) return [];
  const out = [
    `${r.scenario}: importance sampling (${imp.method === 'auto' ? 'proposal found by the cross-entropy method' : "the scenario's importance: block"}), ${imp.runs} runs, ${imp.runsWithViolation} with a violation`,
    `  violations per acquisition   ${ci(imp.perAcquisitionViolationRate)}  bootstrap ${pair(imp.bootstrap.perAcquisitionViolationRate)}`,
    `  runs with a violation        ${ci(imp.violationRate)}  bootstrap ${pair(imp.bootstrap.violationRate)}`,
    `  violations per hour held     ${ci(imp.violationsPerHeldHour)}  bootstrap ${pair(imp.bootstrap.violationsPerHeldHour)}`,
    `  ESS ${imp.ess.toFixed(1)} of ${imp.runs} runs; ESS behind the violations ${imp.essViolations.toFixed(1)}; largest run's share ${(imp.maxWeightShare * 100).toFixed(1)}%; mean weight ${imp.meanWeight.toFixed(3)}`,
  ];
  const search = imp.search as { steps?: unknown[]; runs?: number; converged?: boolean } | undefined;
  if (search?.steps !== undefined) {
    out.push(`  search: ${search.steps.length} batches, ${search.runs ?? 0} pilot runs, ${search.converged ? 'violations common in the last batch' : 'did NOT reach common violations (the proposal may miss the cause; see the warnings)'}`);
  }
  for (const w of imp.warnings) out.push(`  warning: ${w}`);
  out.push('  proposal (paste into the scenario to repeat with --importance scenario):', ...importanceYaml(imp).split('\n').map((l) => `    ${l}`));
  if (repeat !== undefined) out.push(`  repeat: ${repeat}`);
  return out;
}
