import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStore, StoreError, swapOverSetIf, type SetIfStore } from '../../src/index.js';
import { MemoryKV, predicateValue, valuePredicate } from '../../src/internal.js';
import { bytesEqual } from '../../src/store/store.js';
import { notificationConformance, setIfConformance, storeConformance } from './conformance.js';

storeConformance('MemoryStore', () => Promise.resolve({ store: new MemoryStore() }));
setIfConformance('MemoryStore', () => Promise.resolve({ store: new MemoryStore() }));
// one MemoryStore is one process's store: separate instances share nothing
notificationConformance('MemoryStore', () => Promise.resolve({ store: new MemoryStore() }), { crossInstance: false });

// a get + setIf store, as a user brings one: its swap is swapOverSetIf's (SetIf, and a get when it loses)
const overSetIf = () => {
  const inner = new MemoryStore();
  return Promise.resolve({ store: swapOverSetIf(inner), direct: inner });
};
storeConformance('swapOverSetIf(new MemoryStore())', overSetIf);
notificationConformance('swapOverSetIf(new MemoryStore())', overSetIf, { crossInstance: false });

describe('swapOverSetIf', () => {
  const k = new TextEncoder().encode('k');
  /** A get + setIf store over a MemoryStore, recording its calls. */
  const recording = (inner = new MemoryStore()): { store: SetIfStore; calls: string[] } => {
    const calls: string[] = [];
    return {
      calls,
      store: {
        get: (p, key) => (calls.push('get'), inner.get(p, key)),
        setIf: (p, key, value, predicate) => (calls.push('setIf'), inner.setIf(p, key, value, predicate)),
      },
    };
  };

  it('a write that wins costs one setIf; one that loses a setIf and a get, whose entry it answers', async () => {
    const { store, calls } = recording();
    const adapted = swapOverSetIf(store);
    const first = await adapted.swap('p', k, new Uint8Array([1]), null);
    expect(first.swapped).toBe(true);
    expect(calls).toEqual(['setIf']);
    calls.length = 0;
    const second = await adapted.swap('p', k, new Uint8Array([2]), null);
    expect(second).toEqual({ swapped: false, current: { value: new Uint8Array([1]), predicate: expect.anything() as unknown } });
    expect(calls).toEqual(['setIf', 'get']);
  });

  it('a store failure rejects as the store threw it, without a get', async () => {
    const failure = new StoreError('test', 'setIf', 'nowhere', 'down', { cause: undefined });
    const calls: string[] = [];
    const adapted = swapOverSetIf({
      get: () => (calls.push('get'), Promise.resolve(undefined)),
      setIf: () => (calls.push('setIf'), Promise.reject(failure)),
    });
    await expect(adapted.swap('p', k, new Uint8Array([1]), null)).rejects.toBe(failure);
    expect(calls).toEqual(['setIf']);
  });

  it('the predicate of a write that won is the value as written (a copy), or predicateOf(value) when given', async () => {
    const value = new Uint8Array([1, 2]);
    const r = await swapOverSetIf(new MemoryStore()).swap('p', k, value, null);
    value[0] = 9;
    expect(r.swapped && predicateValue(r.predicate)).toEqual(new Uint8Array([1, 2]));
    const mine = valuePredicate(new Uint8Array([7]));
    const custom = await swapOverSetIf(new MemoryStore(), { predicateOf: () => mine }).swap('p', k, value, null);
    expect(custom.swapped && custom.predicate).toBe(mine);
  });

  it("offers notify and watch, the store's own, only when the store has both", async () => {
    const inner = new MemoryStore();
    const adapted = swapOverSetIf(inner);
    let heard = 0;
    const stop = adapted.watch!('p', k, () => heard++);
    await inner.notify('p', k);
    await adapted.notify!('p', k);
    await Promise.resolve(); // MemoryStore calls listeners on a microtask
    expect(heard).toBe(2);
    stop();
    expect(inner.watchedKeys).toBe(0);
    const { store } = recording(inner);
    const capabilities = (s: object): string[] => ['notify', 'watch'].filter((m) => m in s);
    expect(capabilities(swapOverSetIf(store))).toEqual([]);
    expect(capabilities(swapOverSetIf({ ...store, notify: (p, key) => inner.notify(p, key) }))).toEqual([]);
    expect(capabilities(swapOverSetIf({ ...store, watch: (p, key, listener) => inner.watch(p, key, listener) }))).toEqual([]);
  });
});

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
