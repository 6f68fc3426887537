/**
 * MemoryStore: the embedded default. One process only; every operation is
 * atomic because it runs to completion synchronously. The synchronous core,
 * {@link MemoryKV}, is exported for callers that need to apply operations at
 * an exact instant (the simulator's store does).
 */
import { PredicateFailedError } from '../errors.js';
import { bytesEqual, predicateValue, valuePredicate, type Predicate, type Store, type StoreEntry } from './store.js';

/** Synchronous key-value map with lakeFS predicate semantics. Values are copied in and out. */
export class MemoryKV {
  readonly #data = new Map<string, Uint8Array>();

  get(partition: string, key: Uint8Array): StoreEntry | undefined {
    const value = this.#data.get(mapKey(partition, key));
    if (value === undefined) return undefined;
    return { value: value.slice(), predicate: valuePredicate(value.slice()) };
  }

  set(partition: string, key: Uint8Array, value: Uint8Array): void {
    this.#data.set(mapKey(partition, key), value.slice());
  }

  /** Writes if the predicate matches (`null`: key absent); returns whether it wrote. */
  setIf(partition: string, key: Uint8Array, value: Uint8Array, predicate: Predicate | null): boolean {
    const k = mapKey(partition, key);
    const current = this.#data.get(k);
    const matches =
      predicate === null ? current === undefined : current !== undefined && bytesEqual(current, predicateValue(predicate));
    if (matches) this.#data.set(k, value.slice());
    return matches;
  }

  delete(partition: string, key: Uint8Array): void {
    this.#data.delete(mapKey(partition, key));
  }

  /** Number of stored keys, across partitions. */
  get size(): number {
    return this.#data.size;
  }
}

/** An in-memory {@link Store}. */
export class MemoryStore implements Store {
  readonly kv = new MemoryKV();

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

  delete(partition: string, key: Uint8Array): Promise<void> {
    this.kv.delete(partition, key);
    return Promise.resolve();
  }

  /** Number of stored keys, across partitions. */
  get size(): number {
    return this.kv.size;
  }
}

function mapKey(partition: string, key: Uint8Array): string {
  let hex = '';
  for (const b of key) hex += b.toString(16).padStart(2, '0');
  return `${partition.length}:${partition}:${hex}`;
}
