/**
 * Fault model: process pauses (SIGSTOP, a stop-the-world GC, a stalled event
 * loop). While a node is paused nothing of it runs: its timers and the store
 * replies addressed to it are held and delivered, in their original order,
 * when it resumes. Its requests already in flight still reach the store. Its
 * clocks keep running (real time passes), so on resume it sees the time lost.
 * Pauses come from a per-node schedule and/or a Poisson process (rate per
 * node per second) with a drawn duration. Overlapping pauses merge.
 * Limits: a pause stops the whole node (no partial stalls of one task).
 */
import { sample, type Distribution } from '../dist.js';
import { EventKind, type Engine } from '../engine.js';
import type { Tilt } from '../importance/tilt.js';
import type { Prng } from '../prng.js';
import { poissonArrivals } from './poisson.js';

export interface Pause {
  /** True start time (ms). */
  at: number;
  /** Length (ms). */
  for: number;
}

/**
 * The pauses of one node over `durationMs`: the schedule plus Poisson arrivals, by start time.
 * With `tilt`, the arrivals and lengths are drawn through it (importance sampling; `tilt`'s
 * scenario faults must hold the same rate and duration).
 */
export function planPauses(
  scheduled: readonly Pause[],
  ratePerSecond: number,
  duration: Distribution,
  durationMs: number,
  rng: Prng,
  tilt?: Tilt,
): Pause[] {
  if (tilt !== undefined) {
    const length = tilt.drawer('pauses.duration');
    const tilted = tilt.arrivals('pauses.rate', durationMs, rng, (at) => ({ at, for: length(rng) }));
    return [...scheduled, ...tilted].sort((a, b) => a.at - b.at);
  }
  const drawn = poissonArrivals(ratePerSecond, durationMs, rng, (at) => ({ at, for: sample(duration, rng) }));
  return [...scheduled, ...drawn].sort((a, b) => a.at - b.at);
}

/** Schedules each pause of node `node` on the engine. */
export function schedulePauses(engine: Engine, node: number, pauses: readonly Pause[], onPause?: (p: Pause) => void): void {
  for (const p of pauses) {
    engine.at(
      p.at,
      () => {
        const gate = engine.nodes[node]!;
        gate.pausedUntil = Math.max(gate.pausedUntil, p.at + p.for);
        onPause?.(p);
      },
      { kind: EventKind.pause },
    );
  }
}
