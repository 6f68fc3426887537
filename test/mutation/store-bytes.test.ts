/**
 * The byte helpers of the networked stores (`src/store/bytes.ts`), used only
 * by the Redis and PostgreSQL adapters, which the mutation run does not
 * mutate; these tests give the helpers themselves a verdict per mutant.
 * Written for the mutation run (docs/mutation.md).
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { asBuffer, toHex } from '../../src/store/bytes.js';

describe('asBuffer', () => {
  it('returns a Buffer as it is', () => {
    const buffer = Buffer.from([1, 2, 3]);
    expect(asBuffer(buffer)).toBe(buffer);
  });

  it('views a Uint8Array (with an offset into a larger buffer) without copying', () => {
    const whole = new Uint8Array([9, 1, 2, 3, 9]);
    const part = whole.subarray(1, 4);
    const view = asBuffer(part);
    expect(Buffer.isBuffer(view)).toBe(true);
    expect([...view]).toEqual([1, 2, 3]);
    whole[2] = 7;
    expect([...view]).toEqual([1, 7, 3]);
  });
});

describe('toHex', () => {
  it('lowercase hex of exactly the bytes in view', () => {
    expect(toHex(new Uint8Array([0, 0xab, 0x0f, 0xff, 1]).subarray(1, 4))).toBe('ab0fff');
    expect(toHex(Buffer.from([0xde, 0xad]))).toBe('dead');
    expect(toHex(new Uint8Array())).toBe('');
  });
});
