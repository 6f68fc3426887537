/**
 * The owner set-up shared by the strategy and key-queue tests: short intervals
 * on key `p/k`, and reading back the record stored for it.
 */
import { MostlyCorrectOwner, type MostlyCorrectOwnerOptions, type Store, type Strategy } from '../../src/index.js';
import { OWNERSHIP_PARTITION, decodeRecord } from '../../src/internal.js';

export const ACQUIRE = 10;
export const REFRESH = 400;
export const T0 = 1_700_000_000_000;
/** The stored key of `own(…, 'k')` with prefix `p`. */
export const KEY = new TextEncoder().encode('p/k');

/** An owner with prefix `p`, `ACQUIRE` and `REFRESH`. */
export function makeOwner(strategy: Strategy, store: Store, extra: Partial<MostlyCorrectOwnerOptions> = {}): MostlyCorrectOwner {
  return new MostlyCorrectOwner({ store, prefix: 'p', acquireInterval: ACQUIRE, refreshInterval: REFRESH, strategy, ...extra });
}

/** The decoded record stored for key `key` (default `k`) under prefix `p`, if any. */
export async function storedRecord(store: Store, key = 'k') {
  const e = await store.get(OWNERSHIP_PARTITION, new TextEncoder().encode(`p/${key}`));
  return e && decodeRecord(e.value, `p/${key}`);
}
