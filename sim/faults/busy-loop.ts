/**
 * Fault model: a busy event loop. A node's process keeps running but its
 * JavaScript thread is blocked by synchronous work (a big JSON.parse, a
 * crypto hash, a GC-heavy burst) for a drawn time. During a block nothing of
 * the node runs: its due timers and the store replies and release
 * notifications that reached it are held and delivered, in their original
 * order, when the block ends. Its clocks keep running, and its requests
 * already sent still reach the store.
 *
 * How it differs from a pause (`pauses.ts`, SIGSTOP), whose gating is the
 * same: a block is itself work on the node's loop. It starts only when the
 * loop is free, so a block planned while the node is paused or already
 * blocked starts when that ends and then lasts its whole length: blocks
 * queue (the stall is the sum), where overlapping pauses merge (the stall is
 * the latest end). A pause that hits a block in progress merges with it (the
 * block spins on the real clock, which runs on while the process is
 * stopped). A crashed node has no loop: its blocks are dropped until it
 * restarts. Like a pause, a block falls between two events of the node,
 * never inside one: the simulated code takes no time, so "between two
 * macrotasks" is every instant. What is stamped when is the same as under a
 * pause: a belief that starts or ends during a block is stamped when the
 * block ends, when the code that records it runs.
 *
 * Blocks come from a per-node schedule and/or a Poisson process (rate per
 * node per second) with a drawn length. Limits: a block stops the whole node
 * (one thread); the loop's own order after a stall (libuv runs I/O before the
 * timers that came due during it) is not modelled: held events keep their
 * (time, sequence) order.
 */
import type { Distribution } from '../dist.js';
import { EventKind, type Engine } from '../engine.js';
import type { Prng } from '../prng.js';
import { planPauses, type Pause } from './pauses.js';

/** A planned block: true start time and length (ms). */
export type Block = Pause;

/** The blocks of one node over `durationMs`: the schedule plus Poisson arrivals, by planned start. */
export function planBlocks(scheduled: readonly Block[], ratePerSecond: number, duration: Distribution, durationMs: number, rng: Prng): Block[] {
  return planPauses(scheduled, ratePerSecond, duration, durationMs, rng);
}

/**
 * When a block planned at `at` really starts on a node stalled until
 * `stalledUntil` (paused or blocked), and until when the node is stalled
 * after it: blocks queue behind whatever holds the loop.
 */
export function blockSpan(at: number, length: number, stalledUntil: number): { start: number; end: number } {
  const start = Math.max(at, stalledUntil);
  return { start, end: start + length };
}

/** Schedules each block of node `node` on the engine; `onBlock` hears the real start and end. */
export function scheduleBlocks(engine: Engine, node: number, blocks: readonly Block[], onBlock?: (b: Block, start: number, end: number) => void): void {
  for (const b of blocks) {
    engine.at(
      b.at,
      () => {
        const gate = engine.nodes[node]!;
        if (!gate.alive) return; // no process, no loop to block
        const { start, end } = blockSpan(engine.now, b.for, gate.pausedUntil);
        gate.pausedUntil = end;
        onBlock?.(b, start, end);
      },
      { kind: EventKind.busy },
    );
  }
}

/**
 * The stalls of a node with scheduled pauses and blocks (no crashes), as
 * `{at, for}` intervals in the order they start: pauses as they are, each
 * block where it really runs (queued behind the stall it meets). A pause and
 * a block planned at one instant: the pause first (the simulator schedules
 * pauses first).
 */
export function stallsOf(pauses: readonly Pause[], blocks: readonly Block[]): Pause[] {
  const events = [...pauses.map((p) => ({ p, block: false })), ...blocks.map((p) => ({ p, block: true }))].sort((x, y) => x.p.at - y.p.at || Number(x.block) - Number(y.block));
  let stalledUntil = -Infinity;
  const out: Pause[] = [];
  for (const { p, block } of events) {
    if (!block) {
      stalledUntil = Math.max(stalledUntil, p.at + p.for);
      out.push(p);
      continue;
    }
    const { start, end } = blockSpan(p.at, p.for, stalledUntil);
    stalledUntil = end;
    out.push({ at: start, for: p.for });
  }
  return out;
}
