/** Options that several verbs declare the same way. */
import type { Argv } from 'yargs';
import { DEFAULT_ENGINE, ENGINE_KINDS } from '../engines.js';
import { RUNS_FORMATS, runsFormat } from '../report/runs-file.js';
import { DEFAULT_SEARCH } from '../importance/cross-entropy.js';
import { IMPORTANCE_MODES } from '../importance/run-importance.js';
import { defaultWorkers } from '../runner.js';
import { maxWallMs, UsageError } from './shared.js';

/** `--engine`: both engines give the same results; `reference` is the simple one to cross-check with. */
export const engineOption = {
  choices: ENGINE_KINDS,
  default: DEFAULT_ENGINE,
  describe: 'simulation engine: fast (quiescence detection) or reference (one setImmediate turn per event); same results',
} as const;

/** `--seeds`, `--seed-start`, `--workers`, `--engine`, `--set`: the options of every verb that runs seeds. */
export function runOptions<T>(y: Argv<T>) {
  return y
    .option('seeds', { type: 'number', describe: "seed count (default: the scenario's `seeds`)" })
    .option('seed-start', { type: 'number', default: 1, describe: 'first seed' })
    .option('workers', { type: 'number', default: defaultWorkers(), describe: 'worker threads (the report is the same for any count)' })
    .option('engine', engineOption)
    .option('set', { type: 'string', array: true, default: [] as string[], describe: 'override a scenario field: --set owner.refreshInterval=80ms (repeatable)' })
    .option('max-wall', {
      type: 'string',
      default: '1h',
      describe: 'refuse (exit 2, with the estimate) a run a short pilot projects past this wall time, e.g. 30m; 0 or none: no limit',
    })
    .check((a) => {
      if (a.seeds !== undefined && (!Number.isInteger(a.seeds) || a.seeds < 1)) throw new UsageError(`--seeds: expected a whole number ≥ 1, got ${String(a.seeds)}`);
      if (!Number.isSafeInteger(a['seed-start']) || a['seed-start'] < 0) throw new UsageError(`--seed-start: expected a whole number ≥ 0, got ${String(a['seed-start'])}`);
      maxWallMs(a['max-wall']);
      if (!Number.isInteger(a.workers) || a.workers < 1 || a.workers > 256) throw new UsageError(`--workers: expected a whole number from 1 to 256, got ${String(a.workers)}`);
      return true;
    });
}

/** `--runs-out F`: one row per run (seed) as CSV, NDJSON or Parquet by the extension (run, sweep, compare). */
export function runsOutOption<T>(y: Argv<T>) {
  return y
    .option('runs-out', {
      type: 'string',
      describe: `write one row per run (seed, parameters, strategy, violations, overlap, latencies, store ops, trace hash) as ${Object.keys(RUNS_FORMATS).join(', ')} by extension; see docs/analysis.md`,
    })
    .check((a) => {
      const f = a['runs-out'];
      if (f !== undefined && runsFormat(f) === undefined) {
        throw new UsageError(`--runs-out: expected a file ending in ${Object.keys(RUNS_FORMATS).join(', ')}, got '${f}'`);
      }
      return true;
    });
}

/** `--shard` and `--shards`: run part i of n of the seeds, for `mco merge` (docs/scale-out.md). */
export function shardOptions<T>(y: Argv<T>) {
  return y
    .option('shard', {
      type: 'string',
      describe: 'run only part i of n of the seeds (i/n), or auto: i/n from JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID or MCO_SHARD_INDEX; combine the parts with mco merge',
    })
    .option('shards', { type: 'number', describe: 'with --shard auto: the shard count when the environment gives only the index (Kubernetes)' });
}

/**
 * `--importance`, `--ce-batch`, `--ce-iterations`: rare-event estimation by
 * importance sampling (docs/rare-events.md), for the verbs that run seeds.
 */
export function importanceOptions<T>(y: Argv<T>) {
  return y
    .option('importance', {
      choices: IMPORTANCE_MODES,
      describe:
        "importance sampling for rare violations: 'scenario' draws the faults named in the scenario's importance: block from the proposals given there; 'auto' finds a proposal by the cross-entropy method first. Prints weighted estimates with 95% CIs, ESS and the proposal (docs/rare-events.md)",
    })
    .option('ce-batch', { type: 'number', default: DEFAULT_SEARCH.batch, describe: 'with --importance auto: runs per cross-entropy iteration (pilot seeds start at seed-start + 1e9)' })
    .option('ce-iterations', { type: 'number', default: DEFAULT_SEARCH.maxIterations, describe: 'with --importance auto: most cross-entropy iterations before the final batch' })
    .check((a) => {
      if (!Number.isInteger(a['ce-batch']) || a['ce-batch'] < 10 || a['ce-batch'] > 1_000_000) throw new UsageError(`--ce-batch: expected a whole number from 10 to 1000000, got ${String(a['ce-batch'])}`);
      if (!Number.isInteger(a['ce-iterations']) || a['ce-iterations'] < 1 || a['ce-iterations'] > 100) throw new UsageError(`--ce-iterations: expected a whole number from 1 to 100, got ${String(a['ce-iterations'])}`);
      return true;
    });
}
