/**
 * The pilot before a run: a short, truncated run of the first seed of each
 * scenario (cell, strategy) to be run, from which `mco` projects how many
 * events, and how much wall time, the whole run will take, and refuses one
 * projected past `--max-wall` before it starts (`duration: 100000h`).
 *
 * A pilot runs a copy of the scenario with a shorter duration and a small
 * event budget on this thread; it shares nothing with the real runs, so no
 * report or trace depends on it. Its events per simulated ms are
 * deterministic; its CPU time per event is a measurement (first runs are
 * slower: the code is not yet optimised), and the projected wall time is
 * that cost × events / parallel workers, i.e. on an otherwise idle machine.
 * It is meant for orders of magnitude.
 */
import { availableParallelism } from 'node:os';
import { SimulationLimitError } from './engine.js';
import type { EngineKind } from './engines.js';
import { runSeed } from './run.js';
import type { Scenario } from './scenario.js';

/** Simulated time a pilot runs at most (ms). */
export const PILOT_SIMULATED_MS = 500;
/** Events a pilot delivers at most: it stops there and measures the rate so far. */
export const PILOT_EVENTS = 1000;

/** What is about to run: a scenario and its seed count. */
export interface PilotUnit {
  scenario: Scenario;
  seeds: number;
  seedStart: number;
}

/** The projection of one unit. */
export interface UnitEstimate {
  scenario: string;
  /** Events the pilot delivered, and the simulated time it covered (ms). */
  pilotEvents: number;
  pilotSimulatedMs: number;
  /** Projected events of one seed's full run (not capped at `maxEvents`). */
  eventsPerSeed: number;
  /** Whether `eventsPerSeed` exceeds the scenario's `maxEvents` (the run would stop with exit 3). */
  overMaxEvents: boolean;
  events: number;
  wallMs: number;
}

/** The projection of a whole invocation. */
export interface Estimate {
  units: UnitEstimate[];
  events: number;
  wallMs: number;
  /** Time the pilots took (ms, by `now`). */
  pilotWallMs: number;
}

/** Runs the pilots of `units` and projects the whole run on `workers` worker threads. */
export async function estimateRun(
  units: readonly PilotUnit[],
  options: {
    workers: number;
    engine?: EngineKind;
    /** The clock the pilots are timed by (ms); default: this process's CPU time, steadier than wall time on a shared machine. */
    now?: () => number;
    /**
     * Measure the cost per event on a longer run of this many events (of the
     * busiest unit, after the pilots warmed the code up) instead of the
     * pilots': closer to a long run's, at ≈ this many events' cost.
     */
    calibrationEvents?: number;
  },
): Promise<Estimate> {
  const now = options.now ?? cpuMs;
  const t0 = now();
  // the first pilot runs cold (nothing compiled yet): with one unit, a warm-up pilot first
  const warmUp = units.length === 1 ? [units[0]!] : [];
  const pilots: { unit: PilotUnit; events: number; simulatedMs: number; wallMs: number }[] = [];
  for (const unit of [...warmUp, ...units]) {
    const t = now();
    const p = await pilot(unit, options.engine);
    pilots.push({ unit, ...p, wallMs: now() - t });
  }
  pilots.splice(0, warmUp.length);
  const pilotWallMs = now() - t0;
  // the cheapest pilot's cost per event: the warmest (still above a long run's, whose code is fully optimised)
  let wallPerEvent = Infinity;
  for (const p of pilots) if (p.events > 0) wallPerEvent = Math.min(wallPerEvent, p.wallMs / p.events);
  if (wallPerEvent === Infinity) wallPerEvent = 0;
  if (options.calibrationEvents !== undefined && pilots.length > 0) {
    const busiest = pilots.reduce((a, b) => (b.events / Math.max(b.simulatedMs, 1e-3) > a.events / Math.max(a.simulatedMs, 1e-3) ? b : a)).unit;
    const t = now();
    let events = 0;
    // whole seeds, one after another, until the budget is spent (the last one cut short)
    for (let seed = busiest.seedStart; events < options.calibrationEvents; seed++) {
      const c = await pilot({ ...busiest, seedStart: seed }, options.engine, options.calibrationEvents - events, busiest.scenario.durationMs);
      if (c.events === 0) break;
      events += c.events;
    }
    if (events > 0) wallPerEvent = (now() - t) / events;
  }
  const cores = availableParallelism();
  const out = pilots.map(({ unit, events, simulatedMs }): UnitEstimate => {
    const eventsPerSeed = (events / Math.max(simulatedMs, 1e-3)) * unit.scenario.durationMs;
    const parallel = Math.max(1, Math.min(options.workers, cores, unit.seeds));
    const total = eventsPerSeed * unit.seeds;
    return {
      scenario: unit.scenario.name,
      pilotEvents: events,
      pilotSimulatedMs: simulatedMs,
      eventsPerSeed,
      overMaxEvents: eventsPerSeed > unit.scenario.maxEvents,
      events: total,
      wallMs: (total * wallPerEvent) / parallel,
    };
  });
  return { units: out, events: out.reduce((a, u) => a + u.events, 0), wallMs: out.reduce((a, u) => a + u.wallMs, 0), pilotWallMs };
}

/** CPU time (user + system) of this process, ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** One pilot: events delivered and simulated time covered. */
async function pilot(unit: PilotUnit, engine: EngineKind | undefined, maxEvents = PILOT_EVENTS, maxMs = PILOT_SIMULATED_MS): Promise<{ events: number; simulatedMs: number }> {
  const s = unit.scenario;
  const short: Scenario = { ...s, durationMs: Math.min(s.durationMs, maxMs), maxEvents };
  try {
    const r = await runSeed(short, unit.seedStart, engine === undefined ? {} : { engine });
    return { events: r.events, simulatedMs: r.simulatedMs };
  } catch (err) {
    if (err instanceof SimulationLimitError) return { events: err.maxEvents, simulatedMs: err.atMs };
    throw err;
  }
}

/** A duration for people: `850 ms`, `42 s`, `3.5 min`, `2.1 h`, `4.6 days`, `1.2e+03 years`. */
export function humanDuration(ms: number): string {
  const units: [number, string][] = [
    [365.25 * 86_400_000, 'years'],
    [86_400_000, 'days'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1000, 's'],
  ];
  for (const [size, name] of units) {
    if (ms >= size) {
      const v = ms / size;
      return `${v >= 1000 ? v.toExponential(1) : +v.toPrecision(2)} ${name}`;
    }
  }
  return `${Math.round(ms)} ms`;
}

/** A count for people: `3400`, `2.1e+9`. */
export const humanCount = (n: number): string => (n < 1e6 ? String(Math.round(n)) : n.toExponential(1));
