/** Runs e2e worker processes (test/e2e/worker.ts) and collects their JSON event lines. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface WorkerEvent {
  event: string;
  worker: string;
  t: number;
  owner?: string;
  inside?: number;
}

export interface Worker {
  name: string;
  child: ChildProcess;
  events: WorkerEvent[];
  stderr: string;
  exited: Promise<number | null>;
}

const WORKER_SCRIPT = join(import.meta.dirname, 'worker.ts');

/** Starts a worker as `node --import tsx` (one process: its pid is the worker's, so `kill -9` hits it). */
export function startWorker(name: string, env: Record<string, string>, onEvent: (e: WorkerEvent) => void = () => {}): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_SCRIPT], {
    env: { ...process.env, ...env, WORKER: name },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const worker: Worker = {
    name,
    child,
    events: [],
    stderr: '',
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
  let buffered = '';
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim() === '') continue;
      const e = JSON.parse(line) as WorkerEvent;
      worker.events.push(e);
      onEvent(e);
    }
  });
  child.stderr.on('data', (d: Buffer) => (worker.stderr += d.toString()));
  return worker;
}

/** Resolves with the first event matching `pred` from any worker, rejects after `timeoutMs`. */
export function waitForEvent(workers: Worker[], pred: (e: WorkerEvent) => boolean, timeoutMs: number): Promise<WorkerEvent> {
  return new Promise((resolve, reject) => {
    const check = (): WorkerEvent | undefined => workers.flatMap((w) => w.events).find(pred);
    const found = check();
    if (found) return resolve(found);
    const timer = setTimeout(() => {
      clearInterval(poll);
      reject(new Error(`no matching event within ${timeoutMs} ms; stderr:\n${workers.map((w) => `${w.name}: ${w.stderr}`).join('\n')}`));
    }, timeoutMs);
    const poll = setInterval(() => {
      const e = check();
      if (e) {
        clearTimeout(timer);
        clearInterval(poll);
        resolve(e);
      }
    }, 5);
  });
}

/** SIGKILLs every worker still running and waits for them to exit. */
export async function killAll(workers: Worker[]): Promise<void> {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
}
