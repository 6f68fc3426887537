/**
 * The writes of `release()`: if the record is still ours, write it expiring
 * at the epoch (or, when a local waiter is queued, naming that waiter), on
 * one path (`get` and `swap`). When it speculates, the first write goes out
 * on the guess that the store still holds our last write.
 */
import { candidateRecord } from './acquire.js';
import type { HandoffHooks, HeldKey, Holder } from './context.js';
import { OWNERSHIP_PARTITION, decodeRecord, encodeRecord, quantizeMs, timestampFromMs, type MostlyCorrectOwnership } from './record.js';
import { sameEntry, type Predicate, type StoreEntry } from './store/store.js';

/**
 * How a release ended: handed to a local waiter, written as expired (and
 * whether the store notified waiters in the same request), or nothing
 * written (not ours any more, or given up after lost races).
 */
export type ReleaseOutcome = 'handed-off' | 'expired' | 'expired-notified' | 'done';

/** What a release attempt decides on: a read (or the guess of our last write) and when it was sent. */
interface View {
  readonly entry: StoreEntry | undefined;
  readonly sentAtMono: number;
  /** A guess (our last write), not a read. */
  readonly guess: boolean;
}

/** A lost race, with what the store answered as the next attempt's read when it can serve as one. */
interface Raced {
  readonly raced: 'guess' | 'read';
  readonly next: View | undefined;
}

/**
 * Writes the release of `held` (see the module comment). `self` is the
 * handle, for the local queue's `hooks`. A store failure rejects; a lost
 * race is not a failure.
 */
export async function releaseRecord(held: HeldKey, self: Holder, hooks: HandoffHooks | undefined): Promise<ReleaseOutcome> {
  const { strategy, known, clock } = held.ctx;
  const attempts = strategy.release.attempts;
  // the first write goes out on the guess that the record is still our last write;
  // when it is not, the store's answer is the read of attempt 1
  let view: View | undefined =
    known !== undefined && held.lastWrite !== undefined ? { entry: held.lastWrite, sentAtMono: clock.monotonicNow(), guess: true } : undefined;
  for (let attempt = 1; ; attempt++) {
    const guessed = view?.guess === true;
    const outcome = await releaseOnce(held, self, hooks, view);
    if (typeof outcome === 'string') return outcome;
    view = outcome.next;
    if (guessed && outcome.raced === 'guess') attempt--; // the store's answer is this attempt's read
    if (attempt >= attempts) return 'done';
  }
}

/** One release attempt, from `view`, or from a fresh read when there is none. */
async function releaseOnce(held: HeldKey, self: Holder, hooks: HandoffHooks | undefined, view: View | undefined): Promise<ReleaseOutcome | Raced> {
  const { store, logger, clock, strategy } = held.ctx;
  if (view === undefined) {
    const sentAtMono = clock.monotonicNow();
    view = { entry: await store.get(OWNERSHIP_PARTITION, held.keyBytes), sentAtMono, guess: false };
  }
  const { entry } = view;
  if (entry === undefined) {
    // Go: releaseIf fails on a missing record; nothing to release
    logger.info({ prefixed_key: held.prefixedKey, owner: held.owner }, 'Ownership record not found; nothing to release');
    return 'done';
  }
  const record = decodeRecord(entry.value, held.prefixedKey, held.owner);
  const fields = { prefixed_key: held.prefixedKey, owner: held.owner, new_owner: record.owner };
  if (record.owner !== held.owner) {
    logger.info(fields, 'Lost ownership race before trying to release');
    return 'done';
  }
  const next = hooks?.takeNext(self);
  if (next !== undefined) return handOff(held, self, hooks!, next, record, view);
  // Expiry at the beginning of time: definitely expired. (Go resets the
  // Timestamp in place, so the field stays present with zero seconds/nanos.)
  record.expires = timestampFromMs(0);
  // push handoff: the notification rides along with the write when the store can do both at once
  const notify = strategy.handoff.push && store.notify !== undefined;
  const written = await write(held, encodeRecord(record), entry.predicate, notify);
  if (written.ok) return written.notified ? 'expired-notified' : 'expired';
  if (!view.guess) logger.info(fields, 'Lost ownership race while trying to release');
  return raced(view, written.current);
}

/** One write from our record to `next`'s: a change of owner, so the token increments. */
async function handOff(held: HeldKey, self: Holder, hooks: HandoffHooks, next: string, ours: MostlyCorrectOwnership, view: View): Promise<ReleaseOutcome | Raced> {
  const { logger, clock } = held.ctx;
  const candidate = candidateRecord(held.ctx, next, ours, quantizeMs(clock.now()));
  let written;
  try {
    written = await write(held, candidate.bytes, view.entry!.predicate);
  } catch (err) {
    hooks.putBack();
    throw err;
  }
  if (!written.ok) {
    hooks.putBack();
    if (!view.guess) logger.info({ prefixed_key: held.prefixedKey, owner: held.owner, new_owner: next }, 'Lost ownership race while handing over');
    return raced(view, written.current);
  }
  hooks.handedOff(self, { sentAtMono: view.sentAtMono, token: candidate.token, written: written.entry });
  return 'handed-off';
}

/**
 * After a lost race from `view`: what the store answered as the next read,
 * unless it is the state `view` held (a store answering from before the
 * write that won: read again).
 */
function raced(view: View, current: StoreEntry | undefined): Raced {
  if (sameEntry(current, view.entry)) return { raced: 'read', next: undefined };
  return { raced: view.guess ? 'guess' : 'read', next: { entry: current, sentAtMono: view.sentAtMono, guess: false } };
}

/** Writes `value` if the record still matches `predicate`, remembering what it wrote or found (when speculating). */
async function write(
  held: HeldKey,
  value: Uint8Array,
  predicate: Predicate,
  notify = false,
): Promise<{ ok: true; entry: StoreEntry; notified: boolean } | { ok: false; current: StoreEntry | undefined }> {
  const { store, known } = held.ctx;
  const result = await store.swap(OWNERSHIP_PARTITION, held.keyBytes, value, predicate, notify ? { notify: true } : undefined);
  if (result.swapped) {
    const entry = { value, predicate: result.predicate };
    if (known !== undefined) held.lastWrite = entry;
    known?.remember(held.prefixedKey, entry);
    return { ok: true, entry, notified: result.notified === true };
  }
  known?.remember(held.prefixedKey, result.current);
  return { ok: false, current: result.current };
}
