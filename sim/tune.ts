/**
 * `mco tune`: proposes `acquireInterval` and `refreshInterval` for a strategy
 * from the environment's worst cases (clock offset, process pause, store
 * latency), in two steps:
 *
 * 1. **Derived**: the smallest `refreshInterval` whose safety margin
 *    (`safetyMargin`, sim/bound.ts) is positive on a *bound scenario* — the
 *    environment at its stated maxima: offsets uniform in [0, maxOffset], one
 *    pause of maxPause per node, store delays uniform in [0, latency p99] each
 *    way, holds of any length (so the lease must live on refreshes).
 *    `acquireInterval` is a quarter of it. (`observed` ignores clock
 *    offset, so its bound scenario has none.)
 * 2. **Measured**: a sweep of `refreshInterval` around the derived value on
 *    an *evidence scenario* — the same environment as distributions with tails
 *    (lognormal pauses and latency with the stated p99, Poisson pauses,
 *    occasional crashes), or your own `--scenario`. The recommendation is the
 *    derived value when the measurement confirms it meets the violation
 *    target and the failover limit, else the next longer swept value that
 *    does; never a shorter one (a few dozen seeds cannot prove a small rate,
 *    the bound can). Its measured rate (with CI), failover p99, store load
 *    and, with a work model, the benefit against no owner, are printed with
 *    the `mco sweep` command that reproduces the evidence.
 *
 * A failover limit below what safety allows is refused with the reason.
 */
import type { StrategyName } from 'mostly-correct-owner';
import { safetyMargin } from './bound.js';
import type { SearchOptions } from './importance/cross-entropy.js';
import { runImportance, type ImportanceMode } from './importance/run-importance.js';
import type { Report } from './report/report.js';
import { runScenario, type RunScenarioOptions } from './runner.js';
import { parseScenario, type Scenario } from './scenario.js';
import { seedsOf, type Shard } from './shard.js';

export interface TuneInput {
  maxOffsetMs: number;
  maxPauseMs: number;
  storeLatencyP99Ms: number;
  nodes: number;
  strategy: StrategyName;
  /** Which rate the target bounds, and its maximum. */
  target: { metric: 'violation-rate' | 'per-acquisition'; max: number };
  maxFailoverMs: number | undefined;
  /**
   * Importance sampling for every candidate (docs/rare-events.md): a
   * candidate meets the target when the upper end of its weighted 95% CI
   * does, without warnings, and the recommendation may then be any swept
   * lease (the shortest that meets), not only those at or above the derived one.
   */
  importance?: { mode: ImportanceMode; search?: Partial<Omit<SearchOptions, 'seedStart'>> };
  /** Raw scenario data to measure on instead of the generated evidence scenario. */
  scenarioRaw?: unknown;
  scenarioFile?: string;
}

export class TuneRefusal extends Error {
  override readonly name = 'TuneRefusal';
}

export interface TuneCandidate {
  refreshIntervalMs: number;
  acquireIntervalMs: number;
  report: Report;
  meetsTarget: boolean;
  meetsFailover: boolean;
}

export interface TuneResult {
  derived: { refreshIntervalMs: number; acquireIntervalMs: number; marginMs: number };
  candidates: TuneCandidate[];
  recommended: TuneCandidate | undefined;
  /** Against no owner, when the scenario has a work model. */
  benefit: { none: Report; owned: Report } | undefined;
  evidenceScenario: Record<string, unknown>;
  /** Set on a shard's result (`--shard i/n`): its candidates ran that part of the seeds. */
  shard?: Shard;
  /** A shard's runs without an owner at each lease that could be recommended, for `mco merge`'s benefit. */
  noneRuns?: { refreshIntervalMs: number; report: Report }[];
}

const ms = (x: number): string => `${+x.toFixed(3)}ms`;

/** The environment at its stated maxima, as a scenario the bound can judge. */
export function boundScenario(input: TuneInput, refreshIntervalMs: number): Scenario {
  const offset = input.strategy === 'observed' ? 0 : input.maxOffsetMs;
  return parseScenario(
    {
      name: 'tune-bound',
      duration: '10s',
      owner: { strategy: 'lakefs', acquireInterval: ms(refreshIntervalMs / 4), refreshInterval: ms(refreshIntervalMs) },
      nodes: Array.from({ length: input.nodes }, (_, i) => ({ pauses: [{ at: `${1 + i}s`, for: ms(input.maxPauseMs) }] })),
      // holds of any length: the lease must survive on refreshes alone
      workload: { think: { dist: 'uniform', min: '0ms', max: '20ms' }, hold: { dist: 'uniform', min: '5ms', max: '1h' } },
      faults: {
        clock: { offset: { dist: 'uniform', min: '0ms', max: ms(offset) } },
        store: { latency: { dist: 'uniform', min: '0ms', max: ms(input.storeLatencyP99Ms) } },
      },
    },
    '<tune bound>',
  );
}

/** Smallest refreshInterval (to 1%) with a positive safety margin on the bound scenario. */
export function derivedRefreshInterval(input: TuneInput): { refreshIntervalMs: number; marginMs: number } {
  let hi = 1;
  while (safetyMargin(boundScenario(input, hi)) <= 0) {
    hi *= 2;
    if (hi > 3_600_000) throw new TuneRefusal('no refreshInterval up to 1 hour is provably safe in this environment');
  }
  let lo = hi / 2;
  while (hi - lo > hi * 0.01) {
    const mid = (lo + hi) / 2;
    if (safetyMargin(boundScenario(input, mid)) > 0) hi = mid;
    else lo = mid;
  }
  const refreshIntervalMs = Math.ceil(hi);
  return { refreshIntervalMs, marginMs: safetyMargin(boundScenario(input, refreshIntervalMs)) };
}

/** The environment with realistic tails: the default scenario `mco tune` measures on. */
export function evidenceScenarioRaw(input: TuneInput): Record<string, unknown> {
  return {
    name: 'tune-evidence',
    description: `tuning evidence: offset ≤ ${ms(input.maxOffsetMs)}, pauses p99 ${ms(input.maxPauseMs)}, store latency p99 ${ms(input.storeLatencyP99Ms)}, ${input.nodes} nodes`,
    seeds: 50,
    duration: '10s',
    owner: { strategy: input.strategy },
    nodes: input.nodes,
    keys: 1,
    workload: { think: { dist: 'exponential', mean: '20ms' }, hold: { dist: 'lognormal', median: '50ms', p99: '2s' } },
    faults: {
      clock: { offset: { dist: 'uniform', min: '0ms', max: ms(input.maxOffsetMs) } },
      pauses: { rate: 0.5, duration: { dist: 'lognormal', median: ms(input.maxPauseMs / 8), p99: ms(input.maxPauseMs) } },
      store: { latency: { dist: 'lognormal', median: ms(input.storeLatencyP99Ms / 6), p99: ms(input.storeLatencyP99Ms) } },
      crashes: { rate: 0.1, restartAfter: '500ms' },
    },
  };
}

/** The refreshInterval values swept around the derived one (× 0.5, 0.75, 1, 1.5, 2). */
export function sweepValues(derivedMs: number): number[] {
  return [0.5, 0.75, 1, 1.5, 2].map((f) => Math.max(2, Math.round(derivedMs * f)));
}

function withIntervals(raw: unknown, strategy: string, acquireIntervalMs: number, refreshIntervalMs: number): unknown {
  const r = structuredClone((raw ?? {}) as Record<string, unknown>);
  const owner = { ...((r.owner as Record<string, unknown> | undefined) ?? {}) };
  r.owner = { ...owner, strategy, acquireInterval: ms(acquireIntervalMs), refreshInterval: ms(refreshIntervalMs) };
  return r;
}

/** Runs the whole tuning: derive, sweep, choose. */
export async function tune(input: TuneInput, run: RunScenarioOptions & { shard?: Shard }): Promise<TuneResult> {
  const derived = derivedRefreshInterval(input);
  const raw = input.scenarioRaw ?? evidenceScenarioRaw(input);
  const file = input.scenarioFile ?? '<tune evidence>';
  if (input.maxFailoverMs !== undefined) {
    // failover needs at least one lease after the crash: a safe lease longer than the limit cannot meet it
    if (derived.refreshIntervalMs >= input.maxFailoverMs) {
      throw new TuneRefusal(
        `--max-failover ${ms(input.maxFailoverMs)} is below what this environment allows: a provably safe refreshInterval is at least ${ms(derived.refreshIntervalMs)} ` +
          `(offset ${ms(input.maxOffsetMs)}, pause ${ms(input.maxPauseMs)}, store latency ${ms(input.storeLatencyP99Ms)}), and failover takes at least one refreshInterval`,
      );
    }
  }
  // one acquireInterval for every candidate (a quarter of the derived lease), so that a plain
  // `mco sweep --vary owner.refreshInterval=…` reproduces the evidence
  const acquireIntervalMs = Math.max(1, Math.round(derived.refreshIntervalMs / 4));
  const { shard, ...options } = run;
  const runOne = async (scenario: Scenario, weighted = false): Promise<Report> => {
    const seeds = seedsOf(options.seedStart ?? 1, options.seeds ?? scenario.seeds, shard);
    const opts = { ...options, seeds: seeds.count, seedStart: seeds.start, keepPerSeed: shard !== undefined };
    const imp = weighted ? input.importance : undefined;
    const report =
      imp === undefined ? await runScenario(scenario, opts) : await runImportance(file, scenario, imp.mode, { ...opts, ...(imp.search ? { search: imp.search } : {}) });
    if (shard === undefined) return report;
    const { perSeed, ...rest } = report;
    return { ...rest, shard, perSeed };
  };
  const measured: { refreshIntervalMs: number; report: Report }[] = [];
  for (const refreshIntervalMs of sweepValues(derived.refreshIntervalMs)) {
    measured.push({ refreshIntervalMs, report: await runOne(parseScenario(withIntervals(raw, input.strategy, acquireIntervalMs, refreshIntervalMs), file), true) });
  }
  const derivedOut = { refreshIntervalMs: derived.refreshIntervalMs, acquireIntervalMs, marginMs: derived.marginMs };
  const evidence = raw as Record<string, unknown>;
  const hasWork = parseScenario(withIntervals(raw, input.strategy, acquireIntervalMs, derived.refreshIntervalMs), file).workload.work !== undefined;
  const none = (refreshIntervalMs: number): Promise<Report> => runOne(parseScenario(withIntervals(raw, 'none', acquireIntervalMs, refreshIntervalMs), file));
  if (shard !== undefined) {
    // the benefit is measured at the recommended lease, which only the merge of all shards knows:
    // a shard measures no owner at every lease that could be recommended (≥ the derived one)
    const benefitRuns: { refreshIntervalMs: number; report: Report }[] = [];
    if (hasWork) {
      for (const m of measured) if (m.refreshIntervalMs >= derived.refreshIntervalMs) benefitRuns.push({ refreshIntervalMs: m.refreshIntervalMs, report: await none(m.refreshIntervalMs) });
    }
    return { ...decide(input, derivedOut, measured, evidence), shard, noneRuns: benefitRuns };
  }
  const chosen = decide(input, derivedOut, measured, evidence);
  if (chosen.recommended === undefined || !hasWork) return chosen;
  return decide(input, derivedOut, measured, evidence, await none(chosen.recommended.refreshIntervalMs));
}

/**
 * The recommendation from measured candidates: whether each meets the target
 * and the failover limit, and the one to recommend (also how `mco merge`
 * decides from merged tune shards). With importance sampling a candidate is
 * judged by the upper end of its weighted CI, and only without warnings.
 */
export function decide(
  input: Pick<TuneInput, 'target' | 'maxFailoverMs' | 'importance'>,
  derived: TuneResult['derived'],
  measured: readonly { refreshIntervalMs: number; report: Report }[],
  evidenceScenario: Record<string, unknown>,
  none?: Report,
): TuneResult {
  const candidates: TuneCandidate[] = measured.map(({ refreshIntervalMs, report }) => {
    const weighted = report.importance;
    const rate =
      weighted !== undefined
        ? (input.target.metric === 'violation-rate' ? weighted.violationRate : weighted.perAcquisitionViolationRate).high
        : input.target.metric === 'violation-rate'
          ? report.violationRate.value
          : report.perAcquisitionViolationRate.value;
    return {
      refreshIntervalMs,
      acquireIntervalMs: derived.acquireIntervalMs,
      report,
      meetsTarget: rate <= input.target.max && (weighted === undefined || weighted.warnings.length === 0),
      meetsFailover: input.maxFailoverMs === undefined || report.failoverMs === null || report.failoverMs.p99 <= input.maxFailoverMs,
    };
  });
  // Never below the derived lease: a sweep of a few dozen seeds cannot prove a rate like 0.001, the
  // bound can. The recommendation is the derived lease when the measurement confirms it, else the
  // next longer swept lease that meets the target (the environment's tails are worse than its
  // stated maxima); shorter leases are shown as evidence of where violations begin.
  // With importance sampling the measurement itself bounds small rates (the upper end of a CI),
  // so the shortest lease that meets the target is recommended, wherever the bound puts it.
  const floor = input.importance === undefined ? derived.refreshIntervalMs : 0;
  const recommended = candidates.find((c) => c.refreshIntervalMs >= floor && c.meetsTarget && c.meetsFailover);
  return { derived, candidates, recommended, benefit: recommended && none ? { none, owned: recommended.report } : undefined, evidenceScenario };
}
