/**
 * MemoryStore: the embedded default. One process only; every operation is
 * atomic because it runs to completion synchronously. The synchronous core,
 * {@link MemoryKV}, is exported for callers that need to apply operations at
 * an exact instant (the simulator's store does).
 */
import { Buffer } from 'node:buffer';
import { PredicateFailedError } from '../errors.js';
import { bytesEqual, predicateValue, valuePredicate, type Predicate, type Store, type StoreEntry, type SwapOptions, type SwapResult, type Unsubscribe } from './store.js';

/**
 * Synchronous key-value map with lakeFS predicate semantics. Values are copied
 * in and out, so neither side can change the other's bytes. A stored array is
 * never written to after it was stored (every write stores a fresh copy), so
 * the opaque predicate `get` returns can be the stored array itself.
 */
export class MemoryKV {
  readonly #data = new Map<string, Uint8Array>();

  get(partition: string, key: Uint8Array): StoreEntry | undefined {
    const value = this.#data.get(mapKey(partition, key));
    if (value === undefined) return undefined;
    return { value: value.slice(), predicate: valuePredicate(value) };
  }

  /**
   * The stored array itself, not a copy: the same array until the next write
   * to the key, so a caller can tell by identity that nothing changed. The
   * caller must not modify it. (The simulator's judge reads the store on
   * every resource write this way.)
   */
  peek(partition: string, key: Uint8Array): Uint8Array | undefined {
    return this.#data.get(mapKey(partition, key));
  }

  set(partition: string, key: Uint8Array, value: Uint8Array): void {
    this.#data.set(mapKey(partition, key), new Uint8Array(value));
  }

  /** Writes if the predicate matches (`null`: key absent); returns whether it wrote. */
  setIf(partition: string, key: Uint8Array, value: Uint8Array, predicate: Predicate | null): boolean {
    return this.#setIf(partition, key, value, predicate) !== undefined;
  }

  /** {@link Store.swap}, synchronously: writes if `expected` matches, else returns what is stored. */
  swap(partition: string, key: Uint8Array, value: Uint8Array, expected: Predicate | null): SwapResult {
    const stored = this.#setIf(partition, key, value, expected);
    // the stored array is never written again, so it is the new value's predicate as it is
    if (stored !== undefined) return { swapped: true, predicate: valuePredicate(stored) };
    return { swapped: false, current: this.get(partition, key) };
  }

  /** setIf's write: the array now stored, or `undefined` when the predicate did not match. */
  #setIf(partition: string, key: Uint8Array, value: Uint8Array, predicate: Predicate | null): Uint8Array | undefined {
    const k = mapKey(partition, key);
    const current = this.#data.get(k);
    const matches =
      predicate === null ? current === undefined : current !== undefined && bytesEqual(current, predicateValue(predicate));
    if (!matches) return undefined;
    const stored = new Uint8Array(value);
    this.#data.set(k, stored);
    return stored;
  }

  delete(partition: string, key: Uint8Array): void {
    this.#data.delete(mapKey(partition, key));
  }

  /** Number of stored keys, across partitions. */
  get size(): number {
    return this.#data.size;
  }
}

/**
 * An in-memory {@link Store}, with release notifications delivered in-process
 * (on a microtask after `notify`, never re-entrantly).
 */
export class MemoryStore implements Store {
  readonly kv = new MemoryKV();
  readonly #watchers = new Map<string, Set<() => void>>();

  get(partition: string, key: Uint8Array): Promise<StoreEntry | undefined> {
    return Promise.resolve(this.kv.get(partition, key));
  }

  set(partition: string, key: Uint8Array, value: Uint8Array): Promise<void> {
    this.kv.set(partition, key, value);
    return Promise.resolve();
  }

  setIf(partition: string, key: Uint8Array, value: Uint8Array, predicate: Predicate | null): Promise<void> {
    if (this.kv.setIf(partition, key, value, predicate)) return Promise.resolve();
    return Promise.reject(new PredicateFailedError(partition, key));
  }

  /** {@link Store.swap}; with `options.notify`, a write also notifies the key's watchers. */
  swap(partition: string, key: Uint8Array, value: Uint8Array, expected: Predicate | null, options?: SwapOptions): Promise<SwapResult> {
    const result = this.kv.swap(partition, key, value, expected);
    if (!result.swapped || options?.notify !== true) return Promise.resolve(result);
    void this.notify(partition, key);
    return Promise.resolve({ ...result, notified: true });
  }

  delete(partition: string, key: Uint8Array): Promise<void> {
    this.kv.delete(partition, key);
    return Promise.resolve();
  }

  notify(partition: string, key: Uint8Array): Promise<void> {
    const listeners = this.#watchers.get(mapKey(partition, key));
    if (listeners !== undefined) {
      const snapshot = [...listeners];
      void Promise.resolve().then(() => {
        for (const listener of snapshot) if (listeners.has(listener)) listener();
      });
    }
    return Promise.resolve();
  }

  watch(partition: string, key: Uint8Array, listener: () => void): Unsubscribe {
    const k = mapKey(partition, key);
    let listeners = this.#watchers.get(k);
    if (listeners === undefined) this.#watchers.set(k, (listeners = new Set()));
    // a wrapper per call, so the same function watched twice is two subscriptions
    const entry = (): void => listener();
    listeners.add(entry);
    return () => {
      listeners.delete(entry);
      if (listeners.size === 0 && this.#watchers.get(k) === listeners) this.#watchers.delete(k);
    };
  }

  /** Number of stored keys, across partitions. */
  get size(): number {
    return this.kv.size;
  }

  /** Number of keys with at least one watcher (for leak checks). */
  get watchedKeys(): number {
    return this.#watchers.size;
  }

  /** Drops every watcher (nothing else to close: the data stays readable). Safe to call twice. */
  close(): Promise<void> {
    this.#watchers.clear();
    return Promise.resolve();
  }

  /** {@link close}: `await using store = new MemoryStore()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** The map key of `(partition, key)`: the partition, length-prefixed, then the key in hex (injective). */
function mapKey(partition: string, key: Uint8Array): string {
  return `${partition.length}:${partition}:${Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex')}`;
}
