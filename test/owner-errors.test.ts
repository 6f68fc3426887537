import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryStore } from './helpers/store-kind.js';
import { CorruptRecordError, MostlyCorrectOwner, OwnError, lakefsStrategy, type MostlyCorrectOwnerOptions } from '../src/index.js';
import { OWNERSHIP_PARTITION } from '../src/internal.js';
import { installFakeTime, recordingLogger, type InstalledClock } from './helpers/fake-time.js';
import { HookedStore } from './helpers/store-wrappers.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const base = (): MostlyCorrectOwnerOptions => ({ store: memoryStore(), prefix: 'p', acquireInterval: 100, refreshInterval: 400, strategy: lakefsStrategy });

let clock: InstalledClock;
beforeEach(() => {
  clock = installFakeTime();
});
afterEach(() => {
  clock.uninstall();
});

describe('options', () => {
  for (const name of ['acquireInterval', 'refreshInterval'] as const) {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, undefined, '400']) {
      it(`rejects ${name} = ${String(bad)} with a RangeError naming the option`, () => {
        expect(() => new MostlyCorrectOwner({ ...base(), [name]: bad as number })).toThrow(
          new RegExp(`^MostlyCorrectOwner: options\\.${name} must be a finite number of milliseconds > 0`),
        );
        expect(() => new MostlyCorrectOwner({ ...base(), [name]: bad as number })).toThrow(RangeError);
      });
    }
  }

  it('rejects a missing store or prefix with a TypeError', () => {
    expect(() => new MostlyCorrectOwner({ ...base(), store: undefined as never })).toThrow(/options\.store must be a Store/);
    expect(() => new MostlyCorrectOwner({ ...base(), prefix: undefined as never })).toThrow(/options\.prefix must be a string/);
  });

  it('warns when refreshInterval < 2 × acquireInterval, and not otherwise', () => {
    const log = recordingLogger();
    new MostlyCorrectOwner({ ...base(), acquireInterval: 300, refreshInterval: 500, logger: log });
    expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    const quiet = recordingLogger();
    new MostlyCorrectOwner({ ...base(), acquireInterval: 200, refreshInterval: 400, logger: quiet });
    expect(quiet.lines).toHaveLength(0);
  });
});

describe('own() failures', () => {
  it('rejects with the signal reason when aborted while waiting, promptly, leaving no timer of its own', async () => {
    const mem = memoryStore();
    const owners = new MostlyCorrectOwner({ ...base(), store: mem });
    const holder = await owners.own('holder', 'k');
    const timersWithHolder = clock.countTimers();
    const ac = new AbortController();
    const waiting = owners.own('waiter', 'k', { signal: ac.signal });
    await clock.tickAsync(10);
    expect(clock.countTimers()).toBe(timersWithHolder + 1);
    const reason = new Error('shutting down');
    ac.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(clock.countTimers()).toBe(timersWithHolder);
    await holder.release();
    expect(clock.countTimers()).toBe(0);
  });

  it('rejects at once with an already-aborted signal, without touching the store', async () => {
    const store = new HookedStore(memoryStore());
    const owners = new MostlyCorrectOwner({ ...base(), store });
    await expect(owners.own('w', 'k', { signal: AbortSignal.abort('no') })).rejects.toBe('no');
    expect(store.log).toHaveLength(0);
  });

  it('rejects promptly when aborted during a store round trip that never returns', async () => {
    const store = new HookedStore(memoryStore(), () => new Promise<void>(() => {}));
    const owners = new MostlyCorrectOwner({ ...base(), store });
    const ac = new AbortController();
    const p = owners.own('w', 'k', { signal: ac.signal });
    ac.abort(new Error('bye'));
    await expect(p).rejects.toThrow('bye');
  });

  it('rejects with CorruptRecordError for a record that does not decode, and never overwrites it', async () => {
    const mem = memoryStore();
    const garbage = new Uint8Array([0xff, 0xff, 0xff, 0x00]);
    await mem.set(OWNERSHIP_PARTITION, enc('p/k'), garbage);
    const store = new HookedStore(mem);
    const owners = new MostlyCorrectOwner({ ...base(), store });
    const err = await owners.own('w', 'k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptRecordError);
    expect((err as CorruptRecordError).key).toBe('p/k');
    expect((err as CorruptRecordError).owner).toMatch(/^w#/);
    expect(store.count('swap')).toBe(0);
    expect((await mem.get(OWNERSHIP_PARTITION, enc('p/k')))?.value).toEqual(garbage);
  });

  it('rejects with OwnError naming key, owner and operation when the store get fails', async () => {
    const cause = new Error('ECONNREFUSED');
    const owners = new MostlyCorrectOwner({
      ...base(),
      store: new HookedStore(memoryStore(), () => {
        throw cause;
      }),
    });
    const err = (await owners.own('w', 'k').catch((e: unknown) => e)) as OwnError;
    expect(err).toBeInstanceOf(OwnError);
    expect(err.name).toBe('OwnError');
    expect(err.key).toBe('p/k');
    expect(err.owner).toMatch(/^w#/);
    expect(err.operation).toBe('get');
    expect(err.cause).toBe(cause);
    expect(err.message).toMatch(/^start owning p\/k for w#\S+: store get failed on attempt 1: ECONNREFUSED$/);
  });

  it('rejects with OwnError when the write fails for a reason other than a lost race', async () => {
    const owners = new MostlyCorrectOwner({
      ...base(),
      store: new HookedStore(memoryStore(), (op) => {
        if (op === 'swap') throw new Error('READONLY');
      }),
    });
    const err = (await owners.own('w', 'k').catch((e: unknown) => e)) as OwnError;
    expect(err).toBeInstanceOf(OwnError);
    expect(err.operation).toBe('swap');
  });
});
