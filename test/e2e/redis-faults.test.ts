/**
 * Faults on a real redis-server: a restart while a key is held (no
 * persistence, so the record vanishes), and a refused connection at `own()`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MostlyCorrectOwner, OwnError, StoreError, lakefsStrategy } from '../../src/index.js';
import { OWNERSHIP_PARTITION, decodeRecord } from '../../src/internal.js';
import { RedisStore } from '../../src/redis.js';
import { recordingLogger } from '../helpers/fake-time.js';
import { freePort, redisServerBinary, startRedis, type ThrowawayServer } from '../helpers/servers.js';
import { watchUnhandled, within } from './unhandled.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

describe.skipIf(redisServerBinary() === undefined)('RedisStore faults on a real redis-server', () => {
  // Back at once: the next refresh finds the record gone. Down for two refresh
  // ticks: a refresh fails on the connection first.
  it.each([0, 700])('restart while held (down %i ms): refresh stops without a crash, another owner acquires, release is harmless', async (downMs) => {
    const watch = watchUnhandled();
    cleanups.push(async () => watch.stop());
    let server: ThrowawayServer = await startRedis();
    cleanups.push(() => server.stop());
    const storeA = new RedisStore({ url: server.url });
    const storeB = new RedisStore({ url: server.url });
    cleanups.push(() => storeA.close(), () => storeB.close());
    const logA = recordingLogger();
    // lakeFS's semantics (refresh stops on a failed read; a failed SetIf is logged and the loop goes on)
    const options = { prefix: 'faults', refreshInterval: 600, acquireInterval: 100, strategy: lakefsStrategy };
    const a = new MostlyCorrectOwner({ ...options, store: storeA, logger: logA });
    const b = new MostlyCorrectOwner({ ...options, store: storeB });

    const held = await a.own('a', 'restart');
    await server.stop();
    await new Promise((r) => setTimeout(r, downMs));
    server = await startRedis({ port: server.port });
    await within(held.refreshStopped, 5000, "holder's refresh loop stopping");
    const why = logA.lines.find((l) => l.level === 'warn');
    expect(why?.message).toBe('Failed to get ownership message to refresh');
    console.log(`[faults redis] down ${downMs} ms: refresh stopped: ${String((why?.fields.err as Error).message)}`);

    const started = Date.now();
    const taken = await within(b.own('b', 'restart'), 2000, 'second owner acquiring');
    console.log(`[faults redis] down ${downMs} ms: second owner acquired ${Date.now() - started} ms after asking`);
    await held.release(); // the record is b's: a loses the race, quietly
    const entry = await storeB.get(OWNERSHIP_PARTITION, new TextEncoder().encode('faults/restart'));
    expect(decodeRecord(entry!.value, 'faults/restart').owner).toBe(taken.owner);
    await taken.release();
    expect(watch.problems).toEqual([]);
  });

  it('fixed strategy: Redis restarted while held (down 700 ms): the holder is told through ownership.lost', async () => {
    const watch = watchUnhandled();
    cleanups.push(async () => watch.stop());
    let server: ThrowawayServer = await startRedis();
    cleanups.push(() => server.stop());
    const store = new RedisStore({ url: server.url });
    cleanups.push(() => store.close());
    const owner = new MostlyCorrectOwner({ store, prefix: 'faults', refreshInterval: 600, acquireInterval: 100 });
    const held = await owner.own('a', 'restart-fixed');
    const told = new Promise<unknown>((resolve) => held.lost.addEventListener('abort', () => resolve(held.lost.reason)));
    await server.stop();
    await new Promise((r) => setTimeout(r, 700));
    server = await startRedis({ port: server.port });
    const reason = (await within(told, 5000, 'the holder being told')) as Error;
    expect(reason.name).toBe('OwnershipLostError');
    console.log(`[faults redis] fixed: holder told: ${reason.message}`);
    await held.release();
    expect(watch.problems).toEqual([]);
  });

  it('connection refused at own(): rejects fast, naming the server, password redacted', async () => {
    const port = await freePort();
    const store = new RedisStore({ url: `redis://:s3cret-pw@127.0.0.1:${port}/0` });
    cleanups.push(() => store.close());
    const owner = new MostlyCorrectOwner({ store, prefix: 'faults', refreshInterval: 600, acquireInterval: 100 });
    const started = Date.now();
    const err = (await owner.own('a', 'refused').catch((e: unknown) => e)) as OwnError;
    const elapsed = Date.now() - started;
    console.log(`[faults redis] own() rejected after ${elapsed} ms: ${err.message}`);
    expect(err).toBeInstanceOf(OwnError);
    expect(err.cause).toBeInstanceOf(StoreError);
    expect(err.message).toContain(`redis://:***@127.0.0.1:${port}/0`);
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.message).not.toContain('s3cret-pw');
    expect(JSON.stringify({ ...(err.cause as StoreError) })).not.toContain('s3cret-pw');
    expect(elapsed).toBeLessThan(3000);
  });
});
