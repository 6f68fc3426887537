/**
 * The scenario report: many seeds → one JSON-able object (schemaVersion 1).
 * Built incrementally from per-seed results in seed order, so the same seeds
 * give the same report however they were run.
 */
import { bootstrapStream, percentileInterval, RESAMPLES, resample, RunSamples, weightedRatio } from '../bootstrap.js';
import { estimate, type ImportanceEstimate, type WeightedRun } from '../importance/estimate.js';
import { proposalBlock, type Proposal } from '../importance/proposal.js';
import { hashString } from '../prng.js';
import type { Provenance } from './provenance.js';
import type { SeedRecord } from './seed-record.js';
import { scenarioHash, type Scenario } from '../scenario.js';
import { round, summarize, summarizeSorted, wilson, type LatencySummary, type Rate } from '../stats.js';

/** A latency summary with 95% bootstrap-over-runs intervals of its p50 and p99 (`[low, high]`). */
export type LatencyWithCi = LatencySummary & { ci95: { p50: [number, number]; p99: [number, number] } };

export { seedRecord, type SeedRecord } from './seed-record.js';

export interface Report {
  schemaVersion: 1;
  scenario: string;
  /** Hash of every scenario field that affects results (see `scenarioHash`). */
  scenarioHash: string;
  description: string;
  strategy: string;
  seeds: { start: number; count: number };
  runs: number;
  runsWithViolation: number;
  /** Fraction of runs with at least one violation, 95% Wilson interval. */
  violationRate: Rate;
  acquisitions: number;
  violations: number;
  /**
   * violations / acquisitions with a 95% percentile-bootstrap interval over
   * runs (acquisitions within a run are correlated; see {@link Report.bootstrap}).
   * The Wilson interval of reports before it is `wilson(violations, acquisitions)`.
   */
  perAcquisitionViolationRate: Rate;
  /** How the bootstrap intervals were made: resamples of whole runs, from a stream seeded by the seed range. */
  bootstrap: { unit: 'run'; resamples: number };
  overlapMs: { total: number; p50: number; p99: number; max: number } | null;
  maxSimultaneousOwners: number;
  /** Holders told they lost the ownership (`ownership.lost`; never under `lakefs`). */
  told: number;
  /** Protected-resource writes, writes rejected for a stale fencing token, and stale effects accepted. */
  resource: { writes: number; rejected: number; staleEffects: number };
  acquireLatencyMs: LatencyWithCi | null;
  handoffMs: LatencyWithCi | null;
  failoverMs: LatencyWithCi | null;
  storeOps: { reads: number; writes: number; perHeldSecond: number };
  /**
   * The benefit model (`workload.work`): operations on the protected resource.
   * `null` without a work model.
   */
  operations: {
    completed: number;
    failed: number;
    /** Completed operations per simulated second (all nodes). */
    perSecond: number;
    /** Attempts beyond the first, per operation. */
    retriesPerOp: number;
    /** Work (ms) whose compare-and-set failed, and its share of all work. */
    wastedMs: number;
    wastedShare: number;
    /** Operation start (own() called) → done or failed. */
    latencyMs: LatencySummary | null;
  } | null;
  heldMs: number;
  events: number;
  simulatedMs: number;
  wallMs: number;
  traceHash: string;
  /** Seeds whose runs had a violation (the first 20), for `mco replay`. */
  violatingSeeds: number[];
  /** Set when the run was interrupted: only the first `seeds.count` seeds finished. */
  partial?: true;
  /** Set on a shard's report (`mco run --shard i/n`). */
  shard?: { index: number; count: number };
  /** Per-seed data, kept on shard reports so `mco merge` can rebuild the full report exactly. */
  perSeed?: SeedRecord[];
  /** What ran and where (set by the CLI; absent in reports made before it): see provenance.ts. */
  provenance?: Provenance;
  /** Per-run counts in seed order from `seeds.start`, kept on baselines (`mco check --update`) for paired tests. */
  perRun?: { violations: number[]; acquisitions: number[] };
  /**
   * Importance sampling (`--importance`): the proposal the runs drew from and
   * the weighted estimates under the scenario itself. When present, the
   * unweighted rates above describe the proposal's runs, not the scenario.
   */
  importance?: ImportanceReport;
}

/** How a report's runs were importance-sampled. */
export interface ImportanceRun {
  /** `scenario`: the scenario's `importance:` block; `auto`: found by the cross-entropy method. */
  method: 'scenario' | 'auto';
  proposal: Proposal;
  /** With `auto`: the search that found the proposal. */
  search?: unknown;
}

/** The `importance` block of a report. */
export type ImportanceReport = { method: ImportanceRun['method']; proposal: Record<string, unknown>; search?: unknown } & ImportanceEstimate;

/** The part of a report that names what was simulated. */
export interface ReportHeader {
  scenario: string;
  scenarioHash: string;
  description: string;
  strategy: string;
}

/** The header of reports on `s`. */
export function reportHeader(s: Scenario): ReportHeader {
  return { scenario: s.name, scenarioHash: scenarioHash(s), description: s.description, strategy: s.owner.strategy };
}

/** Accumulates per-seed results (fed in seed order). */
export class ReportBuilder {
  #runs = 0;
  #runsWithViolation = 0;
  #acquisitions = 0;
  #violations = 0;
  #maxSimultaneous = 0;
  #told = 0;
  #resourceWrites = 0;
  #rejected = 0;
  #stale = 0;
  #heldMs = 0;
  #reads = 0;
  #writes = 0;
  #events = 0;
  #simulatedMs = 0;
  #hash = 0x811c9dc5;
  readonly #ops = { completed: 0, failed: 0, attempts: 0, workMs: 0, wastedMs: 0 };
  readonly #opLatencies: number[] = [];
  readonly #overlaps: number[] = [];
  readonly #violatingSeeds: number[] = [];
  /** Per run, for the bootstrap: acquisitions, violations, and the latency samples. */
  readonly #perRun = { acquisitions: [] as number[], violations: [] as number[], acquire: [] as (readonly number[])[], handoff: [] as (readonly number[])[], failover: [] as (readonly number[])[] };
  /** Importance sampling: what the weighted estimates need of each run (only when the runs were tilted). */
  readonly #weighted: WeightedRun[] = [];

  constructor(
    readonly header: ReportHeader,
    readonly seedStart: number,
    readonly importance?: ImportanceRun,
  ) {}

  add(r: SeedRecord): void {
    this.#runs++;
    if (r.violations > 0) {
      this.#runsWithViolation++;
      if (this.#violatingSeeds.length < 20) this.#violatingSeeds.push(r.seed);
    }
    this.#acquisitions += r.acquisitions;
    this.#violations += r.violations;
    this.#maxSimultaneous = Math.max(this.#maxSimultaneous, r.maxSimultaneousOwners);
    this.#told += r.told;
    this.#resourceWrites += r.resourceWrites;
    this.#rejected += r.rejectedWrites;
    this.#stale += r.staleEffects;
    this.#heldMs += r.heldMs;
    this.#reads += r.storeReads;
    this.#writes += r.storeWrites;
    this.#events += r.events;
    this.#simulatedMs += r.simulatedMs;
    this.#ops.completed += r.ops.completed;
    this.#ops.failed += r.ops.failed;
    this.#ops.attempts += r.ops.attempts;
    this.#ops.workMs += r.ops.workMs;
    this.#ops.wastedMs += r.ops.wastedMs;
    pushAll(this.#opLatencies, r.ops.latenciesMs);
    pushAll(this.#overlaps, r.overlapsMs);
    this.#hash = hashString(`${r.seed}:${r.traceHash};`, this.#hash);
    const p = this.#perRun;
    p.acquisitions.push(r.acquisitions);
    p.violations.push(r.violations);
    p.acquire.push(r.acquireLatenciesMs);
    p.handoff.push(r.handoffsMs);
    p.failover.push(r.failoversMs);
    if (this.importance) this.#weighted.push({ logWeight: r.logWeight, violations: r.violations, acquisitions: r.acquisitions, heldMs: r.heldMs });
  }

  /**
   * The percentile-bootstrap intervals (resampling runs) of the
   * per-acquisition rate and of the latencies' p50 and p99.
   */
  #bootstrap(): { perAcquisition: { low: number; high: number } | null; latency: Map<string, { summary: LatencySummary | null; p50: [number, number]; p99: [number, number] } | null> } {
    const p = this.#perRun;
    const n = p.acquisitions.length;
    const metrics = (['acquire', 'handoff', 'failover'] as const).map((name) => ({ name, samples: new RunSamples(p[name]), p50: [] as number[], p99: [] as number[] }));
    const rates: number[] = [];
    if (n > 0) {
      const rng = bootstrapStream(this.seedStart, n);
      const weights = new Int32Array(n);
      for (let b = 0; b < RESAMPLES; b++) {
        resample(rng, weights);
        rates.push(weightedRatio(weights, p.violations, p.acquisitions));
        for (const m of metrics) {
          if (m.samples.size === 0) continue;
          m.p50.push(m.samples.quantile(weights, 0.5));
          m.p99.push(m.samples.quantile(weights, 0.99));
        }
      }
    }
    const latency = new Map<string, { summary: LatencySummary | null; p50: [number, number]; p99: [number, number] } | null>();
    for (const m of metrics) {
      const a = percentileInterval(m.p50);
      const b = percentileInterval(m.p99);
      // the samples' own summary from the same sorted samples, not sorted again
      latency.set(m.name, a && b ? { summary: summarizeSorted(m.samples.sorted), p50: [round(a.low), round(a.high)], p99: [round(b.low), round(b.high)] } : null);
    }
    return { perAcquisition: percentileInterval(rates), latency };
  }

  #operations(): Report['operations'] {
    const o = this.#ops;
    const n = o.completed + o.failed;
    if (n === 0) return null;
    return {
      completed: o.completed,
      failed: o.failed,
      perSecond: round(o.completed / (this.#simulatedMs / 1000)),
      retriesPerOp: round((o.attempts - n) / n),
      wastedMs: round(o.wastedMs),
      wastedShare: round(o.workMs === 0 ? 0 : o.wastedMs / o.workMs),
      latencyMs: summarize(this.#opLatencies),
    };
  }

  build(wallMs: number): Report {
    const overlap = summarize(this.#overlaps);
    const boot = this.#bootstrap();
    const withCi = (name: string): LatencyWithCi | null => {
      const ci = boot.latency.get(name);
      return !ci || ci.summary === null ? null : { ...ci.summary, ci95: { p50: ci.p50, p99: ci.p99 } };
    };
    const perAcq = wilson(this.#violations, this.#acquisitions);
    const heldSeconds = this.#heldMs / 1000;
    return {
      schemaVersion: 1,
      ...this.header,
      seeds: { start: this.seedStart, count: this.#runs },
      runs: this.#runs,
      runsWithViolation: this.#runsWithViolation,
      violationRate: roundRate(wilson(this.#runsWithViolation, this.#runs)),
      acquisitions: this.#acquisitions,
      violations: this.#violations,
      // with no violation at all every resample is 0: the bootstrap cannot see how rare they are, the
      // Wilson interval (acquisitions as independent trials) at least gives an upper bound
      perAcquisitionViolationRate: roundRate(this.#violations === 0 || boot.perAcquisition === null ? perAcq : { value: perAcq.value, ...boot.perAcquisition }),
      bootstrap: { unit: 'run', resamples: RESAMPLES },
      overlapMs: overlap === null ? null : { total: round(sum(this.#overlaps)), ...overlap },
      maxSimultaneousOwners: this.#maxSimultaneous,
      told: this.#told,
      resource: { writes: this.#resourceWrites, rejected: this.#rejected, staleEffects: this.#stale },
      acquireLatencyMs: withCi('acquire'),
      handoffMs: withCi('handoff'),
      failoverMs: withCi('failover'),
      storeOps: {
        reads: this.#reads,
        writes: this.#writes,
        perHeldSecond: heldSeconds === 0 ? 0 : round((this.#reads + this.#writes) / heldSeconds),
      },
      operations: this.#operations(),
      heldMs: round(this.#heldMs),
      events: this.#events,
      simulatedMs: round(this.#simulatedMs),
      wallMs: Math.round(wallMs),
      traceHash: (this.#hash >>> 0).toString(16).padStart(8, '0'),
      violatingSeeds: [...this.#violatingSeeds],
      ...(this.importance ? { importance: this.#importanceReport(this.importance) } : {}),
    };
  }

  #importanceReport(run: ImportanceRun): ImportanceReport {
    return {
      method: run.method,
      proposal: proposalBlock(run.proposal),
      ...(run.search === undefined ? {} : { search: run.search }),
      ...estimate(this.#weighted, this.seedStart),
    };
  }
}

function pushAll(into: number[], from: readonly number[]): void {
  for (const x of from) into.push(x);
}

function sum(xs: readonly number[]): number {
  let t = 0;
  for (const x of xs) t += x;
  return t;
}

function roundRate(r: Rate): Rate {
  const r6 = (x: number): number => Math.round(x * 1e6) / 1e6;
  return { value: r6(r.value), low: r6(r.low), high: r6(r.high) };
}
