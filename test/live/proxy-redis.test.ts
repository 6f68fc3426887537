/**
 * What RedisStore sees when the live proxy cuts its connection: the reason
 * the live node sets `maxRetriesPerRequest: 0` (docs/live.md, store errors).
 * With it a cut command fails at the cut, as the simulator's store error;
 * with the store's default client ioredis resends it after reconnecting, so
 * a lost reply is applied twice. If an ioredis upgrade changes either, the
 * live mode's model of store errors must be looked at again.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DelayProxy, type RequestFate } from '../../sim/live/proxy.js';
import { RedisStore } from '../../src/redis.js';

const url = inject('redisUrl');
const stores: RedisStore[] = [];
const proxies: DelayProxy[] = [];
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await Promise.all(proxies.map((p) => p.close()));
});

/** A store behind a proxy that gives the next request `fate`, once armed. */
async function storeBehindProxy(redisOptions: Record<string, unknown>): Promise<{ store: RedisStore; proxy: DelayProxy; arm: (f: RequestFate) => void }> {
  const u = new URL(url!);
  let next: RequestFate = 'pass';
  const proxy = await DelayProxy.start({ host: u.hostname, port: Number(u.port) }, { requestFate: () => ((f) => ((next = 'pass'), f))(next) });
  proxies.push(proxy);
  u.hostname = '127.0.0.1';
  u.port = String(proxy.port);
  const store = new RedisStore({ url: u.toString(), redisOptions });
  stores.push(store);
  // connected, and the swap script cached on the server (a cut EVALSHA → NOSCRIPT would hide what is tested)
  await store.swap('warm', key(), new Uint8Array([0]), null);
  return { store, proxy, arm: (f) => (next = f) };
}

const key = (): Uint8Array => new Uint8Array([...Buffer.from(`proxy-redis-${Math.random()}`)]);

describe.skipIf(url === null)('RedisStore through the cutting proxy', () => {
  it.each(['error-before-apply', 'lost-reply'] as const)('maxRetriesPerRequest 0 (live): %s rejects, applied only when the reply was lost', async (fate) => {
    const { store, proxy, arm } = await storeBehindProxy({ maxRetriesPerRequest: 0 });
    const k = key();
    arm(fate);
    await expect(store.swap('p', k, new Uint8Array([1]), null)).rejects.toThrow(/max retries per request/);
    expect(proxy.cuts[fate === 'lost-reply' ? 'lostReply' : 'errorBeforeApply']).toBe(1);
    // the next command waits for the reconnect, then sees what the server holds
    const after = await store.get('p', k);
    expect(after === undefined ? undefined : [...after.value]).toEqual(fate === 'lost-reply' ? [1] : undefined);
  });

  it("the store's default client resends a command whose reply was lost: applied twice", async () => {
    const { store, proxy, arm } = await storeBehindProxy({});
    const k = key();
    arm('lost-reply');
    const r = await store.swap('p', k, new Uint8Array([1]), null);
    expect(proxy.cuts.lostReply).toBe(1);
    // the first application wrote; the resent one finds the key present and returns it
    expect(r.swapped).toBe(false);
  });
});
