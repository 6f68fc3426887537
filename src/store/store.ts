/**
 * Where the store is touched: the one narrow interface every backend
 * implements. It mirrors lakeFS's `kv.Store` semantics.
 *
 * - `get` returns the value and an opaque {@link Predicate}, or `undefined`
 *   when the key does not exist.
 * - `setIf(…, predicate)` writes only if the current value still matches the
 *   predicate from a previous `get`; a `null` predicate means "only if the key
 *   does not exist". A mismatch throws {@link PredicateFailedError}; any other
 *   failure throws whatever the backend throws.
 * - `set` writes unconditionally, `delete` removes (a missing key is not an
 *   error).
 *
 * Keys and values are bytes; partitions are strings.
 *
 * Optional capability, release notifications (`notify` + `watch`, both or
 * neither): a releasing holder calls `notify`, and every `watch` listener on
 * that key, in any process sharing the store, is called soon after, so a
 * waiter retries at once instead of at its next poll. Best effort: a
 * notification may be late, duplicated or lost (a subscription that is not
 * yet established, a dropped connection), so waiters keep polling as the
 * fallback. A notification carries no data: the listener re-reads the
 * record. Stores without the capability work unchanged (waiters only poll).
 *
 * Optional capability, `swap` (one round trip compare-and-set that answers
 * with what it found): atomically, if the current value matches `expected`
 * (`null`: the key is absent), write `value` and answer `{ swapped: true,
 * predicate }` (the predicate of the value just written); otherwise write
 * nothing and answer `{ swapped: false, current }`, what a `get` would have
 * returned at that moment. It is exactly "`get`, and if the result matches
 * `expected`, `setIf`", with nothing in between: one of the interleavings
 * the `get` + `setIf` pair already allows, in one request. The owner uses it
 * to acquire, refresh and release in one round trip when it can guess the
 * stored value (strategies with `speculate`; see docs/strategies.md). A store
 * without it works unchanged on `get` + `setIf`.
 *
 * `current` may be *older* than the write that made the swap fail when the
 * store cannot read and compare in one atomic step (PostgreSQL under READ
 * COMMITTED answers from the statement's snapshot: a writer that committed
 * while the statement ran makes the swap fail, yet `current` may still be the
 * value before that write, even one that matches `expected`). It is always a
 * value the key held at some moment during the call, so it is a valid read;
 * a caller that sees `current` match `expected` on a failed swap knows a
 * concurrent writer won (as a failed `setIf` after a `get` would tell it).
 */
declare const predicateBrand: unique symbol;

/**
 * What a `get` saw, to be handed back to `setIf`. Opaque: only the store that
 * produced it knows what it is (for every bundled store, the value's bytes).
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

/** A key-value store with compare-and-set, as lakeFS's `kv.Store`. */
export interface Store {
  /** The value at `(partition, key)`, or `undefined` when there is none. */
  get(partition: string, key: Uint8Array): Promise<StoreEntry | undefined>;
  /** Writes `value` unconditionally. */
  set(partition: string, key: Uint8Array, value: Uint8Array): Promise<void>;
  /**
   * Writes `value` only if the stored value still matches `predicate`
   * (`null`: only if the key does not exist). Throws
   * {@link PredicateFailedError} when it does not.
   */
  setIf(partition: string, key: Uint8Array, value: Uint8Array, predicate: Predicate | null): Promise<void>;
  /** Removes the key; removing a missing key succeeds. */
  delete(partition: string, key: Uint8Array): Promise<void>;
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
  /**
   * Optional: atomically writes `value` if the stored value matches
   * `expected` (`null`: only if the key is absent), else writes nothing and
   * answers with what a `get` would have returned (see the module comment,
   * also for what `current` means under a concurrent writer). Rejects only on
   * a store failure (never with {@link PredicateFailedError}).
   * `options.notify`: see {@link SwapOptions}.
   */
  swap?(partition: string, key: Uint8Array, value: Uint8Array, expected: Predicate | null, options?: SwapOptions): Promise<SwapResult>;
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
