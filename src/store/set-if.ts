/**
 * A {@link Store} from a store with lakeFS's `kv.Store` conditional write:
 * `get`, and `setIf` that writes only if the stored value still matches a
 * predicate and throws {@link PredicateFailedError} when it does not. Its
 * `swap` is that `setIf`, and, when the write loses, a `get` for what the
 * store holds: one round trip more than a native swap, and only then.
 */
import { isPredicateFailed } from '../errors.js';
import { valuePredicate, type Predicate, type Store, type StoreEntry, type SwapResult, type Unsubscribe } from './store.js';

/** A store with lakeFS's `kv.Store` semantics (`get` + `setIf`); notifications optional, as on {@link Store}. */
export interface SetIfStore {
  get(partition: string, key: Uint8Array): Promise<StoreEntry | undefined>;
  /** Writes `value` only if the stored value matches `predicate` (`null`: the key is absent); else throws {@link PredicateFailedError}. */
  setIf(partition: string, key: Uint8Array, value: Uint8Array, predicate: Predicate | null): Promise<void>;
  notify?(partition: string, key: Uint8Array): Promise<void>;
  watch?(partition: string, key: Uint8Array, listener: () => void): Unsubscribe;
}

/** Options of {@link swapOverSetIf}. */
export interface SwapOverSetIfOptions {
  /**
   * The predicate a `get` would return for a value just written (the new
   * value's predicate, which `setIf` does not report). Default: the value
   * itself ({@link valuePredicate}), which is what lakeFS's drivers and every
   * bundled store use.
   */
  predicateOf?: (value: Uint8Array) => Predicate;
}

/** `store` with `swap` built on its `setIf` (see the module comment). */
export function swapOverSetIf(store: SetIfStore, options: SwapOverSetIfOptions = {}): Store {
  const predicateOf = options.predicateOf ?? ((value: Uint8Array) => valuePredicate(value.slice()));
  const adapted: Store = {
    get: (partition, key) => store.get(partition, key),
    async swap(partition, key, value, expected): Promise<SwapResult> {
      try {
        await store.setIf(partition, key, value, expected);
      } catch (err) {
        if (!isPredicateFailed(err)) throw err;
        return { swapped: false, current: await store.get(partition, key) };
      }
      return { swapped: true, predicate: predicateOf(value) };
    },
  };
  if (store.notify !== undefined && store.watch !== undefined) {
    adapted.notify = (partition, key) => store.notify!(partition, key);
    adapted.watch = (partition, key, listener) => store.watch!(partition, key, listener);
  }
  return adapted;
}
