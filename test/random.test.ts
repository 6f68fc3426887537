import { customRandom, urlAlphabet } from 'nanoid';
import { describe, expect, it } from 'vitest';
import { randomFloat, randomSlug, SLUG_LENGTH, systemRandom, type RandomSource } from '../src/random.js';

/** Bytes from a fixed xorshift stream, so that both slug makers see the same input. */
function stream(seed: number): RandomSource {
  let x = seed >>> 0 || 1;
  return {
    bytes: (size) => {
      const out = new Uint8Array(size);
      for (let i = 0; i < size; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        out[i] = x & 0xff;
      }
      return out;
    },
  };
}

describe('randomSlug', () => {
  it("is nanoid's customRandom(urlAlphabet, 21) for the same bytes (the inlined copy did not drift)", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const a = stream(seed);
      const b = stream(seed);
      expect(randomSlug(a)).toBe(customRandom(urlAlphabet, SLUG_LENGTH, (size) => b.bytes(size))());
    }
  });

  it('is 21 URL-safe characters from the system source', () => {
    expect(randomSlug(systemRandom)).toMatch(/^[A-Za-z0-9_-]{21}$/);
  });
});

describe('randomFloat', () => {
  it('stays in [0, 1)', () => {
    const r = stream(7);
    for (let i = 0; i < 1000; i++) {
      const f = randomFloat(r);
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThan(1);
    }
  });
});
