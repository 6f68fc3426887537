/**
 * The two simulation engines side by side: events/s, runs/s, events/run and
 * peak memory on the scenario library; growth with nodes and keys on a
 * generated scenario; memory over a long run with 50 nodes. A benchmark, not
 * a test: numbers go to docs/benchmarks.md with the machine and the command.
 *
 * Every measurement runs in a fresh child process (so peak RSS is that
 * measurement's own, and each engine's wrappers never slow the other), the
 * engines alternating, each measurement `--rounds` times; a table shows the
 * fastest round of each (on a shared machine the fastest round is the one
 * least disturbed) and the fast/reference ratio.
 *
 *   npm run bench:engine [-- --seeds 5 --rounds 3 --long 600s]
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { scenarioFiles } from '../sim/cli.js';
import type { EngineKind } from '../sim/engines.js';
import { runSeed } from '../sim/run.js';
import { loadScenario, parseScenario, type Scenario } from '../sim/scenario.js';

interface Job {
  /** A scenario file, or a generated scenario (nodes, keys, duration). */
  file?: string;
  generated?: { nodes: number; keys: number; duration: string };
  seeds: number;
  engine: EngineKind;
}

interface Measured {
  events: number;
  runs: number;
  wallMs: number;
  cpuMs: number;
  maxRssMb: number;
  heapUsedMb: number;
}

/** The generated scenario: the library's `many-keys` shape with `nodes` nodes over `keys` keys. */
function generated(g: NonNullable<Job['generated']>): Scenario {
  return parseScenario(
    {
      name: `generated-${g.nodes}n-${g.keys}k`,
      duration: g.duration,
      owner: { strategy: 'lakefs', acquireInterval: '5ms', refreshInterval: '40ms' },
      nodes: g.nodes,
      keys: g.keys,
      workload: { think: { dist: 'exponential', mean: '10ms' }, hold: { dist: 'uniform', min: '5ms', max: '50ms' } },
      faults: { clock: { offset: { dist: 'uniform', min: '-1ms', max: '1ms' } }, store: { latency: { dist: 'uniform', min: '0.1ms', max: '2ms' } } },
    },
    '<generated>',
  );
}

async function child(job: Job): Promise<void> {
  const scenario = job.file === undefined ? generated(job.generated!) : loadScenario(job.file);
  await runSeed(scenario, 0, { engine: job.engine }); // warm-up: JIT compilation is not billed
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let events = 0;
  for (let seed = 1; seed <= job.seeds; seed++) events += (await runSeed(scenario, seed, { engine: job.engine })).events;
  const c = process.cpuUsage(c0);
  const out: Measured = {
    events,
    runs: job.seeds,
    wallMs: performance.now() - t0,
    cpuMs: (c.user + c.system) / 1000,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20,
  };
  process.stdout.write(JSON.stringify(out));
}

function measure(job: Job): Measured {
  const out = execFileSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--child', JSON.stringify(job)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out) as Measured;
}

/** Runs `job` on both engines `rounds` times, alternating; keeps each engine's fastest round. */
function both(job: Omit<Job, 'engine'>, rounds: number): Record<EngineKind, Measured> {
  const best: Partial<Record<EngineKind, Measured>> = {};
  for (let r = 0; r < rounds; r++) {
    for (const engine of (r % 2 === 0 ? ['reference', 'fast'] : ['fast', 'reference']) as EngineKind[]) {
      const m = measure({ ...job, engine });
      const prev = best[engine];
      if (prev === undefined || m.wallMs < prev.wallMs) best[engine] = { ...m, maxRssMb: Math.max(m.maxRssMb, prev?.maxRssMb ?? 0) };
      else prev.maxRssMb = Math.max(prev.maxRssMb, m.maxRssMb);
    }
  }
  return best as Record<EngineKind, Measured>;
}

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const perS = (n: number, ms: number): number => n / (ms / 1000);

function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const lines = cells.map((r) => `| ${r.join(' | ')} |`);
  lines.splice(1, 0, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  return lines.join('\n');
}

function row(label: string, m: Record<EngineKind, Measured>): (string | number)[] {
  const ref = m.reference;
  const fast = m.fast;
  return [
    label,
    fmt(fast.events / fast.runs),
    fmt(perS(ref.events, ref.wallMs)),
    fmt(perS(fast.events, fast.wallMs)),
    `${fmt(ref.wallMs / fast.wallMs, 2)}×`,
    `${fmt(perS(ref.events, ref.cpuMs))} / ${fmt(perS(fast.events, fast.cpuMs))}`,
    fmt(perS(fast.runs, fast.wallMs), 1),
    `${fmt(ref.maxRssMb)} / ${fmt(fast.maxRssMb)}`,
  ];
}
const HEAD = ['scenario', 'events/run', 'reference events/s', 'fast events/s', 'fast/reference', 'events/CPU-s ref / fast', 'fast runs/s', 'peak RSS MB ref / fast'];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      seeds: { type: 'string', default: '5' },
      rounds: { type: 'string', default: '3' },
      long: { type: 'string', default: '600s' },
      only: { type: 'string', default: 'library,nodes,keys,long' },
    },
  });
  if (values.child !== undefined) return child(JSON.parse(values.child) as Job);
  const seeds = Number(values.seeds);
  const rounds = Number(values.rounds);
  const parts = new Set(values.only.split(','));
  console.log(`Machine: nproc ${cpus().length}, ${cpus()[0]?.model ?? 'unknown'}, node ${process.version}; ${new Date().toISOString().slice(0, 10)}`);
  console.log(`Command: npm run bench:engine -- --seeds ${seeds} --rounds ${rounds} --long ${values.long} (each cell: fastest of ${rounds} rounds, engines alternating, one child process per measurement, one thread)\n`);

  if (parts.has('library')) {
    const files = scenarioFiles([join(import.meta.dirname, '../scenarios')]);
    const rows: (string | number)[][] = [];
    const total = { reference: { events: 0, wallMs: 0, cpuMs: 0 }, fast: { events: 0, wallMs: 0, cpuMs: 0, runs: 0 } };
    for (const file of files) {
      const m = both({ file, seeds }, rounds);
      rows.push(row(file.split('/').at(-1)!.replace(/\.yaml$/, ''), m));
      total.reference.events += m.reference.events;
      total.reference.wallMs += m.reference.wallMs;
      total.reference.cpuMs += m.reference.cpuMs;
      total.fast.events += m.fast.events;
      total.fast.wallMs += m.fast.wallMs;
      total.fast.cpuMs += m.fast.cpuMs;
      total.fast.runs += m.fast.runs;
    }
    rows.push([
      '**total**',
      fmt(total.fast.events / total.fast.runs),
      fmt(perS(total.reference.events, total.reference.wallMs)),
      fmt(perS(total.fast.events, total.fast.wallMs)),
      `${fmt(total.reference.wallMs / total.fast.wallMs, 2)}×`,
      `${fmt(perS(total.reference.events, total.reference.cpuMs))} / ${fmt(perS(total.fast.events, total.fast.cpuMs))}`,
      fmt(perS(total.fast.runs, total.fast.wallMs), 1),
      '',
    ]);
    console.log(`**Scenario library** (${seeds} seeds per scenario)\n`);
    console.log(table(HEAD, rows), '\n');
  }
  if (parts.has('nodes')) {
    const rows = [2, 4, 8, 16, 32, 64].map((nodes) => row(`${nodes} nodes, 16 keys`, both({ generated: { nodes, keys: 16, duration: '5s' }, seeds: 1 }, rounds)));
    console.log('**Growth with nodes** (generated: the many-keys shape, 16 keys, 5 s simulated, 1 seed)\n');
    console.log(table(['run', ...HEAD.slice(1)], rows), '\n');
  }
  if (parts.has('keys')) {
    const rows = [1, 10, 100, 1000].map((keys) => row(`8 nodes, ${keys} keys`, both({ generated: { nodes: 8, keys, duration: '5s' }, seeds: 1 }, rounds)));
    console.log('**Growth with keys** (generated: the many-keys shape, 8 nodes, 5 s simulated, 1 seed)\n');
    console.log(table(['run', ...HEAD.slice(1)], rows), '\n');
  }
  if (parts.has('long')) {
    const long = values.long;
    const durations = ['60s', long];
    const rows: (string | number)[][] = [];
    for (const duration of durations) {
      const m = measure({ generated: { nodes: 50, keys: 50, duration }, seeds: 1, engine: 'fast' });
      rows.push([`50 nodes, 50 keys, ${duration}`, fmt(m.events), fmt(perS(m.events, m.wallMs)), fmt(m.maxRssMb), fmt(m.heapUsedMb, 1)]);
    }
    console.log(`**Memory over a long run** (fast engine, generated: 50 nodes over 50 keys, 1 seed; peak RSS of the whole process, heap used at the end)\n`);
    console.log(table(['run', 'events', 'events/s', 'peak RSS MB', 'heap used at end MB'], rows), '\n');
  }
}

await main();
