/**
 * The simulated store's state: a map with lakeFS's compare-and-set
 * semantics, applied synchronously at the instant a request arrives. The
 * simulator's own, on its side of the seam (the library's `MemoryKV` has the
 * same semantics and stays plain). Map keys are the key bytes as latin1
 * text, rebuilt per operation (cheaper than remembering them per key array:
 * the owner makes a fresh key array for every `own()`).
 */
import { Buffer } from 'node:buffer';
import type { Predicate, StoreEntry, SwapResult } from 'mostly-correct-owner';
import { bytesEqual, predicateValue, valuePredicate } from 'mostly-correct-owner/internal';

export class SimKV {
  readonly #data = new Map<string, Uint8Array>();

  /** A copy of the stored value, and the stored array itself as its predicate (never written to). */
  get(partition: string, key: Uint8Array): StoreEntry | undefined {
    const value = this.#data.get(this.#key(partition, key));
    return value === undefined ? undefined : { value: value.slice(), predicate: valuePredicate(value) };
  }

  /** The stored array itself (the same array until the next write to the key); the caller must not change it. */
  peek(partition: string, key: Uint8Array): Uint8Array | undefined {
    return this.#data.get(this.#key(partition, key));
  }

  /** Writes a copy of `value` if the stored value matches `expected` (`null`: absent), else answers what is stored. */
  swap(partition: string, key: Uint8Array, value: Uint8Array, expected: Predicate | null): SwapResult {
    const k = this.#key(partition, key);
    const current = this.#data.get(k);
    const matches = expected === null ? current === undefined : current !== undefined && bytesEqual(current, predicateValue(expected));
    if (!matches) return { swapped: false, current: current === undefined ? undefined : { value: current.slice(), predicate: valuePredicate(current) } };
    const stored = Uint8Array.prototype.slice.call(value); // a copy (also of a Buffer, whose own slice is a view); cheaper than new Uint8Array(value)
    this.#data.set(k, stored);
    return { swapped: true, predicate: valuePredicate(stored) };
  }

  #key(partition: string, key: Uint8Array): string {
    // short keys (all the owner makes) without a Buffer: one char per byte, as latin1
    const bytes = key.length <= 256 ? String.fromCharCode.apply(null, key as unknown as number[]) : Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
    return `${partition}\0${bytes}`;
  }
}
