/**
 * `mco replay`: one seed's run as a timeline, with the first violation
 * explained: the two owners, the read that judged the holder's record expired,
 * and what became of the holder's refresh (late, paused, failed, or stopped).
 */
import { SIM_EPOCH_MS } from './node-clock.js';
import type { ViolationInfo } from './oracle.js';
import type { EngineKind } from './engines.js';
import type { BeliefBar } from './report/plots.js';
import { runSeed, type RunResult, type TraceEntry } from './run.js';
import type { Scenario } from './scenario.js';

export interface ReplayOptions {
  /** Show lines from this true time (ms). */
  fromMs?: number;
  /** Show lines up to this true time (ms). */
  toMs?: number;
  /** The simulation engine (default `fast`); the timeline is the same with either. */
  engine?: EngineKind;
}

/** Why the first violation happened, as trace lines. */
export interface ViolationExplanation {
  violation: ViolationInfo;
  /** The thief's attempt that judged the record expired. */
  judgedExpired: TraceEntry | undefined;
  /** The read behind that judgement (the store applying the thief's get). */
  thiefRead: TraceEntry | undefined;
  /** The holder's last successful refresh (or acquisition) before the violation. */
  lastRefresh: TraceEntry | undefined;
  /** When the holder's next refresh was due (true ms, ignoring drift). */
  nextRefreshDueMs: number | undefined;
  /** What happened on the holder's node between its last refresh and the violation. */
  holderEvents: TraceEntry[];
  /** One-sentence summary. */
  summary: string;
}

export interface Replay {
  scenario: string;
  seed: number;
  result: RunResult;
  lines: TraceEntry[];
  explanation: ViolationExplanation | undefined;
}

/** A word as a POSIX shell reads it back: as is when it is plain, else single-quoted. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The command that replays `seed` of the scenario in `file` as `mco run` ran
 * it: the same file and the same `--set` edits, in order (the engine does not
 * change a run, so it is left out). Ready to paste into a shell.
 */
export function replayCommand(file: string, seed: number, sets: readonly string[] = []): string {
  return ['npx', 'mco', 'replay', file, '--seed', String(seed), ...sets.flatMap((s) => ['--set', s])].map(shellWord).join(' ');
}

/** Runs `scenario` with `seed`, recording the timeline. */
export async function replay(scenario: Scenario, seed: number, options: ReplayOptions = {}): Promise<Replay> {
  const result = await runSeed(scenario, seed, { trace: true, keepBeliefs: true, ...(options.engine === undefined ? {} : { engine: options.engine }) });
  const trace = result.trace!;
  const from = options.fromMs ?? -Infinity;
  const to = options.toMs ?? Infinity;
  return {
    scenario: scenario.name,
    seed,
    result,
    lines: trace.filter((e) => e.t >= from && e.t <= to),
    explanation: result.firstViolation && explain(scenario, trace, result.firstViolation),
  };
}

function explain(scenario: Scenario, trace: readonly TraceEntry[], v: ViolationInfo): ViolationExplanation {
  const before = trace.filter((e) => e.t <= v.at);
  const judgedExpired = findLast(before, (e) => e.owner === v.later.owner && e.message === 'Try to take ownership');
  const thiefRead =
    judgedExpired && findLast(before, (e) => e.node === v.later.node && e.t <= judgedExpired.t && e.text.startsWith('store get applied: ok'));
  const lastRefresh = findLast(before, (e) => e.owner === v.earlier.owner && (e.message === 'Refreshed ownership' || e.message === 'Got ownership'));
  const half = scenario.owner.refreshIntervalMs / 2;
  const nextRefreshDueMs = lastRefresh === undefined ? undefined : lastRefresh.t + half;
  // from the holder's acquisition attempt: a pause between its write and its reply counts too
  const holderAttempt = findLast(before, (e) => e.owner === v.earlier.owner && e.message === 'Try to take ownership');
  const since = holderAttempt?.t ?? lastRefresh?.t ?? v.earlier.start;
  const holderEvents = before.filter(
    (e) =>
      e.node === v.earlier.node &&
      e.t >= since &&
      e !== lastRefresh &&
      (e.text.startsWith('PAUSED') || e.text.includes('error-before-apply') || e.text.includes('lost-reply') || e.text.includes('[warn]') || e.text.includes('[info]') || e.owner === v.earlier.owner),
  );
  const paused = holderEvents.find((e) => e.text.startsWith('PAUSED'));
  const failed = holderEvents.find((e) => e.message === 'Failed to get ownership message to refresh');
  let why: string;
  if (failed) why = `the holder's refresh read failed at ${ms(failed.t)} and, as lakeFS does, it stopped refreshing without telling the holder`;
  else if (paused) why = `the holder was paused at ${ms(paused.t)} (${paused.text.toLowerCase()}) while acquiring or holding, so its record ran out before its next refresh (due at ${ms(nextRefreshDueMs ?? since)})`;
  else if (nextRefreshDueMs !== undefined && nextRefreshDueMs < v.at) why = `the holder's refresh due at ${ms(nextRefreshDueMs)} had not landed by ${ms(v.at)} (slow store or late timer)`;
  else why = `the thief's clock judged the record expired before the holder's next refresh was due (clock offset or jump)`;
  const expires = thiefRead?.fields?.readExpires;
  return {
    violation: v,
    judgedExpired,
    thiefRead,
    lastRefresh,
    nextRefreshDueMs,
    holderEvents,
    summary:
      `${v.later.owner} (node ${v.later.node}) took ${v.key} at ${ms(v.at)} while ${v.earlier.owner} (node ${v.earlier.node}, owner since ${ms(v.earlier.start)}) still believed it owned it: ` +
      `${why}.` +
      (judgedExpired ? ` The thief read the record at ${ms(judgedExpired.t)} and judged it expired by its own clock (now ${wallText(judgedExpired.wall)}${typeof expires === 'number' ? `, record expires ${wallText(expires)}` : ''}).` : ''),
  };
}

function findLast<T>(xs: readonly T[], pred: (x: T) => boolean): T | undefined {
  for (let i = xs.length - 1; i >= 0; i--) if (pred(xs[i]!)) return xs[i];
  return undefined;
}

const ms = (t: number): string => `${t.toFixed(3)} ms`;
const wallText = (wall: number | undefined): string => (wall === undefined ? '-' : `+${(wall - SIM_EPOCH_MS).toFixed(3)}`);

/**
 * Who believed it owned a key, and when two did at once, between `fromMs` and
 * `toMs` (true time): the oracle's own beliefs and overlaps (sim/oracle.ts),
 * clipped to the window, so the picture shows exactly what was judged.
 */
export function replayTimeline(r: Replay, fromMs = -Infinity, toMs = Infinity): { bars: BeliefBar[]; overlaps: { key: string; start: number; end: number }[] } {
  const { beliefs, overlaps } = r.result;
  if (beliefs === undefined || overlaps === undefined) throw new Error('INVARIANT: a replay keeps the oracle\'s beliefs (runSeed with keepBeliefs)');
  const shown = <T extends { start: number; end: number }>(x: T): boolean => x.end >= fromMs && x.start <= toMs;
  const clip = (x: { start: number; end: number }): { start: number; end: number } => ({ start: Math.max(x.start, fromMs), end: Math.min(x.end, toMs) });
  return {
    bars: beliefs
      .map((b) => ({ node: `n${b.node}`, owner: b.owner, key: b.key, start: b.start, end: b.end! }))
      .filter(shown)
      .map((b) => ({ ...b, ...clip(b) })),
    overlaps: overlaps.filter(shown).map((o) => ({ key: o.key, ...clip(o) })),
  };
}

/** The timeline as text: true time, node, the node's wall clock (ms after the sim epoch), event. */
export function replayText(r: Replay): string {
  const out: string[] = [];
  out.push(`replay ${r.scenario} seed ${r.seed}: ${r.result.acquisitions} acquisitions, ${r.result.violations} violations, trace ${r.result.traceHash}`);
  out.push(`${'true ms'.padStart(12)}  node  ${'node clock'.padStart(12)}  event`);
  const v = r.explanation?.violation;
  const marks = new Set([r.explanation?.judgedExpired, r.explanation?.thiefRead, r.explanation?.lastRefresh, ...(r.explanation?.holderEvents ?? [])].filter(Boolean));
  for (const e of r.lines) {
    const node = e.node < 0 ? '   -' : `n${e.node}`.padStart(4);
    let text = e.text;
    if (v && e.message === 'OWNS' && e.owner === v.later.owner) text += `   <<< VIOLATION: ${v.earlier.owner} still believes it owns ${v.key}`;
    else if (marks.has(e)) text += '   <<<';
    out.push(`${e.t.toFixed(3).padStart(12)}  ${node}  ${wallText(e.wall).padStart(12)}  ${text}`);
  }
  if (r.explanation) {
    out.push('', `first violation: ${r.explanation.summary}`);
  } else {
    out.push('', 'no violation in this run');
  }
  return out.join('\n');
}

/** The replay as JSON-able data. */
export function replayJson(r: Replay): unknown {
  return {
    schemaVersion: 1,
    scenario: r.scenario,
    seed: r.seed,
    traceHash: r.result.traceHash,
    acquisitions: r.result.acquisitions,
    violations: r.result.violations,
    firstViolation: r.explanation
      ? {
          ...r.explanation.violation,
          summary: r.explanation.summary,
          judgedExpiredAt: r.explanation.judgedExpired?.t ?? null,
          lastRefreshAt: r.explanation.lastRefresh?.t ?? null,
          nextRefreshDueAt: r.explanation.nextRefreshDueMs ?? null,
        }
      : null,
    events: r.lines.map((e) => ({ t: e.t, node: e.node, wall: e.wall ?? null, text: e.text })),
  };
}
