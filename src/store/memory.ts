/**
 * MemoryStore: the embedded default. One process only; every operation is
 * atomic because it runs to completion in one turn of the event loop.
 */
import { PredicateFailedError } from '../errors.js';
import { bytesEqual, predicateValue, valuePredicate, type Predicate, type Store, type StoreEntry } from './store.js';

/** An in-memory {@link Store}. Values are copied in and out. */
export class MemoryStore implements Store {
  readonly #data = new Map<string, Uint8Array>();

  get(partition: string, key: Uint8Array): Promise<StoreEntry | undefined> {
    const value = this.#data.get(mapKey(partition, key));
    if (value === undefined) return Promise.resolve(undefined);
    return Promise.resolve({ value: value.slice(), predicate: valuePredicate(value.slice()) });
  }

  set(partition: string, key: Uint8Array, value: Uint8Array): Promise<void> {
    this.#data.set(mapKey(partition, key), value.slice());
    return Promise.resolve();
  }

  setIf(partition: string, key: Uint8Array, value: Uint8Array, predicate: Predicate | null): Promise<void> {
    const k = mapKey(partition, key);
    const current = this.#data.get(k);
    const matches =
      predicate === null ? current === undefined : current !== undefined && bytesEqual(current, predicateValue(predicate));
    if (!matches) return Promise.reject(new PredicateFailedError(partition, key));
    this.#data.set(k, value.slice());
    return Promise.resolve();
  }

  delete(partition: string, key: Uint8Array): Promise<void> {
    this.#data.delete(mapKey(partition, key));
    return Promise.resolve();
  }

  /** Number of stored keys, across partitions. */
  get size(): number {
    return this.#data.size;
  }
}

function mapKey(partition: string, key: Uint8Array): string {
  let hex = '';
  for (const b of key) hex += b.toString(16).padStart(2, '0');
  return `${partition.length}:${partition}:${hex}`;
}
