/**
 * PostgreSQL: this library's fast path (fixed speculating: one `swap`
 * statement to acquire and one to release, each on a guess) against fixed
 * with fastPath: false (every decision on a read: SELECT + `swap` statement,
 * twice; the equivalent of the old generic get + setIf path, which the
 * `× generic path` column still divides by) and lakeFS's algorithm as
 * specified (also get + swap, twice), uncontended, on one real PostgreSQL in
 * one run, rounds interleaved. Not part of `npm test`.
 *
 *   npm run bench:postgres
 *
 * Uses DATABASE_URL when set, otherwise starts a throwaway PostgreSQL.
 */
import { cpus } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { MostlyCorrectOwner, fixedStrategy, lakefsStrategy } from '../src/index.js';
import { PostgresStore } from '../src/postgres.js';
import { startPostgres, type ThrowawayServer } from '../test/helpers/servers.js';

const CYCLES = Number(process.env.BENCH_CYCLES ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROWS = ['fixed, fast path', 'fixed, fastPath: false', 'lakefs'] as const;
type Row = (typeof ROWS)[number];

const now = (): number => performance.timeOrigin + performance.now();

async function round(row: Row, url: string): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on('error', () => {});
  const store = new PostgresStore({ pool });
  const owners = new MostlyCorrectOwner({
    store,
    prefix: 'bench',
    refreshInterval: 1000,
    acquireInterval: 10,
    strategy: row === 'lakefs' ? lakefsStrategy : fixedStrategy,
    fastPath: row === 'fixed, fast path',
  });
  const key = `uncontended-${row}-${process.pid}`;
  for (let i = 0; i < 100; i++) await (await owners.own('bench', key)).release();
  const start = now();
  for (let i = 0; i < CYCLES; i++) await (await owners.own('bench', key)).release();
  const rate = (CYCLES / (now() - start)) * 1000;
  await store.close();
  await pool.end();
  return rate;
}

async function main(): Promise<void> {
  let server: ThrowawayServer | undefined;
  const url = process.env.DATABASE_URL || (server = await startPostgres()).url;
  try {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => {});
    await client.connect();
    const version = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? '?';
    await client.end();
    const rates = new Map<Row, number[]>(ROWS.map((r) => [r, []]));
    for (const row of ROWS) await round(row, url); // warm-up
    for (let r = 0; r < ROUNDS; r++) {
      for (const row of ROWS) {
        const rate = await round(row, url);
        rates.get(row)!.push(rate);
        console.error(`round ${r + 1}/${ROUNDS} ${row}: ${rate.toFixed(0)} cycles/s`);
      }
    }
    const best = (row: Row): number => Math.max(...rates.get(row)!);
    const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
    const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
    console.log(
      [
        `Command: \`npm run bench:postgres\` (a warm-up round, then ${ROUNDS} interleaved rounds × ${CYCLES} uncontended own + release cycles, a pool of 4 connections).`,
        `Machine: nproc ${cpus().length}, ${model.trim()}, node ${process.version}, PostgreSQL ${version} on loopback.`,
        '',
        '| mostly-correct-owner | best cycles/s | × generic path | median | range |',
        '|---|---:|---:|---:|---:|',
        ...ROWS.map((row) => {
          const sorted = [...rates.get(row)!].sort((a, b) => a - b);
          return `| ${row} | ${best(row).toFixed(0)} | ${(best(row) / best('fixed, fastPath: false')).toFixed(2)} | ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} | ${sorted[0]!.toFixed(0)}–${sorted.at(-1)!.toFixed(0)} |`;
        }),
      ].join('\n'),
    );
  } finally {
    await server?.stop();
  }
}

await main();
