/**
 * Redis lock benchmark: this library (the `lakefs` strategy, as specified)
 * against `redlock` and `redis-semaphore`'s Mutex, on one real redis-server,
 * in one run, through one harness.
 *
 *   npm run bench:redis                 # prints the tables
 *   npm run bench:redis -- --write      # and rewrites its section of docs/benchmarks.md
 *
 * Uses REDIS_URL when set, otherwise starts a throwaway redis-server.
 *
 * - uncontended: one worker, one key, CYCLES × (acquire + release), one after
 *   another; cycles/s and per-cycle latency, and the CPU a cycle costs this
 *   process (`process.cpuUsage`: the library and ioredis) and redis-server
 *   (`INFO cpu`), to tell client work from server work.
 * - contended: one key, 4 workers that each loop acquire → hold 1 ms →
 *   release for SECONDS, in one process (4 workers) and in 2 processes × 2
 *   workers. Acquisitions/s; handoff = from a release to the next acquisition
 *   by a *different* worker; longest wait from asking to owning (a wait still
 *   open at the end counts up to the end, marked ≥).
 *
 * Every worker has its own connection. Lease / TTL is 1000 ms for all three;
 * redlock and redis-semaphore retry every 10 ms, this library sleeps as lakeFS
 * does (until the expiry it read). Timestamps are `performance.timeOrigin +
 * performance.now()`, comparable across processes on one machine.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
// redlock's package.json `exports` hides its types; bench/redlock.d.ts declares what is used.
import Redlock from 'redlock';
import { Mutex } from 'redis-semaphore';
import { MostlyCorrectOwner, fixedStrategy, lakefsStrategy } from '../src/index.js';
import { RedisStore } from '../src/redis.js';
import { startRedis, type ThrowawayServer } from '../test/helpers/servers.js';

const LEASE_MS = 1000;
const RETRY_MS = 10;
const HOLD_MS = 1;
const CYCLES = Number(process.env.BENCH_CYCLES ?? 2000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/**
 * This library's rows: fixed speculating (fastPath: true: one swap each to
 * acquire and release, on a guess), fixed with fastPath: false (every
 * decision on a read: get + swap each, what the generic get + setIf path
 * was), lakeFS as specified (get + swap each).
 */
const MCO_FAST = 'mostly-correct-owner fixed, fast path' as const;
const MCO_GENERIC = 'mostly-correct-owner fixed, fastPath: false' as const;
const MCO_LAKEFS = 'mostly-correct-owner lakefs' as const;
/**
 * Contended only: the workers of a process share one `MostlyCorrectOwner`
 * (one connection), as the README recommends for callers in one process, so
 * `fixed`'s local FIFO queue orders them.
 */
const MCO_SHARED = 'mostly-correct-owner fixed, fast path, one owner per process' as const;
const SEMAPHORE = 'redis-semaphore Mutex' as const;
const LIBRARIES = [MCO_FAST, MCO_GENERIC, MCO_LAKEFS, 'redlock', SEMAPHORE] as const;
/** Contended runs: this library's default path (per worker and shared) and lakeFS's, against the two others. */
const CONTENDED = [MCO_FAST, MCO_SHARED, MCO_LAKEFS, 'redlock', SEMAPHORE] as const;
/**
 * Reference row, uncontended only: the store traffic of the lakeFS algorithm
 * (get + swap to acquire, get + swap to release) through RedisStore with no
 * owner around it, to tell the store's cost from the owner's.
 */
const BARE_STORE = 'RedisStore get+swap ×2, no owner' as const;
const UNCONTENDED = [...LIBRARIES, BARE_STORE] as const;
type Library = (typeof UNCONTENDED)[number] | typeof MCO_SHARED;

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One way to take and give back the lock on `key`. */
interface Locker {
  /** Resolves when held; returns the release. Rejects when `signal` aborts (where the library allows). */
  acquire(signal: AbortSignal): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** This library's owner for one of its rows, on `client`. */
function benchOwner(library: typeof MCO_FAST | typeof MCO_GENERIC | typeof MCO_LAKEFS, client: Redis): MostlyCorrectOwner {
  return new MostlyCorrectOwner({
    store: new RedisStore({ client }),
    prefix: 'bench',
    refreshInterval: LEASE_MS,
    acquireInterval: library === MCO_LAKEFS ? 100 : RETRY_MS,
    strategy: library === MCO_LAKEFS ? lakefsStrategy : fixedStrategy,
    fastPath: library === MCO_FAST,
  });
}

/** `workers` lockers for one process: each its own, except MCO_SHARED, where all share one owner. */
function makeLockers(library: Library, url: string, key: string, workers: number): Locker[] {
  if (library !== MCO_SHARED) return Array.from({ length: workers }, () => makeLocker(library, url, key));
  const client = new Redis(url);
  const owners = benchOwner(MCO_FAST, client);
  let closed: Promise<void> | undefined;
  return Array.from({ length: workers }, () => ({
    async acquire(signal: AbortSignal) {
      const o = await owners.own('bench', key, { signal });
      return () => o.release();
    },
    close: () => (closed ??= owners.close().then(async () => void (await client.quit()))),
  }));
}

function makeLocker(library: Library, url: string, key: string): Locker {
  const client = new Redis(url);
  const close = async (): Promise<void> => {
    await client.quit();
  };
  switch (library) {
    case MCO_SHARED:
      throw new Error('bench: MCO_SHARED lockers come from makeLockers');
    case MCO_FAST:
    case MCO_GENERIC:
    case MCO_LAKEFS: {
      const owners = benchOwner(library, client);
      return {
        async acquire(signal) {
          const o = await owners.own('bench', key, { signal });
          return () => o.release();
        },
        close,
      };
    }
    case 'redlock': {
      const redlock = new Redlock([client], { retryCount: -1, retryDelay: RETRY_MS, retryJitter: RETRY_MS / 2 });
      redlock.on('error', () => {}); // lost acquisition attempts are reported here; expected under contention
      return {
        async acquire() {
          const lock = await redlock.acquire([`redlock:${key}`], LEASE_MS);
          return async () => {
            await lock.release();
          };
        },
        close,
      };
    }
    case BARE_STORE: {
      const store = new RedisStore({ client });
      const keyBytes = new TextEncoder().encode(key);
      const held = new Uint8Array([1]);
      const free = new Uint8Array([0]);
      return {
        async acquire() {
          const entry = await store.get('bench', keyBytes);
          if (!(await store.swap('bench', keyBytes, held, entry?.predicate ?? null)).swapped) throw new Error('bench: uncontended swap lost');
          return async () => {
            const mine = await store.get('bench', keyBytes);
            if (!(await store.swap('bench', keyBytes, free, mine!.predicate)).swapped) throw new Error('bench: uncontended swap lost');
          };
        },
        close,
      };
    }
    case SEMAPHORE:
      return {
        async acquire() {
          const mutex = new Mutex(client, `semaphore:${key}`, {
            lockTimeout: LEASE_MS,
            acquireTimeout: 60_000,
            retryInterval: RETRY_MS,
            refreshInterval: LEASE_MS * 0.8,
          });
          await mutex.acquire();
          return () => mutex.release();
        },
        close,
      };
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
const ms = (x: number): string => (Number.isNaN(x) ? '–' : x < 10 ? x.toFixed(2) : x.toFixed(0));

interface UncontendedResult {
  library: Library;
  /** Median over the rounds, and the range. */
  cyclesPerSecond: number;
  cyclesPerSecondMin: number;
  cyclesPerSecondMax: number;
  /** Best round ÷ redis-semaphore's best round. */
  ratio: number;
  /** Over all cycles of all rounds. */
  p50: number;
  p99: number;
  /** CPU µs per cycle (median round): this process (user + system, all threads), and redis-server. */
  clientCpuUs: number;
  serverCpuUs: number;
}

/** redis-server's CPU time so far (user + system, µs), from `INFO cpu`. */
async function serverCpuUs(info: Redis): Promise<number> {
  const text = await info.info('cpu');
  const field = (name: string): number => Number(new RegExp(`${name}:([0-9.]+)`).exec(text)?.[1] ?? NaN);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
}

/** One round: CYCLES back-to-back acquire + release on one key; the cycle latencies and the rate. */
async function uncontendedRound(
  library: Library,
  url: string,
  info: Redis,
): Promise<{ latencies: number[]; cyclesPerSecond: number; clientCpuUs: number; serverCpuUs: number }> {
  const locker = makeLocker(library, url, `uncontended-${library}-${process.pid}`);
  const signal = new AbortController().signal;
  for (let i = 0; i < 200; i++) await (await locker.acquire(signal))();
  const latencies: number[] = [];
  // where a cycle's time goes: this process's CPU (the library and its client) and the server's
  const server0 = await serverCpuUs(info);
  const client0 = process.cpuUsage();
  const start = now();
  for (let i = 0; i < CYCLES; i++) {
    const t = now();
    const release = await locker.acquire(signal);
    await release();
    latencies.push(now() - t);
  }
  const total = now() - start;
  const client = process.cpuUsage(client0);
  const server = (await serverCpuUs(info)) - server0;
  await locker.close();
  return {
    latencies,
    cyclesPerSecond: (CYCLES / total) * 1000,
    clientCpuUs: (client.user + client.system) / CYCLES,
    serverCpuUs: server / CYCLES,
  };
}

/** ROUNDS rounds per library, interleaved, so a slow moment of a shared machine hits all of them. */
async function uncontended(url: string): Promise<UncontendedResult[]> {
  const rounds = new Map<Library, { latencies: number[]; rates: number[]; clientCpu: number[]; serverCpu: number[] }>(
    UNCONTENDED.map((l) => [l, { latencies: [], rates: [], clientCpu: [], serverCpu: [] }]),
  );
  const info = new Redis(url);
  // One discarded round each first: the first rounds of a fresh process run
  // before the JIT has settled and are several times slower.
  for (const library of UNCONTENDED) await uncontendedRound(library, url, info);
  for (let r = 0; r < ROUNDS; r++) {
    for (const library of UNCONTENDED) {
      const round = await uncontendedRound(library, url, info);
      const acc = rounds.get(library)!;
      acc.latencies.push(...round.latencies);
      acc.rates.push(round.cyclesPerSecond);
      acc.clientCpu.push(round.clientCpuUs);
      acc.serverCpu.push(round.serverCpuUs);
      console.error(`uncontended round ${r + 1}/${ROUNDS} ${library}: ${round.cyclesPerSecond.toFixed(0)} cycles/s`);
    }
  }
  await info.quit();
  const semaphoreBest = Math.max(...rounds.get(SEMAPHORE)!.rates);
  return UNCONTENDED.map((library) => {
    const { latencies, rates, clientCpu, serverCpu } = rounds.get(library)!;
    latencies.sort((a, b) => a - b);
    rates.sort((a, b) => a - b);
    clientCpu.sort((a, b) => a - b);
    serverCpu.sort((a, b) => a - b);
    return {
      library,
      cyclesPerSecond: percentile(rates, 50),
      cyclesPerSecondMin: rates[0]!,
      cyclesPerSecondMax: rates.at(-1)!,
      ratio: rates.at(-1)! / semaphoreBest,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      clientCpuUs: percentile(clientCpu, 50),
      serverCpuUs: percentile(serverCpu, 50),
    };
  });
}

/**
 * One acquisition: when the worker asked, got it, and gave it back. `released`
 * is when it *called* release: from then on it no longer believes it holds
 * the lock, and the server may hand it on before the release call returns.
 */
interface Acquisition {
  worker: string;
  asked: number;
  acquired: number;
  released: number;
}
interface WorkerLog {
  acquisitions: Acquisition[];
  /** Waits still open when the run ended: since when. */
  openWaits: number[];
}

/** Runs `workers` contending workers in this process from `startAt` for `seconds`. */
async function contendHere(library: Library, url: string, key: string, workerPrefix: string, workers: number, startAt: number, seconds: number): Promise<WorkerLog> {
  const lockers = makeLockers(library, url, key, workers);
  const log: WorkerLog = { acquisitions: [], openWaits: [] };
  await sleep(Math.max(0, startAt - now()));
  const endAt = startAt + seconds * 1000;
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(new Error('benchmark over')), Math.max(0, endAt - now()));
  await Promise.all(
    lockers.map(async (locker, i) => {
      const worker = `${workerPrefix}${i}`;
      while (now() < endAt) {
        const asked = now();
        let release: () => Promise<void>;
        try {
          release = await locker.acquire(stop.signal);
        } catch (err) {
          if (stop.signal.aborted) {
            log.openWaits.push(asked);
            return;
          }
          throw err;
        }
        const acquired = now();
        if (acquired > endAt) {
          log.openWaits.push(asked);
          await release();
          return;
        }
        await sleep(HOLD_MS);
        const released = now();
        await release();
        log.acquisitions.push({ worker, asked, acquired, released });
      }
    }),
  );
  clearTimeout(timer);
  await Promise.all(lockers.map((l) => l.close()));
  return log;
}

interface ContendedResult {
  library: Library;
  setup: string;
  acquisitionsPerSecond: number;
  handoffs: number;
  handoffP50: number;
  handoffP99: number;
  longestWait: number;
  longestWaitOpen: boolean;
  overlaps: number;
}

function summarize(library: Library, setup: string, logs: WorkerLog[], startAt: number, seconds: number): ContendedResult {
  const endAt = startAt + seconds * 1000;
  const all = logs.flatMap((l) => l.acquisitions).sort((a, b) => a.acquired - b.acquired);
  const handoffs: number[] = [];
  let overlaps = 0;
  for (let i = 1; i < all.length; i++) {
    const prev = all[i - 1]!;
    const cur = all[i]!;
    if (cur.acquired < prev.released) overlaps++;
    if (cur.worker !== prev.worker) handoffs.push(cur.acquired - prev.released);
  }
  handoffs.sort((a, b) => a - b);
  const closedWait = Math.max(0, ...all.map((a) => a.acquired - a.asked));
  const openWait = Math.max(0, ...logs.flatMap((l) => l.openWaits).map((asked) => endAt - asked));
  return {
    library,
    setup,
    acquisitionsPerSecond: all.length / seconds,
    handoffs: handoffs.length,
    handoffP50: percentile(handoffs, 50),
    handoffP99: percentile(handoffs, 99),
    longestWait: Math.max(closedWait, openWait),
    longestWaitOpen: openWait > closedWait,
    overlaps,
  };
}

async function contendedInProcess(library: Library, url: string): Promise<ContendedResult> {
  const key = `contended-1x4-${process.pid}-${Date.now()}`;
  const startAt = now() + 300;
  const log = await contendHere(library, url, key, 'w', 4, startAt, SECONDS);
  return summarize(library, '1 process × 4 workers', [log], startAt, SECONDS);
}

async function contendedTwoProcesses(library: Library, url: string): Promise<ContendedResult> {
  const key = `contended-2x2-${process.pid}-${Date.now()}`;
  const startAt = now() + 2500; // time for both children to start
  const logs = await Promise.all(
    [0, 1].map(
      (p) =>
        new Promise<WorkerLog>((resolve, reject) => {
          const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, '--child'], {
            env: { ...process.env, BENCH_CHILD: JSON.stringify({ library, url, key, prefix: `p${p}w`, workers: 2, startAt, seconds: SECONDS }) },
            stdio: ['ignore', 'pipe', 'inherit'],
          });
          let out = '';
          child.stdout.on('data', (d: Buffer) => (out += d.toString()));
          child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as WorkerLog) : reject(new Error(`bench child exited ${code}`))));
        }),
    ),
  );
  return summarize(library, '2 processes × 2 workers', logs, startAt, SECONDS);
}

async function rawGetRoundTrip(url: string): Promise<number> {
  const client = new Redis(url);
  await client.set('bench:raw', 'x');
  for (let i = 0; i < 500; i++) await client.get('bench:raw');
  const samples: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const t = now();
    await client.get('bench:raw');
    samples.push(now() - t);
  }
  await client.quit();
  return percentile(samples.sort((a, b) => a - b), 50);
}

function machine(redisVersion: string): string {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  return `nproc ${cpus().length}, ${model.trim()}, node ${process.version}, redis-server ${redisVersion} on loopback`;
}

async function main(): Promise<void> {
  if (process.argv.includes('--child')) {
    const c = JSON.parse(process.env.BENCH_CHILD!) as { library: Library; url: string; key: string; prefix: string; workers: number; startAt: number; seconds: number };
    const log = await contendHere(c.library, c.url, c.key, c.prefix, c.workers, c.startAt, c.seconds);
    process.stdout.write(JSON.stringify(log));
    return;
  }
  let server: ThrowawayServer | undefined;
  const url = process.env.REDIS_URL || (server = await startRedis()).url;
  try {
    const info = new Redis(url);
    const redisVersion = /redis_version:(\S+)/.exec(await info.info('server'))?.[1] ?? '?';
    await info.quit();
    const raw = await rawGetRoundTrip(url);
    console.error(`raw GET round trip p50: ${ms(raw)} ms`);
    const unc = process.env.BENCH_SKIP_UNCONTENDED ? [] : await uncontended(url);
    const con: ContendedResult[] = [];
    for (const lib of process.env.BENCH_SKIP_CONTENDED ? [] : CONTENDED) {
      con.push(await contendedInProcess(lib, url));
      console.error(`contended 1×4 ${lib}: ${con.at(-1)!.acquisitionsPerSecond.toFixed(0)} acquisitions/s`);
      con.push(await contendedTwoProcesses(lib, url));
      console.error(`contended 2×2 ${lib}: ${con.at(-1)!.acquisitionsPerSecond.toFixed(0)} acquisitions/s`);
    }
    const lines = [
      `Command: \`npm run bench:redis\` (a warm-up round, then ${ROUNDS} interleaved rounds × ${CYCLES} uncontended cycles, ${SECONDS} s per contended run; lease/TTL ${LEASE_MS} ms, retry ${RETRY_MS} ms, hold ${HOLD_MS} ms).`,
      `Machine: ${machine(redisVersion)}. Raw GET round trip p50: ${ms(raw)} ms.`,
      '',
      '**Uncontended** (one worker, acquire + release, back to back; best round, median round and range; ratio = best round ÷ redis-semaphore\'s best round; CPU per cycle, median round: this process (`process.cpuUsage`, all threads) and redis-server (`INFO cpu`))',
      '',
      '| library | best cycles/s | × redis-semaphore | median | range | p50 ms | p99 ms | client CPU µs/cycle | server CPU µs/cycle |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...unc.map(
        (r) =>
          `| ${r.library} | ${r.cyclesPerSecondMax.toFixed(0)} | ${r.ratio.toFixed(2)} | ${r.cyclesPerSecond.toFixed(0)} | ${r.cyclesPerSecondMin.toFixed(0)}–${r.cyclesPerSecondMax.toFixed(0)} | ${ms(r.p50)} | ${ms(r.p99)} | ${r.clientCpuUs.toFixed(0)} | ${r.serverCpuUs.toFixed(0)} |`,
      ),
      '',
      `**Contended** (one key, hold ${HOLD_MS} ms, ${SECONDS} s)`,
      '',
      '| library | workers | acquisitions/s | handoffs | handoff p50 ms | handoff p99 ms | longest wait ms | overlaps |',
      '|---|---|---:|---:|---:|---:|---:|---:|',
      ...con.map(
        (r) =>
          `| ${r.library} | ${r.setup} | ${r.acquisitionsPerSecond.toFixed(0)} | ${r.handoffs} | ${ms(r.handoffP50)} | ${ms(r.handoffP99)} | ${r.longestWaitOpen ? '≥ ' : ''}${ms(r.longestWait)} | ${r.overlaps} |`,
      ),
    ];
    const table = lines.join('\n');
    console.log(table);
    if (process.argv.includes('--write')) writeSection(table);
  } finally {
    await server?.stop();
  }
}

const DOC = join(import.meta.dirname, '..', 'docs', 'benchmarks.md');
const START = '<!-- bench:redis:start -->';
const END = '<!-- bench:redis:end -->';

/** Replaces the generated part of the Redis section of docs/benchmarks.md. */
function writeSection(table: string): void {
  const doc = readFileSync(DOC, 'utf8');
  const from = doc.indexOf(START);
  const to = doc.indexOf(END);
  if (from < 0 || to < from) throw new Error(`${DOC}: markers ${START} … ${END} not found`);
  writeFileSync(DOC, `${doc.slice(0, from + START.length)}\n${table}\n${doc.slice(to)}`);
  console.error(`wrote ${DOC}`);
}

await main();
