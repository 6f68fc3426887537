/**
 * `mco merge`: shard reports → exactly the report one run of all their seeds
 * gives. Shard reports carry their per-seed records for this.
 */
import { provenanceMismatch } from './provenance.js';
import { ReportBuilder, type Report } from './report.js';

/** Reports that cannot be merged or compared. */
export class ReportMismatchError extends Error {
  override readonly name = 'ReportMismatchError';
}

/** Merges shard reports (any order) of one scenario into the full report. */
export function mergeReports(reports: readonly (Report & { file?: string })[]): Report {
  if (reports.length === 0) throw new ReportMismatchError('nothing to merge');
  const first = reports[0]!;
  for (const r of reports) {
    const name = r.file ?? r.scenario;
    if (r.schemaVersion !== 1) throw new ReportMismatchError(`${name}: schemaVersion ${String(r.schemaVersion)} is not supported (expected 1)`);
    if (r.perSeed === undefined) throw new ReportMismatchError(`${name}: has no per-seed data; merge takes reports written by mco run --shard i/n`);
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
  for (const r of sorted) {
    for (const rec of r.perSeed!) builder.add(rec);
    wallMs += r.wallMs;
  }
  const merged = builder.build(wallMs);
  // the first shard's: the others' may differ only in where and when they ran
  if (sorted[0]!.provenance !== undefined) merged.provenance = sorted[0]!.provenance;
  return merged;
}
