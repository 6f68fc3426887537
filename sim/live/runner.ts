/**
 * Many live runs of one scenario → one report with `mode: "live"`: the same
 * schema as `mco run`'s (built by the same ReportBuilder from the same
 * per-run records, in seed order), plus the host and the measured noise.
 * `parallel` runs go at once, each with its own processes, proxy and key
 * prefix on the one store server.
 */
import { availableParallelism, cpus, loadavg, release } from 'node:os';
import { ReportBuilder, reportHeader, type Report, type SeedRecord } from '../report/report.js';
import type { Progress } from '../runner.js';
import type { Scenario } from '../scenario.js';
import { summarize, type LatencySummary } from '../stats.js';
import type { ChildSet } from './processes.js';
import { runLive, type LiveRunResult, type NodeCommand, type RunNoise } from './run.js';
import type { LiveServer } from './servers.js';

/** The host a live report was measured on. */
export interface HostInfo {
  cores: number;
  cpu: string;
  /** 1-minute load average when the scenario started and when it ended. */
  load: { start: number; end: number };
  kernel: string;
  node: string;
  store: string;
}

/** How real the faults were: what the host added, as measured during the runs. */
export interface NoiseSummary {
  /** Lateness of an idle probe process's 10 ms timers (ms). */
  probeTimerLatenessMs: LatencySummary | null;
  /** How late node processes began their workload after their instant (ms). */
  startLateMs: LatencySummary | null;
  /** Pauses: count; SIGSTOP→SIGCONT as sent minus planned; gap the paused process saw minus planned (ms; the gap is the stop plus 0–10 ms, its ticker's period). */
  pauses: { count: number; sentMinusPlannedMs: LatencySummary | null; seenMinusPlannedMs: LatencySummary | null };
  /** Busy-loop blocks: count; how late each began after its planned start (the loop was busy or stopped: the simulator's queueing, plus the host's timer lateness); spun minus planned length (ms). */
  busy: { count: number; startLateMs: LatencySummary | null; spunMinusPlannedMs: LatencySummary | null };
  /**
   * Proxy: chunks forwarded; delay added minus delay asked (ms); requests
   * (client chunks) seen, and connections cut before forwarding one (error
   * before apply) or before forwarding its reply (lost reply).
   */
  proxy: { chunks: number; addedMinusAskedMs: LatencySummary | null; requests: number; cutBeforeApply: number; cutReply: number };
}

/** A live report: `mco run`'s schema plus what makes it live. */
export type LiveReport = Report & { mode: 'live'; host: HostInfo; noise: NoiseSummary };

export interface LiveScenarioOptions {
  runs: number;
  seedStart: number;
  parallel: number;
  server: LiveServer;
  children: ChildSet;
  node?: NodeCommand;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/** Runs `scenario` live `runs` times; returns the report and the per-run records (seed order). */
export async function runLiveScenario(scenario: Scenario, o: LiveScenarioOptions): Promise<{ report: LiveReport; records: SeedRecord[] }> {
  const t0 = performance.now();
  const loadStart = loadavg()[0]!;
  const results = new Map<number, LiveRunResult>();
  let next = o.seedStart;
  const end = o.seedStart + o.runs;
  let done = 0;
  let violations = 0;
  let runsWithViolation = 0;
  const worker = async (): Promise<void> => {
    while (next < end && !o.signal?.aborted) {
      const seed = next++;
      const r = await runLive(scenario, { seed, server: o.server, children: o.children, ...(o.node ? { node: o.node } : {}), ...(o.signal ? { signal: o.signal } : {}) });
      results.set(seed, r);
      done++;
      violations += r.record.violations;
      if (r.record.violations > 0) runsWithViolation++;
      o.onProgress?.({ done, total: o.runs, violations, runsWithViolation });
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(o.parallel, o.runs)) }, () => worker());
  const settled = await Promise.allSettled(workers);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined && !o.signal?.aborted) throw failed.reason;
  // the finished prefix of seeds, in order (an interrupted run reports what finished before the first gap)
  const builder = new ReportBuilder(reportHeader(scenario), o.seedStart);
  const records: SeedRecord[] = [];
  const noises: RunNoise[] = [];
  for (let seed = o.seedStart; results.has(seed); seed++) {
    const r = results.get(seed)!;
    builder.add(r.record);
    records.push(r.record);
    noises.push(r.noise);
  }
  const report = builder.build(performance.now() - t0);
  if (records.length < o.runs) report.partial = true;
  return {
    report: {
      ...report,
      traceHash: 'live',
      mode: 'live',
      host: { cores: availableParallelism(), cpu: cpus()[0]?.model ?? '?', load: { start: loadStart, end: loadavg()[0]! }, kernel: release(), node: process.version, store: o.server.version },
      noise: summarizeNoise(noises),
    },
    records,
  };
}

/** The noise of many runs in one summary. */
export function summarizeNoise(noises: readonly RunNoise[]): NoiseSummary {
  const flat = <T>(f: (n: RunNoise) => readonly T[]): T[] => noises.flatMap((n) => [...f(n)]);
  const pauses = flat((n) => n.pauses);
  const busy = flat((n) => n.busy);
  const asked = flat((n) => n.proxyAskedMs);
  const added = flat((n) => n.proxyAddedMs);
  return {
    probeTimerLatenessMs: summarize(flat((n) => n.probeLatenessMs)),
    startLateMs: summarize(flat((n) => n.startLateMs)),
    pauses: {
      count: pauses.length,
      sentMinusPlannedMs: summarize(pauses.map((p) => p.sentMs - p.plannedMs)),
      seenMinusPlannedMs: summarize(pauses.filter((p) => p.seenMs !== undefined).map((p) => p.seenMs! - p.plannedMs)),
    },
    busy: {
      count: busy.length,
      startLateMs: summarize(busy.map((b) => b.lateMs)),
      spunMinusPlannedMs: summarize(busy.map((b) => b.spunMs - b.plannedMs)),
    },
    proxy: {
      chunks: added.length,
      addedMinusAskedMs: summarize(added.map((a, i) => a - asked[i]!)),
      requests: noises.reduce((n, x) => n + x.proxyCuts.requests, 0),
      cutBeforeApply: noises.reduce((n, x) => n + x.proxyCuts.errorBeforeApply, 0),
      cutReply: noises.reduce((n, x) => n + x.proxyCuts.lostReply, 0),
    },
  };
}
