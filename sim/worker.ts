/**
 * Worker-thread entry for `--workers K`: runs the seeds it is sent and posts
 * back their records. Each run is independent of every other, so results do
 * not depend on which worker ran which seed.
 */
import { parentPort } from 'node:worker_threads';
import type { EngineKind } from './engines.js';
import { seedRecord } from './report/report.js';
import { runSeed } from './run.js';
import type { Scenario } from './scenario.js';

export interface WorkerRequest {
  scenario: Scenario;
  seed: number;
  /** The engine to run it on; default: `runSeed`'s. */
  engine?: EngineKind;
}

export type WorkerReply = { ok: true; seed: number; record: ReturnType<typeof seedRecord> } | { ok: false; seed: number; error: { name: string; message: string } };

parentPort!.on('message', (req: WorkerRequest) => {
  runSeed(req.scenario, req.seed, req.engine === undefined ? {} : { engine: req.engine }).then(
    (r) => parentPort!.postMessage({ ok: true, seed: req.seed, record: seedRecord(r) } satisfies WorkerReply),
    (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      parentPort!.postMessage({ ok: false, seed: req.seed, error: { name: e.name, message: e.message } } satisfies WorkerReply);
    },
  );
});
