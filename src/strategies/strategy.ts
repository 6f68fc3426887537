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
}
