/**
 * The acquire loop: read (or, when speculating, guess) the record, let the
 * strategy judge it, write a record naming the claimant when it is free, and
 * otherwise sleep as the strategy says and try again. The one place a waiter
 * touches the store (one path: `get` and `swap`, see `store/store.ts`).
 */
import { abortable, linkSignal } from './abort.js';
import { ownerComment } from './comment.js';
import type { Acquired, Claim, OwnerContext } from './context.js';
import { OwnError } from './errors.js';
import { logs } from './logger.js';
import { OWNERSHIP_PARTITION, decodeRecord, encodeRecord, expiresMs, newRecord, quantizeMs, type MostlyCorrectOwnership } from './record.js';
import { sameEntry, type Predicate, type StoreEntry, type SwapResult } from './store/store.js';
import type { Judgement, SeenRecord } from './strategies/strategy.js';

/** Where one acquire loop works: the key, and who it names in logs and errors. */
export interface AcquireTarget {
  readonly prefixedKey: string;
  readonly keyBytes: Uint8Array;
  /** The owner id whose `own()` runs the loop alone, or `undefined` for a key queue's poller (errors then name the picked owner). */
  readonly ownerId: string | undefined;
  /** `tryOwn()`: decide once, and give up (`undefined`) instead of waiting. */
  readonly once?: boolean;
  /**
   * The owner's `close()`: ends the loop with its reason at the next sleep,
   * or as soon as a store call in flight returns (it is not cut short: the
   * store's own timeouts bound it).
   */
  readonly closing?: AbortSignal;
}

/**
 * Runs the acquire loop until a write for the owner id `claim` picks
 * succeeds (with `target.once`, after one attempt: `undefined` when it would
 * have to wait). Rejects with `signal.reason` when it aborts, with
 * `CorruptRecordError` when the record read cannot be decoded (it is never
 * overwritten), with {@link OwnError} when the store fails.
 */
export async function acquire(ctx: OwnerContext, claim: Claim, target: AcquireTarget & { once: true }, signal: AbortSignal | undefined): Promise<Acquired | undefined>;
export async function acquire(ctx: OwnerContext, claim: Claim, target: AcquireTarget, signal: AbortSignal | undefined): Promise<Acquired>;
export async function acquire(ctx: OwnerContext, claim: Claim, target: AcquireTarget, signal: AbortSignal | undefined): Promise<Acquired | undefined> {
  const { store, clock, logger, strategy, random, acquireIntervalMs, refreshIntervalMs, known } = ctx;
  const { prefixedKey, keyBytes, ownerId, closing } = target;
  // sleeps end on the caller's signal or on close(); store calls on the caller's signal only
  const sleepSignal = closing === undefined ? signal : signal === undefined ? closing : AbortSignal.any([signal, closing]);
  const tracing = logs(logger, 'trace');
  const judge = strategy.expiry.judge(refreshIntervalMs);
  const fields = {
    owner: ownerId ?? '(local queue)',
    prefixed_key: prefixedKey,
    acquire_interval: acquireIntervalMs,
    refresh_interval: refreshIntervalMs,
  };
  // push handoff: a release notification cuts the current sleep short. The
  // subscription is made only once this call has to wait (an uncontended
  // acquire costs no SUBSCRIBE/LISTEN), and the record is then read again at
  // once, so a release between the first read and the subscription is seen.
  const push = strategy.handoff.push && store.watch !== undefined && store.notify !== undefined;
  let notified = false;
  let wake: AbortController | undefined;
  let unwatch: (() => void) | undefined;
  const swap = (bytes: Uint8Array, expected: Predicate | null, owner: string, attempt: number): Promise<SwapResult> =>
    abortable(store.swap(OWNERSHIP_PARTITION, keyBytes, bytes, expected), signal).catch((err: unknown) => {
      throw signal?.aborted ? signal.reason : new OwnError(prefixedKey, owner, 'swap', attempt, { cause: err });
    });
  /**
   * One write of a candidate naming the claim's pick, decided on `read` at
   * `nowMs` (wall clock, quantized) and expecting `expected`: the
   * acquisition, or, when it lost (the pick goes back), what the store
   * answered and the candidate's expiry.
   */
  const take = async (
    read: MostlyCorrectOwnership | undefined,
    nowMs: number,
    expected: Predicate | null,
    ownership: 'not owned' | 'expired',
    speculative: boolean,
    attempt: number,
    sentAtMono: number,
  ): Promise<{ acquired: Acquired } | { current: StoreEntry | undefined; expires: number }> => {
    const candidateOwner = claim.pick();
    const candidate = candidateRecord(ctx, candidateOwner, read, nowMs);
    if (tracing) {
      const decided = { ...fields, ownership, expires: candidate.expires, now: nowMs };
      logger.trace(speculative ? { ...decided, speculative } : decided, 'Try to take ownership');
    }
    const result = await swap(candidate.bytes, expected, candidateOwner, attempt);
    const written = afterWrite(ctx, prefixedKey, candidate.bytes, result);
    if (written !== undefined) {
      if (tracing) logger.trace(ownerId === undefined ? { ...fields, owner: candidateOwner } : fields, 'Got ownership');
      return { acquired: { sentAtMono, token: candidate.token, written } };
    }
    claim.unpick();
    closing?.throwIfAborted();
    return { current: result.swapped ? undefined : result.current, expires: candidate.expires };
  };
  try {
    for (let attempt = 1; ; attempt++) {
      let sentAtMono = clock.monotonicNow();
      notified = false;
      let entry: StoreEntry | undefined;
      let haveRead = false;
      let outcome: 'held' | 'lost-race' = 'held';
      let candidateExpiresMs: number | undefined;
      let judged: Pick<Judgement, 'nowMs' | 'expiresMs'> = { nowMs: 0, expiresMs: undefined };
      // Speculation: decide on the guess (the record this owner last wrote or read
      // here; absent when it knows none) as on a read of it, and when that decision
      // is "take it", write at once. The store compares with the guess, so a write
      // happens only when the guess was the stored record: the decision a read
      // would have led to. A wrong guess is answered with the record: a read.
      if (known !== undefined) {
        const guess = known.get(prefixedKey);
        const guessRecord = guess === undefined ? undefined : tryDecode(guess.value, prefixedKey);
        const guessNowMs = quantizeMs(clock.now());
        if (guess === undefined || (guessRecord !== undefined && judge.takesUnread(seen(guess, guessRecord), guessNowMs))) {
          const took = await take(guessRecord, guessNowMs, guess?.predicate ?? null, guess === undefined ? 'not owned' : 'expired', true, attempt, sentAtMono);
          if ('acquired' in took) return took.acquired;
          const { current } = took;
          if (sameEntry(current, guess)) {
            // the store answered from before a concurrent write that won (PostgreSQL's
            // snapshot, the setIf adapter's read): as a failed write after a read of the guess
            outcome = 'lost-race';
            candidateExpiresMs = took.expires;
            judged = { nowMs: judge.nowOn(guessNowMs, clock), expiresMs: guessRecord === undefined ? undefined : expiresMs(guessRecord) };
            judge.forget();
          } else {
            entry = current;
            haveRead = true;
          }
        }
      }
      if (outcome === 'held') {
        if (!haveRead) {
          sentAtMono = clock.monotonicNow();
          try {
            entry = await abortable(store.get(OWNERSHIP_PARTITION, keyBytes), signal);
          } catch (err) {
            throw signal?.aborted ? signal.reason : new OwnError(prefixedKey, ownerId ?? '(local queue)', 'get', attempt, { cause: err });
          }
          closing?.throwIfAborted();
          known?.remember(prefixedKey, entry);
        }
        const read: MostlyCorrectOwnership | undefined =
          entry === undefined ? undefined : decodeRecord(entry.value, prefixedKey, ownerId);
        const nowMs = quantizeMs(clock.now());
        const judgement = judge.judge(entry === undefined || read === undefined ? undefined : seen(entry, read), nowMs, clock);
        judged = judgement;
        if (judgement.state !== 'owned') {
          const took = await take(read, nowMs, entry?.predicate ?? null, judgement.state, false, attempt, sentAtMono);
          if ('acquired' in took) return took.acquired;
          candidateExpiresMs = took.expires;
          outcome = 'lost-race';
          judge.forget();
        }
      }
      if (target.once === true) {
        if (tracing) logger.trace(fields, 'Still owned; not waiting (tryOwn)');
        return undefined;
      }
      const sleepMs = strategy.acquireRetryDelayMs({
        outcome,
        nowMs: judged.nowMs,
        readExpiresMs: judged.expiresMs,
        candidateExpiresMs,
        attempt,
        acquireIntervalMs,
        refreshIntervalMs,
        random,
      });
      if (tracing) logger.trace({ ...fields, sleep: sleepMs }, 'Still owned; try again soon');
      if (!push) {
        await clock.sleep(sleepMs, sleepSignal);
        continue;
      }
      if (unwatch === undefined) {
        unwatch = store.watch!(OWNERSHIP_PARTITION, keyBytes, () => {
          notified = true;
          wake?.abort();
        });
        continue; // subscribed: look again at once
      }
      if (notified) continue; // released while this attempt was in flight: retry at once
      wake = new AbortController();
      if (await sleepUnlessNotified(ctx, sleepMs, sleepSignal, wake)) logger.trace(fields, 'Release notified; try again now');
      wake = undefined;
    }
  } finally {
    unwatch?.();
  }
}

/** The candidate record for `owner`, decided on `read` (the record read or guessed; absent: undefined) at `nowMs`. */
export function candidateRecord(
  ctx: Pick<OwnerContext, 'strategy' | 'refreshIntervalMs'>,
  owner: string,
  read: MostlyCorrectOwnership | undefined,
  nowMs: number,
): { bytes: Uint8Array; token: bigint | undefined; expires: number } {
  const { strategy, refreshIntervalMs } = ctx;
  const candidate = newRecord(owner, nowMs + refreshIntervalMs, ownerComment(owner, nowMs));
  const token = strategy.fencing ? (read?.token ?? 0n) + 1n : undefined;
  if (token !== undefined) {
    candidate.token = token;
    candidate.leaseMs = Math.round(refreshIntervalMs);
  }
  return { bytes: encodeRecord(candidate), token, expires: expiresMs(candidate) };
}

/** After a write of `bytes`: the entry written (remembered when speculating), or `undefined` when it lost (what was found is remembered). */
function afterWrite(ctx: OwnerContext, prefixedKey: string, bytes: Uint8Array, result: SwapResult): StoreEntry | undefined {
  if (result.swapped) {
    const written = { value: bytes, predicate: result.predicate };
    ctx.known?.remember(prefixedKey, written);
    return written;
  }
  ctx.known?.remember(prefixedKey, result.current);
  return undefined;
}

/**
 * Sleeps `ms`, or less when `wake` aborts (a release notification; then
 * resolves `true`); rejects only when `signal` aborts. Leaves no timer and no
 * listener behind.
 */
async function sleepUnlessNotified(ctx: OwnerContext, ms: number, signal: AbortSignal | undefined, wake: AbortController): Promise<boolean> {
  signal?.throwIfAborted();
  const detach = linkSignal(signal, wake);
  try {
    await ctx.clock.sleep(ms, wake.signal);
    return false;
  } catch (err) {
    signal?.throwIfAborted();
    if (!wake.signal.aborted) throw err;
    return true;
  } finally {
    detach();
  }
}

/** The record in `value`, or `undefined` when it is not one (a guess that cannot be decided on). */
function tryDecode(value: Uint8Array, prefixedKey: string): MostlyCorrectOwnership | undefined {
  try {
    return decodeRecord(value, prefixedKey);
  } catch {
    return undefined;
  }
}

/** What the expiry rule sees of a stored record. */
function seen(entry: StoreEntry, record: MostlyCorrectOwnership): SeenRecord {
  return { value: entry.value, expiresMs: expiresMs(record), leaseMs: record.leaseMs };
}
