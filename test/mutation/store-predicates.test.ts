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

describe('MemoryStore watch/notify', () => {
  const flushMicrotasks = () => new Promise<void>((r) => setImmediate(r));

  it('a listener unsubscribed after notify() but before delivery is not called', async () => {
    const store = new MemoryStore();
    let called = 0;
    const off = store.watch('p', key, () => called++);
    const notified = store.notify('p', key); // delivery is queued, not yet run
    off();
    await notified;
    await flushMicrotasks();
    expect(called).toBe(0);
  });

  it('calling an unsubscribe twice does not cancel a later subscription', async () => {
    const store = new MemoryStore();
    const off = store.watch('p', key, () => {});
    off();
    let later = 0;
    const offLater = store.watch('p', key, () => later++);
    off();
    await store.notify('p', key);
    await flushMicrotasks();
    expect(later).toBe(1);
    offLater();
  });
});
