/**
 * The workload each simulated node runs, forever, against the production
 * MostlyCorrectOwner: think → own(key) → hold → release. A failed own() (store
 * error) is reported to the oracle and retried after the next think time.
 *
 * With a work model (`workload.work`), "hold" is an *operation* on the
 * protected resource instead, as a lakeFS branch update: read the key's
 * version, work for a drawn time (longer the more versions it fell behind
 * since the operation began), then compare-and-set the version. A failed CAS
 * is wasted work and a retry, up to `maxAttempts`, then the operation fails.
 * Under strategy `none` there is no owner at all: workers go straight to the
 * resource (the baseline the owner must beat).
 */
import type { Clock, MostlyCorrectOwner } from 'mostly-correct-owner';
import { sample, type Distribution } from './dist.js';
import type { Engine } from './engine.js';
import type { Oracle } from './oracle.js';
import type { Prng } from './prng.js';
import type { ProtectedResource } from './resource.js';

/** The benefit model of a scenario (see the module comment). */
export interface WorkModel {
  work: Distribution;
  /** Work grows by this fraction per version the operation fell behind since it began. */
  growthPerVersion: number;
  maxAttempts: number;
}

/** What the benefit model measured in one run. */
export interface OperationStats {
  completed: number;
  failed: number;
  attempts: number;
  workMs: number;
  wastedMs: number;
  latenciesMs: number[];
}

export const newOperationStats = (): OperationStats => ({ completed: 0, failed: 0, attempts: 0, workMs: 0, wastedMs: 0, latenciesMs: [] });

export interface WorkloadContext {
  engine: Engine;
  node: number;
  /** The node's owner; `undefined` under strategy `none`. */
  owner: MostlyCorrectOwner | undefined;
  work: WorkModel | undefined;
  ops: OperationStats;
  clock: Clock;
  rng: Prng;
  oracle: Oracle;
  resource: ProtectedResource;
  keys: number;
  think: Distribution;
  hold: Distribution;
  /**
   * Whether the owner's strategy ever aborts `Ownership.lost`. When it does
   * not (`lakefs`: lakeFS never tells the holder), holding does not ask for
   * the signal, which would only cost an AbortController per acquisition.
   */
  signalsLoss: boolean;
  /**
   * Trace hook; `undefined` unless tracing, and called as `note?.(…)`, so an
   * untraced run does not build the lines it would drop (three strings and
   * two objects per acquisition).
   */
  note: ((node: number, text: string, extra?: { owner?: string; message?: string }) => void) | undefined;
}

/** Belief codes mixed into the trace hash. */
const OWNED = 0x200;
const RELEASING = 0x201;
const OWN_FAILED = 0x202;
const TOLD = 0x203;

/** Name of key `j` as the workload owns it. */
export const keyName = (j: number): string => `key-${j}`;

/** Runs the node's loop until its incarnation dies or the run ends (never resolves on its own). */
export async function workloadLoop(w: WorkloadContext): Promise<void> {
  const { engine, node, owner, clock, rng, oracle, note } = w;
  for (;;) {
    await clock.sleep(sample(w.think, rng));
    const key = keyName(w.keys === 1 ? 0 : Math.floor(rng.next() * w.keys));
    if (owner === undefined) {
      await operation(w, key, engine.now, undefined);
      continue;
    }
    const opStart = engine.now;
    const ticket = oracle.ownCalled(node, key, opStart);
    note?.(node, `own(${key}) called`);
    let ownership;
    try {
      ownership = await owner.own(`node${node}`, key);
    } catch (err) {
      oracle.ownFailed(ticket);
      engine.mix(engine.now, OWN_FAILED);
      note?.(node, `own(${key}) failed: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    const belief = oracle.owned(ticket, ownership.owner, engine.now);
    engine.mix(engine.now, OWNED | (node << 12));
    note?.(node, `OWNS ${key} as ${ownership.owner}${ownership.token === undefined ? '' : ` (token ${ownership.token})`}`, { owner: ownership.owner, message: 'OWNS' });
    w.resource.write(belief, ownership.token); // register
    let told = false;
    const lost = w.signalsLoss ? ownership.lost : undefined;
    if (w.work === undefined) {
      try {
        await clock.sleep(sample(w.hold, rng), lost);
      } catch {
        told = true;
      }
    } else {
      told = (await operation(w, key, opStart, lost)) === 'lost';
    }
    if (told) {
      oracle.told(belief, engine.now);
      engine.mix(engine.now, TOLD | (node << 12));
      note?.(node, `TOLD: ${(ownership.lost.reason as Error).message}`, { owner: ownership.owner, message: 'TOLD' });
    } else {
      w.resource.write(belief, ownership.token); // the work's effect
      oracle.releasing(belief, engine.now);
      engine.mix(engine.now, RELEASING | (node << 12));
    }
    note?.(node, `releases ${key} (${ownership.owner})`, { owner: ownership.owner, message: 'RELEASES' });
    await ownership.release();
  }
}

/**
 * One operation of the benefit model: attempts of read version → work → CAS.
 * Returns `lost` when the ownership was lost mid-work (the attempt is wasted;
 * the operation is counted failed).
 */
async function operation(w: WorkloadContext, key: string, startedAt: number, lost: AbortSignal | undefined): Promise<'done' | 'failed' | 'lost'> {
  const { engine, clock, rng, resource, ops } = w;
  const model = w.work!;
  const base = resource.version(key);
  for (let attempt = 1; ; attempt++) {
    const seen = resource.version(key);
    const workMs = sample(model.work, rng) * (1 + model.growthPerVersion * (seen - base));
    ops.attempts++;
    ops.workMs += workMs;
    try {
      await clock.sleep(workMs, lost);
    } catch {
      ops.wastedMs += workMs;
      ops.failed++;
      ops.latenciesMs.push(engine.now - startedAt);
      return 'lost';
    }
    if (resource.cas(key, seen)) {
      ops.completed++;
      ops.latenciesMs.push(engine.now - startedAt);
      return 'done';
    }
    ops.wastedMs += workMs;
    if (attempt >= model.maxAttempts) {
      ops.failed++;
      ops.latenciesMs.push(engine.now - startedAt);
      return 'failed';
    }
  }
}
