/**
 * The likelihood ratio of one run under a proposal (sim/importance/proposal.ts).
 *
 * Every random fault draw of a run goes through one of three doors, and each
 * door either draws as the scenario says (the parameter is not tilted: the
 * same calls on the same stream as without importance sampling, so untilted
 * runs are byte-identical to plain ones) or draws from the proposal and adds
 * log p(x) − log q(x) to the run's log weight:
 * - {@link Tilt.drawer}: one duration per event (pause lengths, clock
 *   offsets, store latencies, timer lateness): the density ratio;
 * - {@link Tilt.arrivals}: a Poisson process over the run (pauses, crashes):
 *   with k arrivals in T seconds at rate λ tilted to λ′,
 *   k·log(λ/λ′) − (λ−λ′)·T;
 * - {@link Tilt.chance}: a per-operation failure (store errors, lost
 *   replies): log(p/q) on a hit, log((1−p)/(1−q)) on a miss.
 * Beside the weight it keeps each tilted parameter's sufficient statistics
 * (count, sums), which the cross-entropy method refits the proposal from.
 */
import { sample, type Distribution } from '../dist.js';
import { poissonArrivals } from '../faults/poisson.js';
import type { Prng } from '../prng.js';
import { logDensity, nominal, type DistParam, type NominalFaults, type ProbParam, type Proposal, type RateParam } from './proposal.js';

/** log(e^a + e^b) without overflow. */
function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/** Sufficient statistics of one tilted parameter's draws in one run. */
export interface DrawStats {
  /** Draws (durations), arrivals (rates) or trials (probabilities). */
  n: number;
  /**
   * Durations: the draws' responsibilities r = m·g(x)/q(x) of a mixture's
   * tilted part g summed (= n without a mixture), and Σr·x, Σr·log x,
   * Σr·(log x)²; rates: exposure in node-seconds (`sum`); probabilities:
   * hits (`sum`).
   */
  r: number;
  sum: number;
  sumLog: number;
  sumLog2: number;
}

/** What a tilted run reports besides its weight: per tilted parameter, its draws' statistics. */
export type TiltStats = Partial<Record<DistParam | RateParam | ProbParam, DrawStats>>;

/** The importance-sampling side of one run. */
export class Tilt {
  /** log p(x) − log q(x) summed over every tilted draw of the run (0 when nothing is tilted). */
  logWeight = 0;
  readonly stats: TiltStats = {};
  readonly #faults: NominalFaults;
  readonly #proposal: Proposal;

  constructor(faults: NominalFaults, proposal: Proposal = {}) {
    this.#faults = faults;
    this.#proposal = proposal;
  }

  /** True when the proposal tilts at least one parameter. */
  get tilted(): boolean {
    return Object.keys(this.#proposal).length > 0;
  }

  /** True when the proposal tilts `param`. */
  tilts(param: DistParam | RateParam | ProbParam): boolean {
    return this.#proposal[param] !== undefined;
  }

  #stats(param: DistParam | RateParam | ProbParam): DrawStats {
    return (this.stats[param] ??= { n: 0, r: 0, sum: 0, sumLog: 0, sumLog2: 0 });
  }

  /** A function drawing `param`'s durations from `rng`. */
  drawer(param: DistParam): (rng: Prng) => number {
    const p = nominal(this.#faults, param) as Distribution;
    const q = this.#proposal[param];
    if (q === undefined) return (rng) => sample(p, rng);
    const stats = this.#stats(param);
    const m = q.mix ?? 1;
    const logM = Math.log(m);
    const log1M = Math.log1p(-m);
    return (rng) => {
      // a mixture draws its component first (one uniform), then the value
      const x = m < 1 && rng.next() >= m ? sample(p, rng) : sample(q, rng);
      const lp = logDensity(p, x);
      const lg = logM + logDensity(q, x);
      const lq = m < 1 ? logAddExp(log1M + lp, lg) : lg;
      this.logWeight += lp - lq;
      const r = m < 1 ? Math.exp(lg - lq) : 1;
      stats.n++;
      stats.r += r;
      stats.sum += r * x;
      if (x > 0) {
        const l = Math.log(x);
        stats.sumLog += r * l;
        stats.sumLog2 += r * l * l;
      }
      return x;
    };
  }

  /** Arrivals of `param`'s Poisson process over `durationMs` on one node (see faults/poisson.ts). */
  arrivals<T>(param: RateParam, durationMs: number, rng: Prng, make: (at: number) => T): T[] {
    const rate = nominal(this.#faults, param) as number;
    const q = this.#proposal[param];
    if (q === undefined) return poissonArrivals(rate, durationMs, rng, make);
    const out = poissonArrivals(q, durationMs, rng, make);
    const seconds = durationMs / 1000;
    this.logWeight += out.length * Math.log(rate / q) - (rate - q) * seconds;
    const stats = this.#stats(param);
    stats.n += out.length;
    stats.r += out.length;
    stats.sum += seconds;
    return out;
  }

  /** A function telling whether one operation fails with `param`'s probability, drawing once from `rng`. */
  chance(param: ProbParam): (rng: Prng) => boolean {
    const p = nominal(this.#faults, param) as number;
    const q = this.#proposal[param];
    if (q === undefined) return (rng) => rng.next() < p;
    const stats = this.#stats(param);
    const hit = Math.log(p / q);
    const miss = Math.log((1 - p) / (1 - q));
    return (rng) => {
      const yes = rng.next() < q;
      this.logWeight += yes ? hit : miss;
      stats.n++;
      stats.r++;
      if (yes) stats.sum++;
      return yes;
    };
  }
}
