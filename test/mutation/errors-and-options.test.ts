/**
 * What a user reads when something is wrong: the owner's option checks
 * (which value is refused, and the message that says what to do), the
 * frozen defaults, and the typed errors' messages and evidence. Written for
 * the mutation run (docs/mutation.md).
 */
import { describe, expect, it } from 'vitest';
import {
  CorruptRecordError,
  DEFAULT_OWNER_OPTIONS,
  MemoryStore,
  MostlyCorrectOwner,
  OwnError,
  OwnershipLostError,
  PredicateFailedError,
  StoreError,
  fixedStrategy,
  isPredicateFailed,
  lakefsStrategy,
  silentLogger,
  systemClock,
  systemRandom,
  type MostlyCorrectOwnerOptions,
} from '../../src/index.js';
import { describeKey } from '../../src/errors.js';
import { recordingLogger } from '../helpers/fake-time.js';

const base = (): MostlyCorrectOwnerOptions => ({ store: new MemoryStore(), prefix: 'p', acquireInterval: 100, refreshInterval: 400 });
const make = (over: Record<string, unknown>): MostlyCorrectOwner => new MostlyCorrectOwner({ ...base(), ...over });

describe('owner options: what is refused, and the message', () => {
  it('options that are not an object', () => {
    for (const bad of [null, undefined, 'x']) {
      expect(() => new MostlyCorrectOwner(bad as never)).toThrow(
        new TypeError('MostlyCorrectOwner: options must be an object with store, prefix, acquireInterval and refreshInterval'),
      );
    }
  });

  it('a store without get and swap; a get + setIf store is told to use swapOverSetIf', () => {
    const plain = 'MostlyCorrectOwner: options.store must be a Store (get and swap), e.g. new MemoryStore()';
    expect(() => make({ store: null })).toThrow(new TypeError(plain));
    expect(() => make({ store: 'redis://x' })).toThrow(new TypeError(plain));
    expect(() => make({ store: { get: () => undefined } })).toThrow(new TypeError(plain));
    expect(() => make({ store: { swap: () => undefined } })).toThrow(new TypeError(plain));
    expect(() => make({ store: { get: () => undefined, setIf: () => undefined } })).toThrow(
      new TypeError('MostlyCorrectOwner: options.store must be a Store (get and swap): this one has setIf but no swap; wrap it with swapOverSetIf(store)'),
    );
    expect(() => make({ store: { get: () => undefined, swap: () => undefined } })).not.toThrow();
  });

  it('a prefix that is not a string (the empty prefix is fine)', () => {
    expect(() => make({ prefix: 7 })).toThrow(new TypeError('MostlyCorrectOwner: options.prefix must be a string (may be empty), got number'));
    expect(make({ prefix: '' }).prefix).toBe('');
    expect(make({ prefix: 'branches' }).prefix).toBe('branches');
  });

  it('intervals: the message names the option and the value it got', () => {
    expect(() => make({ acquireInterval: 0 })).toThrow(
      new RangeError('MostlyCorrectOwner: options.acquireInterval must be a finite number of milliseconds > 0, got 0'),
    );
    expect(() => make({ refreshInterval: '400' })).toThrow(
      new RangeError('MostlyCorrectOwner: options.refreshInterval must be a finite number of milliseconds > 0, got "400"'),
    );
    expect(() => make({ refreshInterval: undefined })).toThrow(
      new RangeError('MostlyCorrectOwner: options.refreshInterval must be a finite number of milliseconds > 0, got nothing'),
    );
    expect(() => make({ refreshInterval: {} })).toThrow(
      new RangeError('MostlyCorrectOwner: options.refreshInterval must be a finite number of milliseconds > 0, got object'),
    );
    expect(() => make({ acquireInterval: 0.001 })).not.toThrow();
  });

  it('lossMargin: in [0, refreshInterval)', () => {
    const msg = (got: string) => new RangeError(`MostlyCorrectOwner: options.lossMargin must be a number of milliseconds in [0, refreshInterval), got ${got}`);
    expect(() => make({ lossMargin: -1 })).toThrow(msg('-1'));
    expect(() => make({ lossMargin: 400 })).toThrow(msg('400'));
    expect(() => make({ lossMargin: Number.NaN })).toThrow(msg('NaN'));
    expect(() => make({ lossMargin: Number.POSITIVE_INFINITY })).toThrow(msg('Infinity'));
    expect(() => make({ lossMargin: '1' })).toThrow(msg('"1"'));
    expect(() => make({ lossMargin: 0 })).not.toThrow();
    expect(() => make({ lossMargin: 399.5 })).not.toThrow();
  });

  it('fastPath must be a boolean; fastPathCacheSize an integer ≥ 0', () => {
    expect(() => make({ fastPath: 'yes' })).toThrow(new TypeError('MostlyCorrectOwner: options.fastPath must be true or false, got "yes"'));
    expect(() => make({ fastPath: 1 })).toThrow(new TypeError('MostlyCorrectOwner: options.fastPath must be true or false, got 1'));
    expect(() => make({ fastPath: false })).not.toThrow();
    expect(() => make({ fastPathCacheSize: -1 })).toThrow(new RangeError('MostlyCorrectOwner: options.fastPathCacheSize must be an integer ≥ 0, got -1'));
    expect(() => make({ fastPathCacheSize: 1.5 })).toThrow(new RangeError('MostlyCorrectOwner: options.fastPathCacheSize must be an integer ≥ 0, got 1.5'));
    expect(() => make({ fastPathCacheSize: 0 })).not.toThrow();
  });

  it('warns below 2 × acquireInterval, with the two intervals; not at exactly 2 ×', () => {
    const log = recordingLogger();
    make({ acquireInterval: 200, refreshInterval: 399, logger: log });
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatchObject({ level: 'warn', fields: { acquire_interval: 200, refresh_interval: 399 } });
    const quiet = recordingLogger();
    make({ acquireInterval: 200, refreshInterval: 400, logger: quiet });
    expect(quiet.lines).toEqual([]);
  });
});

describe('owner defaults', () => {
  it('are frozen: silent logger, system clock and randomness, fixed, fast path with 1024 keys', () => {
    expect(Object.isFrozen(DEFAULT_OWNER_OPTIONS)).toBe(true);
    expect(DEFAULT_OWNER_OPTIONS).toEqual({
      logger: silentLogger,
      clock: systemClock,
      random: systemRandom,
      strategy: fixedStrategy,
      fastPath: true,
      fastPathCacheSize: 1024,
    });
  });

  it('the silent logger writes nothing and says so', () => {
    expect(Object.isFrozen(silentLogger)).toBe(true);
    for (const level of ['trace', 'debug', 'info', 'warn'] as const) {
      expect(silentLogger.isLevelEnabled!(level)).toBe(false);
      expect(silentLogger[level]({}, 'x')).toBeUndefined();
    }
  });
});

describe('typed errors', () => {
  const key = new TextEncoder().encode('p/k');

  it('PredicateFailedError names the key, as text or as hex when not printable', () => {
    const e = new PredicateFailedError('mc-ownership', key);
    expect(e.name).toBe('PredicateFailedError');
    expect(e.message).toBe('predicate failed for mc-ownership/p/k: the value changed since it was read');
    expect(e.partition).toBe('mc-ownership');
    expect(e.key).toBe(key);
    expect(describeKey(new Uint8Array([0x00, 0x41]))).toBe('0x0041');
    expect(describeKey(new Uint8Array([0x41, 0x1f]))).toBe('0x411f');
    expect(describeKey(new Uint8Array([0xff, 0x0a]))).toBe('0xff0a');
    expect(describeKey(new Uint8Array([0x41, 0x20, 0x7e]))).toBe('A ~');
  });

  it('isPredicateFailed: by class, or by name from another copy of the package; nothing else', () => {
    expect(isPredicateFailed(new PredicateFailedError('p', key))).toBe(true);
    const foreign = new Error('x');
    foreign.name = 'PredicateFailedError';
    expect(isPredicateFailed(foreign)).toBe(true);
    expect(isPredicateFailed(new Error('PredicateFailedError'))).toBe(false);
    expect(isPredicateFailed({ name: 'PredicateFailedError' })).toBe(false);
    expect(isPredicateFailed(undefined)).toBe(false);
  });

  it('CorruptRecordError: key, size, who saw it, and what to do', () => {
    const cause = new Error('bad wire');
    const seen = new CorruptRecordError('p/k', 'me#1', new Uint8Array(3), { cause });
    expect(seen.message).toBe(
      'corrupt ownership record at mc-ownership/p/k (3 bytes) seen by me#1: not a MostlyCorrectOwnership protobuf; it was left untouched, delete it by hand if it is garbage',
    );
    expect(seen.cause).toBe(cause);
    expect(new CorruptRecordError('p/k', undefined, new Uint8Array(2), { cause }).message).toBe(
      'corrupt ownership record at mc-ownership/p/k (2 bytes): not a MostlyCorrectOwnership protobuf; it was left untouched, delete it by hand if it is garbage',
    );
  });

  it('OwnError: key, owner, operation, attempt and the cause in the message', () => {
    const e = new OwnError('p/k', 'w#1', 'get', 3, { cause: new Error('connection reset') });
    expect(e.name).toBe('OwnError');
    expect(e.message).toBe('start owning p/k for w#1: store get failed on attempt 3: connection reset');
    expect([e.key, e.owner, e.operation, e.attempt]).toEqual(['p/k', 'w#1', 'get', 3]);
    expect(new OwnError('p/k', 'w#1', 'swap', 1, { cause: 'timeout' }).message).toBe('start owning p/k for w#1: store swap failed on attempt 1: timeout');
  });

  it('StoreError: store, operation, address and detail', () => {
    const cause = new Error('ECONNREFUSED');
    const e = new StoreError('redis', 'get', 'redis://:***@h:6379/0', 'connection refused', { cause });
    expect(e.name).toBe('StoreError');
    expect(e.message).toBe('redis get on redis://:***@h:6379/0 failed: connection refused');
    expect(e.cause).toBe(cause);
  });

  it('OwnershipLostError: one message per reason', () => {
    const msg = (reason: 'taken' | 'vanished' | 'deadline' | 'corrupt', newOwner?: string) => {
      const e = new OwnershipLostError(reason, 'p/k', 'a#1', newOwner);
      expect(e.name).toBe('OwnershipLostError');
      expect([e.reason, e.key, e.owner, e.newOwner]).toEqual([reason, 'p/k', 'a#1', newOwner]);
      return e.message;
    };
    expect(msg('taken', 'b#2')).toBe('ownership of p/k by a#1 lost: the record now names b#2; stop acting as the owner');
    expect(msg('taken')).toBe('ownership of p/k by a#1 lost: the record now names another owner; stop acting as the owner');
    expect(msg('vanished')).toBe('ownership of p/k by a#1 lost: the record is gone; stop acting as the owner');
    expect(msg('deadline')).toBe("ownership of p/k by a#1 lost: no refresh succeeded before the holder's deadline; stop acting as the owner");
    expect(msg('corrupt')).toBe('ownership of p/k by a#1 lost: the record no longer decodes; stop acting as the owner');
  });
});

describe('own() names the key and the owner', () => {
  it('stores <prefix>/<key> for <owner>#<21-character slug>; waiting() is 0 without a local queue', async () => {
    const store = new MemoryStore();
    const owner = make({ store, strategy: lakefsStrategy, prefix: 'branches' });
    const o = await owner.own('worker', 'main');
    expect(o.key).toBe('main');
    expect(o.prefixedKey).toBe('branches/main');
    expect(o.owner).toMatch(/^worker#[A-Za-z0-9_-]{21}$/);
    expect(owner.waiting('main')).toBe(0);
    expect(store.size).toBe(1);
    expect(await store.get('mc-ownership', new TextEncoder().encode('branches/main'))).toBeDefined();
    await o.release();
  });
});
