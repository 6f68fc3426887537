/**
 * Where randomness comes from.
 *
 * Owner slugs and acquire jitter draw from an injected {@link RandomSource}.
 * The default, {@link systemRandom}, is crypto-grade and is the only place in
 * `src/` that touches global randomness; the simulator injects seeded streams.
 */
import { customRandom, urlAlphabet } from 'nanoid';

/** A source of random bytes. */
export interface RandomSource {
  /** Returns `size` fresh random bytes. */
  bytes(size: number): Uint8Array;
}

/** Bytes drawn from Web Crypto at once: one `getRandomValues` call serves many owner slugs. */
const POOL_BYTES = 4096;
let pool = new Uint8Array(0);
let poolAt = 0;

/**
 * Crypto-grade randomness from the platform's Web Crypto `getRandomValues`,
 * drawn in blocks of 4 KiB (a call per `own()` was a measurable share of its
 * CPU time); each byte is handed out once.
 */
export const systemRandom: RandomSource = Object.freeze({
  bytes(size: number): Uint8Array {
    if (size > POOL_BYTES) return crypto.getRandomValues(new Uint8Array(size));
    if (poolAt + size > pool.length) {
      pool = crypto.getRandomValues(new Uint8Array(POOL_BYTES));
      poolAt = 0;
    }
    const out = pool.slice(poolAt, poolAt + size);
    poolAt += size;
    return out;
  },
});

/** Length of the slug appended to owner ids: nanoid's default, 21 characters (~126 bits). */
export const SLUG_LENGTH = 21;

/** nanoid's slug generator per random source, made once (making one per slug was measurable). */
const slugGenerators = new WeakMap<RandomSource, () => string>();

/** A nanoid-style slug (URL-safe alphabet) drawn from `random`. */
export function randomSlug(random: RandomSource): string {
  let generate = slugGenerators.get(random);
  if (generate === undefined) {
    generate = customRandom(urlAlphabet, SLUG_LENGTH, (size) => random.bytes(size));
    slugGenerators.set(random, generate);
  }
  return generate();
}

/** A uniform float in [0, 1) built from 53 random bits of `random`. */
export function randomFloat(random: RandomSource): number {
  const b = random.bytes(7);
  // 53 bits: 5 bits from the first byte, then 6 full bytes.
  let hi = b[0]! & 0x1f;
  for (let i = 1; i < 7; i++) hi = hi * 256 + b[i]!;
  return hi / 2 ** 53;
}
