/**
 * `mco check`: is a new run significantly worse than a committed baseline?
 *
 * Violations: a one-sided two-proportion z-test at 95%, applied to the
 * run-level rate (runs with a violation / runs; runs are independent) and to
 * the per-acquisition rate (violations / acquisitions; more sensitive, but
 * acquisitions within one run are correlated, so it can flag smaller changes
 * than its nominal level suggests). Either one significant is a regression.
 * One `mco check` makes two tests per scenario, so the level is split
 * (Bonferroni): with k tests each uses z > Φ⁻¹(1 − 0.05/k) (k = 2: 1.96;
 * k = 22, the whole library: 2.84).
 * The simulator is deterministic: checked on the baseline's own seeds, an
 * unchanged implementation gives the identical report and always passes; the
 * tests only speak when the code (or scenario) changed the runs.
 * Costs: acquire, handoff and failover p99 and store ops per held second
 * regress when current > baseline × (1 + 25%) + 2 (ms or ops/s).
 * Baselines from another scenario (name) or schema version are refused, never
 * compared. A baseline of the same scenario whose parameters changed since
 * (scenarioHash differs, e.g. `--set` or an edited file) is compared with a
 * warning: that is how a deliberately different configuration is checked.
 */
import type { Rate } from '../stats.js';
import { ReportMismatchError } from './merge.js';
import { pairedTests, type PairedRecord } from './paired.js';
import type { Report } from './report.js';

/** Family-wise significance level of one `mco check`. */
export const ALPHA = 0.05;

/** Φ⁻¹(p), the standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** The z threshold of each of `tests` one-sided tests sharing the level {@link ALPHA}. */
export function zThreshold(tests: number): number {
  return normalQuantile(1 - ALPHA / Math.max(1, tests));
}
/** Relative tolerance of cost metrics. */
export const COST_TOLERANCE = 0.25;
/** Absolute slack of cost metrics (ms, or ops per held second). */
export const COST_SLACK = 2;

export interface CheckRow {
  metric: string;
  baseline: string;
  current: string;
  verdict: 'ok' | 'REGRESSION';
  detail: string;
}

export interface CheckResult {
  scenario: string;
  regressed: boolean;
  rows: CheckRow[];
}

/** One-sided two-proportion z statistic for "p2 > p1" (pooled); 0 when both are 0 or 1. */
export function twoProportionZ(x1: number, n1: number, x2: number, n2: number): number {
  if (n1 === 0 || n2 === 0) return 0;
  const p = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2));
  return se === 0 ? 0 : (x2 / n2 - x1 / n1) / se;
}

/**
 * Refuses to compare reports of different scenarios or schema versions;
 * returns a warning when the same scenario's parameters changed.
 */
export function assertComparable(baseline: Report, current: Report, baselineFile: string): string | undefined {
  if (baseline.schemaVersion !== 1) {
    throw new ReportMismatchError(`${baselineFile}: schemaVersion ${String(baseline.schemaVersion)} is not supported (expected 1); regenerate it with mco check --update`);
  }
  if (baseline.scenario !== current.scenario) {
    throw new ReportMismatchError(`${baselineFile}: baseline is for scenario ${baseline.scenario}, not ${current.scenario}; refusing to compare different scenarios`);
  }
  if (baseline.scenarioHash !== current.scenarioHash) {
    return `${baselineFile}: ${current.scenario}'s parameters differ from the baseline's (scenario hash ${baseline.scenarioHash} → ${current.scenarioHash}); comparing anyway (run mco check --update if the change is intended)`;
  }
  return undefined;
}

const pct = (r: Rate): string => `${(r.value * 100).toFixed(3)}%`;

/** A baseline's runs as the paired tests read them, from its `perRun` counts; undefined without them. */
export function baselineRuns(baseline: Report): PairedRecord[] | undefined {
  const p = baseline.perRun;
  if (p === undefined || p.violations.length !== baseline.runs || p.acquisitions.length !== baseline.runs) return undefined;
  return p.violations.map((violations, i) => ({ seed: baseline.seeds.start + i, violations, acquisitions: p.acquisitions[i]! }));
}

/** `report`'s per-run counts for a baseline (`perRun`), from its runs' records. */
export function withPerRun(report: Report, records: readonly PairedRecord[]): Report {
  return { ...report, perRun: { violations: records.map((r) => r.violations), acquisitions: records.map((r) => r.acquisitions) } };
}

const pValue = (p: number): string => (p < 0.0001 ? p.toExponential(1) : String(+p.toPrecision(2)));

/**
 * Compares `current` to `baseline`; `rateTests` is the number of rate tests in
 * this `mco check` (2 per scenario). With the current runs' records and a
 * baseline that has per-run counts, the rates are tested paired on the shared
 * seeds (McNemar; paired bootstrap); otherwise unpaired (two-proportion z),
 * as before per-run counts were kept.
 */
export function checkAgainstBaseline(baseline: Report, current: Report, rateTests = 2, records?: readonly PairedRecord[]): CheckResult {
  const rows: CheckRow[] = [];
  const threshold = zThreshold(rateTests);
  const base = baselineRuns(baseline);
  const paired = base !== undefined && records !== undefined ? pairedTests(base, records, false) : [];
  if (paired.length === 2) {
    const level = ALPHA / Math.max(1, rateTests);
    const [runs, perAcq] = paired as [(typeof paired)[0], (typeof paired)[0]];
    const row = (metric: string, b: string, c: string, p: number, detail: string): void => {
      rows.push({ metric, baseline: b, current: c, verdict: p < level ? 'REGRESSION' : 'ok', detail: `${detail}, one-sided p = ${pValue(p)} (limit ${pValue(level)})` });
    };
    row(
      'runs with violation',
      `${pct(baseline.violationRate)} (${baseline.runsWithViolation}/${baseline.runs})`,
      `${pct(current.violationRate)} (${current.runsWithViolation}/${current.runs})`,
      runs.pGreater!,
      `${runs.test.replace(' only here', ' only now').replace(' only there', ' only in the baseline')} on ${runs.seeds} shared seeds`,
    );
    const pp = (x: number): string => `${x > 0 ? '+' : ''}${+(x * 100).toPrecision(3)} pp`;
    row(
      'violations / acquisition',
      `${pct(baseline.perAcquisitionViolationRate)} (${baseline.violations}/${baseline.acquisitions})`,
      `${pct(current.perAcquisitionViolationRate)} (${current.violations}/${current.acquisitions})`,
      perAcq.pGreater!,
      `${perAcq.test}: ${pp(perAcq.difference!)} [${pp(perAcq.low!)}, ${pp(perAcq.high!)}]`,
    );
    return costs(baseline, current, rows);
  }
  const rate = (metric: string, b: Rate, c: Rate, x1: number, n1: number, x2: number, n2: number): void => {
    const z = twoProportionZ(x1, n1, x2, n2);
    const bad = z > threshold;
    rows.push({
      metric,
      baseline: `${pct(b)} (${x1}/${n1})`,
      current: `${pct(c)} (${x2}/${n2})`,
      verdict: bad ? 'REGRESSION' : 'ok',
      detail: `two-proportion z = ${z.toFixed(2)} (limit ${threshold.toFixed(2)}; unpaired: the baseline has no per-run counts)`,
    });
  };
  rate('runs with violation', baseline.violationRate, current.violationRate, baseline.runsWithViolation, baseline.runs, current.runsWithViolation, current.runs);
  rate(
    'violations / acquisition',
    baseline.perAcquisitionViolationRate,
    current.perAcquisitionViolationRate,
    baseline.violations,
    baseline.acquisitions,
    current.violations,
    current.acquisitions,
  );
  return costs(baseline, current, rows);
}

/** The cost rows (a tolerance, not a test: baseline × (1 + 25%) + 2), and the verdict. */
function costs(baseline: Report, current: Report, rows: CheckRow[]): CheckResult {
  const cost = (metric: string, b: number | undefined, c: number | undefined): void => {
    if (b === undefined && c === undefined) return;
    if (b === undefined || c === undefined) {
      rows.push({ metric, baseline: fmt(b), current: fmt(c), verdict: 'ok', detail: 'measured on one side only' });
      return;
    }
    const limit = b * (1 + COST_TOLERANCE) + COST_SLACK;
    rows.push({ metric, baseline: fmt(b), current: fmt(c), verdict: c > limit ? 'REGRESSION' : 'ok', detail: `limit ${fmt(limit)}` });
  };
  cost('acquire p99 ms', baseline.acquireLatencyMs?.p99, current.acquireLatencyMs?.p99);
  cost('handoff p99 ms', baseline.handoffMs?.p99, current.handoffMs?.p99);
  cost('failover p99 ms', baseline.failoverMs?.p99, current.failoverMs?.p99);
  cost('store ops / held s', baseline.storeOps.perHeldSecond, current.storeOps.perHeldSecond);
  return { scenario: current.scenario, regressed: rows.some((r) => r.verdict === 'REGRESSION'), rows };
}

function fmt(x: number | undefined): string {
  return x === undefined ? '-' : String(+x.toFixed(3));
}

/** The side-by-side table `mco check` prints. */
export function checkTable(result: CheckResult): string {
  const head = ['metric', 'baseline', 'current', 'verdict', ''];
  const all = [head, ...result.rows.map((r) => [r.metric, r.baseline, r.current, r.verdict, r.detail])];
  const widths = head.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  const line = (row: string[]): string => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [`${result.scenario}: ${result.regressed ? 'REGRESSION' : 'ok'}`, line(head), ...all.slice(1).map(line)].join('\n');
}
