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

/** 32-bit FNV-1a of bytes (the simulated store's key lookup). */
export function hashBytes(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
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
  // the state a, b, c, d in a typed array: numbers above 2^31 kept in closure variables would
  // each be a fresh heap number per draw (storing into the array wraps to 32 bits, as `>>> 0` did)
  const s = new Uint32Array(4);
  s[0] = mix();
  s[1] = mix();
  s[2] = mix();
  s[3] = 1;
  const nextUint32 = (): number => {
    const a = s[0]!;
    const b = s[1]!;
    const c = s[2]!;
    const d = s[3]!;
    const t = (a + b + d) >>> 0;
    s[3] = d + 1;
    s[0] = b ^ (b >>> 9);
    s[1] = c + (c << 3);
    s[2] = ((c << 21) | (c >>> 11)) + t;
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
