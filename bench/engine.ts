/**
 * The two simulation engines side by side: events/s, runs/s, events/run and
 * peak memory on the scenario library; growth with nodes and keys on a
 * generated scenario; memory over a long run with 50 nodes (heap after a
 * forced GC at 1/12, 1/6, 1/3, 2/3 and the end of the run: 5, 10, 20, 40 and
 * 60 minutes of the default hour); and the `mco run` command itself on 1 and
 * 2 worker threads. A benchmark, not a test: numbers go to
 * docs/benchmarks.md with the machine and the command.
 *
 * Every measurement runs in a fresh child process (so peak RSS is that
 * measurement's own, and each engine's wrappers never slow the other), the
 * engines alternating, each measurement `--rounds` times; a table shows the
 * fastest round of each (on a shared machine the fastest round is the one
 * least disturbed) and the fast/reference ratio.
 *
 *   npm run bench:engine [-- --seeds 5 --rounds 2 --long 3600s --cli-seeds 1000 --cli-set duration=60s --only library,nodes,keys,long,cli]
 *
 * The hour-long run takes most of the time (≈ 40 M events); `--long 600s`
 * shrinks it, `--only` picks parts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { EngineKind } from '../sim/engines.js';
import { runSeed } from '../sim/run.js';
import { loadScenario, parseScenario, scenarioFiles, type Scenario } from '../sim/scenario.js';

interface Job {
  /** A scenario file, or a generated scenario (nodes, keys, duration). */
  file?: string;
  generated?: { nodes: number; keys: number; duration: string };
  seeds: number;
  engine: EngineKind;
  /** Sample memory (after a forced GC) at these true times (ms) of the run, and at its end. */
  memoryAtMs?: number[];
}

/** Memory at one instant of a long run. */
interface MemorySample {
  atMs: number;
  wallMs: number;
  heapUsedMb: number;
  rssMb: number;
}

interface Measured {
  events: number;
  runs: number;
  wallMs: number;
  cpuMs: number;
  maxRssMb: number;
  heapUsedMb: number;
  memory?: MemorySample[];
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
      // the hour-long 50-node run delivers ≈ 42 M events: the default budget (20 M) is for the library
      maxEvents: 200_000_000,
    },
    '<generated>',
  );
}

const ROOT = join(import.meta.dirname, '..');

async function child(job: Job): Promise<void> {
  const scenario = job.file === undefined ? generated(job.generated!) : loadScenario(job.file);
  const t0 = performance.now();
  const memory: MemorySample[] = [];
  const sample = (atMs: number): void => {
    (globalThis as { gc?: () => void }).gc?.(); // the bench runs memory children with --expose-gc
    const m = process.memoryUsage();
    memory.push({ atMs, wallMs: performance.now() - t0, heapUsedMb: m.heapUsed / 2 ** 20, rssMb: m.rss / 2 ** 20 });
  };
  if (job.memoryAtMs === undefined) await runSeed(scenario, 0, { engine: job.engine }); // warm-up: JIT compilation is not billed
  const c0 = process.cpuUsage();
  let events = 0;
  for (let seed = 1; seed <= job.seeds; seed++) {
    const checkpoints = job.memoryAtMs === undefined ? {} : { checkpoints: { atMs: job.memoryAtMs, fn: sample } };
    const result = await runSeed(scenario, seed, { engine: job.engine, ...checkpoints });
    events += result.events;
    if (job.memoryAtMs !== undefined) sample(scenario.durationMs); // the result (every exact sample of the run) is still alive here
  }
  const c = process.cpuUsage(c0);
  const out: Measured = {
    events,
    runs: job.seeds,
    wallMs: performance.now() - t0,
    cpuMs: (c.user + c.system) / 1000,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20,
    ...(job.memoryAtMs === undefined ? {} : { memory }),
  };
  process.stdout.write(JSON.stringify(out));
}

function measure(job: Job): Measured {
  const flags = job.memoryAtMs === undefined ? [] : ['--expose-gc'];
  const out = execFileSync(process.execPath, [...flags, '--import', 'tsx', import.meta.filename, '--child', JSON.stringify(job)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out) as Measured;
}

/** What one `mco run` cost. */
interface CommandRun {
  wallMs: number;
  /** User + system CPU of the command's process, all its threads (NaN where /proc is missing). */
  cpuMs: number;
  traceHash: string;
  events: number;
}

/**
 * CPU time (ms) of this process's waited-for children so far: `cutime` +
 * `cstime` of /proc/self/stat (Linux; clock ticks of 10 ms), NaN elsewhere.
 * A child's figure covers all its threads, worker threads and GC helpers too.
 */
function childrenCpuMs(): number {
  try {
    // the command name (field 2) may hold spaces; the fields after its ')' are 3, 4, ...
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return NaN;
  }
}

/**
 * Wall and CPU time of the `mco` command itself on the built code (dist/),
 * seeds on `workers` threads; also returns the report's trace hash, which
 * must not depend on the worker count.
 */
function mcoRun(scenario: string, seeds: number, workers: number, sets: readonly string[]): CommandRun {
  const dir = mkdtempSync(join(tmpdir(), 'bench-engine-'));
  const json = join(dir, 'report.json');
  const c0 = childrenCpuMs();
  const t0 = performance.now();
  const args = ['run', scenario, '--seeds', String(seeds), '--workers', String(workers), ...sets.flatMap((s) => ['--set', s]), '--json', json];
  execFileSync(process.execPath, [join(ROOT, 'sim/dist/mco.js'), ...args], { stdio: 'ignore' });
  const wallMs = performance.now() - t0;
  const cpuMs = childrenCpuMs() - c0;
  const report = JSON.parse(readFileSync(json, 'utf8')) as { traceHash: string; events: number };
  rmSync(dir, { recursive: true, force: true });
  return { wallMs, cpuMs, traceHash: report.traceHash, events: report.events };
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
      rounds: { type: 'string', default: '2' },
      long: { type: 'string', default: '3600s' },
      'cli-seeds': { type: 'string', default: '1000' },
      /** `--set` overrides for the command part, e.g. `--cli-set duration=60s --cli-set nodes=5` (the issue's scenario). */
      'cli-set': { type: 'string', multiple: true, default: [] },
      only: { type: 'string', default: 'library,nodes,keys,long,cli' },
    },
  });
  if (values.child !== undefined) return child(JSON.parse(values.child) as Job);
  const seeds = Number(values.seeds);
  const rounds = Number(values.rounds);
  const parts = new Set(values.only.split(','));
  console.log(`Machine: nproc ${cpus().length}, ${cpus()[0]?.model ?? 'unknown'}, node ${process.version}; ${new Date().toISOString().slice(0, 10)}`);
  console.log(
    `Command: npm run bench:engine -- --seeds ${seeds} --rounds ${rounds} --long ${values.long} --cli-seeds ${values['cli-seeds']}${values['cli-set'].map((s) => ` --cli-set ${s}`).join('')} --only ${values.only} (each cell: fastest of ${rounds} rounds, engines alternating, one child process per measurement, one thread)\n`,
  );

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
    // one run, memory sampled after a forced GC at 1/12, 1/6, 1/3 and 2/3 of it and at its end (with its result alive)
    const durationMs = parseScenario({ duration: values.long, nodes: 1 }, '<long>').durationMs;
    const atMs = [1 / 12, 1 / 6, 1 / 3, 2 / 3].map((f) => Math.round(durationMs * f));
    const m = measure({ generated: { nodes: 50, keys: 50, duration: values.long }, seeds: 1, engine: 'fast', memoryAtMs: atMs });
    const rows = m.memory!.map((p) => [fmt(p.atMs / 60_000, 1), fmt(p.wallMs / 1000, 1), fmt(p.heapUsedMb, 1), fmt(p.rssMb)]);
    console.log(
      `**Memory over a long run** (fast engine, generated: 50 nodes over 50 keys, ${values.long} simulated, 1 seed, ${fmt(m.events)} events, ${fmt(perS(m.events, m.wallMs))} events/s, ${fmt(perS(m.events, m.cpuMs))} events/CPU-s, peak RSS ${fmt(m.maxRssMb)} MB; heap used after a forced GC)\n`,
    );
    console.log(table(['simulated min', 'wall s', 'heap used MB', 'RSS MB'], rows), '\n');
  }
  if (parts.has('cli')) {
    // the command a user runs, on the built code, on 1 and on 2 worker threads, alternating
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'ignore' });
    const n = Number(values['cli-seeds']);
    const scenario = join(ROOT, 'scenarios/healthy.yaml');
    const sets = values['cli-set'];
    const best = new Map<number, CommandRun>();
    const leastCpu = new Map<number, number>();
    for (let r = 0; r < rounds; r++) {
      for (const workers of r % 2 === 0 ? [1, 2] : [2, 1]) {
        const m = mcoRun(scenario, n, workers, sets);
        const prev = best.get(workers);
        if (prev !== undefined && prev.traceHash !== m.traceHash) throw new Error(`trace hash changed between rounds: ${prev.traceHash} vs ${m.traceHash}`);
        if (prev === undefined || m.wallMs < prev.wallMs) best.set(workers, m);
        leastCpu.set(workers, Math.min(leastCpu.get(workers) ?? Infinity, m.cpuMs));
      }
    }
    const one = best.get(1)!;
    const rows = [...best.entries()]
      .sort(([a], [b]) => a - b)
      .map(([workers, m]) => [
        String(workers),
        fmt(m.wallMs / 1000, 2),
        fmt(m.cpuMs / 1000, 2),
        fmt(leastCpu.get(workers)! / 1000, 2),
        fmt(perS(n, m.wallMs), 1),
        fmt(perS(m.events, m.wallMs)),
        `${fmt(one.wallMs / m.wallMs, 2)}×`,
        m.traceHash,
      ]);
    const setText = sets.map((s) => ` --set ${s}`).join('');
    console.log(
      `**The command** (\`node sim/dist/mco.js run scenarios/healthy.yaml --seeds ${n} --workers W${setText} --json …\`, wall time including start-up, fastest of ${rounds} rounds, alternating; CPU = user + system of the whole process)\n`,
    );
    console.log(table(['workers', 'wall s', 'CPU s (that round)', 'least CPU s', 'runs/s', 'events/s', 'speed-up', 'report traceHash'], rows), '\n');
  }
}

await main();
