/**
 * What a live node process and its coordinator say to each other: the
 * node's configuration (one JSON object in the `MCO_LIVE_NODE` environment
 * variable) and the events it prints, one JSON object per line on stdout.
 *
 * Once connected, a node prints `ready` and waits for one line on stdin,
 * {@link Go}: the instant its workload starts. stdin closing (the coordinator
 * died) ends it.
 *
 * Every time `t` is nanoseconds of the host's CLOCK_MONOTONIC
 * (`process.hrtime.bigint()`) minus the run's base instant, which the
 * coordinator took on the same clock: one time line for every process on the
 * host, untouched by libfaketime (`FAKETIME_DONT_FAKE_MONOTONIC=1`). It is
 * sent as a decimal string (a bigint does not fit JSON).
 */
import type { Distribution } from '../dist.js';

/** The environment variable that carries a {@link NodeConfig}. */
export const CONFIG_ENV = 'MCO_LIVE_NODE';

/** What one node process runs. */
export interface NodeConfig {
  /** `node` runs the workload; `probe` only measures its own timer lateness (the idle probe). */
  role: 'node' | 'probe';
  /** Node index in the scenario. */
  node: number;
  /** Incarnation of the node (0, then 1 after the first crash and restart, …). */
  incarnation: number;
  /** The run's base instant: `process.hrtime.bigint()` of the coordinator, as a decimal string. */
  baseNs: string;
  /** How long the probe measures after the start (ms). */
  durationMs: number;
  /** Seed of the run: the workload draws from the same streams as the simulator's node. */
  seed: number;
  store: { kind: 'redis' | 'postgres'; url: string };
  /** Owner prefix: one per run, so parallel runs on one server never meet. */
  prefix: string;
  strategy: string;
  acquireIntervalMs: number;
  refreshIntervalMs: number;
  keys: number;
  think: Distribution;
  hold: Distribution;
  /**
   * Blocks of the node's event loop (faults.busyLoop, drawn as the simulator
   * draws them): true start (ms after time 0) and length. The node runs those
   * planned at or after its own start, each a synchronous spin.
   */
  busy: { at: number; for: number }[];
}

/** The coordinator's one line to a ready node. */
export interface Go {
  /** When the workload starts, ns after the base. */
  startNs: number;
  /** Time 0 of the run, ns after the base (the busy blocks' times count from it). */
  zeroNs: number;
}

/** A line a node prints. */
export type NodeEvent =
  /** Connected to the store; waiting for `startNs`. */
  | { e: 'ready'; t: string }
  /** The workload started, `lateMs` after `startNs`. */
  | { e: 'start'; t: string; lateMs: number }
  /** `own(key)` was called (call id `id`, unique within the incarnation). */
  | { e: 'call'; t: string; id: number; key: string }
  /** `own()` resolved: the belief starts. */
  | { e: 'owned'; t: string; id: number; owner: string }
  /** `own()` rejected. */
  | { e: 'failed'; t: string; id: number; error: string }
  /** The holder calls `release()`: the belief ends. */
  | { e: 'release'; t: string; id: number }
  /** The holder was told it lost the ownership: the belief ends. */
  | { e: 'told'; t: string; id: number }
  /** Cumulative store operations of this incarnation. */
  | { e: 'ops'; t: string; reads: number; writes: number }
  /** The process resumed after a stop (SIGCONT): its 10 ms ticker saw a gap of `gapMs` (the stop plus 0–10 ms). */
  | { e: 'cont'; t: string; gapMs: number }
  /** A block of the event loop ended: it began `lateMs` after its planned start (≥ 0 when the loop was busy or stopped) and spun `spunMs` (planned `plannedMs`). */
  | { e: 'busy'; t: string; lateMs: number; plannedMs: number; spunMs: number }
  /** The probe's timer lateness samples (ms), at its end. */
  | { e: 'probe'; t: string; latenessMs: number[] };

/** Parses one line of a node's stdout; undefined when it is not an event line. */
export function parseEvent(line: string): NodeEvent | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const v = JSON.parse(line) as NodeEvent;
    return typeof v === 'object' && v !== null && typeof v.e === 'string' && typeof v.t === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** ns after the base (a decimal string) → ms. */
export const msOf = (t: string): number => Number(BigInt(t)) / 1e6;
