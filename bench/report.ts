/**
 * The report's cost on the main thread after the workers have finished:
 * `ReportBuilder.build` (bootstrap intervals over runs, latency summaries)
 * on synthetic runs shaped like the issue-15 command's (healthy, 60 s, 5
 * nodes: ≈ 1,360 acquisitions and 1,300 handoffs per run). A benchmark, not a
 * test: numbers go to docs/benchmarks.md with the machine and the command.
 *
 *   npm run bench:report [-- --runs 1000 --acquisitions 1360 --handoffs 1300 --rounds 3]
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { sfc32 } from '../sim/prng.js';
import { ReportBuilder, type SeedRecord } from '../sim/report/report.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '1000' }, acquisitions: { type: 'string', default: '1360' }, handoffs: { type: 'string', default: '1300' }, rounds: { type: 'string', default: '3' } },
});
const runs = Number(values.runs);
const rng = sfc32(15, 2026);
// latencies rounded to the µs as the simulator's are, with ties between runs
const ms = (scale: number): number => Math.round(rng.next() * rng.next() * scale * 1000) / 1000;
const records: SeedRecord[] = Array.from({ length: runs }, (_, i) => ({
  seed: i + 1,
  acquisitions: Number(values.acquisitions),
  violations: 0,
  told: 0,
  overlapsMs: [],
  maxSimultaneousOwners: 1,
  heldMs: 50_000,
  acquireLatenciesMs: Array.from({ length: Number(values.acquisitions) }, () => ms(2000)),
  handoffsMs: Array.from({ length: Number(values.handoffs) }, () => ms(50)),
  failoversMs: [],
  pendingOwnAgesMs: [],
  marginMs: null,
  events: 0,
  simulatedMs: 60_000,
  resourceWrites: 0,
  rejectedWrites: 0,
  staleEffects: 0,
  storeReads: 0,
  storeWrites: 0,
  ops: { completed: 0, failed: 0, attempts: 0, workMs: 0, wastedMs: 0, latenciesMs: [] },
  notifications: { sent: 0, delivered: 0, lost: 0 },
  traceHash: '0',
  logWeight: 0,
  weight: 1,
}));

console.log(`machine: ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}, node ${process.version}; ${runs} runs`);
for (let round = 1; round <= Number(values.rounds); round++) {
  const builder = new ReportBuilder({ scenario: 'synthetic', scenarioHash: '0', description: '', strategy: 'lakefs' }, 1);
  for (const r of records) builder.add(r);
  const wall = performance.now();
  const cpu = process.cpuUsage();
  const report = builder.build(0);
  const used = process.cpuUsage(cpu);
  console.log(
    `round ${round}: build ${(performance.now() - wall).toFixed(0)} ms wall, ${((used.user + used.system) / 1000).toFixed(0)} ms CPU; acquire p99 ${report.acquireLatencyMs?.p99} [${report.acquireLatencyMs?.ci95.p99.join(', ')}]`,
  );
}
