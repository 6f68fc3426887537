/**
 * The public surface, pinned: what `mostly-correct-owner` exports at run time.
 * A name added here is a promise to users (semver); simulator- or test-only
 * helpers go to src/internal.ts (`mostly-correct-owner/internal`, unstable).
 */
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';
import * as internal from '../src/internal.js';

const PUBLIC = [
  'CorruptRecordError',
  'DEFAULT_OWNER_OPTIONS',
  'MemoryStore',
  'MostlyCorrectOwner',
  'OwnError',
  'OwnerClosedError',
  'Ownership',
  'OwnershipLostError',
  'PredicateFailedError',
  'STRATEGIES',
  'StoreError',
  'StrategyError',
  'defineStrategy',
  'fixedStrategy',
  'isPredicateFailed',
  'lakefsStrategy',
  'observedStrategy',
  'silentLogger',
  'swapOverSetIf',
  'systemClock',
  'systemRandom',
];

describe('public API', () => {
  it('exports exactly the owner, handle, errors, store contract, strategies and seams', () => {
    expect(Object.keys(api).sort()).toEqual(PUBLIC);
  });

  it('keeps simulator internals out of the main entry', () => {
    for (const name of ['MemoryKV', 'bytesEqual', 'quantizeMs', 'newRecord', 'encodeRecord', 'decodeRecord', 'OWNERSHIP_PARTITION']) {
      expect(api, name).not.toHaveProperty(name);
      expect(internal, name).toHaveProperty(name);
    }
  });

  it('has no name in both entries (one import path per thing)', () => {
    expect(Object.keys(internal).filter((n) => n in api)).toEqual([]);
  });
});
