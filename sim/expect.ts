/**
 * Scenario expectations (`expect:` in a scenario file), checked against a
 * report by `mco run` (exit 1 when one fails).
 */
import type { Report } from './report/report.js';
import type { Bound, Expectations } from './scenario.js';

/** One checked expectation. */
export interface ExpectationResult {
  metric: string;
  actual: number | null;
  bound: Bound;
  ok: boolean;
}

/** Checks every expectation; a metric with no samples (null) fails its bound. */
export function checkExpectations(report: Report, expect: Expectations): ExpectationResult[] {
  const out: ExpectationResult[] = [];
  const check = (metric: string, actual: number | null | undefined, bound: Bound | undefined): void => {
    if (bound === undefined) return;
    const a = actual ?? null;
    const ok = a !== null && (bound.min === undefined || a >= bound.min) && (bound.max === undefined || a <= bound.max);
    out.push({ metric, actual: a, bound, ok });
  };
  check('violationRate', report.violationRate.value, expect.violationRate);
  check('perAcquisitionViolationRate', report.perAcquisitionViolationRate.value, expect.perAcquisitionViolationRate);
  check('runsWithViolation', report.runsWithViolation, expect.runsWithViolation);
  check('violations', report.violations, expect.violations);
  check('maxSimultaneousOwners', report.maxSimultaneousOwners, expect.maxSimultaneousOwners);
  for (const k of ['total', 'p50', 'p99', 'max'] as const) check(`overlapMs.${k}`, report.overlapMs === null ? 0 : report.overlapMs[k], expect.overlapMs?.[k]);
  for (const m of ['acquireLatencyMs', 'handoffMs', 'failoverMs'] as const) {
    for (const k of ['p50', 'p99', 'max'] as const) check(`${m}.${k}`, report[m]?.[k], expect[m]?.[k]);
  }
  for (const k of ['reads', 'writes', 'perHeldSecond'] as const) check(`storeOps.${k}`, report.storeOps[k], expect.storeOps?.[k]);
  return out;
}

/** `metric = actual (expected ≤ max)` */
export function describeExpectation(r: ExpectationResult): string {
  const want = [r.bound.min === undefined ? '' : `≥ ${r.bound.min}`, r.bound.max === undefined ? '' : `≤ ${r.bound.max}`].filter(Boolean).join(' and ');
  return `${r.metric} = ${r.actual === null ? 'not measured (no samples)' : r.actual} (expected ${want})`;
}
