/**
 * Simulator throughput on the scenario library: events/s and runs/s per
 * scenario, single thread. A benchmark, not a test: numbers go to
 * docs/benchmarks.md with the machine they came from.
 *
 *   npm run bench:sim [-- --seeds N]
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runSeed } from '../sim/run.js';
import { loadScenario, scenarioFiles } from '../sim/scenario.js';

const { values } = parseArgs({ options: { seeds: { type: 'string', default: '20' } } });
const seeds = Number(values.seeds);
const files = scenarioFiles([join(import.meta.dirname, '../scenarios')]);

console.log(`machine: ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}, node ${process.version}; ${seeds} seeds per scenario, one thread`);
console.log(['scenario', 'events', 'wall ms', 'events/s', 'runs/s'].map((h, i) => (i === 0 ? h.padEnd(16) : h.padStart(11))).join(''));
let totalEvents = 0;
let totalMs = 0;
let totalRuns = 0;
// warm-up: one run of the first scenario, so JIT compilation is not billed to it
await runSeed(loadScenario(files[0]!), 0);
for (const f of files) {
  const s = loadScenario(f);
  let events = 0;
  const t0 = performance.now();
  for (let seed = 1; seed <= seeds; seed++) events += (await runSeed(s, seed)).events;
  const ms = performance.now() - t0;
  totalEvents += events;
  totalMs += ms;
  totalRuns += seeds;
  console.log(
    [s.name.padEnd(16), String(events).padStart(11), ms.toFixed(0).padStart(11), (events / (ms / 1000)).toFixed(0).padStart(11), (seeds / (ms / 1000)).toFixed(1).padStart(11)].join(''),
  );
}
console.log(
  ['total'.padEnd(16), String(totalEvents).padStart(11), totalMs.toFixed(0).padStart(11), (totalEvents / (totalMs / 1000)).toFixed(0).padStart(11), (totalRuns / (totalMs / 1000)).toFixed(1).padStart(11)].join(''),
);
