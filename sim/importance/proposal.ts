/**
 * Proposals for importance sampling: which fault parameters of a scenario a
 * run draws from another distribution, and that distribution.
 *
 * A proposal names parameters by their scenario path under `faults:`
 * (`pauses.duration`, `pauses.rate`, `clock.offset`, …) and gives each a
 * value of the same kind as the scenario's: a distribution for a duration
 * drawn per event, a rate (per node per second) for a Poisson process, a
 * probability for a per-operation failure. A run under a proposal draws those
 * parameters from it and multiplies its weight by p(x)/q(x) for every such
 * draw (sim/importance/tilt.ts), so weighted averages over runs estimate what
 * the scenario itself would give.
 *
 * The proposal must cover the scenario: wherever the scenario can draw a
 * value, the proposal must be able to draw it too (else the estimate is
 * biased low, silently). A constant cannot be tilted (no density), nor a rate
 * or probability of 0 (no events to reweight).
 */
import { isZero, type Distribution } from '../dist.js';

/** Fault parameters whose draws are durations (one per event). */
export const DIST_PARAMS = ['clock.offset', 'pauses.duration', 'timerLateness', 'store.requestLatency', 'store.responseLatency'] as const;
/** Fault parameters that are Poisson rates (per node per second). */
export const RATE_PARAMS = ['pauses.rate', 'crashes.rate'] as const;
/** Fault parameters that are per-operation probabilities. */
export const PROB_PARAMS = ['store.errorRate', 'store.lostReplyRate'] as const;

export type DistParam = (typeof DIST_PARAMS)[number];
export type RateParam = (typeof RATE_PARAMS)[number];
export type ProbParam = (typeof PROB_PARAMS)[number];
export type TiltParam = DistParam | RateParam | ProbParam;

/** Every tiltable parameter, in a fixed order (printing, fitting). */
export const TILT_PARAMS: readonly TiltParam[] = Object.freeze([...DIST_PARAMS, ...RATE_PARAMS, ...PROB_PARAMS]);

/**
 * A proposal for a duration: a distribution g, drawn for every event; or,
 * with `mix` m in (0, 1), the defensive mixture (1 − m)·p + m·g of the
 * scenario's own p and g. The mixture's weights p/q never exceed 1/(1 − m),
 * so the many ordinary draws of a run (most pauses are short) cost the
 * estimate almost nothing while a share m of them explores the tail.
 */
export type ProposalDist = Distribution & { mix?: number };

/** A proposal: tilted parameter → its proposal value. Parameters not named are drawn as the scenario says. */
export type Proposal = Partial<Record<DistParam, ProposalDist>> & Partial<Record<RateParam | ProbParam, number>>;

export const isDistParam = (p: TiltParam): p is DistParam => (DIST_PARAMS as readonly string[]).includes(p);
export const isRateParam = (p: TiltParam): p is RateParam => (RATE_PARAMS as readonly string[]).includes(p);

/** The scenario's faults, as far as a proposal needs them. */
export interface NominalFaults {
  clock: { offset: Distribution };
  pauses: { rate: number; duration: Distribution };
  timerLateness: Distribution;
  store: { requestLatency: Distribution; responseLatency: Distribution; errorRate: number; lostReplyRate: number };
  crashes: { rate: number };
}

/** The scenario's own value of `param`. */
export function nominal(f: NominalFaults, param: TiltParam): Distribution | number {
  switch (param) {
    case 'clock.offset':
      return f.clock.offset;
    case 'pauses.duration':
      return f.pauses.duration;
    case 'timerLateness':
      return f.timerLateness;
    case 'store.requestLatency':
      return f.store.requestLatency;
    case 'store.responseLatency':
      return f.store.responseLatency;
    case 'pauses.rate':
      return f.pauses.rate;
    case 'crashes.rate':
      return f.crashes.rate;
    case 'store.errorRate':
      return f.store.errorRate;
    case 'store.lostReplyRate':
      return f.store.lostReplyRate;
  }
}

/** z-score of the 99th percentile of a standard normal (as sim/dist.ts). */
export const Z99 = 2.3263478740408408;
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** Log density of `d` at `x` (−Infinity outside its support). Point masses have no density: undefined. */
export function logDensity(d: Distribution, x: number): number {
  switch (d.dist) {
    case 'constant':
      return x === d.value ? 0 : -Infinity;
    case 'uniform':
      return x >= d.min && x <= d.max ? -Math.log(d.max - d.min) : -Infinity;
    case 'exponential':
      return x >= 0 ? -Math.log(d.mean) - x / d.mean : -Infinity;
    case 'lognormal': {
      if (!(x > 0)) return -Infinity;
      const mu = Math.log(d.median);
      const sigma = (Math.log(d.p99) - mu) / Z99;
      const z = (Math.log(x) - mu) / sigma;
      return -Math.log(x) - Math.log(sigma) - LOG_SQRT_2PI - 0.5 * z * z;
    }
  }
}

/** True when `d` is a point mass (constant, or a degenerate uniform/lognormal, or exponential of mean 0). */
export function isPointMass(d: Distribution): boolean {
  if (isZero(d)) return true;
  switch (d.dist) {
    case 'constant':
      return true;
    case 'uniform':
      return d.max === d.min;
    case 'exponential':
      return d.mean === 0;
    case 'lognormal':
      return d.p99 === d.median || d.median === 0;
  }
}

/** The closed interval outside which `d` never draws. */
export function support(d: Distribution): [number, number] {
  switch (d.dist) {
    case 'constant':
      return [d.value, d.value];
    case 'uniform':
      return [d.min, d.max];
    case 'exponential':
    case 'lognormal':
      return [0, Infinity];
  }
}

/**
 * Why `proposed` cannot stand in for the scenario's `value` of `param`, or
 * undefined when it can. One phrase, for a `ScenarioError`.
 */
export function proposalProblem(param: TiltParam, value: Distribution | number, proposed: ProposalDist | number): string | undefined {
  if (typeof value === 'number' || typeof proposed === 'number') {
    const v = value as number;
    const q = proposed as number;
    if (isRateParam(param)) {
      if (v <= 0) return `the scenario's faults.${param} is 0: there are no events to reweight (give the scenario a rate > 0)`;
      if (!(q > 0)) return `expected a rate > 0, got ${q}`;
      return undefined;
    }
    if (v <= 0 || v >= 1) return `the scenario's faults.${param} is ${v}: only a probability strictly between 0 and 1 can be tilted`;
    if (!(q > 0 && q < 1)) return `expected a probability strictly between 0 and 1, got ${q}`;
    return undefined;
  }
  if (isPointMass(value)) return `the scenario's faults.${param} always draws ${support(value)[0]}: a constant cannot be tilted (give it a distribution)`;
  if (isPointMass(proposed)) return 'expected a distribution with a density (a constant cannot be a proposal)';
  if (proposed.mix !== undefined && !(proposed.mix > 0 && proposed.mix <= 1)) return `expected mix in (0, 1], got ${proposed.mix}`;
  // a mixture keeps (1 − mix) of the scenario's own distribution: it covers it whatever g is
  if (proposed.mix !== undefined && proposed.mix < 1) return undefined;
  const [lo, hi] = support(value);
  const [qlo, qhi] = support(proposed);
  if (qlo > lo || qhi < hi) return `expected a proposal that can draw every value the scenario can (its support [${lo}, ${hi}] ms is not inside the proposal's [${qlo}, ${qhi}] ms)`;
  return undefined;
}

/** A proposal in the nested form of a scenario's `importance:` block (durations in ms), for printing and pasting back. */
export function proposalBlock(p: Proposal): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const param of TILT_PARAMS) {
    const v = p[param];
    if (v === undefined) continue;
    const value = typeof v === 'number' ? roundSig(v) : distBlock(v);
    const dot = param.indexOf('.');
    if (dot < 0) {
      out[param] = value;
      continue;
    }
    const group = param.slice(0, dot);
    const field = param.slice(dot + 1);
    out[group] = { ...((out[group]) ?? {}), [field]: value };
  }
  return out;
}

function distBlock(d: ProposalDist): Record<string, unknown> {
  const ms = (x: number): string => `${roundSig(x)}ms`;
  const mix = d.mix === undefined ? {} : { mix: roundSig(d.mix) };
  return { ...mix, ...plainBlock(d, ms) };
}

function plainBlock(d: Distribution, ms: (x: number) => string): Record<string, unknown> {
  switch (d.dist) {
    case 'constant':
      return { dist: 'constant', value: ms(d.value) };
    case 'uniform':
      return { dist: 'uniform', min: ms(d.min), max: ms(d.max) };
    case 'exponential':
      return { dist: 'exponential', mean: ms(d.mean) };
    case 'lognormal':
      return { dist: 'lognormal', median: ms(d.median), p99: ms(d.p99) };
  }
}

/**
 * Rounds to 6 significant digits: a printed proposal, pasted back, is the
 * proposal that ran (runs take their proposal through this rounding, see
 * `roundProposal`).
 */
export function roundSig(x: number): number {
  return x === 0 || !Number.isFinite(x) ? x : Number(x.toPrecision(6));
}

/** `p` with every number rounded as it is printed, so that the printed block repeats the run exactly. */
export function roundProposal(p: Proposal): Proposal {
  const out: Proposal = {};
  for (const param of TILT_PARAMS) {
    const v = p[param];
    if (v === undefined) continue;
    if (typeof v === 'number') (out as Record<string, number>)[param] = roundSig(v);
    else (out as Record<string, ProposalDist>)[param] = v.mix === undefined ? roundDist(v) : { ...roundDist(v), mix: roundSig(v.mix) };
  }
  return out;
}

function roundDist(d: Distribution): Distribution {
  switch (d.dist) {
    case 'constant':
      return { dist: 'constant', value: roundSig(d.value) };
    case 'uniform':
      return { dist: 'uniform', min: roundSig(d.min), max: roundSig(d.max) };
    case 'exponential':
      return { dist: 'exponential', mean: roundSig(d.mean) };
    case 'lognormal':
      return { dist: 'lognormal', median: roundSig(d.median), p99: roundSig(d.p99) };
  }
}
