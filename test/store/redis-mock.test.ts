/**
 * RedisStore against ioredis-mock (no server): the shared conformance suites,
 * the key layout, EVALSHA with its EVAL fallback, and error wrapping.
 */
import { createHash } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import RedisMock from 'ioredis-mock';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { isPredicateFailed } from '../../src/index.js';
import { OWNERSHIP_PARTITION } from '../../src/internal.js';
import { RedisStore, SWAP_SCRIPT, SWAP_SCRIPT_SHA1, StoreError, type RedisClient } from '../../src/redis.js';
import { latin1RedisMock } from '../helpers/latin1-redis-mock.js';
import { setIfConformance, storeConformance } from './conformance.js';

const b = (s: string): Uint8Array => new TextEncoder().encode(s);

// One mock for the whole suite: every new RedisMock adds a listener to
// ioredis-mock's shared data emitter. Each test uses its own partition.
const conformanceMock = latin1RedisMock(new RedisMock({ host: 'conformance' }));
storeConformance('RedisStore on ioredis-mock', () => Promise.resolve({ store: new RedisStore({ client: conformanceMock.client }) }));
setIfConformance('RedisStore on ioredis-mock', () => Promise.resolve({ store: new RedisStore({ client: conformanceMock.client }) }));

describe('RedisStore (ioredis-mock)', () => {
  it('the precomputed SHA1 is the SHA1 of the script', () => {
    expect(createHash('sha1').update(SWAP_SCRIPT).digest('hex')).toBe(SWAP_SCRIPT_SHA1);
  });

  it('runs swap with EVALSHA (Buffer replies), falling back to EVAL only when the script is not cached', async () => {
    const { client, calls } = latin1RedisMock(new RedisMock({ host: 'swap-evalsha-test' }));
    const store = new RedisStore({ client });
    expect((await store.swap('p', b('k'), b('v1'), null)).swapped).toBe(true);
    expect(calls).toEqual(['evalsha', 'eval']);
    calls.length = 0;
    const r = await store.swap('p', b('k'), b('v2'), null);
    expect(r.swapped ? undefined : r.current?.value).toEqual(b('v1'));
    expect(calls).toEqual(['evalsha']);
  });

  it('refuses a client without the Buffer script commands swap needs, naming them', () => {
    const { client } = latin1RedisMock();
    const noEvalsha = { ...client, evalshaBuffer: undefined };
    const noEval = { ...client, evalBuffer: undefined };
    for (const plain of [noEvalsha, noEval] as unknown as RedisClient[]) {
      expect(() => new RedisStore({ client: plain })).toThrow(/options\.client must be an ioredis Redis or Cluster client \(getBuffer, evalshaBuffer, evalBuffer\)/);
    }
    expect(typeof new RedisStore({ client }).swap).toBe('function');
  });

  it('lays keys out as lakeFS does: [keyPrefix:]partition:key, raw value', async () => {
    const { client, mock } = latin1RedisMock(new RedisMock({ host: 'layout-test' }));
    const plain = new RedisStore({ client });
    const prefixed = new RedisStore({ client, keyPrefix: 'lakefs' });
    await plain.set(OWNERSHIP_PARTITION, b('branches/main'), new Uint8Array([0x0a, 0x01, 0x41, 0xff]));
    await prefixed.set(OWNERSHIP_PARTITION, b('branches/dev'), b('x'));
    expect(Buffer.from((await mock.get('mc-ownership:branches/main'))!, 'latin1')).toEqual(Buffer.from([0x0a, 0x01, 0x41, 0xff]));
    expect(await mock.get('lakefs:mc-ownership:branches/dev')).toBe('x');
    expect(await plain.get(OWNERSHIP_PARTITION, b('branches/dev'))).toBeUndefined();
  });

  it('runs setIf with EVALSHA (the swap script), falling back to EVAL only when the script is not cached', async () => {
    const { client, calls } = latin1RedisMock(new RedisMock({ host: 'evalsha-test' }));
    const store = new RedisStore({ client });
    await store.setIf('p', b('k'), b('v1'), null);
    expect(calls).toEqual(['evalsha', 'eval']); // NOSCRIPT, then EVAL (which caches it)
    calls.length = 0;
    const { predicate } = (await store.get('p', b('k')))!;
    await store.setIf('p', b('k'), b('v2'), predicate);
    await expect(store.setIf('p', b('k'), b('v3'), predicate)).rejects.toSatisfy(isPredicateFailed);
    expect(calls).toEqual(['get', 'evalsha', 'evalsha']);
  });

  it('wraps client failures in StoreError naming the operation and the server, password redacted', async () => {
    const refused = () => Promise.reject(new Error('connect ECONNREFUSED 10.1.2.3:6379 (auth hunter2)'));
    const failing = {
      getBuffer: refused,
      evalshaBuffer: refused,
      evalBuffer: refused,
      options: { host: '10.1.2.3', port: 6379, db: 2, password: 'hunter2' },
    } as unknown as RedisClient;
    const store = new RedisStore({ client: failing });
    const err = (await store.get('p', b('k')).catch((e: unknown) => e)) as StoreError;
    expect(err).toBeInstanceOf(StoreError);
    expect(err.name).toBe('StoreError');
    expect(err.operation).toBe('get');
    expect(err.address).toBe('redis://:***@10.1.2.3:6379/2');
    expect(err.message).toContain('redis get on redis://:***@10.1.2.3:6379/2 failed: connect ECONNREFUSED');
    expect(err.message).not.toContain('hunter2');
    expect(err.cause).toBeInstanceOf(Error);
    for (const [operation, call] of [
      ['swap', () => store.swap('p', b('k'), b('v'), null)],
      ['setIf', () => store.setIf('p', b('k'), b('v'), null)],
    ] as const) {
      const failed = (await call().catch((e: unknown) => e)) as StoreError;
      expect(failed).toBeInstanceOf(StoreError);
      expect(failed.operation).toBe(operation);
      expect(failed.message).toContain(`redis ${operation} on redis://:***@10.1.2.3:6379/2 failed: connect ECONNREFUSED`);
      expect(failed.message).not.toContain('hunter2');
    }
  });

  it('a script error other than NOSCRIPT is not retried with EVAL', async () => {
    const { client, calls } = latin1RedisMock();
    client.evalshaBuffer = () => {
      calls.push('evalsha');
      return Promise.reject(new Error('BUSY Redis is busy running a script'));
    };
    const store = new RedisStore({ client });
    const err = await store.setIf('p', b('k'), b('v'), null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect(calls).toEqual(['evalsha']);
    calls.length = 0;
    const swapErr = await store.swap('p', b('k'), b('v'), null).catch((e: unknown) => e);
    expect(swapErr).toBeInstanceOf(StoreError);
    expect((swapErr as StoreError).message).toContain('BUSY');
    expect(calls).toEqual(['evalsha']);
  });

  it('takes a Redis or a Cluster client, and names either without its password', () => {
    expectTypeOf<Redis>().toExtend<RedisClient>();
    expectTypeOf<Cluster>().toExtend<RedisClient>();
    const cluster = new Cluster([{ host: '10.0.0.7', port: 7000 }, '10.0.0.8:7001'], {
      lazyConnect: true,
      redisOptions: { password: 'hunter2' },
    });
    expect(new RedisStore({ client: cluster }).address).toBe('redis-cluster://:***@10.0.0.7:7000,10.0.0.8:7001');
    cluster.disconnect();
    const single = new Redis({ host: '10.0.0.9', port: 6380, db: 3, username: 'app', password: 'hunter2', lazyConnect: true });
    expect(new RedisStore({ client: single }).address).toBe('redis://app:***@10.0.0.9:6380/3');
    single.disconnect();
    expect(new RedisStore({ client: single, address: 'redis://:pw@my-redis:6379' }).address).toBe('redis://:***@my-redis:6379');
  });

  it('close() leaves a given client alone', async () => {
    const mock = new RedisMock();
    let quits = 0;
    const client = Object.assign(latin1RedisMock(mock).client, { quit: () => ((quits += 1), Promise.resolve('OK')) });
    const store = new RedisStore({ client });
    await store.close();
    expect(quits).toBe(0);
  });
});
