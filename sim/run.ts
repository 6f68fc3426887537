/**
 * One seed → one run: builds the simulated world of a scenario (engine, store,
 * per-node clocks, faults, one production MostlyCorrectOwner per node
 * incarnation), runs it for the scenario's duration and returns what the
 * oracle judged. Nothing here reads real time or global randomness; every
 * random choice comes from a stream named after its consumer.
 */
import { MostlyCorrectOwner, STRATEGIES, type Logger, type Store, type Strategy } from 'mostly-correct-owner';
import { OWNERSHIP_PARTITION, decodeRecord, expiresMs } from 'mostly-correct-owner/internal';
import { sample } from './dist.js';
import { EventKind } from './engine.js';
import { createEngine, DEFAULT_ENGINE, type EngineKind } from './engines.js';
import { planBlocks, scheduleBlocks } from './faults/busy-loop.js';
import { planCrashes, scheduleCrashes } from './faults/crashes.js';
import { planPauses, schedulePauses } from './faults/pauses.js';
import { timerLateness } from './faults/timer-lateness.js';
import type { Proposal } from './importance/proposal.js';
import { Tilt, type TiltStats } from './importance/tilt.js';
import { NodeClock, SIM_EPOCH_MS } from './node-clock.js';
import { Oracle, type Belief, type OracleResult } from './oracle.js';
import { ProtectedResource } from './resource.js';
import { stream, type Prng } from './prng.js';
import type { Scenario } from './scenario.js';
import { SimStore } from './sim-store.js';
import { newOperationStats, workloadLoop, type OperationStats } from './workload.js';

/** One line of a run's timeline. */
export interface TraceEntry {
  /** True time (ms since the run started). */
  t: number;
  /** Node index, or -1 for the store and the fault schedule. */
  node: number;
  /** The node's wall clock at `t` (ms since epoch), when the line is about a node. */
  wall: number | undefined;
  text: string;
  /** For lines logged by the production code: the owner id and the log message. */
  owner?: string;
  message?: string;
  fields?: Record<string, unknown>;
}

export interface RunOptions {
  /** Record a timeline (slower). The trace hash is the same either way. */
  trace?: boolean;
  /**
   * Decision policy for every node instead of the scenario's `owner.strategy`
   * (for tests that mutate a strategy; a scenario file cannot name it).
   */
  strategy?: Strategy;
  /**
   * Wraps the store each node incarnation sees (for tests that inject a
   * mutation at the store boundary). Called once per incarnation.
   */
  wrapStore?: (store: Store, node: number) => Store;
  /**
   * Keep every belief and overlap the oracle judged, in the result's
   * `beliefs` and `overlaps` (for a replay to draw; memory grows with the
   * run). The run and its trace hash are the same either way.
   */
  keepBeliefs?: boolean;
  /** The engine: `fast` (default) or `reference`. Both give the same result and trace hash. */
  engine?: EngineKind;
  /**
   * Calls `fn(t)` after every event at or before true time `t`, for each `t`
   * of `atMs` (ascending, inside the run), before any later event: for
   * benchmarks that sample memory mid-run. The run, its result and its trace
   * hash are the same with or without.
   */
  checkpoints?: { atMs: readonly number[]; fn: (atMs: number) => void };
  /**
   * Importance sampling: draw the named fault parameters from this proposal
   * instead of the scenario (sim/importance/). The result's `logWeight` is
   * then the run's log likelihood ratio; without a proposal (or with an empty
   * one) the run is exactly the plain one and its weight is 1.
   */
  proposal?: Proposal;
}

/** The outcome of one seed. */
export interface RunResult extends OracleResult {
  seed: number;
  events: number;
  simulatedMs: number;
  /** Writes to the protected resource, those it rejected (stale token), and stale effects it accepted. */
  resourceWrites: number;
  rejectedWrites: number;
  staleEffects: number;
  storeReads: number;
  storeWrites: number;
  /** The benefit model's measurements (all zero without `workload.work`). */
  ops: OperationStats;
  /** Release notifications published, delivered to a watcher, and lost (strategies with push handoff only). */
  notifications: { sent: number; delivered: number; lost: number };
  traceHash: string;
  trace: TraceEntry[] | undefined;
  /**
   * Importance sampling: log p(x) − log q(x) over the run's tilted draws
   * (0 for a plain run), and its exponential, the run's weight (exactly 1
   * for a plain run).
   */
  logWeight: number;
  weight: number;
  /** Importance sampling: the tilted parameters' draw statistics (only on a tilted run). */
  importance?: TiltStats;
}

/** Runs `scenario` once with `seed`. */
export async function runSeed(scenario: Scenario, seed: number, options: RunOptions = {}): Promise<RunResult> {
  const engine = createEngine(options.engine ?? DEFAULT_ENGINE, { maxEvents: scenario.maxEvents });
  const f = scenario.faults;
  const tilt = options.proposal !== undefined && Object.keys(options.proposal).length > 0 ? new Tilt(f, options.proposal) : undefined;
  const store = new SimStore(engine, f.store, tilt);
  const recordKeys = new Map<string, Uint8Array>();
  const recordKey = (key: string): Uint8Array => {
    let bytes = recordKeys.get(key);
    if (bytes === undefined) recordKeys.set(key, (bytes = new TextEncoder().encode(`sim/${key}`)));
    return bytes;
  };
  // a key's stored record as the oracle reads it (owner, expiry), decoded again only when the
  // stored array changed (a write stores a new array)
  const lastRead = new Map<string, { value: Uint8Array; owner: string; expires: number }>();
  const storedRecord = (key: string): { owner: string; expires: number } | undefined => {
    const value = store.kv.peek(OWNERSHIP_PARTITION, recordKey(key));
    if (value === undefined) return undefined;
    const last = lastRead.get(key);
    if (last !== undefined && last.value === value) return last;
    const rec = decodeRecord(value, key);
    const read = { value, owner: rec.owner, expires: expiresMs(rec) };
    lastRead.set(key, read);
    return read;
  };
  const recordOwner = (key: string): string | undefined => storedRecord(key)?.owner;
  const clocks: NodeClock[] = [];
  // a belief's lease slack as it ends: its record's expiry against the clock furthest ahead among
  // the other nodes (the first that may judge it expired); the oracle's margin for importance sampling
  const slack = (b: Belief): number | undefined => {
    const rec = storedRecord(b.key);
    if (rec === undefined || rec.owner !== b.owner) return undefined;
    let ahead = -Infinity;
    for (let i = 0; i < clocks.length; i++) if (i !== b.node) ahead = Math.max(ahead, clocks[i]!.now());
    return Number.isFinite(ahead) ? rec.expires - ahead : undefined;
  };
  const oracle = new Oracle(recordOwner, { keepBeliefs: options.keepBeliefs === true, slack });
  const resource = new ProtectedResource(oracle, recordOwner);
  const ops = newOperationStats();
  const w = scenario.workload;
  const work = w.work === undefined ? undefined : { work: w.work, growthPerVersion: w.workGrowth, maxAttempts: w.maxAttempts };
  const trace: TraceEntry[] | undefined = options.trace ? [] : undefined;
  const note = trace
    ? (node: number, text: string, extra: Partial<TraceEntry> = {}): void => {
        trace.push({ t: engine.now, node, wall: node >= 0 ? clocks[node]!.now() : undefined, text, ...extra });
      }
    : (): void => {};
  if (trace) {
    store.observer = (e) => {
      if (e.op !== 'get' || e.outcome !== 'ok') return note(e.node, `store ${e.op} applied: ${e.outcome}`);
      if (e.value === undefined) return note(e.node, 'store get applied: ok (absent)', { fields: { absent: true } });
      const rec = decodeRecord(e.value, 'trace');
      const expires = expiresMs(rec);
      note(e.node, `store get applied: ok (owner ${rec.owner}, expires ${expires === 0 ? 'epoch (released)' : `+${(expires - SIM_EPOCH_MS).toFixed(3)}`})`, {
        fields: { readOwner: rec.owner, readExpires: expires },
      });
    };
  }

  const clockRng = stream(seed, 'clock');
  const drawOffset = tilt?.drawer('clock.offset') ?? ((rng: Prng) => sample(f.clock.offset, rng));
  const drawLateness = tilt?.tilts('timerLateness') ? tilt.drawer('timerLateness') : undefined;
  scenario.nodes.forEach((spec, i) => {
    const node = engine.addNode();
    const offsetMs = spec.offset ?? drawOffset(clockRng);
    const driftPpm = spec.driftPpm ?? sample(f.clock.driftPpm, clockRng);
    const jumps = [...spec.jumps, ...f.clock.jumps.filter((j) => j.node === i)];
    const clock = new NodeClock(engine, node, { offsetMs, driftPpm, jumps }, timerLateness(f.timerLateness, stream(seed, `node:${i}:timers`), drawLateness));
    clocks.push(clock);
    // notifications draw from their own stream: lakefs (which never notifies) keeps its traces
    const client = store.client(node, stream(seed, `node:${i}:store`), stream(seed, `node:${i}:notify`));
    const random = stream(seed, `node:${i}:owner`);
    const rng = stream(seed, `node:${i}:workload`);
    const logger = trace ? traceLogger((text, extra) => note(node, text, extra)) : undefined;
    const start = (): void => {
      const strategy = scenario.owner.strategy;
      const chosen = strategy === 'none' ? undefined : (options.strategy ?? STRATEGIES[strategy]);
      // strategy `none`: no owner at all, workers go straight to the resource
      const owner =
        strategy === 'none'
          ? undefined
          : new MostlyCorrectOwner({
              store: options.wrapStore ? options.wrapStore(client, node) : client,
              prefix: 'sim',
              acquireInterval: scenario.owner.acquireIntervalMs,
              refreshInterval: scenario.owner.refreshIntervalMs,
              clock,
              random,
              strategy: chosen,
              ...(logger ? { logger } : {}),
            });
      void workloadLoop({ engine, node, owner, work, ops, clock, rng, oracle, resource, keys: scenario.keys, think: scenario.workload.think, hold: scenario.workload.hold, signalsLoss: chosen?.signalsLoss ?? false, note: trace ? note : undefined });
    };
    engine.at(0, start, { gate: node, flush: true, kind: EventKind.control });
    note(node, `clock offset ${offsetMs.toFixed(3)} ms, drift ${driftPpm.toFixed(1)} ppm`);
    const pauses = planPauses(spec.pauses, f.pauses.rate, f.pauses.duration, scenario.durationMs, stream(seed, `node:${i}:pauses`), tilt);
    schedulePauses(engine, node, pauses, (p) => note(node, `PAUSED for ${p.for.toFixed(3)} ms`));
    const blocks = planBlocks(spec.busy, f.busyLoop.rate, f.busyLoop.duration, scenario.durationMs, stream(seed, `node:${i}:busy`));
    scheduleBlocks(engine, node, blocks, (b, start, end) => note(node, `BUSY loop for ${b.for.toFixed(3)} ms, ${start.toFixed(3)} → ${end.toFixed(3)}`));
    const crashes = planCrashes(spec.crashes, f.crashes.rate, f.crashes.restartAfterMs, scenario.durationMs, stream(seed, `node:${i}:crashes`), tilt);
    scheduleCrashes(
      engine,
      node,
      crashes,
      () => {
        oracle.crashed(node, engine.now);
        note(node, 'CRASHED');
      },
      () => {
        note(node, 'restarted');
        start();
      },
    );
  });

  for (const t of options.checkpoints?.atMs ?? []) {
    if (t >= scenario.durationMs) break;
    await engine.run(t);
    options.checkpoints!.fn(t);
  }
  await engine.run(scenario.durationMs);
  const judged = oracle.finish(scenario.durationMs);
  return {
    seed,
    ...judged,
    events: engine.delivered,
    simulatedMs: scenario.durationMs,
    resourceWrites: resource.counters.writes,
    rejectedWrites: resource.counters.rejected,
    staleEffects: resource.counters.stale,
    ops,
    storeReads: store.counters.reads,
    storeWrites: store.counters.writes,
    notifications: { ...store.notifications },
    traceHash: engine.traceHash,
    trace,
    logWeight: tilt?.logWeight ?? 0,
    weight: Math.exp(tilt?.logWeight ?? 0),
    ...(tilt ? { importance: tilt.stats } : {}),
  };
}

/** A logger that writes the production code's log lines into the trace. */
function traceLogger(write: (text: string, extra: Partial<TraceEntry>) => void): Logger {
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, message: string): void => {
      const interesting = Object.entries(fields)
        .filter(([k]) => !['owner', 'prefixed_key', 'acquire_interval', 'refresh_interval', 'interval', 'key'].includes(k))
        .map(([k, v]) => `${k}=${v instanceof Error ? v.message : typeof v === 'number' ? +v.toFixed(3) : String(v)}`);
      const owner = typeof fields.owner === 'string' ? fields.owner : undefined;
      write(`[${level}] ${message}${interesting.length ? ` (${interesting.join(', ')})` : ''}`, {
        ...(owner === undefined ? {} : { owner }),
        message,
        fields,
      });
    };
  return { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn') };
}
