/**
 * The workload each simulated node runs: think → own(key) → hold → release,
 * forever, against the production MostlyCorrectOwner. A failed own() (store
 * error) is reported to the oracle and retried after the next think time.
 */
import type { Clock, MostlyCorrectOwner } from '../src/index.js';
import { sample, type Distribution } from './dist.js';
import type { Engine } from './engine.js';
import type { Oracle } from './oracle.js';
import type { Prng } from './prng.js';
import type { ProtectedResource } from './resource.js';

export interface WorkloadContext {
  engine: Engine;
  node: number;
  owner: MostlyCorrectOwner;
  clock: Clock;
  rng: Prng;
  oracle: Oracle;
  resource: ProtectedResource;
  keys: number;
  think: Distribution;
  hold: Distribution;
  /** Trace hook (no-op unless tracing). */
  note: (node: number, text: string, extra?: { owner?: string; message?: string }) => void;
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
    const ticket = oracle.ownCalled(node, key, engine.now);
    note(node, `own(${key}) called`);
    let ownership;
    try {
      ownership = await owner.own(`node${node}`, key);
    } catch (err) {
      oracle.ownFailed(ticket);
      engine.mix(engine.now, OWN_FAILED);
      note(node, `own(${key}) failed: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    const belief = oracle.owned(ticket, ownership.owner, engine.now);
    engine.mix(engine.now, OWNED | (node << 12));
    note(node, `OWNS ${key} as ${ownership.owner}${ownership.token === undefined ? '' : ` (token ${ownership.token})`}`, { owner: ownership.owner, message: 'OWNS' });
    w.resource.write(belief, ownership.token); // register
    let told = false;
    try {
      await clock.sleep(sample(w.hold, rng), ownership.lost);
    } catch {
      told = true;
    }
    if (told) {
      oracle.told(belief, engine.now);
      engine.mix(engine.now, TOLD | (node << 12));
      note(node, `TOLD: ${(ownership.lost.reason as Error).message}`, { owner: ownership.owner, message: 'TOLD' });
    } else {
      w.resource.write(belief, ownership.token); // the work's effect
      oracle.releasing(belief, engine.now);
      engine.mix(engine.now, RELEASING | (node << 12));
    }
    note(node, `releases ${key} (${ownership.owner})`, { owner: ownership.owner, message: 'RELEASES' });
    await ownership.release();
  }
}
