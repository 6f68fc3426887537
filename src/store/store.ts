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
