import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryStore } from './helpers/store-kind.js';
import { MemoryStore, MostlyCorrectOwner, lakefsStrategy, type MostlyCorrectOwnerOptions, type Ownership } from '../src/index.js';
import { OWNERSHIP_PARTITION, decodeRecord, expiresMs } from '../src/internal.js';
import { installFakeTime, seededRandom, skewedClock, type InstalledClock } from './helpers/fake-time.js';
import { HookedStore, delayAll } from './helpers/store-wrappers.js';

const ACQUIRE = 150;
const REFRESH = 400;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

let clock: InstalledClock;
beforeEach(() => {
  clock = installFakeTime();
});
afterEach(() => {
  clock.uninstall();
});

function makeOwner(store: MostlyCorrectOwnerOptions['store'], extra: Partial<MostlyCorrectOwnerOptions> = {}): MostlyCorrectOwner {
  return new MostlyCorrectOwner({ store, prefix: 'branches', acquireInterval: ACQUIRE, refreshInterval: REFRESH, strategy: lakefsStrategy, ...extra });
}

async function readRecord(store: MemoryStore, key: string) {
  const entry = await store.get(OWNERSHIP_PARTITION, enc(`branches/${key}`));
  return entry === undefined ? undefined : decodeRecord(entry.value, key);
}

/** Starts `own()` and lets fake time run until it settles (or `limitMs` passes). */
async function ownWithin(
  owners: MostlyCorrectOwner,
  owner: string,
  key: string,
  limitMs: number,
  signal?: AbortSignal,
): Promise<Ownership | undefined> {
  let result: Ownership | undefined;
  let error: unknown;
  let done = false;
  owners.own(owner, key, { signal }).then(
    (o) => ((result = o), (done = true)),
    (e: unknown) => ((error = e), (done = true)),
  );
  const until = Date.now() + limitMs;
  while (!done && Date.now() < until) await clock.tickAsync(1);
  if (error !== undefined) throw error;
  return result;
}

describe('MostlyCorrectOwner: acquire', () => {
  it('owns an uncontended key with exactly 1 get and 1 setIf, under a unique "<owner>#<slug>" id', async () => {
    const store = new HookedStore(memoryStore());
    const owners = makeOwner(store);
    const o = await owners.own('writer', 'repo/main');
    expect(o.owner).toMatch(/^writer#[A-Za-z0-9_-]{21}$/);
    expect(o.prefixedKey).toBe('branches/repo/main');
    expect([store.count('get'), store.count('swap')]).toEqual([1, 1]);
    const other = await owners.own('writer', 'repo/other');
    expect(other.owner).not.toBe(o.owner);
    await o.release();
    await other.release();
  });

  it('writes {owner, expires = now + refreshInterval, comment} at mc-ownership/<prefix>/<key>', async () => {
    const mem = memoryStore();
    const o = await makeOwner(mem).own('writer', 'k');
    const rec = await readRecord(mem, 'k');
    expect(rec?.owner).toBe(o.owner);
    expect(expiresMs(rec!)).toBe(Date.now() + REFRESH);
    expect(rec?.comment).toBe(`${o.owner}@${new Date(Date.now()).toISOString()}`);
    await o.release();
  });

  it('lets one owner hold two keys at once without deadlock', async () => {
    const owners = makeOwner(memoryStore());
    const a = await owners.own('w', 'one');
    const b = await owners.own('w', 'two');
    await a.release();
    await b.release();
  });

  it('makes a second own() wait until the first releases, then hands over (event order)', async () => {
    const owners = makeOwner(memoryStore());
    const events: string[] = [];
    const first = await owners.own('first', 'k');
    events.push('first owns');
    const second = owners.own('second', 'k').then((o) => {
      events.push('second owns');
      return o;
    });
    await clock.tickAsync(3 * REFRESH);
    events.push('first releases');
    await first.release();
    await clock.tickAsync(REFRESH);
    const o2 = await second;
    expect(events).toEqual(['first owns', 'first releases', 'second owns']);
    await o2.release();
  });

  it('lets a waiter take over once the holder stops refreshing (aborting the own() signal stops refresh, as Go ctx)', async () => {
    const mem = memoryStore();
    const owners = makeOwner(mem);
    const ac = new AbortController();
    const holder = await owners.own('holder', 'k', { signal: ac.signal });
    const t0 = Date.now();
    ac.abort(new Error('request done'));
    const taker = await ownWithin(owners, 'taker', 'k', 3 * REFRESH);
    expect(taker).toBeDefined();
    // The last refresh before the abort happened at most REFRESH/2 ago: takeover within one lease.
    expect(Date.now() - t0).toBeLessThanOrEqual(REFRESH + 1);
    await holder.refreshStopped;
    await taker!.release();
  });

  it('keeps a long-running holder owning through refreshes', async () => {
    const mem = memoryStore();
    const owners = makeOwner(mem);
    const holder = await owners.own('holder', 'k');
    const waiter = ownWithin(owners, 'waiter', 'k', 20 * REFRESH);
    expect(await waiter).toBeUndefined();
    expect((await readRecord(mem, 'k'))?.owner).toBe(holder.owner);
    await holder.release();
  });

  // Each op of the slow holder reaches the store `delay` ms after it is sent. The record
  // written at t = delay expires at delay + REFRESH; own() resolves at 2·delay; the first
  // refresh tick is at 2·delay + REFRESH/2 and its SetIf lands at 4·delay + REFRESH/2.
  // So the holder keeps the key iff 3·delay < REFRESH/2, i.e. delay < 66.7 ms here.
  it('keeps a holder whose store requests are slow (50 ms each) owning', async () => {
    const mem = memoryStore();
    const slow = makeOwner(new HookedStore(mem, delayAll(50)));
    const p = slow.own('slow', 'k');
    await clock.tickAsync(100);
    const holder = await p;
    const waiter = ownWithin(makeOwner(mem), 'fast', 'k', 10 * REFRESH);
    expect(await waiter).toBeUndefined();
    const release = holder.release();
    await clock.tickAsync(100);
    await release;
  });

  it('loses the key to a waiter when the first refresh lands after the expiry (100 ms requests)', async () => {
    const mem = memoryStore();
    const slow = makeOwner(new HookedStore(mem, delayAll(100)));
    const p = slow.own('slow', 'k');
    await clock.tickAsync(200);
    const holder = await p;
    const thief = await ownWithin(makeOwner(mem), 'fast', 'k', 10 * REFRESH);
    expect(thief).toBeDefined();
    // record expired at 500, refresh SetIf would land at 600: the thief wins at 500 + ε
    expect(Date.now() - 1_700_000_000_000).toBeLessThanOrEqual(502);
    await thief!.release();
    const release = holder.release();
    await clock.tickAsync(400);
    await release;
  });

  it('takes an expired record (expires < now by the local wall clock)', async () => {
    const mem = memoryStore();
    const owners = makeOwner(mem);
    const ac = new AbortController();
    const old = await owners.own('old', 'k', { signal: ac.signal });
    ac.abort();
    await clock.tickAsync(REFRESH + 1);
    const fresh = await owners.own('fresh', 'k');
    expect((await readRecord(mem, 'k'))?.owner).toBe(fresh.owner);
    await fresh.release();
    await old.release();
  });

  it('judges expiry with the local wall clock: a waiter ahead by more than the remaining lease steals', async () => {
    const mem = memoryStore();
    const holder = await makeOwner(mem).own('holder', 'k');
    const ahead = makeOwner(mem, { clock: skewedClock(REFRESH + 1) });
    const thief = await ahead.own('thief', 'k');
    expect((await readRecord(mem, 'k'))?.owner).toBe(thief.owner);
    await thief.release();
    await holder.release();
  });
});

describe('MostlyCorrectOwner: sleeping rules of lakeFS as shipped', () => {
  it('a waiter sleeps until the read expiry: one get per wake-up, all waiters wake together', async () => {
    const mem = memoryStore();
    const holder = await makeOwner(mem).own('holder', 'k');
    const store = new HookedStore(mem);
    const waiters = makeOwner(store);
    const ac = new AbortController();
    const pending = ['w1', 'w2', 'w3'].map((w) => waiters.own(w, 'k', { signal: ac.signal }));
    await clock.tickAsync(5 * REFRESH);
    const gets = store.log.filter((e) => e.op === 'get');
    const start = 1_700_000_000_000;
    for (const waiter of [0, 1, 2]) {
      const mine = gets.filter((_, i) => i % 3 === waiter);
      expect(mine.length).toBeGreaterThanOrEqual(5);
      // each wake-up happens exactly at the expiry that the previous read saw
      for (let i = 1; i < mine.length; i++) {
        expect(mine[i]!.at).toBe(expiresMs(decodeRecord(mine[i - 1]!.result!.value, 'k')) - start);
      }
    }
    // all waiters read at the same instants
    const instants = gets.map((e) => e.at);
    for (let i = 0; i < instants.length; i += 3) expect(new Set(instants.slice(i, i + 3)).size).toBe(1);
    expect(store.count('swap')).toBe(0);
    ac.abort();
    const settled = await Promise.allSettled(pending);
    expect(settled.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    await holder.release();
  });

  it('the loser of a SetIf race sleeps a whole refreshInterval', async () => {
    const mem = memoryStore();
    const store = new HookedStore(mem);
    const owners = makeOwner(store);
    const a = owners.own('a', 'k');
    const b = owners.own('b', 'k');
    const winner = await Promise.race([a, b]);
    // Both read "absent" then both SetIf(null): one wins, the other loses at t = 0.
    expect(store.count('swap')).toBe(2);
    const loser = winner === (await a) ? b : a;
    await clock.tickAsync(REFRESH - 1);
    expect(store.log.filter((e) => e.op === 'get' && e.at > 0 && e.at < REFRESH).length).toBe(
      // only the winner's refresh reads happen before REFRESH
      store.log.filter((e) => e.op === 'get' && e.at > 0 && e.at < REFRESH).length,
    );
    const loserGetsBefore = store.log.filter((e) => e.op === 'get').length;
    await winner.release();
    await clock.tickAsync(1);
    const loserGet = store.log.find((e, i) => i >= loserGetsBefore && e.op === 'get' && e.at === REFRESH);
    expect(loserGet).toBeDefined();
    const o = await loser;
    expect(Date.now()).toBe(1_700_000_000_000 + REFRESH);
    await o.release();
  });

  it('never takes the jittered acquireInterval branch: randomness is drawn only for slugs', async () => {
    let draws = 0;
    const rnd = seededRandom(7);
    const random = { bytes: (n: number): Uint8Array => ((draws += 1), rnd.bytes(n)) };
    const owners = makeOwner(memoryStore(), { random });
    const owned: Ownership[] = [];
    for (let i = 0; i < 5; i++) void owners.own(`w${i}`, 'k').then((o) => owned.push(o));
    // hand the key round: whoever owns releases, the next takes over at its wake-up
    for (let handed = 0; handed < 5; ) {
      await clock.tickAsync(REFRESH / 4);
      const o = owned.shift();
      if (o !== undefined) {
        await o.release();
        handed++;
      }
    }
    expect(draws).toBe(5); // one slug per own(), never a jitter draw
  });
});
