/**
 * Seeded randomness for the simulator. Every consumer (each node's owner, its
 * workload, its store traffic, each fault source) gets its own stream derived
 * from (run seed, stream name), so adding a consumer never reshuffles the
 * others. The generator is sfc32 (small, fast, passes PractRand to 2^40+).
 */
import type { RandomSource } from 'mostly-correct-owner';

/** A deterministic stream of uniform numbers. */
export interface Prng extends RandomSource {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number;
}

/** 32-bit FNV-1a of a string, for deriving stream seeds from names. */
export function hashString(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** An sfc32 stream seeded from 32-bit words. */
export function sfc32(seedA: number, seedB: number): Prng {
  const mix = splitmix32(seedA ^ Math.imul(seedB, 0x27d4eb2f));
  let a = mix();
  let b = mix();
  let c = mix();
  let d = 1;
  const nextUint32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) nextUint32();
  return {
    nextUint32,
    next: () => nextUint32() / 4294967296,
    bytes(size: number): Uint8Array {
      const out = new Uint8Array(size);
      for (let i = 0; i < size; i += 4) {
        let w = nextUint32();
        for (let j = i; j < Math.min(size, i + 4); j++) {
          out[j] = w & 0xff;
          w >>>= 8;
        }
      }
      return out;
    },
  };
}

/** The stream named `name` of run `seed` (seed: any non-negative safe integer). */
export function stream(seed: number, name: string): Prng {
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 4294967296) >>> 0;
  return sfc32(hashString(name, lo ^ 0x9e3779b9), hashString(name, hi ^ 0x7f4a7c15));
}
