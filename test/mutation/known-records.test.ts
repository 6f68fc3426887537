/**
 * The fast path's memory of stored records (KnownRecords in src/context.ts):
 * a private copy per key, absent means forgotten, bounded with the oldest
 * forgotten first. Written for the mutation run (docs/mutation.md).
 */
import { describe, expect, it } from 'vitest';
import { KnownRecords } from '../../src/context.js';
import { type StoreEntry } from '../../src/index.js';
import { valuePredicate } from '../../src/internal.js';

const entry = (...bytes: number[]): StoreEntry => ({ value: new Uint8Array(bytes), predicate: valuePredicate(new Uint8Array(bytes)) });

describe('KnownRecords', () => {
  it('remembers a copy of the value and the predicate as given', () => {
    const known = new KnownRecords(4);
    const e = entry(1, 2);
    known.remember('p/a', e);
    (e.value)[0] = 9;
    const got = known.get('p/a')!;
    expect([...got.value]).toEqual([1, 2]);
    expect(got.predicate).toBe(e.predicate);
    expect(known.size).toBe(1);
  });

  it('forgets a key remembered as absent', () => {
    const known = new KnownRecords(4);
    known.remember('p/a', entry(1));
    known.remember('p/a', undefined);
    expect(known.get('p/a')).toBeUndefined();
    expect(known.size).toBe(0);
  });

  it('keeps at most cap keys, forgetting the least recently remembered', () => {
    const known = new KnownRecords(2);
    known.remember('p/a', entry(1));
    known.remember('p/b', entry(2));
    known.remember('p/a', entry(3)); // a is now the newest
    known.remember('p/c', entry(4));
    expect(known.size).toBe(2);
    expect(known.get('p/b')).toBeUndefined();
    expect([...known.get('p/a')!.value]).toEqual([3]);
    expect([...known.get('p/c')!.value]).toEqual([4]);
  });

  it('with cap 0 remembers nothing', () => {
    const known = new KnownRecords(0);
    known.remember('p/a', entry(1));
    expect(known.size).toBe(0);
    expect(known.get('p/a')).toBeUndefined();
  });
});
