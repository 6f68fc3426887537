import { describe, expect, it } from 'vitest';
import { MemoryKV, MemoryStore, valuePredicate } from '../../src/index.js';
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
