/**
 * fast-check arbitraries of simulator scenarios, as the raw data a scenario
 * file holds (so a counterexample can be written out as YAML and replayed
 * with `mco`). All durations are milliseconds with at most 3 decimals; all
 * distributions are bounded (constant or uniform) unless stated otherwise,
 * because only those have a finite safety margin.
 */
import fc from 'fast-check';
import { parseScenario, type Scenario } from '../../sim/scenario.js';

/** A scenario as raw scenario-file data. */
export type RawScenario = Record<string, unknown>;
type RawDist = { dist: 'constant'; value: number } | { dist: 'uniform'; min: number; max: number } | { dist: 'exponential'; mean: number };

/** Parses generated raw data (it must always be valid: a parse error is a generator bug). */
export function scenarioOf(raw: RawScenario): Scenario {
  return parseScenario(raw, '<generated>', 'generated');
}

/** A duration in [min, max] ms with µs resolution; shrinks towards `min`. */
export function msIn(min: number, max: number): fc.Arbitrary<number> {
  return fc.integer({ min: Math.round(min * 1000), max: Math.round(max * 1000) }).map((us) => us / 1000);
}

/** A bounded distribution of non-negative durations with values ≤ max: constant (shrinks first) or uniform. */
export function boundedDist(max: number): fc.Arbitrary<RawDist> {
  return fc.oneof(
    msIn(0, max).map((value): RawDist => ({ dist: 'constant', value })),
    fc.tuple(msIn(0, max), msIn(0, max)).map(([a, b]): RawDist => ({ dist: 'uniform', min: Math.min(a, b), max: Math.max(a, b) })),
  );
}

/** A store latency distribution with maximum ≤ max (min 1 µs is applied by the store). */
function latencyDist(max: number): fc.Arbitrary<RawDist> {
  return fc.oneof(
    fc.tuple(msIn(0, max), msIn(0, max)).map(([a, b]): RawDist => ({ dist: 'uniform', min: Math.min(a, b), max: Math.max(a, b) })),
    msIn(0, max).map((value): RawDist => ({ dist: 'constant', value })),
  );
}

/** Think times that keep keys contended. */
function contendedThink(): fc.Arbitrary<RawDist> {
  return fc.oneof(
    fc.constant<RawDist>({ dist: 'constant', value: 0 }),
    msIn(0.1, 10).map((mean): RawDist => ({ dist: 'exponential', mean })),
    msIn(0, 20).map((max): RawDist => ({ dist: 'uniform', min: 0, max })),
  );
}

export interface InsideOptions {
  /** Allow store errors and lost replies (then holds are kept short). Default true. */
  storeFaults?: boolean;
  /** Allow crashes (scheduled and Poisson). Default true. */
  crashes?: boolean;
  /** Simulated duration range, ms. Default [300, 1500]. */
  durationMs?: [number, number];
  /** Node count range. Default [2, 8]. */
  nodes?: [number, number];
}

/**
 * Scenarios whose faults are each a fraction of refreshInterval/2, in any
 * mix: offsets, drift, jumps, scheduled pauses (which may overlap), timer
 * lateness, request and response latency, store errors before apply and lost
 * replies, crashes. Most land inside the safety envelope; callers filter on
 * `safetyMargin > 0`.
 */
export function insideEnvelope(options: InsideOptions = {}): fc.Arbitrary<RawScenario> {
  const storeFaults = options.storeFaults ?? true;
  const crashes = options.crashes ?? true;
  const [dMin, dMax] = options.durationMs ?? [300, 1500];
  const [nMin, nMax] = options.nodes ?? [2, 8];
  return fc
    .record({
      ri: fc.integer({ min: 20, max: 100 }),
      nodes: fc.integer({ min: nMin, max: nMax }),
      durationMs: fc.integer({ min: dMin, max: dMax }),
      withStoreFaults: storeFaults ? fc.boolean() : fc.constant(false),
      fractions: fc.record({
        skew: fc.double({ min: 0, max: 0.3, noNaN: true }),
        jump: fc.double({ min: 0, max: 0.2, noNaN: true }),
        latency: fc.double({ min: 0, max: 0.3, noNaN: true }),
        lateness: fc.double({ min: 0, max: 0.3, noNaN: true }),
        pause: fc.double({ min: 0, max: 0.3, noNaN: true }),
      }),
    })
    .chain(({ ri, nodes, durationMs, withStoreFaults, fractions }) => {
      const b = ri / 2;
      const skew = fractions.skew * b;
      const node = fc.record(
        {
          offset: msIn(-skew / 2, skew / 2),
          driftPpm: fc.integer({ min: -200, max: 200 }),
          jumps: fc.array(fc.record({ at: msIn(0, durationMs), by: msIn((-fractions.jump * b) / 2, (fractions.jump * b) / 2) }), { maxLength: 2 }),
          pauses: fc.array(fc.record({ at: msIn(0, durationMs), for: msIn(0, (fractions.pause * b) / 2) }), { maxLength: 3 }),
          crashes: crashes ? fc.array(fc.record({ at: msIn(0, durationMs), restartAfter: msIn(0, 300) }), { maxLength: 2 }) : fc.constant([]),
        },
        { requiredKeys: ['jumps', 'pauses', 'crashes'] },
      );
      // holds of at least 1 ms: zero-length holds on a zero-latency store spin through
      // tens of thousands of acquisitions per simulated second and only cost time
      const hold = withStoreFaults
        ? msIn(1, 0.6 * ri).map((max): RawDist => ({ dist: 'uniform', min: 1, max }))
        : fc.oneof(
            msIn(1, 3 * ri).map((max): RawDist => ({ dist: 'uniform', min: 1, max })),
            msIn(2, ri).map((mean): RawDist => ({ dist: 'exponential', mean })),
          );
      return fc.record({
        name: fc.constant('generated'),
        duration: fc.constant(durationMs),
        maxEvents: fc.constant(3_000_000),
        owner: fc.record({ strategy: fc.constant('lakefs'), acquireInterval: fc.integer({ min: 1, max: Math.floor(ri / 3) }), refreshInterval: fc.constant(ri) }),
        nodes: fc.array(node, { minLength: nodes, maxLength: nodes }),
        keys: fc.integer({ min: 1, max: 3 }),
        workload: fc.record({ think: contendedThink(), hold }),
        faults: fc.record({
          clock: fc.record({
            offset: msIn(0, skew).map((w): RawDist => ({ dist: 'uniform', min: 0 - w / 2, max: w / 2 })), // 0 − x: no -0 in YAML
            driftPpm: fc.integer({ min: 0, max: 200 }).map((d): RawDist => ({ dist: 'uniform', min: 0 - d, max: d })),
          }),
          timerLateness: boundedDist(fractions.lateness * b),
          store: fc.record({
            requestLatency: latencyDist((fractions.latency * b) / 5),
            responseLatency: latencyDist((fractions.latency * b) / 5),
            errorRate: withStoreFaults ? fc.double({ min: 0, max: 0.2, noNaN: true }) : fc.constant(0),
            lostReplyRate: withStoreFaults ? fc.double({ min: 0, max: 0.1, noNaN: true }) : fc.constant(0),
          }),
          crashes: crashes
            ? fc.record({ rate: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 2, noNaN: true })), restartAfter: msIn(0, 300) })
            : fc.constant({ rate: 0, restartAfter: 0 }),
        }),
      });
    });
}

/**
 * Contended scenarios (3–5 nodes) far outside the envelope: one node's wall clock at
 * least refreshInterval ahead of another's, or nodes that stall for 1–1.5
 * refreshIntervals every 3–5 leases (staggered, so someone is always awake).
 */
export function farOutside(): fc.Arbitrary<RawScenario> {
  return fc
    .record({
      ri: fc.integer({ min: 20, max: 80 }),
      nodes: fc.integer({ min: 3, max: 5 }),
      leases: fc.integer({ min: 60, max: 90 }), // at 30 leases the weakest corner (3 nodes, think 3·RI) violated in only 93% of seeds
      cause: fc.constantFrom('offset', 'pause'),
    })
    .chain(({ ri, nodes, leases, cause }) => {
      const durationMs = ri * leases;
      const nodeSpec =
        cause === 'offset'
          ? fc.tuple(msIn(ri, 2 * ri), fc.integer({ min: 0, max: nodes - 1 })).map(([ahead, who]) =>
              Array.from({ length: nodes }, (_, i) => ({ offset: i === who ? ahead : 0 })),
            )
          : fc.tuple(msIn(ri, 1.5 * ri), fc.integer({ min: 3, max: 5 })).map(([length, everyLeases]) =>
              Array.from({ length: nodes }, (_, i) => ({
                pauses: Array.from({ length: Math.ceil(durationMs / (everyLeases * ri)) }, (_, k) => ({
                  at: Math.round((k * everyLeases + (i * everyLeases) / nodes) * ri * 1000) / 1000,
                  for: length,
                })),
              })),
            );
      return fc.record({
        name: fc.constant(`far-outside-${cause}`),
        duration: fc.constant(durationMs),
        owner: fc.record({ strategy: fc.constant('lakefs'), acquireInterval: fc.integer({ min: 1, max: Math.floor(ri / 3) }), refreshInterval: fc.constant(ri) }),
        nodes: nodeSpec,
        keys: fc.constant(1),
        // offset: long thinks, so the nodes that are behind get the key now and then (with short
        // thinks the node ahead keeps it: the others sleep until its far-future expiry) and the
        // node ahead then comes back as a fresh reader;
        // pause: long holds and short thinks, so a pause mostly stalls a holder while others wait
        workload:
          cause === 'offset'
            ? fc.record({
                think: msIn(2 * ri, 3 * ri).map((mean): RawDist => ({ dist: 'exponential', mean })),
                hold: msIn(ri, 3 * ri).map((max): RawDist => ({ dist: 'uniform', min: ri / 2, max })),
              })
            : fc.record({
                think: msIn(0.1, 5).map((mean): RawDist => ({ dist: 'exponential', mean })),
                hold: msIn(2 * ri, 4 * ri).map((max): RawDist => ({ dist: 'uniform', min: ri, max })),
              }),
        faults: fc.record({ store: fc.record({ latency: msIn(0.01, 1).map((max): RawDist => ({ dist: 'uniform', min: 0.001, max })) }) }),
      });
    });
}
