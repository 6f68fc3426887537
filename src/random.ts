/**
 * Where randomness comes from.
 *
 * Owner slugs and acquire jitter draw from an injected {@link RandomSource}.
 * The default, {@link systemRandom}, is crypto-grade and is the only place in
 * `src/` that touches global randomness; the simulator injects seeded streams.
 */

/** A source of random bytes. */
export interface RandomSource {
  /** Returns `size` fresh random bytes. */
  bytes(size: number): Uint8Array;
}

/** Crypto-grade randomness from the platform's Web Crypto `getRandomValues`. */
export const systemRandom: RandomSource = Object.freeze({
  bytes: (size: number): Uint8Array => crypto.getRandomValues(new Uint8Array(size)),
});

/** Length of the slug appended to owner ids: nanoid's default, 21 characters (~126 bits). */
export const SLUG_LENGTH = 21;

/** nanoid's URL-safe alphabet: 64 symbols, so one byte masked to 6 bits picks one without bias. */
const URL_ALPHABET = 'useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict';

/**
 * A nanoid-style slug drawn from `random`: the same characters as nanoid's
 * `customRandom(urlAlphabet, 21, random.bytes)` for the same bytes (last byte
 * first, as nanoid reads them; test/random.test.ts checks it against nanoid).
 * Inlined rather than imported: nanoid is ESM-only, and CommonJS consumers on
 * Node < 20.19 cannot `require` it.
 */
export function randomSlug(random: RandomSource): string {
  const b = random.bytes(SLUG_LENGTH);
  let slug = '';
  for (let i = SLUG_LENGTH - 1; i >= 0; i--) slug += URL_ALPHABET[b[i]! & 63];
  return slug;
}

/** A uniform float in [0, 1) built from 53 random bits of `random`. */
export function randomFloat(random: RandomSource): number {
  const b = random.bytes(7);
  // 53 bits: 5 bits from the first byte, then 6 full bytes.
  let hi = b[0]! & 0x1f;
  for (let i = 1; i < 7; i++) hi = hi * 256 + b[i]!;
  return hi / 2 ** 53;
}
