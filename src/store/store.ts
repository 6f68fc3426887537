/**
 * Where the store is touched: the one narrow contract every backend meets.
 * Keys and values are bytes; partitions are strings.
 *
 * - `get` returns the value and an opaque {@link Predicate}, or `undefined`
 *   when the key does not exist.
 * - `swap(…, expected)`: atomically, if the current value matches `expected`
 *   (a predicate from a `get` or an earlier `swap`; `null`: the key is
 *   absent), write `value` and answer `{ swapped: true, predicate }` (the
 *   predicate of the value just written); otherwise write nothing and answer
 *   `{ swapped: false, current }`, what a `get` would have returned at that
 *   moment. It is lakeFS's `SetIf` that also says what it found, so a lost
 *   race needs no second round trip. Only a store failure rejects.
 *
 * The owner acquires, refreshes and releases through exactly these two, on
 * one path. A store with lakeFS's `kv.Store` semantics instead (`get` +
 * `setIf` that throws {@link PredicateFailedError}) gets `swap` from
 * {@link swapOverSetIf} (`src/store/set-if.ts`), at one more round trip
 * when a write loses.
 *
 * `current` may be *older* than the write that made the swap fail when the
 * store cannot read and compare in one atomic step (PostgreSQL under READ
 * COMMITTED answers from the statement's snapshot; the `setIf` adapter reads
 * after the failed write). It is always a value the key held at some moment
 * during the call, so it is a valid read; a caller that sees `current` match
 * `expected` on a failed swap knows a concurrent writer won.
 *
 * Entries handed out belong to the caller: a store never changes a value or
 * predicate array after returning it (the conformance suite checks the
 * bundled stores).
 *
 * Optional capability, release notifications (`notify` + `watch`, both or
 * neither): a releasing holder calls `notify`, and every `watch` listener on
 * that key, in any process sharing the store, is called soon after, so a
 * waiter retries at once instead of at its next poll. Best effort: a
 * notification may be late, duplicated or lost (a subscription that is not
 * yet established, a dropped connection), so waiters keep polling as the
 * fallback. A notification carries no data: the listener re-reads the
 * record. Stores without the capability work unchanged (waiters only poll).
 */
declare const predicateBrand: unique symbol;

/**
 * What a `get` (or a `swap`) saw, to be handed back to `swap` as `expected`.
 * Opaque: only the store that produced it knows what it is (for every
 * bundled store, the value's bytes).
 */
export interface Predicate {
  readonly [predicateBrand]: 'Predicate';
}

/** A stored value and the predicate that matches it. */
export interface StoreEntry {
  readonly value: Uint8Array;
  readonly predicate: Predicate;
}

/** What {@link Store.swap} did: wrote (and the new value's predicate), or found `current` and wrote nothing. */
export type SwapResult =
  | {
      readonly swapped: true;
      readonly predicate: Predicate;
      /** The store also sent the release notification the caller asked for in {@link SwapOptions} (same request). */
      readonly notified?: boolean;
    }
  | { readonly swapped: false; readonly current: StoreEntry | undefined };

/** Options of {@link Store.swap}. */
export interface SwapOptions {
  /**
   * When the swap writes, also notify the key's watchers (as `notify` would),
   * in the same request, and answer `notified: true`. A store that cannot do
   * both in one request ignores it and answers without `notified`; the
   * caller then calls `notify` itself. Only for stores with `notify`/`watch`.
   */
  readonly notify?: boolean;
}

/** The key-value store ownership records live in; see the module comment. */
export interface Store {
  /** The value at `(partition, key)`, or `undefined` when there is none. */
  get(partition: string, key: Uint8Array): Promise<StoreEntry | undefined>;
  /**
   * Atomically writes `value` if the stored value matches `expected` (`null`:
   * only if the key is absent), else writes nothing and answers with what a
   * `get` would have returned (see the module comment, also for what
   * `current` means under a concurrent writer). Rejects only on a store
   * failure. `options.notify`: see {@link SwapOptions}.
   */
  swap(partition: string, key: Uint8Array, value: Uint8Array, expected: Predicate | null, options?: SwapOptions): Promise<SwapResult>;
  /**
   * Optional (with `watch`): tells every watcher of `(partition, key)` that
   * the key was released. Resolves once the notification was handed to the
   * store; may reject on a store failure (callers log it and carry on).
   */
  notify?(partition: string, key: Uint8Array): Promise<void>;
  /**
   * Optional (with `notify`): calls `listener` (no arguments, synchronously
   * from the store's event delivery; it must not throw) for each `notify` on
   * `(partition, key)` from now on, best effort (see the module comment).
   * Returns a function that stops the calls; calling it twice is harmless.
   * Never throws: a subscription the store cannot establish is logged by the
   * store, and the watcher falls back to polling.
   */
  watch?(partition: string, key: Uint8Array, listener: () => void): Unsubscribe;
}

/** Ends a {@link Store.watch} subscription. Idempotent. */
export type Unsubscribe = () => void;

/** Wraps value bytes as a predicate; for stores whose predicate is the value. */
export function valuePredicate(value: Uint8Array): Predicate {
  return value as unknown as Predicate;
}

/** The value bytes inside a predicate made by {@link valuePredicate}. */
export function predicateValue(predicate: Predicate): Uint8Array {
  return predicate as unknown as Uint8Array;
}

/** Byte-wise equality. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether two answers name the same stored state (both absent, or equal bytes). */
export function sameEntry(a: StoreEntry | undefined, b: StoreEntry | undefined): boolean {
  return a === undefined || b === undefined ? a === b : bytesEqual(a.value, b.value);
}
