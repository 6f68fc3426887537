/**
 * The simulated store's state: a map with lakeFS's compare-and-set
 * semantics, applied synchronously at the instant a request arrives. The
 * simulator's own, on its side of the seam (the library's `MemoryKV` has the
 * same semantics and stays plain).
 *
 * Keys are looked up by a 32-bit hash of their bytes (collisions chained and
 * told apart by comparing the bytes), not by a string built from the bytes
 * per operation: the owner makes a fresh key array for every `own()`, so no
 * lookup by array identity would hit. Values handed out are copies, so the
 * production code can never change what is stored; the copies are views
 * into a slab the store fills and never rewrites (as Node's pooled `Buffer`s,
 * which a real client hands out, are views into shared slabs), because a
 * separate `ArrayBuffer` for a ≈ 90-byte record costs an allocation outside
 * V8's heap per operation.
 */
import type { Predicate, StoreEntry, SwapResult } from 'mostly-correct-owner';
import { bytesEqual, predicateValue, valuePredicate } from 'mostly-correct-owner/internal';
import { hashBytes } from './prng.js';

/** Bytes per slab of value copies; a value over a quarter of it gets an array of its own. */
const SLAB_BYTES = 64 * 1024;

/** One stored key: its bytes (a copy), its value, and the next key of the same hash. */
interface Slot {
  readonly key: Uint8Array;
  value: Uint8Array;
  next: Slot | undefined;
}

export class SimKV {
  /** Per partition: slots by the hash of their key bytes. */
  readonly #partitions = new Map<string, Map<number, Slot>>();
  #slab = new ArrayBuffer(SLAB_BYTES);
  #slabUsed = 0;

  /** A copy of the stored value, and the stored array itself as its predicate (never written to). */
  get(partition: string, key: Uint8Array): StoreEntry | undefined {
    const value = this.#find(partition, key)?.value;
    return value === undefined ? undefined : { value: this.#copy(value), predicate: valuePredicate(value) };
  }

  /** The stored array itself (the same array until the next write to the key); the caller must not change it. */
  peek(partition: string, key: Uint8Array): Uint8Array | undefined {
    return this.#find(partition, key)?.value;
  }

  /** Writes a copy of `value` if the stored value matches `expected` (`null`: absent), else answers what is stored. */
  swap(partition: string, key: Uint8Array, value: Uint8Array, expected: Predicate | null): SwapResult {
    const slot = this.#find(partition, key);
    const current = slot?.value;
    const matches = expected === null ? current === undefined : current !== undefined && bytesEqual(current, predicateValue(expected));
    if (!matches) return { swapped: false, current: current === undefined ? undefined : { value: this.#copy(current), predicate: valuePredicate(current) } };
    const stored = this.#copy(value);
    if (slot === undefined) this.#insert(partition, key, stored);
    else slot.value = stored;
    return { swapped: true, predicate: valuePredicate(stored) };
  }

  #find(partition: string, key: Uint8Array): Slot | undefined {
    for (let s = this.#partitions.get(partition)?.get(hashBytes(key)); s !== undefined; s = s.next) if (bytesEqual(s.key, key)) return s;
    return undefined;
  }

  #insert(partition: string, key: Uint8Array, value: Uint8Array): void {
    let slots = this.#partitions.get(partition);
    if (slots === undefined) this.#partitions.set(partition, (slots = new Map<number, Slot>()));
    const h = hashBytes(key);
    slots.set(h, { key: Uint8Array.prototype.slice.call(key), value, next: slots.get(h) });
  }

  /** A copy of `bytes` (also of a Buffer) that nothing else refers to, in the current slab when it fits. */
  #copy(bytes: Uint8Array): Uint8Array {
    const n = bytes.length;
    if (n > SLAB_BYTES / 4) return Uint8Array.prototype.slice.call(bytes);
    if (this.#slabUsed + n > SLAB_BYTES) {
      this.#slab = new ArrayBuffer(SLAB_BYTES);
      this.#slabUsed = 0;
    }
    const copy = new Uint8Array(this.#slab, this.#slabUsed, n);
    copy.set(bytes);
    this.#slabUsed += n;
    return copy;
  }
}
