/**
 * Many seeds → one report, on this thread or on worker threads. Results are
 * fed to the report in seed order whatever order they finish in, so the report
 * depends only on the scenario and the seeds, never on the worker count.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { SimulationLimitError } from './engine.js';
import type { EngineKind } from './engines.js';
import { ReportBuilder, reportHeader, seedRecord, type ImportanceRun, type Report, type SeedRecord } from './report/report.js';
import { runSeed } from './run.js';
import type { Scenario } from './scenario.js';
import type { WorkerReply, WorkerRequest, WorkerSetup } from './worker.js';

/** Progress after each seed (in seed order). */
export interface Progress {
  done: number;
  total: number;
  violations: number;
  runsWithViolation: number;
}

export interface RunScenarioOptions {
  /** Number of seeds; default: the scenario's `seeds`. */
  seeds?: number;
  /** First seed; default 1. */
  seedStart?: number;
  /** Worker threads; 0 or 1 runs on this thread. Default 1. */
  workers?: number;
  /** Keep per-seed records in the report (`perSeed`), as shard reports do. */
  keepPerSeed?: boolean;
  /** Aborting stops dispatching seeds; the report then covers the finished prefix and is `partial`. */
  signal?: AbortSignal;
  /** Called after each seed is added to the report (in seed order). */
  onProgress?: (p: Progress) => void;
  /** Called with each seed's record (in seed order). */
  onRecord?: (r: SeedRecord) => void;
  /** Wall-clock source for `wallMs` only (never affects results). */
  wallNow?: () => number;
  /** The simulation engine (default `fast`); the report is the same with either. */
  engine?: EngineKind;
  /** Importance sampling: every run draws from this proposal; the report gets weighted estimates (`importance`). */
  importance?: ImportanceRun;
}

/** Default worker count: the machine's cores. */
export const defaultWorkers = (): number => availableParallelism();

/** Runs `scenario` over consecutive seeds and builds its report. */
export async function runScenario(scenario: Scenario, options: RunScenarioOptions = {}): Promise<Report> {
  const total = options.seeds ?? scenario.seeds;
  const start = options.seedStart ?? 1;
  const wallNow = options.wallNow ?? (() => performance.now());
  const builder = new ReportBuilder(reportHeader(scenario), start, options.importance);
  const run = { ...engineOption(options.engine), ...(options.importance ? { proposal: options.importance.proposal } : {}) };
  const perSeed: SeedRecord[] = [];
  let runsWithViolation = 0;
  let violations = 0;
  let done = 0;
  const accept = (r: SeedRecord): void => {
    builder.add(r);
    if (options.keepPerSeed) perSeed.push(r);
    done++;
    violations += r.violations;
    if (r.violations > 0) runsWithViolation++;
    options.onRecord?.(r);
    options.onProgress?.({ done, total, violations, runsWithViolation });
  };
  const t0 = wallNow();
  const workers = Math.max(1, Math.min(options.workers ?? 1, total));
  if (workers === 1) {
    for (let seed = start; seed < start + total && !options.signal?.aborted; seed++) accept(seedRecord(await runSeed(scenario, seed, run)));
  } else {
    await runOnWorkers(scenario, start, total, workers, accept, options.signal, run);
  }
  const report = builder.build(wallNow() - t0);
  if (done < total) report.partial = true;
  if (options.keepPerSeed) report.perSeed = perSeed;
  return report;
}

/**
 * Seeds each worker has been sent and not yet answered. Two: while a worker
 * runs one seed the next is already queued in it, so it never waits for a
 * message round trip through the main thread between runs (with one in
 * flight it did, once per seed); more would only let one worker hold seeds
 * the other could be running at the end of the range.
 */
export const SEEDS_IN_FLIGHT_PER_WORKER = 2;

/**
 * Young-generation size (MB) of each worker's V8 heap (`resourceLimits`):
 * 32 MB semi-spaces instead of V8's default of at most 16 MB. A run
 * allocates short-lived promises, closures and records at a high rate, and a
 * larger nursery means fewer scavenges (and less work for the GC helper
 * threads, which compete with the other workers for the cores). Measured with
 * `node --trace-gc --max-semi-space-size=S` on 100 seeds of healthy (10 s):
 * S = 16: 117 scavenges, 422 ms; 32: 80, 169 ms; 64, 128, 256: 66–69,
 * 170–206 ms (V8 grows the nursery only as far as it pays). It changes when
 * the collector runs, never what a run computes: the simulator has no
 * finalizers or weak references whose timing it could observe.
 */
export const WORKER_YOUNG_GENERATION_MB = 96;

/** Runs seeds on `k` worker threads, handing results to `accept` in seed order. */
async function runOnWorkers(
  scenario: Scenario,
  start: number,
  total: number,
  k: number,
  accept: (r: SeedRecord) => void,
  signal: AbortSignal | undefined,
  run: Omit<WorkerSetup, 'scenario'>,
): Promise<void> {
  // the scenario goes to each worker once, when it starts, not with every seed
  const setup: WorkerSetup = { scenario, ...run };
  const pool = Array.from({ length: k }, () => newWorker(setup));
  const finished = new Map<number, SeedRecord>();
  let nextToSend = start;
  let nextToAccept = start;
  const end = start + total;
  try {
    await new Promise<void>((resolve, reject) => {
      let inFlight = 0;
      const send = (w: Worker): void => {
        if (nextToSend >= end || signal?.aborted) {
          if (inFlight === 0) resolve();
          return;
        }
        inFlight++;
        w.postMessage({ seed: nextToSend++ } satisfies WorkerRequest);
      };
      for (const w of pool) {
        w.on('message', (reply: WorkerReply) => {
          inFlight--;
          if (!reply.ok) {
            reject(reply.error.name === 'SimulationLimitError' ? rebuildLimitError(reply.error.message) : new Error(`seed ${reply.seed}: ${reply.error.name}: ${reply.error.message}`));
            return;
          }
          finished.set(reply.seed, reply.record);
          while (finished.has(nextToAccept)) {
            accept(finished.get(nextToAccept)!);
            finished.delete(nextToAccept++);
          }
          send(w);
        });
        w.on('error', reject);
      }
      // round-robin, so that with few seeds every worker gets one before any gets two
      for (let i = 0; i < SEEDS_IN_FLIGHT_PER_WORKER; i++) for (const w of pool) send(w);
    });
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
}

/**
 * A worker running worker.js, or — when this module runs from TypeScript
 * source (tests, tsx) — worker.ts through tsx's loader, registered inside the
 * worker (loader flags are not inherited by workers on Node 20).
 */
function newWorker(setup: WorkerSetup): Worker {
  const here = import.meta.url;
  const options = { workerData: setup, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } };
  if (!here.endsWith('.ts')) return new Worker(new URL('./worker.js', here), options);
  const entry = new URL('./worker.ts', here).href;
  return new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`, { ...options, eval: true });
}

/** `{ engine }` when one was named (so that `runSeed` applies its own default otherwise). */
function engineOption(engine: EngineKind | undefined): { engine?: EngineKind } {
  return engine === undefined ? {} : { engine };
}

function rebuildLimitError(message: string): SimulationLimitError {
  const m = /maxEvents = (\d+) at true time ([\d.]+)/.exec(message);
  return new SimulationLimitError(Number(m?.[1] ?? 0), Number(m?.[2] ?? 0));
}
