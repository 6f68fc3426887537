/**
 * Worker-thread entry for `--workers K`: runs the seeds it is sent and posts
 * back their records. Each run is independent of every other, so results do
 * not depend on which worker ran which seed.
 *
 * The scenario arrives once, as `workerData` ({@link WorkerSetup}); each
 * message then names one seed. The runner keeps more than one seed in flight
 * per worker, so that the next seed is already here when a run ends; seeds
 * are run one at a time, in the order they arrive (never interleaved on the
 * thread: that would only share the CPU cache and the flush budget).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EngineKind } from './engines.js';
import type { Proposal } from './importance/proposal.js';
import { seedRecord } from './report/seed-record.js';
import { runSeed } from './run.js';
import type { Scenario } from './scenario.js';

/** What a worker is started with (`workerData`): the same for every seed it runs. */
export interface WorkerSetup {
  scenario: Scenario;
  /** The engine to run on; default: `runSeed`'s. */
  engine?: EngineKind;
  /** Importance sampling: the proposal every run draws from. */
  proposal?: Proposal;
}

/** One seed to run. */
export interface WorkerRequest {
  seed: number;
}

/** A worker's answer for one seed, posted when its run ends: the seed's record, or why it failed. */
export type WorkerReply = { ok: true; seed: number; record: ReturnType<typeof seedRecord> } | { ok: false; seed: number; error: { name: string; message: string } };

const setup = workerData as WorkerSetup;
const options = { ...(setup.engine === undefined ? {} : { engine: setup.engine }), ...(setup.proposal === undefined ? {} : { proposal: setup.proposal }) };
const queue: number[] = [];
let running = false;

async function drain(): Promise<void> {
  running = true;
  for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) {
    let reply: WorkerReply;
    try {
      reply = { ok: true, seed, record: seedRecord(await runSeed(setup.scenario, seed, options)) };
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      reply = { ok: false, seed, error: { name: e.name, message: e.message } };
    }
    parentPort!.postMessage(reply);
  }
  running = false;
}

parentPort!.on('message', (req: WorkerRequest) => {
  queue.push(req.seed);
  if (!running) void drain();
});
