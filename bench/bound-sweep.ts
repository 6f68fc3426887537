/**
 * The derived safety boundary next to the measured one: sweeps one fault at a
 * time over a contended base scenario, and prints for each value the derived
 * margin (sim/bound.ts) and how many seeds showed double ownership. The table
 * in docs/bound.md comes from this script.
 *
 *   npm run bench:bound [-- --seeds N]
 */
import { parseArgs } from 'node:util';
import { safetyMargin } from '../sim/bound.js';
import { runSeed } from '../sim/run.js';
import { parseScenario } from '../sim/scenario.js';

const { values } = parseArgs({ options: { seeds: { type: 'string', default: '100' } } });
const seeds = Number(values.seeds);

type Raw = Record<string, unknown>;
/** Three nodes contending for one key, refreshInterval 40 ms, store delays up to 1 ms each way. */
const base = (): Raw => ({
  duration: '2s',
  owner: { strategy: 'lakefs', acquireInterval: 5, refreshInterval: 40 },
  nodes: 3,
  workload: { think: { dist: 'exponential', mean: 5 }, hold: { dist: 'uniform', min: 5, max: 50 } },
  faults: { store: { latency: { dist: 'uniform', min: 0.001, max: 1 } } },
});

interface Axis {
  name: string;
  unit: string;
  values: number[];
  apply: (raw: Raw, v: number) => Raw;
}

const staggeredPauses = (length: number) =>
  Array.from({ length: 3 }, (_, i) => ({ pauses: Array.from({ length: 40 }, (_, k) => ({ at: 13 + 50 * k + 17 * i, for: length })) }));

const axes: Axis[] = [
  { name: 'clock offset of node 1', unit: 'ms', values: [10, 14, 15, 16, 17, 18, 19, 20], apply: (r, v) => ({ ...r, nodes: [{ offset: 0 }, { offset: v }, { offset: 0 }] }) },
  { name: 'forward jump of node 0 at 500 ms', unit: 'ms', values: [10, 14, 15, 16, 17, 18, 19, 20], apply: (r, v) => ({ ...r, nodes: [{ jumps: [{ at: 500, by: v }] }, {}, {}] }) },
  { name: 'drift of node 1 (2 s run)', unit: 'ppm', values: [5000, 7000, 7500, 8000, 9000, 10000, 12000], apply: (r, v) => ({ ...r, nodes: [{ driftPpm: 0 }, { driftPpm: v }, { driftPpm: 0 }] }) },
  {
    name: 'timer lateness, uniform [0, L]',
    unit: 'ms',
    values: [10, 14, 15, 16, 17, 19, 21, 23, 25],
    apply: (r, v) => ({ ...r, faults: { ...(r.faults as object), timerLateness: { dist: 'uniform', min: 0, max: v } } }),
  },
  { name: 'pause length, every node every 50 ms', unit: 'ms', values: [10, 14, 15, 16, 17, 18, 19, 21], apply: (r, v) => ({ ...r, nodes: staggeredPauses(v) }) },
  {
    name: 'request latency, uniform [0, D] (replies ≤ 0.01 ms)',
    unit: 'ms',
    values: [4, 6, 6.6, 7, 8, 10, 12, 14],
    apply: (r, v) => ({ ...r, faults: { store: { requestLatency: { dist: 'uniform', min: 0.001, max: v }, responseLatency: { dist: 'uniform', min: 0.001, max: 0.01 } } } }),
  },
  {
    name: 'response latency, uniform [0, D] (requests ≤ 0.01 ms)',
    unit: 'ms',
    values: [6, 9, 10, 11, 13, 15, 17, 20],
    apply: (r, v) => ({ ...r, faults: { store: { requestLatency: { dist: 'uniform', min: 0.001, max: 0.01 }, responseLatency: { dist: 'uniform', min: 0.001, max: v } } } }),
  },
  {
    name: 'hold max H with 5% store errors',
    unit: 'ms',
    values: [20, 30, 37, 38, 40, 45, 50, 60],
    apply: (r, v) => ({
      ...r,
      workload: { think: { dist: 'exponential', mean: 5 }, hold: { dist: 'uniform', min: 1, max: v } },
      faults: { store: { latency: { dist: 'uniform', min: 0.001, max: 1 }, errorRate: 0.05 } },
    }),
  },
];

const t0 = performance.now();
console.log(`base: 3 nodes, 1 key, refreshInterval 40 ms, think exp(5 ms), hold U[5, 50] ms, store U[0, 1] ms each way, 2 s; ${seeds} seeds per row\n`);
console.log('| fault | value | derived margin (ms) | runs with a violation | violations / acquisitions |');
console.log('|---|---:|---:|---:|---:|');
const summary: string[] = [];
for (const axis of axes) {
  let derived: number | undefined; // largest value the bound calls safe
  let measured: number | undefined; // smallest value with a violation
  for (const v of axis.values) {
    const scenario = parseScenario(axis.apply(base(), v), 'sweep.yaml');
    const margin = safetyMargin(scenario);
    let runs = 0;
    let violations = 0;
    let acquisitions = 0;
    for (let seed = 1; seed <= seeds; seed++) {
      const r = await runSeed(scenario, seed);
      if (r.violations > 0) runs++;
      violations += r.violations;
      acquisitions += r.acquisitions;
    }
    if (margin > 0) derived = v;
    if (runs > 0 && measured === undefined) measured = v;
    if (runs > 0 && margin > 0) console.error(`BOUND VIOLATED: ${axis.name} = ${v}: margin ${margin} but ${runs} runs with violations`);
    console.log(`| ${axis.name} | ${v} ${axis.unit} | ${margin.toFixed(3)} | ${runs}/${seeds} | ${violations}/${acquisitions} |`);
  }
  summary.push(`| ${axis.name} | ${derived ?? '–'} ${axis.unit} | ${measured ?? `> ${axis.values[axis.values.length - 1]}`} ${axis.unit} |`);
}
console.log('\n| fault | largest value the bound proves safe | smallest value with a measured violation |');
console.log('|---|---:|---:|');
for (const line of summary) console.log(line);
console.log(`\n(${((performance.now() - t0) / 1000).toFixed(0)} s)`);
