/**
 * The owner's own CPU cost per uncontended own + release cycle, on
 * `MemoryStore` (no I/O: what is left is the library), for the fast path
 * (fixed speculating: a swap on a guess each to acquire and release), fixed
 * with fastPath: false (a get + swap each: the old generic get + setIf path's
 * equivalent now that the owner always writes with swap) and lakeFS's
 * algorithm (get + swap each); rounds interleaved, best round kept.
 * Measured as process CPU time (`process.cpuUsage`), which a loaded machine
 * disturbs much less than wall time.
 * Not part of `npm test`.
 *
 *   npm run bench:owner-cpu
 */
import { cpus } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import { MemoryStore, MostlyCorrectOwner, fixedStrategy, lakefsStrategy } from '../src/index.js';

const CYCLES = Number(process.env.BENCH_CYCLES ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROWS = [
  ['fixed, fast path (1 swap + 1 swap)', fixedStrategy, true],
  ['fixed, fastPath: false (get + swap, twice)', fixedStrategy, false],
  ['lakefs (get + swap, twice)', lakefsStrategy, false],
] as const;

async function round(strategy: (typeof ROWS)[number][1], fastPath: boolean, cycles: number): Promise<number> {
  const owners = new MostlyCorrectOwner({ store: new MemoryStore(), prefix: 'bench', acquireInterval: 10, refreshInterval: 1000, strategy, fastPath });
  // CPU time of this process (user + system), not wall time: other processes on a shared machine
  // slow the wall clock down far more than they change the CPU a cycle needs
  const start = process.cpuUsage();
  for (let i = 0; i < cycles; i++) await (await owners.own('bench', 'k')).release();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / cycles;
}

const best = new Map<string, number>();
for (const [, strategy, fastPath] of ROWS) await round(strategy, fastPath, 3000); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, strategy, fastPath] of ROWS) {
    const us = await round(strategy, fastPath, CYCLES);
    best.set(name, Math.min(best.get(name) ?? Infinity, us));
    console.error(`round ${r + 1}/${ROUNDS} ${name}: ${us.toFixed(1)} µs/cycle`);
  }
}
const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
console.log(
  [
    `Command: \`npm run bench:owner-cpu\` (a warm-up round, then ${ROUNDS} interleaved rounds × ${CYCLES} cycles; best round).`,
    `Machine: nproc ${cpus().length}, ${model.trim()}, node ${process.version}.`,
    '',
    '| MemoryStore, own + release | CPU µs per cycle (best round) |',
    '|---|---:|',
    ...ROWS.map(([name]) => `| ${name} | ${best.get(name)!.toFixed(1)} |`),
  ].join('\n'),
);
