/**
 * What the owner's parts share: the settings every acquire loop and
 * ownership handle works with, what a successful acquisition hands to its
 * handle, and how a key's local queue and its holder talk. Types only, plus
 * the fast path's memory of stored records; no part imports another for
 * these, so `src/` has no import cycles (a test checks).
 */
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import type { RandomSource } from './random.js';
import type { Store, StoreEntry } from './store/store.js';
import type { Strategy } from './strategies/strategy.js';

/** The settings every acquire loop and {@link Holder} shares with its owner. */
export interface OwnerContext {
  readonly store: Store;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly logger: Logger;
  readonly strategy: Strategy;
  readonly acquireIntervalMs: number;
  readonly refreshIntervalMs: number;
  readonly lossMarginMs: number;
  /** What this owner last knew to be stored per key, when it speculates (strategy and `fastPath` allow); else `undefined`. */
  readonly known: KnownRecords | undefined;
}

/** What a successful acquisition (or local handoff) knows. */
export interface Acquired {
  /** Monotonic time at which the read that led to the write was sent. */
  readonly sentAtMono: number;
  /** The fencing token written (strategies with fencing). */
  readonly token: bigint | undefined;
  /** The record written (bytes and predicate): the guess for the first refresh and the release. */
  readonly written: StoreEntry;
}

/** What the shared acquire loop needs from whoever it acquires for (a key's local queue, or one `own()`). */
export interface Claim {
  /** The owner id to write in the next candidate record (a queue's head, now in flight). */
  pick(): string;
  /** The write for the picked owner lost the race: it goes back to the front. */
  unpick(): void;
}

/** What a key's local queue needs of the ownership it granted. */
export interface Holder {
  release(): Promise<void>;
}

/** How a {@link Holder} hands over to the next local waiter on release. */
export interface HandoffHooks {
  /** The next local waiter (now in flight), when `from` is the queue's holder and someone waits; `undefined` otherwise. */
  takeNext(from: Holder): string | undefined;
  /** The handoff write did not happen (lost race, store error): the waiter goes back to the front. */
  putBack(): void;
  /** The handoff wrote the next waiter's record. */
  handedOff(from: Holder, acquired: Acquired): void;
  /** `release()` of `from` finished without handing off. */
  released(from: Holder): void;
  /** `from` learned it lost the key (`ownership.lost` aborts at the same moment). */
  lost(from: Holder): void;
}

/**
 * The fast path's memory: the last entry this owner wrote or read per key,
 * the guess its next write on the key is decided on. Bounded: beyond `cap`
 * keys the oldest is forgotten, and a forgotten key is guessed absent (which
 * costs nothing extra when it is, and is answered with the record when not).
 */
export class KnownRecords {
  /** Oldest first (a Map keeps insertion order). */
  readonly #entries = new Map<string, StoreEntry>();
  readonly #cap: number;

  constructor(cap: number) {
    this.#cap = cap;
  }

  /** The last entry known for `prefixedKey` (`undefined`: absent, or not known). */
  get(prefixedKey: string): StoreEntry | undefined {
    return this.#entries.get(prefixedKey);
  }

  /**
   * Remembers what the store holds for `prefixedKey` (`undefined`: absent).
   * The value is copied: the next write is decided on these bytes, so
   * nothing done to the caller's or the store's arrays afterwards can change
   * that decision.
   */
  remember(prefixedKey: string, entry: StoreEntry | undefined): void {
    this.#entries.delete(prefixedKey);
    if (entry === undefined) return; // absent is what an unknown key is guessed to be anyway
    this.#entries.set(prefixedKey, { value: entry.value.slice(), predicate: entry.predicate });
    if (this.#entries.size > this.#cap) this.#entries.delete(this.#entries.keys().next().value!);
  }

  /** Number of keys remembered. */
  get size(): number {
    return this.#entries.size;
  }
}

/**
 * The state a held key's handle (`ownership.ts`), its refresh loop
 * (`refresh.ts`) and its release (`release.ts`) share.
 */
export interface HeldKey {
  readonly ctx: OwnerContext;
  /** The unique owner id, `<owner>#<slug>`. */
  readonly owner: string;
  /** The key as given to `own()`. */
  readonly key: string;
  /** `<prefix>/<key>`. */
  readonly prefixedKey: string;
  /** The stored key's bytes. */
  readonly keyBytes: Uint8Array;
  /** Aborted on release or loss: stops the refresh loop and the deadline watcher. */
  readonly stop: AbortController;
  /** The last record this holder wrote: the guess its next refresh or release writes on (when speculating). */
  lastWrite: StoreEntry | undefined;
  /** Monotonic time the read of the last successful write (acquire or refresh) was sent. */
  lastSentMono: number;
  /** The refresh loop's store operation in flight, if any (a release that stops the loop first waits for it). */
  inflight: Promise<unknown> | undefined;
  /** The holder learned it lost the key (strategies that signal loss tell it; others ignore this). */
  markLost(reason: 'taken' | 'vanished' | 'deadline' | 'corrupt', newOwner?: string): void;
}
