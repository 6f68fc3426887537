/**
 * `mco merge`: shard reports → exactly the report one run of all their seeds
 * gives. Shard reports carry their shard (i/n) and per-seed records for this.
 */
import { provenanceMismatch } from './provenance.js';
import { ReportBuilder, type Report, type SeedRecord } from './report.js';

/** Reports that cannot be merged or compared. */
export class ReportMismatchError extends Error {
  override readonly name = 'ReportMismatchError';
}

/** A report read from a file (the file names it in messages). */
export type FiledReport = Report & { file?: string };

/** Merges shard reports (any order) of one scenario into the full report. */
export function mergeReports(reports: readonly FiledReport[]): Report {
  return mergeWithRecords(reports).report;
}

/** {@link mergeReports}, also returning the per-seed records in seed order (for paired tests). */
export function mergeWithRecords(reports: readonly FiledReport[]): { report: Report; records: SeedRecord[] } {
  if (reports.length === 0) throw new ReportMismatchError('nothing to merge');
  const first = reports[0]!;
  for (const r of reports) {
    const name = r.file ?? r.scenario;
    if (r.schemaVersion !== 1) throw new ReportMismatchError(`${name}: schemaVersion ${String(r.schemaVersion)} is not supported (expected 1)`);
    if (r.perSeed === undefined) throw new ReportMismatchError(`${name}: has no per-seed data; merge takes reports written with --shard i/n`);
    if (r.scenarioHash !== first.scenarioHash || r.scenario !== first.scenario) {
      throw new ReportMismatchError(`${name}: is from scenario ${r.scenario} (${r.scenarioHash}), not ${first.scenario} (${first.scenarioHash})`);
    }
    if (r.partial) throw new ReportMismatchError(`${name}: is a partial (interrupted) run`);
  }
  const mismatch = provenanceMismatch(reports);
  if (mismatch !== undefined) throw new ReportMismatchError(mismatch);
  const sorted = [...reports].sort((a, b) => a.seeds.start - b.seeds.start);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur.seeds.start !== prev.seeds.start + prev.seeds.count) {
      throw new ReportMismatchError(
        `seeds do not line up: ${prev.seeds.start}..${prev.seeds.start + prev.seeds.count - 1} then ${cur.seeds.start}..${cur.seeds.start + cur.seeds.count - 1} (overlap or gap)`,
      );
    }
  }
  const builder = new ReportBuilder(
    { scenario: first.scenario, scenarioHash: first.scenarioHash, description: first.description, strategy: first.strategy },
    sorted[0]!.seeds.start,
  );
  let wallMs = 0;
  const records: SeedRecord[] = [];
  for (const r of sorted) {
    for (const rec of r.perSeed!) {
      builder.add(rec);
      records.push(rec);
    }
    wallMs += r.wallMs;
  }
  const merged = builder.build(wallMs);
  // the first shard's: the others' may differ only in where and when they ran
  if (sorted[0]!.provenance !== undefined) merged.provenance = sorted[0]!.provenance;
  return { report: merged, records };
}

/**
 * Checks that the shards of one group (one scenario, sweep cell or strategy;
 * named by `what`) are shards 1..n of one n, each exactly once, then merges
 * them.
 */
export function mergeShards(what: string, reports: readonly FiledReport[]): { report: Report; records: SeedRecord[] } {
  const seen = new Map<number, string>();
  let count: number | undefined;
  for (const r of reports) {
    const name = r.file ?? r.scenario;
    if (r.shard === undefined) throw new ReportMismatchError(`${name}: ${what} is not a shard (no shard i/n); merge takes reports written with --shard i/n`);
    count ??= r.shard.count;
    if (r.shard.count !== count) throw new ReportMismatchError(`${name}: ${what} is shard ${r.shard.index}/${r.shard.count}, but another file has it as one of ${count} shards`);
    const other = seen.get(r.shard.index);
    if (other !== undefined) throw new ReportMismatchError(`${what}: shard ${r.shard.index}/${count} is given twice (${other} and ${name})`);
    seen.set(r.shard.index, name);
  }
  const missing = Array.from({ length: count ?? 0 }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length > 0) {
    throw new ReportMismatchError(`${what}: shard${missing.length === 1 ? '' : 's'} ${missing.map((i) => `${i}/${count}`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing`);
  }
  return mergeWithRecords(reports);
}

/**
 * Groups `units` (reports with a key and a description) by key, in order of
 * first appearance, and merges each group's shards.
 */
export function mergeGroups<U>(
  units: readonly U[],
  key: (u: U) => string,
  what: (u: U) => string,
  report: (u: U) => FiledReport,
): { unit: U; report: Report; records: SeedRecord[] }[] {
  const groups = new Map<string, U[]>();
  for (const u of units) {
    const k = key(u);
    const g = groups.get(k);
    if (g) g.push(u);
    else groups.set(k, [u]);
  }
  return [...groups.values()].map((g) => ({ unit: g[0]!, ...mergeShards(what(g[0]!), g.map(report)) }));
}
