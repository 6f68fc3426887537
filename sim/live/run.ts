/**
 * One live run: the scenario's nodes as real processes on a real store, the
 * scenario's faults injected with real mechanisms, judged by the simulator's
 * own oracle. The faults of run `seed` are drawn exactly as the simulator
 * draws them for seed `seed` (same streams: clocks, pauses, crashes), and each
 * node draws its workload from the simulated node's stream; what differs is
 * everything real: scheduling, the store's and the network's timing, the
 * processes' start-up.
 *
 * Time: the coordinator takes a base instant on the host's monotonic clock,
 * starts the processes, waits until each has connected to the store, and
 * then fixes the run's time 0 and sends it to them (each waits for it). Every
 * event is stamped by the process where it happens on the same monotonic
 * clock, and the oracle is fed the events in stamp order, as the simulator
 * feeds it in virtual-time order.
 *
 * Fault mechanisms (each file says its limits): pauses SIGSTOP/SIGCONT of the
 * node's process group, crashes SIGKILL and a fresh process after
 * `restartAfter` (started ahead, waiting for its instant), clocks
 * libfaketime (faketime.ts), store latency a delaying proxy (proxy.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isZero, sample } from '../dist.js';
import { planBlocks, type Block } from '../faults/busy-loop.js';
import { planCrashes, type Crash } from '../faults/crashes.js';
import { planPauses, type Pause } from '../faults/pauses.js';
import { Oracle, type Belief } from '../oracle.js';
import { stream } from '../prng.js';
import type { SeedRecord } from '../report/report.js';
import type { Scenario } from '../scenario.js';
import { newOperationStats } from '../workload.js';
import { clockSpec, faketimeEnv, isFaulty, jumpTotals, type ClockFault } from './faketime.js';
import { killGroup, exited, type ChildSet } from './processes.js';
import { CONFIG_ENV, msOf, parseEvent, type Go, type NodeConfig, type NodeEvent } from './protocol.js';
import { DelayProxy, fateOf } from './proxy.js';
import type { LiveServer } from './servers.js';

/** How the node processes are started: compiled JavaScript, or TypeScript through tsx. */
export interface NodeCommand {
  command: string;
  args: string[];
}

/** The node entry beside this module: node.js under dist/, node.ts (through tsx) from source. */
export function defaultNodeCommand(): NodeCommand {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return { command: process.execPath, args: ['--import', 'tsx', new URL('./node.ts', here).pathname] };
  return { command: process.execPath, args: [new URL('./node.js', here).pathname] };
}

/** What the host did to the faults of one run, measured. */
export interface RunNoise {
  /** How late each node process started its workload after its instant (ms). */
  startLateMs: number[];
  /** Pauses: planned length, length between SIGSTOP and SIGCONT as sent, and the gap the node saw (ms). */
  pauses: { node: number; incarnation: number; plannedMs: number; sentMs: number; seenMs: number | undefined }[];
  /** Busy-loop blocks the nodes ran: how late each began after its planned start, its planned and its spun length (ms). */
  busy: { node: number; lateMs: number; plannedMs: number; spunMs: number }[];
  /** Proxy: delay asked and delay added per chunk (ms). */
  proxyAskedMs: number[];
  proxyAddedMs: number[];
  /** Proxy: requests it saw, and connections it cut before a request (error before apply) or before its reply (lost reply). */
  proxyCuts: { requests: number; errorBeforeApply: number; lostReply: number };
  /** Idle probe: lateness of its 10 ms timers (ms). */
  probeLatenessMs: number[];
  /** Clock fault of each node (drawn as the simulator draws it). */
  clocks: ClockFault[];
}

/** One live run's outcome: what a simulated seed gives, plus the noise. */
export interface LiveRunResult {
  record: SeedRecord;
  noise: RunNoise;
}

export interface LiveRunOptions {
  seed: number;
  server: LiveServer;
  children: ChildSet;
  node?: NodeCommand;
  /** Aborting ends the run at once (its processes killed); it then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Longest wait for the processes to connect (ms). Default 60 s. */
  readyTimeoutMs?: number;
}

/** A node process failed in a way that invalidates the run (not a fault the scenario injected). */
export class LiveRunError extends Error {
  override readonly name = 'LiveRunError';
}

interface Incarnation {
  node: number;
  incarnation: number;
  child: ChildProcess;
  events: NodeEvent[];
  stderr: string;
  /** ms after the base when it was spawned (libfaketime counts drift from then). */
  spawnedMs: number;
  ready: Promise<void>;
  /** True time (ms) of the SIGKILL that crashed it, if one did. */
  crashedAt: number | undefined;
  specFile: string | undefined;
}

/** ms between the processes' readiness and time 0 (the go line travels, the node sets its timer). */
const GO_MARGIN_MS = 30;

/** Runs `scenario` once, live (see the module comment). */
export async function runLive(scenario: Scenario, options: LiveRunOptions): Promise<LiveRunResult> {
  const { seed, server, children } = options;
  const nodeCommand = options.node ?? defaultNodeCommand();
  const f = scenario.faults;
  const base = process.hrtime.bigint();
  const sinceBase = (): number => Number(process.hrtime.bigint() - base) / 1e6;
  let zeroMs = Infinity; // time 0, ms after the base; known once every process is ready
  const nowMs = (): number => sinceBase() - zeroMs; // true time
  const durationMs = scenario.durationMs;
  const dir = mkdtempSync(join(tmpdir(), 'mco-live-run-'));
  const prefix = `live-${process.pid}-${seed}-${base.toString(36)}`;
  const timers = new Set<NodeJS.Timeout>();
  const at = (tMs: number, fn: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, Math.max(0, tMs - nowMs()));
    timers.add(timer);
  };

  let proxy: DelayProxy | undefined;
  const net = f.store;
  if (!isZero(net.requestLatency) || !isZero(net.responseLatency) || net.errorRate > 0 || net.lostReplyRate > 0) {
    const rng = stream(seed, 'live:proxy');
    const cutRng = stream(seed, 'live:proxy:cuts');
    proxy = await DelayProxy.start(
      { host: server.host, port: server.port },
      {
        requestDelayMs: () => sample(net.requestLatency, rng),
        responseDelayMs: () => sample(net.responseLatency, rng),
        requestFate: fateOf(net.errorRate, net.lostReplyRate, () => cutRng.next()),
      },
    );
  }
  const storeUrl = proxy === undefined ? server.url : withPort(server.url, proxy.port);

  // the faults, drawn as sim/run.ts draws them
  const clockRng = stream(seed, 'clock');
  const clocks: ClockFault[] = [];
  const pausesOf: Pause[][] = [];
  const busyOf: Block[][] = [];
  const crashesOf: Crash[][] = [];
  scenario.nodes.forEach((spec, i) => {
    const offsetMs = spec.offset ?? sample(f.clock.offset, clockRng);
    const driftPpm = spec.driftPpm ?? sample(f.clock.driftPpm, clockRng);
    clocks.push({ offsetMs, driftPpm, jumps: [...spec.jumps, ...f.clock.jumps.filter((j) => j.node === i)] });
    pausesOf.push(planPauses(spec.pauses, f.pauses.rate, f.pauses.duration, durationMs, stream(seed, `node:${i}:pauses`)));
    busyOf.push(planBlocks(spec.busy, f.busyLoop.rate, f.busyLoop.duration, durationMs, stream(seed, `node:${i}:busy`)));
    crashesOf.push(planCrashes(spec.crashes, f.crashes.rate, f.crashes.restartAfterMs, durationMs, stream(seed, `node:${i}:crashes`)));
  });

  const incarnations: Incarnation[] = [];
  const current: (Incarnation | undefined)[] = scenario.nodes.map(() => undefined);
  const crashes: { node: number; at: number }[] = [];
  const noise: RunNoise = { startLateMs: [], pauses: [], busy: [], proxyAskedMs: [], proxyAddedMs: [], proxyCuts: { requests: 0, errorBeforeApply: 0, lostReply: 0 }, probeLatenessMs: [], clocks };
  let failure: Error | undefined;
  let finishing = false;

  const config = (node: number, incarnation: number, role: NodeConfig['role'] = 'node'): NodeConfig => ({
    role,
    node,
    incarnation,
    baseNs: base.toString(),
    durationMs: durationMs - 20,
    seed,
    store: { kind: server.kind, url: storeUrl },
    prefix,
    strategy: scenario.owner.strategy,
    acquireIntervalMs: scenario.owner.acquireIntervalMs,
    refreshIntervalMs: scenario.owner.refreshIntervalMs,
    keys: scenario.keys,
    think: scenario.workload.think,
    hold: scenario.workload.hold,
    busy: role === 'node' ? (busyOf[node] ?? []).filter((b) => b.at < durationMs) : [],
  });

  const spawnOne = (c: NodeConfig): Incarnation => {
    const clock = clocks[c.node];
    const env: Record<string, string> = { ...stringEnv(), [CONFIG_ENV]: JSON.stringify(c) };
    const specFile = c.role === 'node' && clock !== undefined && isFaulty(clock) ? join(dir, `clock-${c.node}-${c.incarnation}`) : undefined;
    if (specFile !== undefined) Object.assign(env, faketimeEnv(specFile));
    const spawnedMs = sinceBase();
    const child = children.spawn(nodeCommand.command, nodeCommand.args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin!.on('error', () => {}); // a killed node's pipe
    let markReady = (): void => {};
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    const inc: Incarnation = { node: c.node, incarnation: c.incarnation, child, events: [], stderr: '', spawnedMs, ready, crashedAt: undefined, specFile };
    let buffered = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const e = parseEvent(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        if (e === undefined) continue;
        inc.events.push(e);
        if (e.e === 'ready') markReady();
      }
    });
    child.stderr!.on('data', (d: Buffer) => {
      if (inc.stderr.length < 4000) inc.stderr += d.toString();
    });
    child.once('exit', (code, signal) => {
      if (finishing || inc.crashedAt !== undefined || (c.role === 'probe' && code === 0)) return;
      failure ??= new LiveRunError(`${c.role} ${c.node} (incarnation ${c.incarnation}) of run ${seed} exited on its own (${signal ?? `code ${code}`}): ${inc.stderr.trim().split('\n').slice(-3).join(' | ') || 'no message'}`);
    });
    incarnations.push(inc);
    return inc;
  };

  /** Sets the clock of `inc` for a start at true time `startMs`, schedules its jumps, and sends it the go. */
  const go = (inc: Incarnation, startMs: number): void => {
    const clock = clocks[inc.node];
    if (inc.specFile !== undefined && clock !== undefined) {
      const jumped = jumpTotals(clock).filter((j) => j.at <= startMs).reduce((_, j) => j.jumpedMs, 0);
      writeFileSync(inc.specFile, clockSpec(clock, zeroMs - inc.spawnedMs, jumped));
      for (const j of jumpTotals(clock)) if (j.at > startMs) at(j.at, () => writeFileSync(inc.specFile!, clockSpec(clock, zeroMs - inc.spawnedMs, j.jumpedMs)));
    }
    inc.child.stdin!.write(`${JSON.stringify({ startNs: Math.round((zeroMs + startMs) * 1e6), zeroNs: Math.round(zeroMs * 1e6) } satisfies Go)}\n`);
  };

  const waitOrFail = async <T>(p: Promise<T>, timeoutMs: number, what: string): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    let poll: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      return await new Promise<T>((resolve, reject) => {
        timer = setTimeout(() => reject(new LiveRunError(`run ${seed}: ${what} not done after ${timeoutMs} ms`)), timeoutMs);
        poll = setInterval(() => failure !== undefined && reject(failure), 20);
        onAbort = () => reject(options.signal!.reason as Error);
        if (options.signal?.aborted) onAbort();
        options.signal?.addEventListener('abort', onAbort, { once: true });
        p.then(resolve, reject);
      });
    } finally {
      clearTimeout(timer);
      clearInterval(poll);
      if (onAbort) options.signal?.removeEventListener('abort', onAbort);
    }
  };

  try {
    scenario.nodes.forEach((_, i) => (current[i] = spawnOne(config(i, 0))));
    const probe = spawnOne(config(-1, 0, 'probe'));
    await waitOrFail(Promise.all(incarnations.map((x) => x.ready)), options.readyTimeoutMs ?? 60_000, 'connecting every process');
    const startupMs = sinceBase();
    zeroMs = startupMs + GO_MARGIN_MS;
    for (const inc of [...incarnations]) go(inc, 0);

    scenario.nodes.forEach((_, i) => {
      for (const p of mergePauses(pausesOf[i]!)) {
        if (p.at >= durationMs) continue;
        at(p.at, () => {
          const inc = current[i];
          if (inc === undefined) return;
          const stoppedAt = nowMs();
          killGroup(inc.child, 'SIGSTOP');
          at(p.end, () => {
            const sentMs = nowMs() - stoppedAt;
            killGroup(inc.child, 'SIGCONT');
            noise.pauses.push({ node: i, incarnation: inc.incarnation, plannedMs: p.end - p.at, sentMs, seenMs: undefined });
          });
        });
      }
      for (const c of crashesOf[i]!) {
        at(c.at, () => {
          const inc = current[i];
          if (inc === undefined) return; // down already: a crash while down is ignored
          inc.crashedAt = nowMs();
          crashes.push({ node: i, at: inc.crashedAt });
          killGroup(inc.child, 'SIGKILL');
          current[i] = undefined;
          if (!Number.isFinite(c.restartAfter)) return;
          const restartAt = inc.crashedAt + c.restartAfter;
          if (restartAt >= durationMs) return;
          // the fresh process starts ahead (twice the first start-up) and waits for its instant
          at(restartAt - Math.min(5000, 2 * startupMs), () => {
            const next = spawnOne(config(i, inc.incarnation + 1));
            void next.ready.then(() => {
              if (finishing) return;
              go(next, Math.max(restartAt, nowMs() + 1));
              at(restartAt, () => (current[i] = next));
            });
          });
        });
      }
    });

    await waitOrFail(new Promise<void>((resolve) => at(durationMs, resolve)), durationMs + 60_000, 'the run');
    // the probe prints its samples 20 ms before the end and exits
    await Promise.race([exited(probe.child), new Promise((r) => setTimeout(r, 500))]);
    for (const e of probe.events) if (e.e === 'probe') noise.probeLatenessMs.push(...e.latenessMs);
  } finally {
    finishing = true;
    for (const t of timers) clearTimeout(t);
    for (const inc of incarnations) killGroup(inc.child, 'SIGKILL');
    await Promise.all(incarnations.map((inc) => exited(inc.child)));
    await proxy?.close();
    rmSync(dir, { recursive: true, force: true });
  }

  if (proxy !== undefined) {
    noise.proxyAskedMs = proxy.asked;
    noise.proxyAddedMs = proxy.added;
    noise.proxyCuts = { ...proxy.cuts };
  }
  return { record: judgeRun(seed, zeroMs, durationMs, incarnations.filter((x) => x.node >= 0), crashes, noise), noise };
}

/** Pauses merged where they overlap (the simulator's node stays paused until the latest end). */
export function mergePauses(pauses: readonly Pause[]): { at: number; end: number }[] {
  const out: { at: number; end: number }[] = [];
  for (const p of [...pauses].sort((x, y) => x.at - y.at)) {
    const last = out[out.length - 1];
    if (last !== undefined && p.at < last.end) last.end = Math.max(last.end, p.at + p.for);
    else out.push({ at: p.at, end: p.at + p.for });
  }
  return out;
}

/** What {@link judgeRun} needs of a node incarnation. */
export type JudgedIncarnation = Pick<Incarnation, 'node' | 'incarnation' | 'events' | 'crashedAt'>;

/**
 * Feeds the oracle every event in stamp order and builds the run's record, as
 * the simulator's run does. `zeroMs`: time 0, ms after the base the stamps
 * count from. Events after the end, or after their incarnation's crash, are
 * dropped.
 */
export function judgeRun(seed: number, leadMs: number, durationMs: number, incarnations: readonly JudgedIncarnation[], crashes: readonly { node: number; at: number }[], noise: RunNoise): SeedRecord {
  type Item = { t: number; seq: number; apply: () => void };
  const items: Item[] = [];
  let seq = 0;
  const oracle = new Oracle();
  let reads = 0;
  let writes = 0;
  let events = 0;
  for (const inc of incarnations) {
    const tickets = new Map<number, number>();
    const beliefs = new Map<number, Belief>();
    let lastOps: { reads: number; writes: number } | undefined;
    const conts = noise.pauses.filter((p) => p.node === inc.node && p.incarnation === inc.incarnation);
    for (const e of inc.events) {
      const tt = msOf(e.t) - leadMs; // true time
      if (e.e === 'start') noise.startLateMs.push(e.lateMs);
      if (e.e === 'busy') noise.busy.push({ node: inc.node, lateMs: e.lateMs, plannedMs: e.plannedMs, spunMs: e.spunMs });
      if (e.e === 'cont') {
        const p = conts.find((x) => x.seenMs === undefined);
        if (p !== undefined) p.seenMs = e.gapMs;
      }
      if (tt > durationMs || (inc.crashedAt !== undefined && tt > inc.crashedAt)) continue;
      if (e.e === 'ops') lastOps = { reads: e.reads, writes: e.writes };
      const node = inc.node;
      const push = (apply: () => void): void => {
        events++;
        items.push({ t: tt, seq: seq++, apply });
      };
      switch (e.e) {
        case 'call':
          push(() => tickets.set(e.id, oracle.ownCalled(node, e.key, tt)));
          break;
        case 'owned':
          push(() => {
            const ticket = tickets.get(e.id);
            if (ticket === undefined) throw new Error(`INVARIANT: run ${seed}: node ${node} (incarnation ${inc.incarnation}) owned call ${e.id} at ${tt} ms without calling it`);
            beliefs.set(e.id, oracle.owned(ticket, e.owner, tt));
          });
          break;
        case 'failed':
          push(() => oracle.ownFailed(tickets.get(e.id)!));
          break;
        case 'release':
          push(() => oracle.releasing(beliefs.get(e.id)!, tt));
          break;
        case 'told':
          push(() => oracle.told(beliefs.get(e.id)!, tt));
          break;
        default:
          break;
      }
    }
    reads += lastOps?.reads ?? 0;
    writes += lastOps?.writes ?? 0;
  }
  for (const c of crashes) if (c.at <= durationMs) items.push({ t: c.at, seq: seq++, apply: () => oracle.crashed(c.node, c.at) });
  items.sort((a, b) => a.t - b.t || a.seq - b.seq);
  for (const it of items) it.apply();
  const judged = oracle.finish(durationMs);
  const { firstViolation: _f, ...rest } = judged;
  return {
    seed,
    ...rest,
    events,
    simulatedMs: durationMs,
    resourceWrites: 0,
    rejectedWrites: 0,
    staleEffects: 0,
    storeReads: reads,
    storeWrites: writes,
    ops: newOperationStats(),
    notifications: { sent: 0, delivered: 0, lost: 0 },
    traceHash: 'live',
    logWeight: 0,
    weight: 1,
  };
}

/** `url` with its port replaced. */
function withPort(url: string, port: number): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return u.toString();
}

/** process.env without undefined values. */
function stringEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) out[k] = v;
  return out;
}
