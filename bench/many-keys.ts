/**
 * Many keys held at once by one process: memory and refresh cadence.
 *
 *   npm run bench:keys                                   # 1k and 10k keys, fixed and lakefs
 *   npm run bench:keys -- --keys 1000,10000,30000 --hold-s 60 --refresh-ms 2000 --strategies fixed
 *
 * One MostlyCorrectOwner on a MemoryStore with the real system clock owns N
 * keys (all own() calls started at once), holds them for --hold-s seconds and
 * releases them all. Each (strategy, N) runs in a fresh child process started
 * with `--expose-gc`, so heaps do not mix.
 *
 * Measured, in the child:
 * - time to own all N keys and to release all N;
 * - heap used after a forced GC (`gc()`), sampled every --sample-s seconds
 *   while holding; the slope of a least-squares line through the samples
 *   (KB/min) says whether memory is flat; RSS at the same instants;
 * - CPU (user + system, `process.cpuUsage`) over the hold, as % of one core;
 * - refresh cadence, from a wrapper around the store that timestamps the
 *   request each refresh starts with (on `performance.now()`, the clock the
 *   owner's monotonic clock reads): the `get` for lakefs (every decision on
 *   a fresh read), the `swap` for the strategies that speculate (fixed,
 *   observed, with the default fastPath: the refresh writes on the guess of
 *   its last write, one swap). A refresh's lateness is that request's time
 *   minus the latest ideal tick `start + k·refreshInterval/2` at or before it
 *   (start = the acquiring request's send time for fixed/observed, their
 *   swap on the guess that the key is absent; own() resolving for lakefs;
 *   both as the owner computes them). A tick skipped (k advanced by more
 *   than 1) counts as missed. A forced gc() of the heap sampling stops the
 *   world for tens to hundreds of ms: ticks due during one (or in the half
 *   interval after it) are counted apart, with their worst lateness, and
 *   left out of the percentiles;
 * - expiry while held: at every refresh, the previous write of that key
 *   (the swap call, whose record expires at most refreshInterval after it)
 *   must be less than refreshInterval old; the smallest such margin is
 *   printed. Before release every record is decoded and must still name its
 *   holder and be unexpired. Any `ownership.lost` abort is counted.
 *
 * Also: CPU µs per refresh (hold CPU / refreshes while holding), GC pauses
 * (PerformanceObserver 'gc'), event-loop delay (monitorEventLoopDelay), and
 * the time the process waited for a CPU while runnable (/proc/self/schedstat,
 * Linux; other processes on the machine take it), and, as a control, how
 * late the timers of an idle probe process fire meanwhile (a 20 ms chain). BENCH_KEYS_HISTOGRAM=1
 * prints the start phases and a lateness histogram (50 ms buckets) to stderr.
 *
 * The wrapper adds a little CPU of its own (a Map lookup and a typed-array
 * write per store call); the samples live in typed arrays allocated before
 * the first heap sample, so they do not show up as heap growth.
 */
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { readFileSync } from 'node:fs';
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  MemoryStore,
  MostlyCorrectOwner,
  STRATEGIES,
  type Ownership,
  type Predicate,
  type Store,
  type StoreEntry,
  type StrategyName,
  type SwapOptions,
  type SwapResult,
} from '../src/index.js';
import { OWNERSHIP_PARTITION, decodeRecord, expiresMs } from '../src/internal.js';

interface Args {
  keys: number[];
  strategies: StrategyName[];
  holdS: number;
  refreshMs: number;
  acquireMs: number;
  sampleS: number;
  batch: number;
  child: boolean;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string, fallback: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
  };
  const strategies = get('strategies', 'fixed,lakefs').split(',') as StrategyName[];
  for (const s of strategies) if (!(s in STRATEGIES)) throw new Error(`unknown strategy ${s}; one of ${Object.keys(STRATEGIES).join(', ')}`);
  return {
    keys: get('keys', '1000,10000').split(',').map(Number),
    strategies,
    holdS: Number(get('hold-s', '60')),
    refreshMs: Number(get('refresh-ms', '2000')),
    acquireMs: Number(get('acquire-ms', '500')),
    sampleS: Number(get('sample-s', '10')),
    batch: Number(get('batch', '1000')),
    child: argv.includes('--child'),
  };
}

/** What one child reports (JSON on its last stdout line). */
interface Result {
  strategy: string;
  keys: number;
  holdS: number;
  refreshMs: number;
  ownAllMs: number;
  /** Largest lateness from the first tick to the end of the warm-up (one lease after the last own()). */
  warmupMaxLateMs: number;
  warmupMs: number;
  releaseAllMs: number;
  refreshes: number;
  /** Refreshes whose tick was due during a forced gc() of the heap sampling (or half an interval after): not in the lateness percentiles. */
  instrumentTicks: number;
  instrumentLateMaxMs: number;
  expectedRefreshes: number;
  missedTicks: number;
  lateP50Ms: number;
  lateP99Ms: number;
  lateMaxMs: number;
  minLeaseMarginMs: number;
  expiredAtEnd: number;
  notOursAtEnd: number;
  lost: number;
  heapStartMB: number;
  heapEndMB: number;
  heapSlopeKBPerMin: number;
  rssStartMB: number;
  rssEndMB: number;
  cpuPct: number;
  cpuUsPerRefresh: number;
  runQueueWaitPct: number;
  gcPauseTotalMs: number;
  gcPauseMaxMs: number;
  gcCount: number;
  loopDelayP99Ms: number;
  probeP99Ms: number;
  probeMaxMs: number;
  loopDelayMaxMs: number;
  samples: { t: number; heapMB: number; rssMB: number }[];
}

/**
 * A control for the machine: a separate process that only runs a 20 ms timer
 * chain and measures how late each timer fires. What it sees is what any
 * timer on this machine sees at the moment (other tenants, the scheduler),
 * with none of our work in its event loop.
 */
const PROBE = `
const late = [];
let next = performance.now() + 20;
const tick = () => {
  const now = performance.now();
  late.push(now - next);
  next += 20;
  setTimeout(tick, Math.max(0, next - performance.now()));
};
setTimeout(tick, 20);
process.on('message', () => {
  late.sort((a, b) => a - b);
  process.send({ n: late.length, p99: late[Math.floor(0.99 * late.length)] ?? NaN, max: late.at(-1) ?? NaN }, () => process.exit(0));
});
`;

function startProbe(): () => Promise<{ n: number; p99: number; max: number }> {
  const p = spawn(process.execPath, ['-e', PROBE], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return () =>
    new Promise((resolve) => {
      p.once('message', (m) => resolve(m as { n: number; p99: number; max: number }));
      p.send('stop');
    });
}

/** ns this process's main thread waited on a run queue (Linux), or NaN. */
function runQueueWaitNs(): number {
  try {
    return Number(readFileSync('/proc/self/schedstat', 'utf8').split(' ')[1]);
  } catch {
    return NaN;
  }
}

const gc = (globalThis as { gc?: () => void }).gc;

async function child(args: Args): Promise<Result> {
  if (gc === undefined) throw new Error('run with node --expose-gc');
  const n = args.keys[0]!;
  const strategyName = args.strategies[0]!;
  const strategy = STRATEGIES[strategyName];
  const interval = args.refreshMs / 2;
  const fromSend = strategy.refresh.cadenceFrom === 'acquire-sent';
  // fastPath is left at its default (true): a strategy that speculates refreshes with one swap, on its last write
  const speculates = strategy.speculate;

  // per key: index by the key's bytes object (the owner hands the same Uint8Array to every call for one ownership)
  const index = new Map<Uint8Array, number>();
  const lastGetMono = new Float64Array(n); // the latest read
  const startMono = new Float64Array(n).fill(NaN);
  const lastTick = new Int32Array(n);
  const lastWriteMono = new Float64Array(n).fill(NaN);
  const capacity = Math.ceil(n * (args.holdS / (interval / 1000) + 4) * 1.2);
  const lateness = new Float64Array(capacity);
  let samplesTaken = 0;
  // ticks due during one of our own forced gc() calls (the heap samples), or in the
  // half interval after it, are the instrument's doing: counted apart
  let forcedGcFrom = Infinity;
  let forcedGcUntil = -Infinity;
  let instrumentTicks = 0;
  let instrumentLateMax = -Infinity;
  let warmupMaxLate = -Infinity;
  let missedTicks = 0;
  let minMargin = Infinity;
  let holdStart = Infinity; // lateness is sampled from here on; ticks and margins are checked from the first tick
  let counting = true; // until the final check: release's reads are not refreshes

  const inner = new MemoryStore();
  const indexOf = (key: Uint8Array): number => {
    let i = index.get(key);
    if (i === undefined) {
      i = Number(new TextDecoder().decode(key).slice('bench/k'.length));
      index.set(key, i);
    }
    return i;
  };
  /** A refresh of key `i` started at `t` (its first request): lateness, missed ticks, lease margin. */
  const refreshed = (i: number, t: number): void => {
    if (!counting || Number.isNaN(startMono[i]!)) return;
    const k = Math.max(lastTick[i]! + 1, Math.floor((t - startMono[i]!) / interval));
    missedTicks += k - lastTick[i]! - 1;
    lastTick[i] = k;
    const margin = args.refreshMs - (t - lastWriteMono[i]!);
    if (margin < minMargin) minMargin = margin;
    const ideal = startMono[i]! + k * interval;
    const late = t - ideal;
    if (t < holdStart) warmupMaxLate = Math.max(warmupMaxLate, late);
    else if (ideal >= forcedGcFrom && ideal < forcedGcUntil) {
      instrumentLateMax = Math.max(instrumentLateMax, late);
      instrumentTicks++;
    } else if (samplesTaken < capacity) lateness[samplesTaken++] = late;
  };
  const store: Store = {
    get(partition: string, key: Uint8Array): Promise<StoreEntry | undefined> {
      const t = performance.now();
      const i = indexOf(key);
      lastGetMono[i] = t;
      if (!speculates) refreshed(i, t);
      return inner.get(partition, key);
    },
    swap(partition: string, key: Uint8Array, value: Uint8Array, expected: Predicate | null, options?: SwapOptions): Promise<SwapResult> {
      const t = performance.now();
      const i = indexOf(key);
      if (speculates) refreshed(i, t); // before this write becomes "the previous write"
      lastWriteMono[i] = t;
      return inner.swap(partition, key, value, expected, options);
    },
    notify: (partition, key) => inner.notify(partition, key),
    watch: (partition, key, listener) => inner.watch(partition, key, listener),
  };

  const owners = new MostlyCorrectOwner({ store, prefix: 'bench', acquireInterval: args.acquireMs, refreshInterval: args.refreshMs, strategy });
  gc();
  const base = process.memoryUsage();
  const t0 = performance.now();
  // own() in batches, yielding to the event loop between them, so the refresh
  // timers of keys already owned can run (one Promise.all over all keys would
  // run every acquisition in one microtask cascade and starve them)
  const held: Ownership[] = [];
  for (let from = 0; from < n; from += args.batch) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(args.batch, n - from) }, (_, j) =>
        owners.own('bench', `k${from + j}`).then((o) => {
          // where the owner starts its ticker: the acquiring request's send time (fixed, observed: the swap when
          // speculating, else the read), or own() resolving (lakefs; the acquiring write is the nearest earlier
          // instant we see, so lateness is over-, never underestimated)
          startMono[from + j] = fromSend && !speculates ? lastGetMono[from + j]! : lastWriteMono[from + j]!;
          return o;
        }),
      ),
    );
    held.push(...batch);
    await new Promise((r) => setImmediate(r));
  }
  const ownAllMs = performance.now() - t0;
  if (process.env.BENCH_KEYS_HISTOGRAM) {
    const ph = Array.from(startMono, (x) => Math.floor((x - t0) / 100));
    const h = new Map<number, number>();
    for (const b of ph) h.set(b, (h.get(b) ?? 0) + 1);
    console.error('start (100 ms buckets from t0):', JSON.stringify([...h].sort((a, b) => a[0] - b[0])));
  }
  let lost = 0;
  for (const o of held) o.lost.addEventListener('abort', () => lost++, { once: true });

  const samples: Result['samples'] = [];
  const sample = (): void => {
    const from = performance.now();
    gc();
    forcedGcFrom = from;
    forcedGcUntil = performance.now() + interval / 2;
    const m = process.memoryUsage();
    samples.push({ t: (performance.now() - t0) / 1000, heapMB: m.heapUsed / 2 ** 20, rssMB: m.rss / 2 ** 20 });
  };
  // warm-up: one lease, so that the ticks delayed by the acquisitions are behind us
  const warm0 = performance.now();
  await new Promise((r) => setTimeout(r, args.refreshMs));
  const warmupMs = performance.now() - warm0;
  const warmupMaxLateMs = warmupMaxLate;
  const cpu0 = process.cpuUsage();
  const wait0 = runQueueWaitNs();
  const refreshes0 = samplesTaken;
  const hold0 = performance.now();
  holdStart = hold0;
  // GC pauses and event-loop blocking while holding (forced gc() samples included: they are pauses too)
  const gcPauses: number[] = [];
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcPauses.push(e.duration);
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const stopProbe = startProbe();
  sample();
  while (performance.now() - hold0 < args.holdS * 1000) {
    await new Promise((r) => setTimeout(r, Math.min(args.sampleS * 1000, args.holdS * 1000 - (performance.now() - hold0))));
    sample();
  }
  const cpu = process.cpuUsage(cpu0);
  const holdWall = performance.now() - hold0;
  const runQueueWaitMs = (runQueueWaitNs() - wait0) / 1e6;
  const holdRefreshes = samplesTaken - refreshes0;
  loopDelay.disable();
  gcObserver.disconnect();
  const probe = await stopProbe();
  gcPauses.sort((a, b) => a - b);
  counting = false;

  // every record still ours and unexpired, right before release
  let expiredAtEnd = 0;
  let notOursAtEnd = 0;
  const nowWall = Date.now();
  for (const o of held) {
    const entry = inner.kv.get(OWNERSHIP_PARTITION, new TextEncoder().encode(o.prefixedKey));
    const record = entry === undefined ? undefined : decodeRecord(entry.value, o.prefixedKey, o.owner);
    if (record?.owner !== o.owner) notOursAtEnd++;
    else if (expiresMs(record) < nowWall) expiredAtEnd++;
  }

  const r0 = performance.now();
  await Promise.all(held.map((o) => o.release()));
  const releaseAllMs = performance.now() - r0;

  const late = Array.from(lateness.subarray(0, samplesTaken)).sort((a, b) => a - b);
  if (process.env.BENCH_KEYS_HISTOGRAM) {
    const h = new Map<number, number>();
    for (const x of late) h.set(Math.floor(x / 50) * 50, (h.get(Math.floor(x / 50) * 50) ?? 0) + 1);
    console.error('lateness (50 ms buckets):', JSON.stringify([...h].sort((a, b) => a[0] - b[0])));
  }
  const q = (p: number): number => late[Math.min(late.length - 1, Math.floor(p * late.length))] ?? NaN;
  // least squares over the hold samples (skip the first: JIT and the first refresh round settle)
  const pts = samples.slice(1);
  const mt = pts.reduce((s, p) => s + p.t, 0) / pts.length;
  const mh = pts.reduce((s, p) => s + p.heapMB, 0) / pts.length;
  const slope = pts.reduce((s, p) => s + (p.t - mt) * (p.heapMB - mh), 0) / pts.reduce((s, p) => s + (p.t - mt) ** 2, 0);
  return {
    strategy: strategyName,
    keys: n,
    holdS: args.holdS,
    refreshMs: args.refreshMs,
    ownAllMs,
    warmupMaxLateMs,
    warmupMs,
    releaseAllMs,
    refreshes: samplesTaken + instrumentTicks,
    instrumentTicks,
    instrumentLateMaxMs: instrumentLateMax,
    expectedRefreshes: Math.round((n * holdWall) / interval),
    missedTicks,
    lateP50Ms: q(0.5),
    lateP99Ms: q(0.99),
    lateMaxMs: late.at(-1) ?? NaN,
    minLeaseMarginMs: minMargin,
    expiredAtEnd,
    notOursAtEnd,
    lost,
    heapStartMB: samples[0]!.heapMB - base.heapUsed / 2 ** 20,
    heapEndMB: samples.at(-1)!.heapMB - base.heapUsed / 2 ** 20,
    heapSlopeKBPerMin: slope * 1024 * 60,
    rssStartMB: samples[0]!.rssMB,
    rssEndMB: samples.at(-1)!.rssMB,
    cpuPct: (100 * (cpu.user + cpu.system)) / 1000 / holdWall,
    cpuUsPerRefresh: (cpu.user + cpu.system) / holdRefreshes,
    runQueueWaitPct: (100 * runQueueWaitMs) / holdWall,
    gcPauseTotalMs: gcPauses.reduce((a, b) => a + b, 0),
    gcPauseMaxMs: gcPauses.at(-1) ?? 0,
    gcCount: gcPauses.length,
    loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    probeP99Ms: probe.p99,
    probeMaxMs: probe.max,
    loopDelayMaxMs: loopDelay.max / 1e6,
    samples,
  };
}

function runChild(args: Args, strategy: StrategyName, keys: number): Promise<Result> {
  const file = fileURLToPath(import.meta.url);
  const childArgs = [
    '--expose-gc',
    '--import',
    'tsx',
    file,
    '--child',
    '--keys',
    String(keys),
    '--strategies',
    strategy,
    '--hold-s',
    String(args.holdS),
    '--refresh-ms',
    String(args.refreshMs),
    '--acquire-ms',
    String(args.acquireMs),
    '--sample-s',
    String(args.sampleS),
    '--batch',
    String(args.batch),
  ];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, childArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`child (${strategy}, ${keys} keys) exited with ${code}\n${out}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1)!) as Result);
    });
  });
}

const f = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : '–');
const n0 = (x: number): string => Math.round(x).toLocaleString('en-US');

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.child) {
    console.log(JSON.stringify(await child(args)));
    return;
  }
  console.log(`Machine: nproc ${cpus().length}, ${cpus()[0]?.model.trim() ?? '?'}, node ${process.version}; ${new Date().toISOString().slice(0, 10)}`);
  console.log(
    `Command: npm run bench:keys -- --keys ${args.keys.join(',')} --strategies ${args.strategies.join(',')} --hold-s ${args.holdS} ` +
      `--refresh-ms ${args.refreshMs} --acquire-ms ${args.acquireMs} --sample-s ${args.sampleS} --batch ${args.batch}`,
  );
  console.log(
    `(MemoryStore, system clock, one child process per row with --expose-gc; refresh every ${args.refreshMs / 2} ms per key; heap after gc(), minus the heap before own())\n`,
  );
  const header =
    '| strategy | keys | own all ms | max late ms while owning + 1 lease | release all ms | refreshes / expected | missed ticks | late p50 / p99 / max ms | ticks due in a forced gc(): count, max late ms | min lease margin ms | expired or lost | heap MB start → end | heap slope KB/min | RSS MB start → end | CPU % of a core | CPU µs per refresh | waited for a CPU % | GC pauses: count, total / max ms | event-loop delay p99 / max ms | idle probe process: timer late p99 / max ms |';
  console.log(header);
  console.log('|' + header.split('|').slice(1, -1).map((_, i) => (i < 2 ? '---' : '---:')).join('|') + '|');
  const results: Result[] = [];
  for (const keys of args.keys) {
    for (const strategy of args.strategies) {
      const r = await runChild(args, strategy, keys);
      results.push(r);
      console.log(
        `| ${r.strategy} | ${n0(r.keys)} | ${f(r.ownAllMs, 0)} | ${f(r.warmupMaxLateMs, 0)} | ${f(r.releaseAllMs, 0)} | ${n0(r.refreshes)} / ${n0(r.expectedRefreshes)} | ${r.missedTicks} | ` +
          `${f(r.lateP50Ms, 2)} / ${f(r.lateP99Ms, 1)} / ${f(r.lateMaxMs, 0)} | ${n0(r.instrumentTicks)}, ${f(r.instrumentLateMaxMs, 0)} | ${f(r.minLeaseMarginMs, 0)} | ${r.expiredAtEnd + r.notOursAtEnd + r.lost} | ` +
          `${f(r.heapStartMB)} → ${f(r.heapEndMB)} | ${f(r.heapSlopeKBPerMin, 0)} | ${f(r.rssStartMB, 0)} → ${f(r.rssEndMB, 0)} | ${f(r.cpuPct, 0)} | ${f(r.cpuUsPerRefresh, 0)} | ${f(r.runQueueWaitPct, 0)} | ${r.gcCount}, ${f(r.gcPauseTotalMs, 0)} / ${f(r.gcPauseMaxMs, 0)} | ${f(r.loopDelayP99Ms, 0)} / ${f(r.loopDelayMaxMs, 0)} | ${f(r.probeP99Ms, 1)} / ${f(r.probeMaxMs, 0)} |`,
      );
    }
  }
  if (process.argv.includes('--samples')) for (const r of results) console.log(r.strategy, r.keys, JSON.stringify(r.samples));
}

await main();
