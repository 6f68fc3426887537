/**
 * RedisStore on a real redis-server (the throwaway one from the global setup,
 * or REDIS_URL): the shared conformance suites, byte-level layout, EVALSHA
 * after a SCRIPT FLUSH, and the client-ownership rules.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MostlyCorrectOwner } from '../../src/index.js';
import { OWNERSHIP_PARTITION, decodeRecord } from '../../src/internal.js';
import { RedisStore, SWAP_SCRIPT, SWAP_SCRIPT_SHA1 } from '../../src/redis.js';
import { notificationConformance, setIfConformance, storeConformance } from './conformance.js';
import { ownerFeatures } from './owner-features.js';

const url = inject('redisUrl');
const b = (s: string): Uint8Array => new TextEncoder().encode(s);

describe.skipIf(url === null)('RedisStore on a real redis-server', () => {
  let shared: Redis;
  beforeAll(() => {
    shared = new Redis(url!);
  });
  afterAll(async () => {
    await shared.quit();
  });

  const ownStore = () => {
    const store = new RedisStore({ url: url! });
    return Promise.resolve({ store, close: () => store.close() });
  };
  const givenClient = () => Promise.resolve({ store: new RedisStore({ client: shared }) });
  storeConformance('RedisStore on redis-server (own client)', ownStore);
  storeConformance('RedisStore on redis-server (given client)', givenClient);
  setIfConformance('RedisStore on redis-server (own client)', ownStore);
  setIfConformance('RedisStore on redis-server (given client)', givenClient);
  notificationConformance('RedisStore on redis-server (own client)', ownStore, { crossInstance: true });
  notificationConformance(
    'RedisStore on redis-server (given client: the subscriber is a duplicate the store closes)',
    () => {
      const store = new RedisStore({ client: shared });
      return Promise.resolve({ store, close: () => store.close() });
    },
    { crossInstance: true },
  );
  ownerFeatures('RedisStore on redis-server', ownStore);

  it('publishes on mco:released:[keyPrefix:]partition:key; the subscriber closes when nothing is watched and on close(), a given client never', async () => {
    const store = new RedisStore({ client: shared, keyPrefix: 'pfx' });
    const spy = new Redis(url!);
    const messages: string[] = [];
    spy.on('messageBuffer', (channel: Buffer) => messages.push(channel.toString('latin1')));
    await spy.subscribe(Buffer.from('mco:released:pfx:part:k\x00'));
    await store.notify('part', new Uint8Array([0x6b, 0x00]));
    for (let i = 0; i < 100 && messages.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(messages).toEqual(['mco:released:pfx:part:k\x00']);
    await spy.quit();
    const before = Number((await shared.pubsub('NUMSUB', 'mco:released:pfx:part:x'))[1]);
    const stop = store.watch('part', b('x'), () => {});
    for (let i = 0; i < 100 && Number((await shared.pubsub('NUMSUB', 'mco:released:pfx:part:x'))[1]) === before; i++) await new Promise((r) => setTimeout(r, 10));
    expect(Number((await shared.pubsub('NUMSUB', 'mco:released:pfx:part:x'))[1])).toBe(before + 1);
    stop(); // nothing watched: the subscriber connection closes
    for (let i = 0; i < 100 && Number((await shared.pubsub('NUMSUB', 'mco:released:pfx:part:x'))[1]) !== before; i++) await new Promise((r) => setTimeout(r, 10));
    expect(Number((await shared.pubsub('NUMSUB', 'mco:released:pfx:part:x'))[1])).toBe(before);
    const stop2 = store.watch('part', b('x'), () => {});
    await store.close();
    stop2();
    for (let i = 0; i < 100 && Number((await shared.pubsub('NUMSUB', 'mco:released:pfx:part:x'))[1]) !== before; i++) await new Promise((r) => setTimeout(r, 10));
    expect(Number((await shared.pubsub('NUMSUB', 'mco:released:pfx:part:x'))[1])).toBe(before);
    expect(await shared.ping()).toBe('PONG');
    expect(store.watchedChannels).toBe(0);
  });

  it('stores raw bytes at [keyPrefix:]partition:key, as lakeFS', async () => {
    const store = new RedisStore({ client: shared, keyPrefix: 'mco-layout' });
    const key = new Uint8Array([...b('branches/'), 0x00, 0xff]);
    const value = new Uint8Array([0x0a, 0x03, 0x61, 0x23, 0x62, 0x00, 0xfe]);
    await store.setIf(OWNERSHIP_PARTITION, key, value, null);
    const redisKey = Buffer.concat([Buffer.from('mco-layout:mc-ownership:branches/'), Buffer.from([0x00, 0xff])]);
    expect(await shared.getBuffer(redisKey)).toEqual(Buffer.from(value));
    // the owner's write, swap, at the same place
    const swapped = await store.swap(OWNERSHIP_PARTITION, key, value.subarray(1), (await store.get(OWNERSHIP_PARTITION, key))!.predicate);
    expect(swapped.swapped).toBe(true);
    expect(await shared.getBuffer(redisKey)).toEqual(Buffer.from(value.subarray(1)));
  });

  it("an owner's record sits where lakeFS looks for it: mc-ownership:<prefix>/<key>, raw protobuf", async () => {
    const owners = new MostlyCorrectOwner({ store: new RedisStore({ client: shared }), prefix: 'branches', acquireInterval: 100, refreshInterval: 1000 });
    const held = await owners.own('lakefs-interop', `main-${process.pid}`);
    const raw = await shared.getBuffer(`mc-ownership:branches/main-${process.pid}`);
    expect(decodeRecord(new Uint8Array(raw!), 'branches/main').owner).toBe(held.owner);
    await held.release();
  });

  it('SHA1 of the script is what the server computes; swap and setIf work again after SCRIPT FLUSH', async () => {
    expect(await shared.script('LOAD', SWAP_SCRIPT)).toBe(SWAP_SCRIPT_SHA1);
    const store = new RedisStore({ client: shared });
    await store.setIf('flush', b('k'), b('v1'), null);
    await shared.script('FLUSH');
    const { predicate } = (await store.get('flush', b('k')))!;
    await store.setIf('flush', b('k'), b('v2'), predicate);
    expect((await store.get('flush', b('k')))?.value).toEqual(b('v2'));
    expect(await shared.script('EXISTS', SWAP_SCRIPT_SHA1)).toEqual([1]);
    await shared.script('FLUSH');
    const swapped = await store.swap('flush', b('k'), b('v3'), (await store.get('flush', b('k')))!.predicate);
    expect(swapped.swapped).toBe(true);
    expect((await store.get('flush', b('k')))?.value).toEqual(b('v3'));
    expect(await shared.script('EXISTS', SWAP_SCRIPT_SHA1)).toEqual([1]);
  });

  it('close() quits its own client but never a given one', async () => {
    const given = new Redis(url!);
    const store = new RedisStore({ client: given });
    await store.close();
    expect(await given.ping()).toBe('PONG');
    await given.quit();
    const own = new RedisStore({ url: url! });
    await own.get('p', b('k'));
    await own.close();
    await own.close();
    await expect(own.get('p', b('k'))).rejects.toThrow(/redis get on redis:\/\/127\.0\.0\.1:\d+\/0 failed: Connection is closed/);
  });
});
