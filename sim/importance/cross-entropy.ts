/**
 * `--importance auto`: a proposal found by the cross-entropy method.
 *
 * Start from the scenario's own fault distributions (or its `importance:`
 * block), run a small batch, rank the runs by how close they came to a
 * violation (the oracle's `marginMs`: the smallest gap between one holder's
 * belief ending and the next acquisition of the key, negative when they
 * overlapped), keep the closest share (the elite), and refit each tilted
 * parameter to the elite runs' draws, weighted by their likelihood ratios
 * (the maximum-likelihood fit within the proposal's family). Repeat until
 * violations are common in the batch (the elite are violating runs); the
 * last refit is the proposal. Pilot runs use their own seeds
 * ({@link PILOT_SEED_OFFSET}), so the search is the same for any `--seeds`,
 * and runs through the same runner as everything else, so it is the same on
 * any worker count.
 *
 * Families: a lognormal is refit by the weighted mean and variance of log x,
 * an exponential by its weighted mean, a Poisson rate by weighted arrivals
 * per node-second, a probability by weighted hits per trial; a uniform keeps
 * its bounds (no useful tilt within the family).
 */
import type { Distribution } from '../dist.js';
import type { SeedRecord } from '../report/report.js';
import { isDistParam, isRateParam, nominal, proposalBlock, proposalProblem, roundProposal, TILT_PARAMS, Z99, type NominalFaults, type Proposal, type ProposalDist, type TiltParam } from './proposal.js';
import type { DrawStats } from './tilt.js';

/** Pilot seeds start this far above `--seed-start`, apart from the final batch's seeds. */
export const PILOT_SEED_OFFSET = 1_000_000_000;

/** The parameters `auto` tilts when the scenario names none: the few per-run draws (per-operation draws make weights degenerate). */
export const AUTO_PARAMS: readonly TiltParam[] = Object.freeze(['clock.offset', 'pauses.rate', 'pauses.duration', 'crashes.rate']);

export interface SearchOptions {
  /** Runs per iteration (default 200). */
  batch: number;
  /** Share of a batch kept as the elite (default 0.1). */
  eliteShare: number;
  /** Most iterations before giving up (default 25). */
  maxIterations: number;
  /** Weight of the new fit against the old proposal, in (0, 1] (default 0.7). */
  smoothing: number;
  /** `--seed-start` of the final batch; pilot iteration i runs seeds from `seedStart + PILOT_SEED_OFFSET + i·batch`. */
  seedStart: number;
}

export const DEFAULT_SEARCH: Readonly<Omit<SearchOptions, 'seedStart'>> = Object.freeze({ batch: 200, eliteShare: 0.1, maxIterations: 25, smoothing: 0.7 });

/** One iteration of the search. */
export interface SearchStep {
  seeds: { start: number; count: number };
  /** The proposal the batch ran with (importance-block form). */
  proposal: Record<string, unknown>;
  /** Runs of the batch with a violation. */
  runsWithViolation: number;
  /** The elite's threshold: runs whose margin was at most this (ms; ≤ 0 once violations are common). */
  eliteMarginMs: number | null;
}

export interface SearchResult {
  proposal: Proposal;
  steps: SearchStep[];
  /** True when a batch had at least an elite's share of violating runs; false when the search ran out of iterations. */
  converged: boolean;
  /** Pilot runs spent. */
  runs: number;
}

/** Runs `count` seeds from `seedStart` under `proposal` and returns their records in seed order. */
export type RunBatch = (proposal: Proposal, seedStart: number, count: number) => Promise<SeedRecord[]>;

/** The parameters `auto` tilts: those of the scenario's `importance:` block, else {@link AUTO_PARAMS} the scenario lets tilt. */
export function autoParams(faults: NominalFaults, named: Proposal | undefined): TiltParam[] {
  if (named !== undefined && Object.keys(named).length > 0) return TILT_PARAMS.filter((p) => named[p] !== undefined);
  return AUTO_PARAMS.filter((p) => {
    const v = nominal(faults, p);
    if (proposalProblem(p, v, v) !== undefined) return false;
    return typeof v === 'number' || v.dist === 'lognormal' || v.dist === 'exponential';
  });
}

/** Searches a proposal for `params`, starting from `start` (missing parameters start at the scenario's own). */
export async function crossEntropy(faults: NominalFaults, params: readonly TiltParam[], start: Proposal, run: RunBatch, options: SearchOptions, signal?: AbortSignal): Promise<SearchResult> {
  let proposal: Proposal = {};
  for (const p of params) (proposal as Record<string, unknown>)[p] = start[p] ?? startingPoint(nominal(faults, p));
  proposal = roundProposal(proposal);
  const steps: SearchStep[] = [];
  const eliteCount = Math.max(1, Math.ceil(options.eliteShare * options.batch));
  let runs = 0;
  for (let i = 0; i < options.maxIterations && !signal?.aborted; i++) {
    const seedStart = options.seedStart + PILOT_SEED_OFFSET + i * options.batch;
    const records = await run(proposal, seedStart, options.batch);
    runs += records.length;
    const score = (r: SeedRecord): number => (r.violations > 0 ? Infinity : r.marginMs === null ? -Infinity : -r.marginMs);
    const ranked = [...records].sort((a, b) => score(b) - score(a) || a.seed - b.seed);
    const violating = records.filter((r) => r.violations > 0).length;
    const converged = violating >= eliteCount;
    const elite = converged ? records.filter((r) => r.violations > 0) : ranked.slice(0, eliteCount);
    const threshold = elite[elite.length - 1];
    steps.push({
      seeds: { start: seedStart, count: records.length },
      proposal: proposalBlock(proposal),
      runsWithViolation: violating,
      eliteMarginMs: converged ? 0 : threshold?.marginMs ?? null,
    });
    proposal = roundProposal(refit(faults, proposal, elite, options.smoothing));
    if (converged) return { proposal, steps, converged: true, runs };
  }
  return { proposal, steps, converged: false, runs };
}

/**
 * Where the search starts for a parameter the scenario's block does not
 * name: a rate or probability at its own value; a duration as a defensive
 * mixture (share 0.1) of the scenario's distribution and a wider one of the
 * same family, which the search then moves into the tail that matters.
 */
function startingPoint(p: Distribution | number): ProposalDist | number {
  if (typeof p === 'number') return p;
  if (p.dist === 'lognormal') return { dist: 'lognormal', median: p.median, p99: p.median * (p.p99 / p.median) ** 1.5, mix: 0.1 };
  if (p.dist === 'exponential') return { dist: 'exponential', mean: 2 * p.mean, mix: 0.1 };
  return p;
}

/** The proposal refit to the elite runs (weighted by their likelihood ratios), smoothed toward the current one. */
function refit(faults: NominalFaults, current: Proposal, elite: readonly SeedRecord[], alpha: number): Proposal {
  // weights relative to the largest, so that exp() of very negative log weights does not underflow to all zeros
  const maxLog = Math.max(...elite.map((r) => r.logWeight));
  const weights = elite.map((r) => Math.exp(r.logWeight - maxLog));
  const out: Proposal = { ...current };
  for (const param of TILT_PARAMS) {
    const q = current[param];
    if (q === undefined) continue;
    const total = { n: 0, r: 0, sum: 0, sumLog: 0, sumLog2: 0 };
    elite.forEach((r, i) => {
      const s: DrawStats | undefined = r.importance?.[param];
      if (s === undefined) return;
      const w = weights[i]!;
      total.n += w * s.n;
      total.r += w * s.r;
      total.sum += w * s.sum;
      total.sumLog += w * s.sumLog;
      total.sumLog2 += w * s.sumLog2;
    });
    if (isDistParam(param)) {
      if (total.r <= 0) continue;
      (out as Record<string, ProposalDist>)[param] = refitDist(q as ProposalDist, total, alpha, nominal(faults, param) as Distribution);
    } else if (isRateParam(param)) {
      if (total.sum <= 0) continue;
      const fitted = Math.max(total.n / total.sum, 1e-6);
      (out as Record<string, number>)[param] = alpha * fitted + (1 - alpha) * (q as number);
    } else {
      if (total.n <= 0) continue;
      const fitted = Math.min(0.5, Math.max(total.sum / total.n, 1e-12));
      (out as Record<string, number>)[param] = alpha * fitted + (1 - alpha) * (q as number);
    }
  }
  return out;
}

/** Refits a duration's proposal g (and a mixture's share) to the elite draws, weighted by their responsibilities. */
function refitDist(q: ProposalDist, t: { n: number; r: number; sum: number; sumLog: number; sumLog2: number }, alpha: number, p: Distribution): ProposalDist {
  // a mixture's share: the part of the elite draws its tilted component accounts for (kept in [0.01, 0.5])
  const mix = q.mix === undefined || q.mix >= 1 ? {} : { mix: alpha * Math.min(0.5, Math.max(0.01, t.r / t.n)) + (1 - alpha) * q.mix };
  if (q.dist === 'exponential') return { dist: 'exponential', mean: alpha * (t.sum / t.r) + (1 - alpha) * q.mean, ...mix };
  if (q.dist !== 'lognormal') return q;
  const sigmaOf = (d: { median: number; p99: number }): number => (Math.log(d.p99) - Math.log(d.median)) / Z99;
  const mu = t.sumLog / t.r;
  // a floor on sigma: an elite of a few runs must not collapse the proposal onto their draws
  const floor = 0.5 * (p.dist === 'lognormal' ? sigmaOf(p) : sigmaOf(q));
  const sigma = Math.max(floor, Math.sqrt(Math.max(0, t.sumLog2 / t.r - mu * mu)));
  const mu2 = alpha * mu + (1 - alpha) * Math.log(q.median);
  const sigma2 = alpha * sigma + (1 - alpha) * sigmaOf(q);
  return { dist: 'lognormal', median: Math.exp(mu2), p99: Math.exp(mu2 + sigma2 * Z99), ...mix };
}
