/**
 * `--runs-out`: one row per run. The rows must add up to the report's
 * aggregates (they are the same runs), be byte-identical on any worker count,
 * and carry every per-run number a seed record has.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../sim/cli.js';
import { hashString } from '../../sim/prng.js';
import { seedRecord } from '../../sim/report/report.js';
import { NOT_COLUMNS, paramCell, RUN_COLUMNS } from '../../sim/report/runs.js';
import { runsFormat } from '../../sim/report/runs-file.js';
import { runSeed } from '../../sim/run.js';
import { loadScenario } from '../../sim/scenario.js';
import { capture } from '../helpers/capture.js';

const ROOT = join(import.meta.dirname, '../..');
const lib = (name: string): string => join(ROOT, 'scenarios', `${name}.yaml`);
const dir = mkdtempSync(join(tmpdir(), 'mco-runs-'));
const out = (name: string): string => join(dir, name);
const readJson = (f: string): Record<string, any> => JSON.parse(readFileSync(f, 'utf8')) as Record<string, any>;
const ndjson = (f: string): Record<string, any>[] =>
  readFileSync(f, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, any>);

/** The report aggregates, recomputed from per-run rows. */
function aggregate(rows: readonly Record<string, any>[]) {
  const sum = (k: string): number => rows.reduce((a, r) => a + (r[k] as number), 0);
  let hash = 0x811c9dc5;
  for (const r of rows) hash = hashString(`${r.seed}:${r.trace_hash};`, hash);
  return {
    runs: rows.length,
    runsWithViolation: rows.filter((r) => r.violations > 0).length,
    acquisitions: sum('acquisitions'),
    violations: sum('violations'),
    maxSimultaneousOwners: Math.max(...rows.map((r) => r.max_owners as number)),
    overlapMax: Math.max(...rows.map((r) => r.overlap_max_ms as number)),
    overlapTotal: sum('overlap_total_ms'),
    told: sum('told'),
    reads: sum('store_reads'),
    writes: sum('store_writes'),
    events: sum('events'),
    traceHash: (hash >>> 0).toString(16).padStart(8, '0'),
  };
}

/** Rows and report agree; overlap totals to the rounding (1 µs per row and in the report). */
function expectSameAggregates(rows: readonly Record<string, any>[], report: Record<string, any>): void {
  const { overlapTotal: mine, ...fromRows } = aggregate(rows);
  const { overlapTotal: theirs, ...fromRep } = fromReport(report);
  expect(fromRows).toEqual(fromRep);
  expect(Math.abs(mine - theirs)).toBeLessThanOrEqual((rows.length + 1) * 0.0005 + 1e-9);
}

function fromReport(r: Record<string, any>) {
  return {
    runs: r.runs,
    runsWithViolation: r.runsWithViolation,
    acquisitions: r.acquisitions,
    violations: r.violations,
    maxSimultaneousOwners: r.maxSimultaneousOwners,
    overlapMax: r.overlapMs?.max ?? 0,
    overlapTotal: (r.overlapMs?.total ?? 0) as number,
    told: r.told,
    reads: r.storeOps.reads,
    writes: r.storeOps.writes,
    events: r.events,
    traceHash: r.traceHash,
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('--runs-out', () => {
  it('run: the rows add up to the report, with the --set values as columns', async () => {
    capture();
    const args = ['run', lib('clock-skew'), '--seeds', '6', '--workers', '1', '--set', 'owner.refreshInterval=0.02s', '--set', 'owner.strategy=lakefs'];
    expect(await main([...args, '--json', out('run.json'), '--runs-out', out('run.ndjson')])).toBe(0);
    const rows = ndjson(out('run.ndjson'));
    const report = readJson(out('run.json'));
    expect(report.violations).toBeGreaterThan(0); // so the overlap columns are exercised
    expectSameAggregates(rows, report);
    expect(rows.map((r) => r.seed)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(rows[0]).toMatchObject({ scenario: 'clock-skew', scenario_hash: report.scenarioHash, strategy: 'lakefs', 'owner.refreshInterval': 20, 'owner.strategy': 'lakefs' });
    expect(Object.keys(rows[0]!).slice(0, 6)).toEqual(['scenario', 'scenario_hash', 'strategy', 'owner.refreshInterval', 'owner.strategy', 'seed']);
    // the p99 of one seed's samples is never above the p99 of all of them by more than the max
    expect(Math.max(...rows.map((r) => r.acquire_p99_ms as number))).toBeLessThanOrEqual(report.acquireLatencyMs.max);
  }, 60_000);

  it('sweep: per cell, the rows add up to the cell report; the same file on 1 and 2 workers, in every format', async () => {
    capture();
    const args = ['sweep', lib('clock-skew'), '--vary', 'owner.refreshInterval=20ms,40ms', '--seeds', '4', '--set', 'duration=1s'];
    for (const ext of ['csv', 'ndjson', 'parquet']) {
      expect(await main([...args, '--workers', '1', '--runs-out', out(`w1.${ext}`), '--json', out('sweep.json')])).toBe(0);
      expect(await main([...args, '--workers', '2', '--runs-out', out(`w2.${ext}`)])).toBe(0);
      expect(readFileSync(out(`w2.${ext}`)).equals(readFileSync(out(`w1.${ext}`))), ext).toBe(true);
    }
    const rows = ndjson(out('w1.ndjson'));
    const sweep = readJson(out('sweep.json'));
    for (const cell of sweep.cells) {
      const mine = rows.filter((r) => r['owner.refreshInterval'] === paramCell(cell.labels[0]));
      expectSameAggregates(mine, cell.report);
    }
    // Parquet holds the same rows (integers as INT64, read back as bigint)
    const buf = readFileSync(out('w1.parquet'));
    const parquet = await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length) });
    const plain = parquet.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
    expect(plain).toEqual(rows);
    // CSV: same header, empty cells for missing values
    const csv = readFileSync(out('w1.csv'), 'utf8').trimEnd().split('\n');
    expect(csv[0]!.split(',')).toEqual(Object.keys(rows[0]!));
    expect(csv).toHaveLength(rows.length + 1);
    expect(csv[1]).toContain(',,'); // clock-skew has no crashes: failover columns are empty
  }, 120_000);

  it('compare: one block of rows per strategy, on the same seeds', async () => {
    capture();
    expect(await main(['compare', lib('gc-pause'), '--strategies', 'lakefs,fixed', '--seeds', '3', '--workers', '1', '--runs-out', out('cmp.jsonl'), '--json', out('cmp.json')])).toBe(0);
    const rows = ndjson(out('cmp.jsonl'));
    expect(rows.map((r) => `${r.strategy}:${r.seed}`)).toEqual(['lakefs:1', 'lakefs:2', 'lakefs:3', 'fixed:1', 'fixed:2', 'fixed:3']);
    for (const row of readJson(out('cmp.json')).rows) expectSameAggregates(rows.filter((r) => r.strategy === row.strategy), row.report);
  }, 60_000);

  it('a shard writes the rows of its own seeds', async () => {
    capture();
    expect(await main(['run', lib('healthy'), '--seeds', '5', '--shard', '2/2', '--workers', '1', '--runs-out', out('shard.csv')])).toBe(0);
    const seeds = readFileSync(out('shard.csv'), 'utf8').trimEnd().split('\n').slice(1).map((l) => Number(l.split(',')[3]));
    expect(seeds).toEqual([3, 4, 5]);
  }, 60_000);

  it('an unknown extension is one line and exit 2, before anything runs', async () => {
    const io = capture();
    expect(await main(['run', lib('healthy'), '--runs-out', out('runs.txt')])).toBe(2);
    expect(io.err()).toBe(`mco: --runs-out: expected a file ending in .csv, .ndjson, .jsonl, .parquet, got '${out('runs.txt')}'\n`);
    expect(runsFormat('a/B.CSV')).toBe('csv');
    expect(runsFormat('a.csv/b')).toBeUndefined();
  });

  it('every number a seed record carries is a column (or deliberately left out)', async () => {
    const s = loadScenario(lib('crash-failover'));
    const record = seedRecord(await runSeed(s, 1));
    const numeric = Object.entries(record)
      .filter(([, v]) => typeof v === 'number')
      .map(([k]) => k);
    // a column's getter reads the field: changing the field changes the cell
    for (const field of numeric) {
      if (field in NOT_COLUMNS) continue;
      const bumped = { ...record, [field]: (record as unknown as Record<string, number>)[field]! + 1 };
      const differs = RUN_COLUMNS.some((c) => c.get(bumped) !== c.get(record));
      expect(differs, `seed record field '${field}' is in no --runs-out column: add one line to RUN_COLUMNS (sim/report/runs.ts) or name it in NOT_COLUMNS`).toBe(true);
    }
  });

  it('parameters: durations and numbers become numbers (ms), anything else stays text', () => {
    expect(paramCell('80ms')).toBe(80);
    expect(paramCell('0.5s')).toBe(500);
    expect(paramCell('3')).toBe(3);
    expect(paramCell('lakefs')).toBe('lakefs');
    expect(paramCell('{dist: uniform, min: 0, max: 20ms}')).toBe('{dist: uniform, min: 0, max: 20ms}');
  });
});
