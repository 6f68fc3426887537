/**
 * The envelopes of the `lakefs` strategy, derived from its code (src/owner.ts,
 * src/ownership.ts, src/strategies/lakefs.ts) and the simulator's fault
 * models: when double ownership is impossible ({@link safetyMargin}), and how
 * long progress can take ({@link handoffBoundMs}, {@link failoverBoundMs},
 * {@link waitBoundMs}). docs/bound.md has the derivation, a worked example
 * and the measured boundary next to the derived one.
 *
 * Every bound is a worst case over everything the scenario allows, so only
 * bounded distributions (constant, uniform) can give a finite answer: an
 * exponential or lognormal latency, lateness or offset has no maximum, and a
 * Poisson pause process can chain overlapping pauses into an arbitrarily long
 * stall. Such scenarios get a margin of -Infinity (bounds of +Infinity): not
 * "unsafe", but "not provably safe".
 */
import { upperBound, type Distribution } from './dist.js';
import { stallsOf } from './faults/busy-loop.js';
import type { Scenario } from './scenario.js';
import { MIN_DELAY_MS } from './sim-store.js';

/**
 * Slack for floating point: wall clocks are ~1.7e12 ms, where a double
 * resolves ~0.25 µs, records round expiries to the nanosecond, and
 * {@link clockGap} probes vertices 1 ns apart.
 */
export const FLOAT_SLACK_MS = 0.001;

/** What one node's clock and scheduler can do over a run, as the bounds need it (exported for tests of {@link clockGap}). */
interface NodeEnvelope {
  offsetMin: number;
  offsetMax: number;
  /** Drift as a rate (ppm / 1e6). */
  rateErrMin: number;
  rateErrMax: number;
  jumps: readonly { at: number; by: number }[];
  /** Merged scheduled stalls [start, end) (pauses, and blocks where they queue), sorted; `undefined`: unbounded (Poisson pauses or blocks). */
  pauses: readonly (readonly [number, number])[] | undefined;
}

/** Per-term breakdown of {@link safetyMargin}, for docs, tests and error messages. */
export interface SafetyAnalysis {
  /** `refreshInterval − window − skew − FLOAT_SLACK_MS`; positive = no double ownership possible. */
  marginMs: number;
  refreshIntervalMs: number;
  /** Largest request (client → store) and response (store → client) delay. */
  requestDelayMaxMs: number;
  responseDelayMaxMs: number;
  timerLatenessMaxMs: number;
  /** Worst holder: c₀ → next write applied, `T' + L + 3·Dq + 2·Dp + stall` (refresh keeps the record alive). */
  refreshGapMs: number;
  /** Worst holder: c₀ → `release()` called, `Dq + Dp + hold + L + stall` (the first record alone covers the belief). */
  holdCoverMs: number;
  /** The window a steal must fit in: min(refreshGap, holdCover), or holdCover alone with store faults. */
  windowMs: number;
  /** Largest `wall_reader(y) − wall_holder(c)` − `(y − c)` over `0 ≤ y − c ≤ window`, any two nodes. */
  skewMs: number;
  /** Whether store errors or lost replies can stop or skip refreshes (then refresh is not relied on). */
  storeFaults: boolean;
  /** Why the margin is -Infinity, when it is. */
  unbounded: string[];
}

/**
 * Safety margin (ms) of `scenario` under the `lakefs` strategy: positive means
 * the scenario cannot produce double ownership, whatever the seed.
 *
 * A waiter B takes a record that holder A still relies on only if, at the
 * wall-clock reading y that follows B's `get`, `expires < wall_B(y)`, where
 * `expires = wall_A(c) + refreshInterval` was computed from A's clock at the
 * instant c right after A's own `get` reply, and B's SetIf lands before A's
 * next write (or before A calls `release()`). So it suffices that
 * `(y − c) + skew ≤ refreshInterval` for every such pair, i.e.
 *
 *   margin = refreshInterval − W − S(W) − ε
 *   W = min(T' + L + 3·Dq + 2·Dp + stall,  Dq + Dp + hold_max' + L + stall)
 *       (the second term alone when errorRate or lostReplyRate > 0)
 *
 * where T' = (refreshInterval / 2) / (1 + drift_min) is the tick period in true
 * time, L the largest timer lateness, Dq/Dp the largest request/response delay,
 * stall the longest merged-pause time that can fall inside the window,
 * hold_max' the longest hold in true time, and S(W) the largest difference
 * `e_B(y) − e_A(c)` of clock errors (offset + drift·t + jumps) of two distinct
 * nodes with `0 ≤ y − c ≤ W`. The first term of W is the gap between the clock
 * reading behind one record and the landing of the next refresh write: own's
 * SetIf round trip (the first tick is due refreshInterval/2 after own()
 * *resolves*), the tick period and its lateness, the refresh get round trip
 * and the refresh SetIf's request. Later gaps are never longer (a late tick
 * does not shift the Go ticker grid; missed ticks collapse). With store errors
 * a single failed refresh read stops refreshing for good, and failed refresh
 * SetIfs can repeat, so only the first record protects the holder: the
 * margin is then positive only for holds shorter than about a lease.
 *
 * `acquireInterval` does not appear: under `lakefs` the jittered
 * acquireInterval sleep is unreachable, and waiting policy never changes a
 * judgment anyway. Crashes do not appear: a crash ends the holder's belief.
 *
 * -Infinity when a needed maximum does not exist (exponential or lognormal
 * latency, lateness or clock offset; Poisson pauses; an unbounded hold with
 * store faults). +Infinity with a single node.
 */
export function safetyMargin(scenario: Scenario): number {
  return safetyAnalysis(scenario).marginMs;
}

/** The lease and the largest store delays and timer lateness (unbounded ones noted in `unbounded`). */
function delayMaxima(scenario: Scenario, unbounded: string[]): { ri: number; dq: number; dp: number; lateness: number } {
  const f = scenario.faults;
  return {
    ri: scenario.owner.refreshIntervalMs,
    dq: bounded(f.store.requestLatency, 'faults.store.requestLatency', unbounded, MIN_DELAY_MS),
    dp: bounded(f.store.responseLatency, 'faults.store.responseLatency', unbounded, MIN_DELAY_MS),
    lateness: bounded(f.timerLateness, 'faults.timerLateness', unbounded),
  };
}

/** {@link safetyMargin} with every term of the derivation. */
export function safetyAnalysis(scenario: Scenario): SafetyAnalysis {
  const unbounded: string[] = [];
  const f = scenario.faults;
  const { ri, dq, dp, lateness } = delayMaxima(scenario, unbounded);
  const holdMax = upperBound(scenario.workload.hold);
  const storeFaults = f.store.errorRate > 0 || f.store.lostReplyRate > 0;
  if (storeFaults && holdMax === Infinity) unbounded.push('workload.hold has no maximum and store faults can stop refreshing');
  const nodes = nodeEnvelopes(scenario, unbounded);
  const base: SafetyAnalysis = {
    marginMs: Infinity,
    refreshIntervalMs: ri,
    requestDelayMaxMs: dq,
    responseDelayMaxMs: dp,
    timerLatenessMaxMs: lateness,
    refreshGapMs: 0,
    holdCoverMs: 0,
    windowMs: 0,
    skewMs: 0,
    storeFaults,
    unbounded,
  };
  if (nodes.length < 2) return base; // one node never holds twice at once
  let worst: SafetyAnalysis | undefined;
  for (let a = 0; a < nodes.length; a++) {
    const holder = nodes[a]!;
    const tick = trueTime(ri / 2, holder.rateErrMin);
    const refreshGapMs = withStall(tick + lateness + 3 * dq + 2 * dp, holder);
    const holdCoverMs = withStall(dq + dp + trueTime(holdMax, holder.rateErrMin) + lateness, holder);
    const windowMs = storeFaults ? holdCoverMs : Math.min(refreshGapMs, holdCoverMs);
    let skewMs = -Infinity;
    for (let b = 0; b < nodes.length; b++) if (b !== a) skewMs = Math.max(skewMs, clockGap(nodes[b]!, holder, windowMs, scenario.durationMs));
    const marginMs = ri - windowMs - skewMs - FLOAT_SLACK_MS;
    const here = { ...base, refreshGapMs, holdCoverMs, windowMs, skewMs, marginMs: Number.isNaN(marginMs) ? -Infinity : marginMs };
    if (worst === undefined || here.marginMs < worst.marginMs) worst = here;
  }
  if (unbounded.length > 0) return { ...worst!, marginMs: -Infinity };
  return worst!;
}

/** Per-term breakdown of the liveness bounds. */
export interface ProgressAnalysis {
  /** After the holder calls `release()` with someone waiting: the next belief starts within this. */
  handoffMs: number;
  /** After a holder crashes with someone alive and waiting: the next belief starts within this. */
  failoverMs: number;
  /** Why the bounds are +Infinity, when they are. */
  unbounded: string[];
}

/**
 * Upper bound (ms) on handoff: from a `release()` call made while some `own()`
 * on the key is pending to the start of the next belief on that key. Needs a
 * positive {@link safetyMargin}, no store faults and no crashes; +Infinity
 * otherwise. See {@link progressAnalysis}.
 */
export function handoffBoundMs(scenario: Scenario): number {
  return progressAnalysis(scenario).handoffMs;
}

/**
 * Upper bound (ms) on failover: from the crash of a holder to the start of the
 * next belief on its key, provided some node is alive and waiting on the key
 * throughout and no other crash happens within the bound. Needs a positive
 * {@link safetyMargin} and no store faults; +Infinity otherwise.
 */
export function failoverBoundMs(scenario: Scenario): number {
  return progressAnalysis(scenario).failoverMs;
}

/**
 * The liveness bounds. Let τ be the instant after which the last holder A
 * writes nothing more (release: its get round trip, its SetIf, and at most
 * one refresh extension racing it, `3·Dq + 2·Dp` after the call; crash: its
 * last in-flight SetIf, `Dq`), and c the clock reading behind A's last
 * record. Every waiter then wakes by
 *   max(τ + Dq + 2·Dp + k·RI            (it lost a SetIf race to A: sleeps a whole lease),
 *       c + k·(RI + S_all) + slack)     (it sleeps until A's last expiry, read on A's clock)
 * plus L, reads, and either takes the key or loses to another acquirer whose
 * belief starts at once: two more round trips. k = 1 / (1 + drift_min) turns
 * monotonic sleeps into true time, S_all is the whole-run clock-error spread of
 * any two nodes, and backward jumps of a waiter's clock extend its sleep.
 * Stalls (merged scheduled pauses) of the holder and of two other nodes are
 * added with the same window rule as the safety margin.
 *
 * There is no bound on how long one particular `own()` waits: under
 * `lakefs` a waiter sleeps until the expiry it read while other nodes may
 * take the key in between, again and again ({@link waitBoundMs} gives a bound
 * only when think times are long enough to rule that out).
 */
export function progressAnalysis(scenario: Scenario): ProgressAnalysis {
  const unbounded: string[] = [];
  const f = scenario.faults;
  const { ri, dq, dp, lateness } = delayMaxima(scenario, unbounded);
  if (f.store.errorRate > 0 || f.store.lostReplyRate > 0) unbounded.push('store faults: an acquirer may fail after its write landed');
  const margin = safetyMargin(scenario);
  if (!(margin > 0)) unbounded.push(`safety margin ${margin} ms is not positive`);
  const nodes = nodeEnvelopes(scenario, unbounded);
  if (unbounded.length > 0) return { handoffMs: Infinity, failoverMs: Infinity, unbounded };

  const rateMin = Math.min(0, ...nodes.map((n) => n.rateErrMin));
  const rateAbsMax = Math.max(0, ...nodes.map((n) => Math.max(Math.abs(n.rateErrMin), Math.abs(n.rateErrMax))));
  const k = trueTime(1, rateMin);
  const spread = wholeRunSpread(nodes, scenario.durationMs);
  const backJumps = Math.max(0, ...nodes.map((n) => n.jumps.reduce((s, j) => s + Math.max(0, -j.by), 0)));
  const driftSlack = (ri + spread) * rateAbsMax * k;
  const roundTrip = dq + dp;
  const wake = (lastWriteAfter: number, lastClockReadAfter: number): number =>
    Math.max(lastWriteAfter + dq + 2 * dp + k * ri, lastClockReadAfter + k * (ri + spread) + driftSlack) + lateness;
  const crashes = f.crashes.rate > 0 || scenario.nodes.some((n) => n.crashes.length > 0);
  const bound = (holderChain: number, lastClockRead: number): number => {
    const base = wake(holderChain, lastClockRead) + 2 * roundTrip + backJumps;
    // the holder's release chain, the waiter's chain and the winning acquirer's reply can each be stalled
    // stallWithin is a step function of the window with at most (number of pauses) steps: this converges
    const steps = nodes.reduce((sum, n) => sum + (n.pauses?.length ?? 0), 0) + 1;
    let total = base;
    for (let i = 0; i <= steps; i++) {
      const stalls = 3 * Math.max(0, ...nodes.map((n) => stallWithin(n, total)));
      const next = base + stalls;
      if (next === total) break;
      total = next;
    }
    return total;
  };
  return {
    handoffMs: crashes ? Infinity : bound(3 * dq + 2 * dp, 2 * dq + 2 * dp),
    failoverMs: bound(dq, 0),
    unbounded: crashes ? ['crashes (handoff only)'] : [],
  };
}

/**
 * Upper bound (ms) on how long any one `own()` waits, counting calls still
 * pending at the end of the run, when no node can come back for the key before
 * the others were served: with N nodes, a belief lasting at most `hold'` and a
 * handoff bound H, a waiter that waited `hold' + N·(hold' + H)` would have
 * seen N beliefs of the N − 1 other nodes, so one of them owned twice, which
 * its think time rules out when `think_min' > hold' + N·(hold' + H)`.
 * +Infinity when that does not hold (lakefs can then starve a waiter), or when
 * {@link handoffBoundMs} is infinite.
 */
export function waitBoundMs(scenario: Scenario): number {
  const h = handoffBoundMs(scenario);
  if (h === Infinity) return Infinity;
  const unbounded: string[] = [];
  const nodes = nodeEnvelopes(scenario, unbounded);
  const lateness = bounded(scenario.faults.timerLateness, 'faults.timerLateness', unbounded);
  const holdMax = upperBound(scenario.workload.hold);
  if (unbounded.length > 0 || holdMax === Infinity) return Infinity;
  const rateMin = Math.min(0, ...nodes.map((n) => n.rateErrMin));
  const rateMax = Math.max(0, ...nodes.map((n) => n.rateErrMax));
  const holdTrue = trueTime(holdMax, rateMin) + lateness;
  const hold = Math.max(holdTrue, ...nodes.map((n) => withStall(holdTrue, n)));
  const bound = hold + scenario.nodes.length * (hold + h);
  const thinkMin = lowerBound(scenario.workload.think) / (1 + rateMax);
  return thinkMin > bound ? bound : Infinity;
}

// ---------------------------------------------------------------- helpers

/** Largest value of `d` (at least `floor`), recording a reason when there is none. */
function bounded(d: Distribution, field: string, unbounded: string[], floor = 0): number {
  const max = upperBound(d);
  if (max === Infinity) unbounded.push(`${field} (${d.dist}) has no maximum`);
  return Math.max(floor, max);
}

/** Smallest value `d` can produce. */
export function lowerBound(d: Distribution): number {
  switch (d.dist) {
    case 'constant':
      return d.value;
    case 'uniform':
      return d.min;
    case 'exponential':
    case 'lognormal':
      return 0;
  }
}

/** True time taken by `ms` of a clock running at rate 1 + rateErr (Infinity if it does not run). */
function trueTime(ms: number, rateErr: number): number {
  if (ms === 0) return 0;
  return 1 + rateErr > 0 ? ms / (1 + rateErr) : Infinity;
}

function nodeEnvelopes(scenario: Scenario, unbounded: string[]): NodeEnvelope[] {
  const f = scenario.faults;
  const poisson = f.pauses.rate > 0 && upperBound(f.pauses.duration) > 0;
  if (poisson) unbounded.push('faults.pauses.rate > 0: Poisson pauses can overlap into an unbounded stall');
  const busy = f.busyLoop.rate > 0 && upperBound(f.busyLoop.duration) > 0;
  if (busy) unbounded.push('faults.busyLoop.rate > 0: Poisson blocks of the event loop can queue into an unbounded stall');
  return scenario.nodes.map((spec, i) => {
    const [offsetMin, offsetMax] = spec.offset !== undefined ? [spec.offset, spec.offset] : range(f.clock.offset, `faults.clock.offset`, unbounded);
    const [driftMin, driftMax] = spec.driftPpm !== undefined ? [spec.driftPpm, spec.driftPpm] : range(f.clock.driftPpm, 'faults.clock.driftPpm', unbounded);
    const jumps = [...spec.jumps, ...f.clock.jumps.filter((j) => j.node === i)].sort((x, y) => x.at - y.at);
    return {
      offsetMin,
      offsetMax,
      rateErrMin: driftMin / 1e6,
      rateErrMax: driftMax / 1e6,
      jumps,
      pauses: poisson || busy ? undefined : mergePauses(stallsOf(spec.pauses, spec.busy)),
    };
  });
}

function range(d: Distribution, field: string, unbounded: string[]): [number, number] {
  const max = upperBound(d);
  if (max === Infinity) unbounded.push(`${field} (${d.dist}) has no maximum`);
  return [lowerBound(d), max];
}

/** Overlapping pauses merge into one stall (the node resumes at the latest end). */
export function mergePauses(pauses: readonly { at: number; for: number }[]): [number, number][] {
  const sorted = pauses.filter((p) => p.for > 0).map((p): [number, number] => [p.at, p.at + p.for]).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const p of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && p[0] <= last[1]) last[1] = Math.max(last[1], p[1]);
    else out.push([p[0], p[1]]);
  }
  return out;
}

/**
 * Longest total stall a chain of events of this node can suffer within a
 * window of `windowMs`: the node runs at the start of the chain, so only
 * pauses starting inside the window delay it, each by at most its length.
 */
function stallWithin(n: NodeEnvelope, windowMs: number): number {
  if (n.pauses === undefined) return Infinity;
  let best = 0;
  for (let i = 0; i < n.pauses.length; i++) {
    const from = n.pauses[i]![0];
    let sum = 0;
    for (let j = i; j < n.pauses.length && n.pauses[j]![0] < from + windowMs; j++) sum += n.pauses[j]![1] - n.pauses[j]![0];
    best = Math.max(best, sum);
  }
  return best;
}

/** `base` plus the stalls that can fall inside the (stalled) window itself. */
function withStall(base: number, n: NodeEnvelope): number {
  let w = base;
  for (let i = 0; i <= (n.pauses?.length ?? 0) + 1; i++) {
    const next = base + stallWithin(n, w);
    if (next === w || next === Infinity) return next;
    w = next;
  }
  return w;
}

/** Sum of the jumps at or before t (`inclusive`), or strictly before it. */
function jumped(n: NodeEnvelope, t: number, inclusive: boolean): number {
  let s = 0;
  for (const j of n.jumps) if (inclusive ? j.at <= t : j.at < t) s += j.by;
  return s;
}

/** Largest clock error (wall − true − epoch) node `n` can show at true time t. */
function errHigh(n: NodeEnvelope, t: number): number {
  return n.offsetMax + t * n.rateErrMax + jumped(n, t, true);
}

/** Smallest clock error node `n` can show at true time t. */
function errLow(n: NodeEnvelope, t: number): number {
  return n.offsetMin + t * n.rateErrMin + jumped(n, t, true);
}

/** Probe distance around a vertex, to see both sides of a jump. */
const VERTEX_PROBE_MS = 1e-6;

/**
 * max over 0 ≤ c ≤ y ≤ min(c + window, duration) of errHigh(reader, y) − errLow(writer, c).
 * Both sides are linear between jumps, so the supremum is at (or next to) a
 * vertex: c at 0, the duration, duration − window, a writer jump, a reader
 * jump or a reader jump − window; y at c, c + window or a reader jump. Each is
 * probed just before, at and just after; what the probe distance can miss
 * (slopes ≤ 1, so ≤ 2 ns) is inside {@link FLOAT_SLACK_MS}.
 * test/sim/bound.test.ts checks this against brute force.
 */
export function clockGap(reader: NodeEnvelope, writer: NodeEnvelope, windowMs: number, durationMs: number): number {
  if (!Number.isFinite(windowMs)) return Infinity;
  const d = VERTEX_PROBE_MS;
  const clip = (t: number): number => Math.min(durationMs, Math.max(0, t));
  const vertices = [0, durationMs, durationMs - windowMs, ...writer.jumps.map((j) => j.at), ...reader.jumps.flatMap((j) => [j.at, j.at - windowMs])];
  const cs = new Set<number>();
  for (const v of vertices) for (const c of [v - d, v, v + d]) cs.add(clip(c));
  let best = -Infinity;
  for (const c of cs) {
    const yMax = Math.min(c + windowMs, durationMs);
    const ys = [c, yMax, ...reader.jumps.flatMap((j) => [j.at - d, j.at])].filter((y) => y >= c && y <= yMax);
    const low = errLow(writer, c);
    for (const y of ys) best = Math.max(best, errHigh(reader, y) - low);
  }
  return best;
}

/** Largest errHigh(i, t) − errLow(j, t') over any two times of the run, any two distinct nodes. */
function wholeRunSpread(nodes: readonly NodeEnvelope[], durationMs: number): number {
  const times = (n: NodeEnvelope): number[] =>
    [0, durationMs, ...n.jumps.flatMap((j) => [j.at - VERTEX_PROBE_MS, j.at])].filter((t) => t >= 0 && t <= durationMs);
  const high = nodes.map((n) => Math.max(...times(n).map((t) => errHigh(n, t))));
  const low = nodes.map((n) => Math.min(...times(n).map((t) => errLow(n, t))));
  let best = 0;
  for (let i = 0; i < nodes.length; i++) for (let j = 0; j < nodes.length; j++) if (i !== j) best = Math.max(best, high[i]! - low[j]!);
  return best;
}

export type { NodeEnvelope };
