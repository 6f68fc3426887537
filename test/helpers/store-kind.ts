/**
 * The store kind the owner's tests run on in this test project
 * (vitest.config.ts): `swap`, a MemoryStore with its native one-request
 * swap (project `default`), or `set-if`, a MemoryStore whose swap is
 * `swapOverSetIf`'s, lakeFS's SetIf and a read when it loses (project
 * `set-if-store`). The owner takes the same path on both; the second kind
 * is what a user's get + setIf store gives it. Stores are constructed, never
 * patched.
 */
import { MemoryStore, swapOverSetIf, type Predicate, type SwapResult } from '../../src/index.js';

export const STORE_KIND: 'swap' | 'set-if' = process.env.MCO_STORE_KIND === 'set-if' ? 'set-if' : 'swap';

/** A MemoryStore whose `swap` is `swapOverSetIf(this)`'s (inspection and notifications as MemoryStore's). */
export class SetIfMemoryStore extends MemoryStore {
  readonly #adapted = swapOverSetIf(this);

  override swap(partition: string, key: Uint8Array, value: Uint8Array, expected: Predicate | null): Promise<SwapResult> {
    return this.#adapted.swap(partition, key, value, expected);
  }
}

/** A fresh in-memory store of this project's {@link STORE_KIND}. */
export function memoryStore(): MemoryStore {
  return STORE_KIND === 'set-if' ? new SetIfMemoryStore() : new MemoryStore();
}
