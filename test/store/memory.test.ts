import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryKV, MemoryStore, valuePredicate } from '../../src/index.js';
import { bytesEqual } from '../../src/store/store.js';
import { notificationConformance, storeConformance, swapConformance } from './conformance.js';

storeConformance('MemoryStore', () => Promise.resolve({ store: new MemoryStore() }));
// one MemoryStore is one process's store: separate instances share nothing
notificationConformance('MemoryStore', () => Promise.resolve({ store: new MemoryStore() }), { crossInstance: false });
swapConformance('MemoryStore', () => Promise.resolve({ store: new MemoryStore() }));

describe('MemoryKV.peek', () => {
  const key = new TextEncoder().encode('k');
  it('returns the stored array itself until the next write to the key, then the new one', () => {
    const kv = new MemoryKV();
    expect(kv.peek('p', key)).toBeUndefined();
    const v1 = new Uint8Array([1, 2]);
    kv.set('p', key, v1);
    const first = kv.peek('p', key);
    expect(first).toEqual(v1);
    expect(first).not.toBe(v1); // stored as a copy
    expect(kv.peek('p', key)).toBe(first);
    kv.setIf('p', key, new Uint8Array([3]), valuePredicate(new Uint8Array([9]))); // no match: no write
    expect(kv.peek('p', key)).toBe(first);
    kv.setIf('p', key, new Uint8Array([3]), kv.get('p', key)!.predicate);
    expect(kv.peek('p', key)).not.toBe(first);
    expect(kv.peek('p', key)).toEqual(new Uint8Array([3]));
    expect(first).toEqual(v1); // the old array was not written over
  });
});

describe('MemoryKV keys', () => {
  it('finds the key the bytes say now, when a caller reuses and changes its key array', () => {
    const kv = new MemoryKV();
    const key = new TextEncoder().encode('key-a');
    kv.set('p', key, new Uint8Array([1]));
    key[4] = 'b'.charCodeAt(0); // now 'key-b'
    expect(kv.get('p', key)).toBeUndefined();
    kv.set('p', key, new Uint8Array([2]));
    expect(kv.get('p', new TextEncoder().encode('key-a'))!.value).toEqual(new Uint8Array([1]));
    expect(kv.get('p', new TextEncoder().encode('key-b'))!.value).toEqual(new Uint8Array([2]));
    expect(kv.get('q', key)).toBeUndefined(); // same bytes, other partition
    expect(kv.size).toBe(2);
  });
});

describe('MemoryKV copies', () => {
  it('MemoryKV.get hands out a copy the caller may change without touching the store', () => {
    const kv = new MemoryKV();
    const key = new TextEncoder().encode('k');
    kv.set('p', key, new Uint8Array([1, 2, 3]));
    const a = kv.get('p', key)!;
    a.value.fill(9);
    expect(kv.get('p', key)!.value).toEqual(new Uint8Array([1, 2, 3]));
    expect(kv.setIf('p', key, new Uint8Array([4]), a.predicate)).toBe(true); // the predicate was not the changed copy
  });
});

describe('bytesEqual', () => {
  it('is byte-wise equality, on any views', () => {
    const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
    const bytes = fc.integer({ min: 0, max: 200 }).chain((n) => fc.uint8Array({ minLength: n, maxLength: n }));
    const pair = bytes.chain((a) =>
      fc.oneof(
        fc.constant([a, a.slice()] as const),
        fc.record({ at: fc.nat(Math.max(0, a.length - 1)), xor: fc.integer({ min: 1, max: 255 }) }).map(({ at, xor }) => {
          const b = a.slice();
          if (b.length > 0) b[at]! ^= xor;
          return [a, b] as const;
        }),
        bytes.map((b) => [a, b] as const),
        // a view at an odd offset into a larger buffer
        fc.constant([a, new Uint8Array([7, ...a, 9]).subarray(1, 1 + a.length)] as const),
      ),
    );
    fc.assert(
      fc.property(pair, ([a, b]) => {
        expect(bytesEqual(a, b)).toBe(hex(a) === hex(b));
      }),
    );
  });
});
