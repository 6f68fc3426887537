/**
 * The simulated store's map: compare-and-set semantics, copies the caller
 * cannot reach into, and keys told apart by their bytes even when their
 * hashes collide.
 */
import { describe, expect, it } from 'vitest';
import { predicateValue } from '../../src/internal.js';
import { SimKV } from '../../sim/sim-kv.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));

describe('SimKV', () => {
  it('swap against absent creates, against the stored value replaces, against anything else answers what is stored', () => {
    const kv = new SimKV();
    expect(kv.get('p', bytes('k'))).toBeUndefined();
    const first = kv.swap('p', bytes('k'), bytes('one'), null);
    expect(first.swapped).toBe(true);
    expect(kv.swap('p', bytes('k'), bytes('two'), null)).toMatchObject({ swapped: false });
    const entry = kv.get('p', bytes('k'))!;
    expect(text(entry.value)).toBe('one');
    const stale = kv.swap('p', bytes('k'), bytes('two'), entry.predicate);
    expect(stale.swapped).toBe(true);
    const miss = kv.swap('p', bytes('k'), bytes('three'), entry.predicate);
    expect(miss.swapped).toBe(false);
    expect(miss.swapped ? undefined : text(miss.current?.value)).toBe('two');
    expect(text(kv.peek('p', bytes('k')))).toBe('two');
  });

  it('values handed out and taken in are copies: changing them never changes the store', () => {
    const kv = new SimKV();
    const mine = bytes('abc');
    kv.swap('p', bytes('k'), mine, null);
    mine[0] = 0x7a;
    const got = kv.get('p', bytes('k'))!;
    got.value[1] = 0x7a;
    expect(text(kv.get('p', bytes('k'))!.value)).toBe('abc');
    expect(text(predicateValue(got.predicate))).toBe('abc');
    // a large value (its own array) too
    const big = new Uint8Array(40_000).fill(7);
    kv.swap('p', bytes('big'), big, null);
    big[0] = 0;
    kv.get('p', bytes('big'))!.value[1] = 0;
    expect(kv.peek('p', bytes('big'))!.every((b) => b === 7)).toBe(true);
  });

  it('keys whose hashes collide, and equal keys of different partitions, are different keys', () => {
    const kv = new SimKV();
    // FNV-1a of both is 1513066276
    kv.swap('p', bytes('sim/key343888'), bytes('a'), null);
    kv.swap('p', bytes('sim/key1106080'), bytes('b'), null);
    kv.swap('q', bytes('sim/key343888'), bytes('c'), null);
    expect(text(kv.peek('p', bytes('sim/key343888')))).toBe('a');
    expect(text(kv.peek('p', bytes('sim/key1106080')))).toBe('b');
    expect(text(kv.peek('q', bytes('sim/key343888')))).toBe('c');
    expect(kv.peek('q', bytes('sim/key1106080'))).toBeUndefined();
    const a = kv.get('p', bytes('sim/key343888'))!;
    expect(kv.swap('p', bytes('sim/key343888'), bytes('a2'), a.predicate).swapped).toBe(true);
    expect(text(kv.peek('p', bytes('sim/key1106080')))).toBe('b');
  });

  it('many values fill slab after slab without overwriting each other', () => {
    const kv = new SimKV();
    for (let i = 0; i < 2000; i++) kv.swap('p', bytes(`k${i}`), bytes(`value ${i} `.repeat(10)), null);
    for (let i = 0; i < 2000; i++) expect(text(kv.peek('p', bytes(`k${i}`)))).toBe(`value ${i} `.repeat(10));
  });
});
