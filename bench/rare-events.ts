/**
 * Rare-event estimation by importance sampling (docs/rare-events.md) on the
 * scenarios of scenarios/rare/: for each, the hand-picked proposal of its
 * `importance:` block and the cross-entropy search's (`auto`), each with the
 * estimate per acquisition, its 95% CI's relative half-width, ESS and CPU
 * time (user + sys of the whole process, worker threads included; `auto`
 * starts from the scenario's faults, ignoring the block); then what
 * plain Monte Carlo would need for the same precision, extrapolated from a
 * measured per-seed cost. A benchmark, not a test: numbers go to
 * docs/benchmarks.md with the load average they were taken at.
 *
 *   npm run bench:rare [-- --seeds 3000 --workers 2 --plain 300]
 */
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runImportance, type ImportanceMode } from '../sim/importance/run-importance.js';
import { runScenario } from '../sim/runner.js';
import { loadScenario } from '../sim/scenario.js';

const { values } = parseArgs({ options: { seeds: { type: 'string', default: '3000' }, workers: { type: 'string', default: '2' }, plain: { type: 'string', default: '300' }, only: { type: 'string' } } });
const seeds = Number(values.seeds);
const workers = Number(values.workers);
const plainSeeds = Number(values.plain);
const names = values.only?.split(',') ?? ['lakefs-pauses', 'lakefs-pauses-offsets', 'lakefs-pauses-1e-9'];
const Z95 = 1.959963984540054;
const TARGET = 0.3; // relative CI half-width

const cpuSeconds = (since: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
};
const load = (): string => loadavg().map((x) => x.toFixed(1)).join(' ');

console.log(`machine: ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}, node ${process.version}; ${seeds} final seeds, ${workers} workers; load ${load()}`);
for (const name of names) {
  const file = join(import.meta.dirname, '../scenarios/rare', `${name}.yaml`);
  const s = loadScenario(file);
  // plain Monte Carlo's cost per seed, on one thread
  let c0 = process.cpuUsage();
  const plain = await runScenario(s, { seeds: plainSeeds, seedStart: 1, workers: 1 });
  const perSeedCpu = cpuSeconds(c0) / plainSeeds;
  const acqPerSeed = plain.acquisitions / plain.runs;
  console.log(`\n${name}: plain Monte Carlo ${plainSeeds} seeds: ${plain.runsWithViolation} with a violation; ${(perSeedCpu * 1000).toFixed(2)} ms CPU and ${acqPerSeed.toFixed(1)} acquisitions per seed`);
  for (const mode of ['scenario', 'auto'] as ImportanceMode[]) {
    c0 = process.cpuUsage();
    const t0 = performance.now();
    const before = load();
    // auto starts from the scenario's own faults, not from its hand-picked block: two independent proposals
    const { importance: _hand, ...fresh } = s;
    const r = await runImportance(file, mode === 'auto' ? fresh : s, mode, { seeds, seedStart: 1, workers });
    const cpu = cpuSeconds(c0);
    const wall = (performance.now() - t0) / 1000;
    const imp = r.importance!;
    const a = imp.perAcquisitionViolationRate;
    const search = imp.search as { runs: number; steps: unknown[]; converged: boolean } | undefined;
    // plain MC: violations per acquisition are ~Poisson per run, so seeds ≈ (z / target)² / (rate · acquisitions per seed)
    const plainSeedsNeeded = (Z95 / TARGET) ** 2 / (a.value * acqPerSeed);
    console.log(
      `  ${mode.padEnd(8)} per acquisition ${a.value.toExponential(2)} [${a.low.toExponential(2)}, ${a.high.toExponential(2)}] ±${(a.relHalfWidth * 100).toFixed(0)}%; ` +
        `runs ${r.runs}${search ? ` + ${search.runs} pilot (${search.steps.length} batches${search.converged ? '' : ', not converged'})` : ''}; ` +
        `ESS ${imp.ess.toFixed(0)}, behind violations ${imp.essViolations.toFixed(1)}, max share ${(imp.maxWeightShare * 100).toFixed(1)}%; ` +
        `CPU ${cpu.toFixed(1)} s, wall ${wall.toFixed(1)} s, load ${before} → ${load()}${imp.warnings.length ? `; warnings: ${imp.warnings.join(' | ')}` : ''}`,
    );
    console.log(`           plain MC for ±${TARGET * 100}% at this rate: ${plainSeedsNeeded.toExponential(2)} seeds ≈ ${((plainSeedsNeeded * perSeedCpu) / 3600).toExponential(2)} CPU hours`);
    if (mode === 'auto') console.log(`           proposal: ${JSON.stringify(imp.proposal)}`);
  }
}
