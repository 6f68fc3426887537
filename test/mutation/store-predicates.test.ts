/**
 * The in-memory store's conditional writes compare whole values: a
 * predicate whose value starts with the stored bytes (or the other way
 * round) does not match. Written for the mutation run (docs/mutation.md).
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore, swapOverSetIf } from '../../src/index.js';
import { bytesEqual, valuePredicate } from '../../src/internal.js';

const key = new TextEncoder().encode('k');

describe('a predicate matches the whole stored value, not a prefix of it', () => {
  for (const [name, stored, expected] of [
    ['expected longer than stored', [1, 2], [1, 2, 3]],
    ['expected shorter than stored', [1, 2, 3], [1, 2]],
  ] as const) {
    it(`${name}: swap and setIf refuse`, async () => {
      const store = new MemoryStore();
      await store.set('p', key, new Uint8Array(stored));
      const result = await store.swap('p', key, new Uint8Array([9]), valuePredicate(new Uint8Array(expected)));
      expect(result.swapped).toBe(false);
      await expect(store.setIf('p', key, new Uint8Array([9]), valuePredicate(new Uint8Array(expected)))).rejects.toThrow();
      const adapted = swapOverSetIf({ get: (p, k) => store.get(p, k), setIf: (p, k, v, pred) => store.setIf(p, k, v, pred) });
      expect((await adapted.swap('p', key, new Uint8Array([9]), valuePredicate(new Uint8Array(expected)))).swapped).toBe(false);
      expect([...(await store.get('p', key))!.value]).toEqual(stored);
    });
  }

  it('bytesEqual: equal bytes only, whatever the lengths', () => {
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3]))).toBe(false);
    expect(bytesEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2]))).toBe(false);
    expect(bytesEqual(new Uint8Array([]), new Uint8Array([]))).toBe(true);
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
  });
});
