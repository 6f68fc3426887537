/**
 * Handoff benchmark for the features beyond lakeFS (one poller per key per
 * process, FIFO local handoff, push handoff), printed as tables.
 *
 *   npm run bench:handoff
 *
 * Uses REDIS_URL / DATABASE_URL when set, otherwise starts throwaway servers.
 *
 * - local handoff: one MostlyCorrectOwner on MemoryStore; the holder releases
 *   while the next own() for the key waits on the same instance; time from
 *   release() called to the next own() resolved. 500 warm-up, then HANDOFFS.
 * - cross-process handoff: two store instances (separate connections, as two
 *   processes have) on one real server; the waiter's own() starts, 30 ms later
 *   (its first read done, its subscription made, now asleep in a 5 s poll) the
 *   holder releases; time from release() called to the waiter's own()
 *   resolved. `fixed` (push handoff) against `lakefs` (sleeps until the expiry
 *   it read; lease 1000 ms here, so fewer rounds).
 * - store reads while N local waiters wait on one instance for a key another
 *   instance holds, over 1 s, acquireInterval 20 ms: `fixed` (one poller) and
 *   `lakefs` (each own() polls; it sleeps until the expiry it read, lease 1000 ms).
 */
import { cpus, loadavg } from 'node:os';
import { MemoryStore, MostlyCorrectOwner, fixedStrategy, lakefsStrategy, type Store, type Strategy } from '../src/index.js';
import { PostgresStore } from '../src/postgres.js';
import { RedisStore } from '../src/redis.js';
import { startPostgres, startRedis, type ThrowawayServer } from '../test/helpers/servers.js';

const HANDOFFS = Number(process.env.BENCH_HANDOFFS ?? 5000);
const CROSS = Number(process.env.BENCH_CROSS ?? 200);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const q = (sorted: number[], p: number): string => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(3);
const within = (sorted: number[], ms: number): string => `${((100 * sorted.filter((x) => x <= ms).length) / sorted.length).toFixed(1)}%`;
const row = (cells: (string | number)[]): string => cells.map((c, i) => (i === 0 ? String(c).padEnd(34) : String(c).padStart(10))).join(' ');

async function localHandoff(): Promise<void> {
  const owners = new MostlyCorrectOwner({ store: new MemoryStore(), prefix: 'bench', acquireInterval: 50, refreshInterval: 10_000 });
  let current = await owners.own('h', 'k');
  const round = async (n: number): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const next = owners.own(`w${i}`, 'k');
      const t0 = performance.now();
      const released = current.release();
      current = await next;
      out.push(performance.now() - t0);
      await released;
    }
    return out.sort((a, b) => a - b);
  };
  await round(500);
  const l = await round(HANDOFFS);
  await current.release();
  console.log('\nlocal handoff (MemoryStore, one instance, fixed)');
  console.log(row(['', 'handoffs', 'p50 ms', 'p99 ms', 'max ms', '≤ 1 ms']));
  console.log(row(['release() → next own() resolved', l.length, q(l, 0.5), q(l, 0.99), q(l, 1), within(l, 1)]));
}

async function crossHandoff(name: string, open: () => Store & { close(): Promise<void> }, strategy: Strategy, rounds: number): Promise<string> {
  const a = open();
  const b = open();
  const lease = strategy === lakefsStrategy ? 1000 : 10_000;
  const ownersA = new MostlyCorrectOwner({ store: a, prefix: 'bench', acquireInterval: 5000, refreshInterval: lease, strategy });
  const ownersB = new MostlyCorrectOwner({ store: b, prefix: 'bench', acquireInterval: 5000, refreshInterval: lease, strategy });
  const key = `cross-${strategy.name}-${process.pid}`;
  let holder = await ownersA.own('a', key);
  const l: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const waiting = (i % 2 === 0 ? ownersB : ownersA).own(i % 2 === 0 ? 'b' : 'a', key);
    await sleep(30);
    const t0 = performance.now();
    await holder.release();
    holder = await waiting;
    l.push(performance.now() - t0);
  }
  await holder.release();
  await a.close();
  await b.close();
  l.sort((x, y) => x - y);
  return row([`${name}, ${strategy.name}`, l.length, q(l, 0.5), q(l, 0.99), q(l, 1), within(l, 5)]);
}

async function readsWhileWaiting(open: () => Store & { close(): Promise<void> }, strategy: Strategy, n: number): Promise<number> {
  const remote = open();
  const local = open();
  const key = `reads-${strategy.name}-${n}-${process.pid}`;
  const holder = await new MostlyCorrectOwner({ store: remote, prefix: 'bench', acquireInterval: 20, refreshInterval: 1000, strategy }).own('remote', key);
  let reads = 0;
  const get = local.get.bind(local);
  local.get = (p, k) => (reads++, get(p, k));
  const owners = new MostlyCorrectOwner({ store: local, prefix: 'bench', acquireInterval: 20, refreshInterval: 1000, strategy });
  const acs = Array.from({ length: n }, () => new AbortController());
  const waiting = acs.map((ac, i) => owners.own(`w${i}`, key, { signal: ac.signal }).catch(() => undefined));
  await sleep(1000);
  for (const ac of acs) ac.abort();
  await Promise.all(waiting);
  await holder.release();
  await remote.close();
  await local.close();
  return reads;
}

const servers: ThrowawayServer[] = [];
try {
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, node ${process.version}, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  await localHandoff();
  const redisUrl = process.env.REDIS_URL || (servers[servers.length] = await startRedis()).url;
  const pgUrl = process.env.DATABASE_URL || (servers[servers.length] = await startPostgres()).url;
  const stores: [string, () => Store & { close(): Promise<void> }][] = [
    ['Redis (loopback)', () => new RedisStore({ url: redisUrl })],
    ['PostgreSQL (loopback)', () => new PostgresStore({ connectionString: pgUrl })],
  ];
  console.log('\ncross-process handoff (two store instances, separate connections; waiter polls every 5 s)');
  console.log(row(['', 'handoffs', 'p50 ms', 'p99 ms', 'max ms', '≤ 5 ms']));
  for (const [name, open] of stores) {
    console.log(await crossHandoff(name, open, fixedStrategy, CROSS));
    console.log(await crossHandoff(name, open, lakefsStrategy, 10));
  }
  console.log('\nstore reads in 1 s while N local waiters wait (acquireInterval 20 ms; another instance holds the key)');
  console.log(row(['', 'N = 1', 'N = 10', 'N = 100']));
  for (const [name, open] of stores) {
    for (const strategy of [fixedStrategy, lakefsStrategy]) {
      const counts = [];
      for (const n of [1, 10, 100]) counts.push(await readsWhileWaiting(open, strategy, n));
      console.log(row([`${name}, ${strategy.name}`, ...counts]));
    }
  }
} finally {
  for (const s of servers) await s.stop();
}
