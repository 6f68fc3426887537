/**
 * What a report keeps of one seed's run. A module of its own (types and one
 * function, no dependencies at run time) so that a worker thread, which only
 * turns runs into records, does not load the report's scenario hashing and
 * with it the YAML parser and the schema library: that was about half of a
 * worker's start-up.
 */
import type { RunResult } from '../run.js';

/** What a report keeps of one seed's run: enough to rebuild the report exactly (`mco merge`). */
export type SeedRecord = Omit<RunResult, 'trace' | 'firstViolation'>;

/** Keeps the fields of a run result that go into a {@link SeedRecord}. */
export function seedRecord(r: RunResult): SeedRecord {
  const { trace: _t, firstViolation: _f, ...rest } = r;
  return rest;
}
