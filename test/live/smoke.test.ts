/**
 * The live smoke: a few real runs of three calibration scenarios (a 500 ms
 * pause, a 250 ms clock skew, and 500 ms blocks of the event loop) against
 * the simulator on the same seeds. Loose enough not to flake (agreement at
 * 99.9%, effects far above the host's noise), tight enough to catch a
 * simulator — or a live mode — that ignores pauses, skew or busy loops: the
 * same live runs compared with a simulation with the fault switched off must
 * disagree.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clusterRatio, compareRuns, ratioZ, twoProportionZ2, type CompareRow } from '../../sim/live/compare.js';
import { ChildSet } from '../../sim/live/processes.js';
import { runLiveScenario } from '../../sim/live/runner.js';
import { existingServer, type LiveServer } from '../../sim/live/servers.js';
import type { SeedRecord } from '../../sim/report/report.js';
import { runScenario } from '../../sim/runner.js';
import { loadScenario, type Scenario } from '../../sim/scenario.js';
import { applySets } from '../../sim/overrides.js';

const RUNS = 10;
/** |z| of 99.9%, two-sided: agreement below it, a switched-off fault above it. */
const Z_SMOKE = 3.29;

const redisUrl = inject('redisUrl');
const children = new ChildSet();
let server: LiveServer;

beforeAll(async () => {
  if (redisUrl === null) throw new Error('the live smoke needs Redis (redis-server, or REDIS_URL)');
  server = await existingServer('redis', redisUrl);
});
afterAll(() => children.killAll());

const load = (file: string, sets: string[] = []): Scenario => loadScenario(file, { edit: (raw) => applySets(raw, sets) });
const simRecords = async (s: Scenario): Promise<SeedRecord[]> => (await runScenario(s, { seeds: RUNS, seedStart: 1, keepPerSeed: true })).perSeed!;
const gatedZ = (rows: CompareRow[]): number[] => rows.filter((r) => r.gated).map((r) => Math.abs(r.z ?? 0));
const maxZ = (live: SeedRecord[], sim: SeedRecord[]): number => Math.max(...gatedZ(compareRuns(live, sim)));

describe.each([
  { file: 'scenarios/live/pause-lakefs.yaml', sets: ['faults.pauses.rate=2', 'faults.pauses.duration=500ms'], off: ['faults.pauses.rate=0'] },
  { file: 'scenarios/live/skew-fixed.yaml', sets: [], off: ['nodes.0.offset=0ms'] },
  { file: 'scenarios/live/busy-lakefs.yaml', sets: ['faults.busyLoop.rate=1', 'faults.busyLoop.duration=500ms'], off: ['faults.busyLoop.rate=0'] },
])('live smoke: $file', ({ file, sets, off }) => {
  let live: SeedRecord[];

  beforeAll(async () => {
    live = (await runLiveScenario(load(file, sets), { runs: RUNS, seedStart: 1, parallel: 2, server, children })).records;
  }, 180_000);

  it('has violations live (the fault is real)', () => {
    expect(live).toHaveLength(RUNS);
    expect(live.filter((r) => r.violations > 0).length).toBeGreaterThanOrEqual(RUNS / 2);
  });

  it('agrees with the simulator on every rate', async () => {
    const z = maxZ(live, await simRecords(load(file, sets)));
    expect(z).toBeLessThan(Z_SMOKE);
  });

  it('disagrees with a simulator whose fault is switched off', async () => {
    const z = maxZ(live, await simRecords(load(file, [...sets, ...off])));
    expect(z).toBeGreaterThan(Z_SMOKE);
  });
});

describe('the smoke threshold', () => {
  it('separates 8 of 10 runs from none, and not 8 from 6', () => {
    expect(Math.abs(twoProportionZ2(8, 10, 0, 10))).toBeGreaterThan(Z_SMOKE);
    expect(Math.abs(twoProportionZ2(8, 10, 6, 10))).toBeLessThan(Z_SMOKE);
    const some = clusterRatio(Array.from({ length: 10 }, (_, i) => ({ num: i < 8 ? 3 : 0, den: 15 })))!;
    expect(ratioZ(some, { r: 0, variance: 0 })).toBeGreaterThan(Z_SMOKE);
  });
});
