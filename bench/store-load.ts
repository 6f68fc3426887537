/**
 * Store load, counted by the server: commands per held second, per waiting
 * second and per own+release cycle, for each strategy, against the formulas
 * of docs/strategies.md ("Store load").
 *
 *   npm run bench:load                       # Redis and PostgreSQL, T = 20 s per scenario
 *   npm run bench:load -- --seconds 10 --stores redis --waiters 5
 *
 * Each (store, variant) runs on its own throwaway server (started with
 * test/helpers/servers.ts; PostgreSQL with `pg_stat_statements` preloaded),
 * so scenarios of different variants run at the same time without sharing
 * counters; the scenarios of one variant run one after another, each between
 * a counter reset and a counter read on the server:
 *
 * - `hold`: one instance holds one key for T seconds;
 * - `wait, N local`: one instance holds the key; N `own()` calls wait for it
 *   on one other instance (one store, one set of connections) for T seconds;
 * - `wait, N instances`: one instance holds; N other instances (each its own
 *   store and connections, as N processes have) wait one `own()` each;
 * - `cycle`: M uncontended own + release on one instance, back to back.
 *
 * Counted on the server, never in our code:
 * - Redis: `INFO commandstats` after `CONFIG RESETSTAT`. Every command is
 *   counted except connection and admin ones, which are listed in
 *   {@link REDIS_EXCLUDED} (INFO is also what ioredis sends as its ready
 *   check on each new connection). Commands a Lua script runs
 *   (`redis.call('GET' | 'SET')` inside the swap script) are counted by the
 *   server under their own names, and so are they in the formulas. Also
 *   `total_connections_received` (INFO stats): connections opened.
 * - PostgreSQL: `pg_stat_statements` (calls per statement, utility
 *   statements such as LISTEN included) after `pg_stat_statements_reset()`,
 *   excluding the statements of this harness (on pg_stat_statements).
 *
 * Pass/fail compares the window's total with the sum of the formulas (holder
 * + waiters). For the "per waiting second" column the holder's share is taken
 * out as the total of the `hold` scenario (same length, same holder; its
 * refresh ticks can differ by one at the window's edges: 4 Redis commands, 2
 * PostgreSQL statements).
 *
 * Variants are a list (`VARIANTS`): a strategy plus owner options; a new
 * store path (e.g. one-round-trip scripts) is a new entry, with its formula.
 */
import { cpus } from 'node:os';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  MostlyCorrectOwner,
  fixedStrategy,
  lakefsStrategy,
  observedStrategy,
  type MostlyCorrectOwnerOptions,
  type Ownership,
  type Store,
  type Strategy,
} from '../src/index.js';
import { PostgresStore } from '../src/postgres.js';
import { RedisStore } from '../src/redis.js';
import { startPostgres, startRedis, type ThrowawayServer } from '../test/helpers/servers.js';

interface Args {
  seconds: number;
  waiters: number;
  cycles: number;
  refreshMs: number;
  acquireMs: number;
  stores: ('redis' | 'postgres')[];
}

function parseArgs(argv: string[]): Args {
  const get = (name: string, fallback: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
  };
  return {
    seconds: Number(get('seconds', '20')),
    waiters: Number(get('waiters', '5')),
    cycles: Number(get('cycles', '200')),
    refreshMs: Number(get('refresh-ms', '2000')),
    acquireMs: Number(get('acquire-ms', '500')),
    stores: get('stores', 'redis,postgres').split(',') as Args['stores'],
  };
}

/**
 * The load model of one way of running the owner on one store, in the
 * store's own counting unit (Redis commands, PostgreSQL statements). Every
 * figure is an upper bound derived from the code; see docs/strategies.md.
 */
interface LoadModel {
  /** Commands of one refresh tick of a holder. */
  tick: number;
  /** Upper bound on the commands of one waiter (or one coalesced poller) over `seconds` while another holds the key. */
  waiter(seconds: number): number;
  /** Commands a waiting `own()` sends once when its wait starts (subscription). */
  waitSetup: number;
  /** Whether N local `own()` calls cost like one waiter. */
  coalesces: boolean;
  /** Upper bound on the commands of one uncontended own + release. */
  cycle: number;
}

/** One row group of the table: a strategy, owner options, and its load model per store. */
interface Variant {
  name: string;
  strategy: Strategy;
  options?: Partial<MostlyCorrectOwnerOptions>;
  model: Record<StoreName, (h: number, a: number) => LoadModel>;
}

type StoreName = 'redis' | 'postgres';

// H = refreshInterval, A = acquireInterval, both in seconds.
// Every decision on a read (lakefs; fixed with fastPath: false): get + swap, as the
// generic get + setIf path was. Redis: get = GET; swap = EVALSHA, inside which the
// script runs GET and, when it writes, SET (counted by the server): a write that
// succeeds is 3 commands, one that fails 2 (its reply carries the current value: no
// read after it). PostgreSQL: one statement each.
const lakefsModel = (tick: number, failedSwap: number, write: number) => (h: number): LoadModel => ({
  tick,
  // wake-ups at least H/2 apart (the expiry it read is at least H/2 ahead: the
  // holder rewrites it every H/2), at most 1 + T/(H/2) of them, each at most two
  // reads (woken a hair before the expiry it read, it sleeps the remainder and
  // reads again) and one failed swap (a lost race then sleeps a whole H)
  waiter: (t) => (Math.floor(t / (h / 2)) + 1) * (2 + failedSwap),
  waitSetup: 0,
  coalesces: false,
  cycle: 2 * (1 + write), // (read + swap) to acquire, (read + swap) to release
});
const pollingModel = (tick: number, write: number, setup: number, notify: number) => (h: number, a: number): LoadModel => ({
  tick,
  // one read per poll; polls sleep at least 2A/3 (A jittered down by up to a third;
  // min(A, time to expiry), and the record read has at least H/2 left, ≥ A here)
  waiter: (t) => Math.floor(t / ((2 * a) / 3)) + 1,
  waitSetup: setup,
  coalesces: true,
  // acquire + release as lakefs, and the release notification (the subscription
  // is made only once an own() has to wait: none on the uncontended path)
  cycle: 2 * (1 + write) + notify,
});
// Fast path (speculating): a refresh is one swap that writes; a waiter polls with plain
// reads as with fastPath: false (a guess that says "held" is checked by a read);
// an uncontended cycle is a swap to acquire and a swap to release, and the
// notification (Redis: PUBLISH inside the release script, PostgreSQL: pg_notify).
const fastModel = (swapWrite: number, setup: number, notify: number) => (h: number, a: number): LoadModel => ({
  ...pollingModel(swapWrite, 0, setup, notify)(h, a),
  tick: swapWrite,
  cycle: 2 * swapWrite + notify,
});
// Redis: tick GET + EVALSHA(GET, SET) = 4; failed swap EVALSHA(GET) = 2; SUBSCRIBE 1; PUBLISH 1.
// PostgreSQL: tick SELECT + swap statement (an UPDATE inside) = 2; failed swap 1; LISTEN on the listening
// connection when it opens plus the LISTEN of the watch, and UNLISTEN * when the
// last watch ends (3); pg_notify 1.
// Fast path, Redis: a swap that writes is EVALSHA + GET + SET = 3 (one round trip).
const VARIANTS: Variant[] = [
  { name: 'lakefs', strategy: lakefsStrategy, model: { redis: lakefsModel(4, 2, 3), postgres: lakefsModel(2, 1, 1) } },
  { name: 'fixed', strategy: fixedStrategy, model: { redis: fastModel(3, 1, 1), postgres: fastModel(1, 3, 1) } },
  { name: 'fixed, fastPath: false', strategy: fixedStrategy, options: { fastPath: false }, model: { redis: pollingModel(4, 3, 1, 1), postgres: pollingModel(2, 1, 3, 1) } },
  { name: 'observed', strategy: observedStrategy, model: { redis: fastModel(3, 1, 1), postgres: fastModel(1, 3, 1) } },
];

/** Redis commands that are not the owner's data traffic: connection setup and this harness. */
const REDIS_EXCLUDED = ['info', 'config', 'ping', 'client', 'hello', 'select', 'quit', 'command', 'auth'];

/** A server with counters this bench can reset and read. */
interface Counted {
  readonly name: StoreName;
  open(): Store & { close(): Promise<void> };
  reset(): Promise<void>;
  /** Commands (Redis) or statements (PostgreSQL) since the reset, by name, and connections opened. */
  read(): Promise<{ counts: Map<string, number>; connections: number | undefined }>;
  stop(): Promise<void>;
}

async function countedRedis(): Promise<Counted> {
  const server = await startRedis();
  const admin = new Redis(server.url);
  return {
    name: 'redis',
    open: () => new RedisStore({ url: server.url }),
    async reset() {
      await admin.config('RESETSTAT');
    },
    async read() {
      const stats = await admin.info('commandstats');
      const counts = new Map<string, number>();
      for (const m of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
        const name = m[1]!;
        if (REDIS_EXCLUDED.includes(name.split('|')[0]!)) continue;
        counts.set(name, Number(m[2]));
      }
      const connections = /total_connections_received:(\d+)/.exec(await admin.info('stats'));
      return { counts, connections: connections === null ? undefined : Number(connections[1]) };
    },
    async stop() {
      await admin.quit();
      await server.stop();
    },
  };
}

async function countedPostgres(): Promise<Counted> {
  const server: ThrowawayServer = await startPostgres({ settings: { shared_preload_libraries: 'pg_stat_statements' } });
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  return {
    name: 'postgres',
    open: () => new PostgresStore({ connectionString: server.url }),
    async reset() {
      await admin.query('SELECT pg_stat_statements_reset()');
    },
    async read() {
      const result = await admin.query<{ query: string; calls: string }>(
        `SELECT query, calls FROM pg_stat_statements WHERE query NOT ILIKE '%pg_stat_statements%'`,
      );
      const counts = new Map<string, number>();
      for (const row of result.rows) {
        const name = row.query.replace(/\s+/g, ' ').slice(0, 40);
        counts.set(name, (counts.get(name) ?? 0) + Number(row.calls));
      }
      return { counts, connections: undefined };
    },
    async stop() {
      await admin.end();
      await server.stop();
    },
  };
}

interface Row {
  store: StoreName;
  variant: string;
  scenario: string;
  seconds: number;
  measured: number;
  formula: number;
  /** Per held second, per waiting second or per cycle: measured and formula. */
  unit: string;
  measuredPer: number;
  formulaPer: number;
  connections: number | undefined;
  breakdown: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const total = (counts: Map<string, number>): number => [...counts.values()].reduce((a, b) => a + b, 0);
const breakdownOf = (counts: Map<string, number>): string =>
  [...counts]
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

async function runVariant(server: Counted, variant: Variant, args: Args): Promise<Row[]> {
  const h = args.refreshMs / 1000;
  const a = args.acquireMs / 1000;
  const model = variant.model[server.name](h, a);
  const stores: (Store & { close(): Promise<void> })[] = [];
  const instance = (): MostlyCorrectOwner => {
    const store = server.open();
    stores.push(store);
    return new MostlyCorrectOwner({
      store,
      prefix: 'load',
      acquireInterval: args.acquireMs,
      refreshInterval: args.refreshMs,
      strategy: variant.strategy,
      ...variant.options,
    });
  };
  const warm = async (o: MostlyCorrectOwner, key: string): Promise<void> => {
    // connects, creates the table (PostgreSQL), loads the script (Redis): outside the window
    await (await o.own('warm', `${key}-warm`)).release();
  };
  const rows: Row[] = [];
  const window = async (
    scenario: string,
    seconds: number,
    body: () => Promise<void>,
    formula: number,
    per: { unit: string; divisor: number; subtract: number; formulaSubtract: number },
  ): Promise<void> => {
    // what ran before (a warm-up, the holder's own()) has an asynchronous tail (closing the
    // subscriber, UNLISTEN *): let it land before the counters are reset
    await sleep(1000);
    await server.reset();
    const t0 = performance.now();
    await body();
    const { counts, connections } = await server.read();
    const elapsed = (performance.now() - t0) / 1000;
    const measured = total(counts);
    rows.push({
      store: server.name,
      variant: variant.name,
      scenario,
      seconds: elapsed,
      measured,
      formula,
      unit: per.unit,
      measuredPer: (measured - per.subtract) / per.divisor,
      formulaPer: (formula - per.formulaSubtract) / per.divisor,
      connections,
      breakdown: breakdownOf(counts),
    });
    void seconds;
  };
  const T = args.seconds;
  const holderTicks = (t: number): number => (Math.floor(t / (h / 2)) + 1) * model.tick;

  // hold (its measured count is the holder's share in the waiting scenarios, which last as long)
  let holderMeasured = 0;
  {
    const owners = instance();
    await warm(owners, 'hold');
    const held = await owners.own('holder', 'hold');
    await window('hold', T, () => sleep(T * 1000), holderTicks(T), { unit: 'per held s', divisor: T, subtract: 0, formulaSubtract: 0 });
    holderMeasured = rows.at(-1)!.measured;
    await held.release();
  }

  // wait: N local own() calls on one instance, and N instances with one own() each
  for (const local of [true, false]) {
    const key = local ? 'wait-local' : 'wait-instances';
    const holderOwners = instance();
    await warm(holderOwners, key);
    const waiterOwners = local ? [instance()] : Array.from({ length: args.waiters }, () => instance());
    for (const w of waiterOwners) await warm(w, key);
    const held: Ownership = await holderOwners.own('holder', key);
    const ac = new AbortController();
    const waits: Promise<unknown>[] = [];
    const n = args.waiters;
    const pollers = local && model.coalesces ? 1 : n;
    const formula = holderTicks(T) + pollers * (model.waiter(T) + model.waitSetup);
    await window(
      local ? `wait, ${n} local` : `wait, ${n} instances`,
      T,
      async () => {
        for (let i = 0; i < n; i++) {
          const owners = local ? waiterOwners[0]! : waiterOwners[i]!;
          waits.push(owners.own(`waiter${i}`, key, { signal: ac.signal }).catch(() => undefined));
        }
        await sleep(T * 1000);
      },
      formula,
      { unit: 'per waiting s (all waiters)', divisor: T, subtract: holderMeasured, formulaSubtract: holderTicks(T) },
    );
    ac.abort(new Error('bench over'));
    await Promise.all(waits);
    await held.release();
  }

  // cycle
  {
    const owners = instance();
    await warm(owners, 'cycle');
    const m = args.cycles;
    await window(
      'cycle',
      0,
      async () => {
        for (let i = 0; i < m; i++) await (await owners.own('cycler', 'cycle')).release();
      },
      m * model.cycle,
      { unit: 'per own+release', divisor: m, subtract: 0, formulaSubtract: 0 },
    );
  }
  for (const s of stores) await s.close();
  return rows;
}

const f = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : '–');

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  console.log(`Machine: nproc ${cpus().length}, ${cpus()[0]?.model.trim() ?? '?'}, node ${process.version}; ${new Date().toISOString().slice(0, 10)}`);
  console.log(
    `Command: npm run bench:load -- --seconds ${args.seconds} --waiters ${args.waiters} --cycles ${args.cycles} ` +
      `--refresh-ms ${args.refreshMs} --acquire-ms ${args.acquireMs} --stores ${args.stores.join(',')}`,
  );
  const servers: Counted[] = [];
  const jobs: Promise<Row[]>[] = [];
  for (const storeName of args.stores) {
    for (const variant of VARIANTS) {
      const server = storeName === 'redis' ? await countedRedis() : await countedPostgres();
      servers.push(server);
      jobs.push(runVariant(server, variant, args));
    }
  }
  let rows: Row[];
  try {
    rows = (await Promise.all(jobs)).flat();
  } finally {
    for (const s of servers) await s.stop();
  }
  for (const s of servers) if (s.name === 'redis') {
    const version = await redisVersion();
    if (version !== undefined) console.log(`redis-server ${version}`);
    break;
  }
  console.log(
    `H = refreshInterval = ${args.refreshMs} ms, A = acquireInterval = ${args.acquireMs} ms; ` +
      'Redis: commands in INFO commandstats (script-internal GET/SET included; INFO, CONFIG, PING, CLIENT, HELLO, SELECT, QUIT, COMMAND, AUTH excluded); ' +
      'PostgreSQL: statements in pg_stat_statements (its own queries excluded)\n',
  );
  console.log('| store | strategy | scenario | s | measured | formula | measured / formula | unit | measured per unit | formula per unit | pass | connections opened | breakdown |');
  console.log('|---|---|---|---:|---:|---:|---:|---|---:|---:|---|---:|---|');
  let failed = 0;
  for (const r of rows) {
    const pass = r.measured <= r.formula;
    if (!pass) failed++;
    console.log(
      `| ${r.store} | ${r.variant} | ${r.scenario} | ${f(r.seconds, 1)} | ${r.measured} | ${r.formula} | ${f(r.measured / r.formula)} | ${r.unit} | ` +
        `${f(r.measuredPer)} | ${f(r.formulaPer)} | ${pass ? 'pass' : '**FAIL**'} | ${r.connections ?? '–'} | ${r.breakdown} |`,
    );
  }
  if (failed > 0) {
    console.log(`\n${failed} row(s) above their formula`);
    process.exitCode = 1;
  }
}

async function redisVersion(): Promise<string | undefined> {
  const { execFileSync } = await import('node:child_process');
  try {
    return /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1];
  } catch {
    return undefined;
  }
}

await main();
