/**
 * Fault model: crashes. A node dies at once, without releasing anything:
 * every pending timer and store reply of that incarnation is dropped, so its
 * promises never resolve. Its requests already in flight still reach the
 * store. After `restartAfter` it restarts as a new incarnation with a fresh
 * owner instance (new owner ids) and a fresh workload loop; its clock keeps
 * its offset and drift. Crashes come from a per-node schedule and/or a Poisson
 * process (rate per node per second); a crash while down is ignored.
 * Limits: no partial failures (a crash is total), no disk state.
 */
import { EventKind, type Engine } from '../engine.js';
import type { Tilt } from '../importance/tilt.js';
import type { Prng } from '../prng.js';
import { poissonArrivals } from './poisson.js';

export interface Crash {
  /** True time of the crash (ms). */
  at: number;
  /** Down time before the restart (ms); Infinity: never restarts. */
  restartAfter: number;
}

/**
 * The crashes of one node over `durationMs`: the schedule plus Poisson arrivals, by time.
 * With `tilt`, the arrivals are drawn through it (importance sampling).
 */
export function planCrashes(
  scheduled: readonly Crash[],
  ratePerSecond: number,
  restartAfterMs: number,
  durationMs: number,
  rng: Prng,
  tilt?: Tilt,
): Crash[] {
  const make = (at: number): Crash => ({ at, restartAfter: restartAfterMs });
  const drawn = tilt === undefined ? poissonArrivals(ratePerSecond, durationMs, rng, make) : tilt.arrivals('crashes.rate', durationMs, rng, make);
  const out = [...scheduled, ...drawn];
  return out.sort((a, b) => a.at - b.at);
}

/** Schedules crashes and restarts of `node`; `onCrash`/`onRestart` tell the workload and oracle. */
export function scheduleCrashes(
  engine: Engine,
  node: number,
  crashes: readonly Crash[],
  onCrash: () => void,
  onRestart: () => void,
): void {
  for (const c of crashes) {
    engine.at(
      c.at,
      () => {
        const gate = engine.nodes[node]!;
        if (!gate.alive) return;
        gate.alive = false;
        gate.incarnation++;
        gate.pausedUntil = 0;
        onCrash();
        if (Number.isFinite(c.restartAfter)) {
          engine.at(
            engine.now + c.restartAfter,
            () => {
              gate.alive = true;
              onRestart();
            },
            { kind: EventKind.restart, flush: true },
          );
        }
      },
      { kind: EventKind.crash },
    );
  }
}
