/**
 * What an ownership strategy decides. The loops (acquire in `acquire.ts`,
 * refresh and release in `ownership.ts`) live once; they call these rules
 * instead of testing flags, so a strategy file reads as its specification:
 * `lakefs.ts` beside the Go lines it mirrors, `fixed.ts` and `observed.ts`
 * beside the defects they fix.
 *
 * Build strategies with {@link defineStrategy}: it refuses combinations the
 * loops cannot honour (see {@link StrategyError}). The owner checks the
 * strategy it is given the same way, however it was built.
 */
import type { Clock } from '../clock.js';
import type { RandomSource } from '../random.js';

/** What an acquire attempt knew when it decided to wait. */
export interface AcquireRetryInput {
  /** Why the attempt failed: the record was held by someone, or the write race was lost. */
  readonly outcome: 'held' | 'lost-race';
  /** "Now" on the clock the expiry was judged on (see {@link Judgement.nowMs}). */
  readonly nowMs: number;
  /** When the record that was read expires, on the same clock; `undefined` when the key was absent. */
  readonly readExpiresMs: number | undefined;
  /** Expiry (ms since epoch) of the record this attempt tried to write, when it tried. */
  readonly candidateExpiresMs: number | undefined;
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly acquireIntervalMs: number;
  readonly refreshIntervalMs: number;
  readonly random: RandomSource;
}

/** A record as a waiter sees it: its stored bytes and the two fields expiry is judged by. */
export interface SeenRecord {
  /** The stored bytes (what the waiter compares to tell one write from the next). */
  readonly value: Uint8Array;
  /** `expires`, ms since the epoch on the writer's wall clock (0: released). */
  readonly expiresMs: number;
  /** The lease the writer announced (field 5), 0 when it wrote none. */
  readonly leaseMs: number;
}

/** How a waiter judged a record it read. */
export interface Judgement {
  /** `not owned` (absent), `expired` (take it), `owned` (wait). */
  readonly state: 'not owned' | 'expired' | 'owned';
  /** "Now" on the clock the judgement used (wall or monotonic), for the retry delay. */
  readonly nowMs: number;
  /** When the record expires on that clock (`undefined` when absent), for the retry delay. */
  readonly expiresMs: number | undefined;
}

/** One acquire loop's judge of expiry: it may remember what it has seen. */
export interface ExpiryJudge {
  /**
   * Whether a record the owner only guesses is stored (the last one it wrote
   * or read; never read now) may be taken without a read. `wallNowMs` is the
   * wall clock, quantized as a record would hold it.
   */
  takesUnread(record: SeenRecord, wallNowMs: number): boolean;
  /** Judges a record just read (`undefined`: the key is absent); `wallNowMs` as above. */
  judge(record: SeenRecord | undefined, wallNowMs: number, clock: Clock): Judgement;
  /** "Now" on the clock this judge's times are on (the wall clock `wallNowMs`, or the monotonic clock). */
  nowOn(wallNowMs: number, clock: Clock): number;
  /** The write race was lost: whatever was seen is stale. */
  forget(): void;
}

/** How expiry is judged: a fresh {@link ExpiryJudge} per acquire loop. */
export interface ExpiryRule {
  /** Short name, for docs and logs (`wall-clock`, `observed`). */
  readonly name: string;
  /** A judge for one acquire loop, which judges with `refreshIntervalMs` as the lease when a record names none. */
  judge(refreshIntervalMs: number): ExpiryJudge;
}

/** What the holder's refresh loop does. */
export interface RefreshRule {
  /**
   * Where the cadence (every `refreshInterval / 2`) starts: when the acquiring
   * read was sent (`acquire-sent`: the lease counts from before the record was
   * written), or when `own()` resolved (`own-resolved`, lakeFS: a slow
   * acquisition eats into the first lease).
   */
  readonly cadenceFrom: 'acquire-sent' | 'own-resolved';
  /** After a failed read: `stop` refreshing for good (lakeFS), or `retry` every `acquireInterval` until the next tick. */
  readonly onReadError: 'stop' | 'retry';
  /** Whether aborting the signal given to `own()` also stops refreshing once owned (Go's context scopes both). */
  readonly stoppedByOwnSignal: boolean;
}

/** What `release()` does. */
export interface ReleaseRule {
  /**
   * `write-then-stop` (lakeFS): write the expired record, then stop the
   * refresh loop, so a tick can land between the two. `stop-then-write`: stop
   * the loop and wait for a tick in flight (its write included) first.
   */
  readonly order: 'write-then-stop' | 'stop-then-write';
  /** How many reads of the record a release may decide on when a write of ours lands late (≥ 1). */
  readonly attempts: number;
}

/** How waiters learn that a key is free. */
export interface HandoffRule {
  /**
   * `own()` calls for one key on one owner share one poller and queue FIFO;
   * a local release hands the key straight to the next local waiter (needs
   * `release.order: 'stop-then-write'` and `fencing`).
   */
  readonly localQueue: boolean;
  /** A release notifies waiters in other processes on stores with `notify`/`watch`; polling stays the fallback. */
  readonly push: boolean;
}

/** An ownership strategy: the rules the shared loops call. */
export interface Strategy {
  /** Short name, as used in scenario files (`owner.strategy`). */
  readonly name: string;
  /** How a waiter judges that a record has expired. */
  readonly expiry: ExpiryRule;
  /** How long (ms of monotonic time) a waiter sleeps before its next attempt. */
  acquireRetryDelayMs(input: AcquireRetryInput): number;
  readonly refresh: RefreshRule;
  readonly release: ReleaseRule;
  /** Whether the holder is told through `ownership.lost` (lakeFS never tells it). */
  readonly signalsLoss: boolean;
  /** Whether records carry a fencing token (field 4) and their lease (field 5). */
  readonly fencing: boolean;
  readonly handoff: HandoffRule;
  /**
   * Whether acquire, refresh and release may write at once on a guess of the
   * stored record (the last one this process wrote or read), in one round
   * trip, deciding on the guess exactly as on a read of it; a wrong guess is
   * answered with the record, which is then handled as a read
   * (docs/strategies.md). lakeFS: every decision on a fresh read.
   */
  readonly speculate: boolean;
}

/** A strategy whose rules contradict each other, or are missing. */
export class StrategyError extends TypeError {
  override readonly name = 'StrategyError';
  constructor(
    /** The strategy's name (or `(unnamed)`). */
    readonly strategy: string,
    /** What is wrong. */
    readonly problem: string,
  ) {
    super(`strategy ${strategy}: ${problem}`);
  }
}

/**
 * `strategy`, frozen, after checking that the loops can honour it; throws
 * {@link StrategyError} naming the first problem otherwise.
 */
export function defineStrategy<S extends Strategy>(strategy: S): S {
  checkStrategy(strategy);
  return Object.freeze(strategy);
}

/** Throws {@link StrategyError} when `s` is not a strategy the loops can honour. */
export function checkStrategy(s: Strategy): void {
  const name = typeof s?.name === 'string' && s.name !== '' ? s.name : '(unnamed)';
  const fail = (problem: string): never => {
    throw new StrategyError(name, problem);
  };
  if (s === null || typeof s !== 'object') fail('must be an object (see defineStrategy)');
  if (name === '(unnamed)') fail('needs a non-empty name');
  if (typeof s.acquireRetryDelayMs !== 'function') fail('needs acquireRetryDelayMs(input)');
  if (typeof s.expiry?.judge !== 'function') fail('needs an expiry rule with judge()');
  if (s.refresh?.cadenceFrom !== 'acquire-sent' && s.refresh?.cadenceFrom !== 'own-resolved') fail("refresh.cadenceFrom must be 'acquire-sent' or 'own-resolved'");
  if (s.refresh.onReadError !== 'stop' && s.refresh.onReadError !== 'retry') fail("refresh.onReadError must be 'stop' or 'retry'");
  if (typeof s.refresh.stoppedByOwnSignal !== 'boolean') fail('refresh.stoppedByOwnSignal must be a boolean');
  if (s.release?.order !== 'write-then-stop' && s.release?.order !== 'stop-then-write') fail("release.order must be 'write-then-stop' or 'stop-then-write'");
  if (!Number.isInteger(s.release.attempts) || s.release.attempts < 1) fail('release.attempts must be an integer ≥ 1');
  for (const flag of ['signalsLoss', 'fencing', 'speculate'] as const) if (typeof s[flag] !== 'boolean') fail(`${flag} must be a boolean`);
  if (typeof s.handoff?.localQueue !== 'boolean' || typeof s.handoff.push !== 'boolean') fail('handoff.localQueue and handoff.push must be booleans');
  if (s.handoff.localQueue && s.release.order !== 'stop-then-write') {
    fail("handoff.localQueue needs release.order 'stop-then-write' (a refresh in flight could otherwise re-extend the record just handed over)");
  }
  if (s.handoff.localQueue && !s.fencing) fail('handoff.localQueue needs fencing (a handoff is a change of owner: the token must increment)');
}
