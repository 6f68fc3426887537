/**
 * One live node: a real OS process running the unmodified library
 * (`MostlyCorrectOwner` with the scenario's strategy and intervals, its real
 * `systemClock`, a real RedisStore or PostgresStore) and the simulator's
 * workload: think → own(key) → hold → release, forever, with the same random
 * streams as the simulated node of the same seed. It prints what the oracle
 * needs (see protocol.ts), stamped on the host's monotonic clock.
 *
 * Its wall clock may be skewed by libfaketime (set up by the coordinator);
 * nothing here corrects for it. It runs until the coordinator kills it.
 *
 * Role `probe`: no store, no owner; a timer asked for 10 ms again and again,
 * its lateness recorded (how late an idle process's timers fire on this host
 * during the run), printed at `endNs`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { MostlyCorrectOwner, STRATEGIES, type Store, type StrategyName } from 'mostly-correct-owner';
import { sample } from '../dist.js';
import { stream } from '../prng.js';
import { keyName } from '../workload.js';
import { CONFIG_ENV, type Go, type NodeConfig, type NodeEvent } from './protocol.js';

const config = JSON.parse(process.env[CONFIG_ENV] ?? 'null') as NodeConfig | null;
if (config === null) {
  process.stderr.write(`mco live node: ${CONFIG_ENV} is not set (this program is started by mco live)\n`);
  process.exit(2);
}
const base = BigInt(config.baseNs);
const nowNs = (): bigint => process.hrtime.bigint() - base;
const stamp = (): string => nowNs().toString();
const emit = (e: NodeEvent): void => {
  process.stdout.write(`${JSON.stringify(e)}\n`);
};

/** Forwards every method the real store has, counting reads and writes as the simulator's store does. */
function counting(inner: Store, counters: { reads: number; writes: number }): Store {
  const s: Store = {
    get: (p, k) => (counters.reads++, inner.get(p, k)),
    swap: (p, k, v, e, o) => (counters.writes++, inner.swap(p, k, v, e, o)),
  };
  if (inner.notify) s.notify = (p, k) => inner.notify!(p, k);
  if (inner.watch) s.watch = (p, k, l) => inner.watch!(p, k, l);
  return s;
}

async function openStore(c: NodeConfig): Promise<Store> {
  if (c.store.kind === 'redis') {
    const { RedisStore } = await import('mostly-correct-owner/redis');
    // The one option changed from the store's defaults: a command in flight
    // when its connection is cut fails at once (the simulator's store error).
    // With the default (1), ioredis resends it after reconnecting (≈ 60 ms
    // later, measured): an error before apply becomes a late success and a
    // lost reply a second application (docs/live.md, store errors).
    return new RedisStore({ url: c.store.url, redisOptions: { maxRetriesPerRequest: 0 } });
  }
  const { PostgresStore } = await import('mostly-correct-owner/postgres');
  return new PostgresStore({ connectionString: c.store.url, createTable: false });
}

/**
 * Sleeps until `atNs` after the base; returns how late (ms) it woke. Node's
 * timers may fire up to ~1 ms early (libuv's cached loop time): the last
 * stretch is waited out, so that nothing of the workload happens before its
 * instant.
 */
async function until(atNs: number): Promise<number> {
  for (let left = atNs - Number(nowNs()); left > 0; left = atNs - Number(nowNs())) {
    if (left > 2e6) await sleep((left - 1e6) / 1e6);
    else await new Promise((r) => setImmediate(r));
  }
  return Number(nowNs()) / 1e6 - atNs / 1e6;
}

/** The coordinator's go (one JSON line on stdin); stdin closing ends the process. */
function go(): Promise<Go> {
  return new Promise((resolve) => {
    let text = '';
    process.stdin.on('data', (d: Buffer) => {
      text += d.toString();
      const nl = text.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(text.slice(0, nl)) as Go);
    });
    process.stdin.on('end', () => process.exit(0));
  });
}

/**
 * Notes stops: a 10 ms ticker keeps the last instant it ran and its last gap;
 * on SIGCONT the gap is reported (whichever of the ticker and the signal
 * handler runs first after the resume, the larger of the two gaps covers the
 * stop: it is the stop plus 0–10 ms, the time since the last tick before it).
 */
function watchStops(): void {
  const TICK_MS = 10;
  let last = process.hrtime.bigint();
  let lastGap = 0n;
  setInterval(() => {
    const now = process.hrtime.bigint();
    lastGap = now - last;
    last = now;
  }, TICK_MS).unref();
  process.on('SIGCONT', () => {
    const now = process.hrtime.bigint();
    const gap = now - last > lastGap ? now - last : lastGap;
    emit({ e: 'cont', t: stamp(), gapMs: Number(gap) / 1e6 });
    last = now;
    lastGap = 0n;
  });
}

/**
 * faults.busyLoop, for real: at `atNs` (after the base) the event loop is
 * blocked by a synchronous spin on the monotonic clock for `forMs`. The
 * spin is a task on the loop like any other: when the loop is busy (an
 * earlier block) or the process stopped at `atNs`, it starts late and still
 * spins its whole length, as the simulator's blocks queue. A timer firing up
 * to 1 ms early spins from then on (the early part blocks the loop too).
 */
function blockAt(atNs: number, forMs: number): void {
  setTimeout(
    () => {
      const began = Number(nowNs());
      const from = Math.max(began, atNs);
      const endNs = from + forMs * 1e6;
      while (Number(nowNs()) < endNs) {
        // busy: nothing else of this process runs
      }
      emit({ e: 'busy', t: stamp(), lateMs: (from - atNs) / 1e6, plannedMs: forMs, spunMs: (Number(nowNs()) - from) / 1e6 });
    },
    Math.max(0, (atNs - Number(nowNs())) / 1e6),
  );
}

async function probe(c: NodeConfig): Promise<void> {
  emit({ e: 'ready', t: stamp() });
  const { startNs } = await go();
  await until(startNs);
  const endNs = startNs + c.durationMs * 1e6;
  const latenessMs: number[] = [];
  while (Number(nowNs()) < endNs) {
    const t0 = process.hrtime.bigint();
    await sleep(10);
    latenessMs.push(Number(process.hrtime.bigint() - t0) / 1e6 - 10);
  }
  emit({ e: 'probe', t: stamp(), latenessMs });
  process.exit(0); // stdin would keep it alive, and the coordinator waits for it before ending the run
}

async function node(c: NodeConfig): Promise<void> {
  const counters = { reads: 0, writes: 0 };
  const store = counting(await openStore(c), counters);
  const strategy = STRATEGIES[c.strategy as StrategyName];
  if (strategy === undefined) throw new Error(`unknown strategy ${c.strategy}`);
  const owner = new MostlyCorrectOwner({ store, prefix: c.prefix, acquireInterval: c.acquireIntervalMs, refreshInterval: c.refreshIntervalMs, strategy });
  // the store is touched once before the start, so that connecting is not part of the first own()
  // (retried: the proxy may cut it, as any request, when the scenario has store errors)
  for (let attempt = 1; ; attempt++) {
    try {
      await store.get('mc-live-warmup', new Uint8Array([0]));
      break;
    } catch (err) {
      if (attempt >= 20) throw err;
    }
  }
  counters.reads = 0;
  watchStops();
  emit({ e: 'ready', t: stamp() });
  const rng = stream(c.seed, `node:${c.node}:workload`);
  const { startNs, zeroNs } = await go();
  const lateMs = await until(startNs);
  emit({ e: 'start', t: stamp(), lateMs });
  for (const b of c.busy) if (zeroNs + b.at * 1e6 >= startNs) blockAt(zeroNs + b.at * 1e6, b.for);
  setInterval(() => emit({ e: 'ops', t: stamp(), reads: counters.reads, writes: counters.writes }), 100).unref();
  for (let id = 0; ; id++) {
    await sleep(sample(c.think, rng));
    const key = keyName(c.keys === 1 ? 0 : Math.floor(rng.next() * c.keys));
    emit({ e: 'call', t: stamp(), id, key });
    let ownership;
    try {
      ownership = await owner.own(`node${c.node}`, key);
    } catch (err) {
      emit({ e: 'failed', t: stamp(), id, error: err instanceof Error ? err.message : String(err) });
      continue;
    }
    emit({ e: 'owned', t: stamp(), id, owner: ownership.owner });
    let told = false;
    try {
      await sleep(sample(c.hold, rng), undefined, strategy.signalsLoss ? { signal: ownership.lost } : {});
    } catch {
      told = true;
    }
    emit({ e: told ? 'told' : 'release', t: stamp(), id });
    await ownership.release();
  }
}

(config.role === 'probe' ? probe(config) : node(config)).catch((err: unknown) => {
  process.stderr.write(`mco live node ${config.node}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
