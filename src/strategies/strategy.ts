/**
 * The decisions that distinguish one ownership strategy from another. The
 * loops themselves (acquire, refresh cadence, release) live once in
 * `owner.ts`/`ownership.ts`; a strategy only answers their questions, so a new
 * strategy never copies a loop.
 */
import type { RandomSource } from '../random.js';

/** What an acquire attempt knew when it decided to wait. */
export interface AcquireRetryInput {
  /** Why the attempt failed: the record was held by someone, or the SetIf race was lost. */
  readonly outcome: 'held' | 'lost-race';
  /** Local wall clock (ms since epoch) read right after the `get` of this attempt. */
  readonly nowMs: number;
  /** Expiry (ms since epoch) of the record that was read; `undefined` when the key was absent. */
  readonly readExpiresMs: number | undefined;
  /** Expiry (ms since epoch) of the record this attempt tried to write, when it tried. */
  readonly candidateExpiresMs: number | undefined;
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly acquireIntervalMs: number;
  readonly refreshIntervalMs: number;
  readonly random: RandomSource;
}

/** An ownership strategy: the policy answers the shared loops ask for. */
export interface Strategy {
  /** Short name, as used in scenario files (`owner.strategy`). */
  readonly name: string;
  /** How long (ms of monotonic time) to sleep before the next acquire attempt. */
  acquireRetryDelayMs(input: AcquireRetryInput): number;
  /** Whether aborting the `signal` given to `own()` also stops refreshing after ownership was obtained. */
  readonly ownSignalStopsRefresh: boolean;
  /** Whether `release()` stops the refresh loop (and waits for an in-flight tick, its store write included) before it writes. */
  readonly stopRefreshBeforeRelease: boolean;
  /**
   * How a waiter decides a record it read has expired: `wall-clock` compares
   * the record's `expires` with its own wall clock (lakeFS); `observed` waits
   * until it has seen the same record unchanged for a whole lease on its own
   * monotonic clock (immune to clock offset and jumps).
   */
  readonly expiry: 'wall-clock' | 'observed';
  /** What the refresh loop does after a failed read: `stop` for good (lakeFS), or `retry` next tick. */
  readonly onRefreshReadError: 'stop' | 'retry';
  /** Whether `ownership.lost` is ever aborted (lakeFS never tells the holder). */
  readonly signalsLoss: boolean;
  /** Whether records carry a fencing token (field 4) and their lease (field 5). */
  readonly fencing: boolean;
  /**
   * Whether the refresh cadence starts when the acquiring read was sent
   * (`true`: the lease is counted from before the record was written) or when
   * `own()` resolved (lakeFS: a slow acquisition eats into the first lease).
   */
  readonly refreshFromAcquireSend: boolean;
  /**
   * Whether the `own()` calls for one key on one `MostlyCorrectOwner` share a
   * single store poller and queue up FIFO, a local release handing the key
   * straight to the next local waiter with one SetIf (lakeFS: every `own()`
   * polls on its own). Needs `stopRefreshBeforeRelease` and `fencing`.
   */
  readonly coalesce: boolean;
  /**
   * Whether release publishes a notification and waiters retry as soon as one
   * arrives, on stores that offer `notify`/`watch` (polling stays as the
   * fallback). lakeFS: waiters only poll.
   */
  readonly pushHandoff: boolean;
  /**
   * Whether acquire, refresh and release may speculate on stores with
   * `swap` (`Store.swap`): write at once on a guess of the stored record (the
   * last one this process wrote or read), in one round trip, deciding on the
   * guess exactly as on a read of it; a wrong guess costs nothing extra, the
   * store answers with the record, which is then handled as a read. The
   * decisions stay those of `get` + `setIf` (see docs/strategies.md). lakeFS
   * as shipped: `false` (every decision on a fresh read).
   */
  readonly speculate: boolean;
}
