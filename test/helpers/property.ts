/**
 * Runs fast-check properties the way this project wants them reported: the
 * seed is printed before the run (FC_SEED fixes it, otherwise a fresh one is
 * drawn), the number of runs scales with FC_RUNS_FACTOR (`npm run test:deep`
 * sets 10), and a failure throws one message with everything needed to
 * replay it: the fast-check seed and path, the shrunk scenario written as a
 * YAML scenario file under the OS temp directory, the simulator seed and the
 * `mco` commands that show it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';

/** A counterexample that the simulator can replay from a scenario file. */
export interface Replayable {
  /** The scenario as raw data, exactly what `parseScenario` accepted. */
  raw: Record<string, unknown>;
  /** First simulator seed. */
  seed: number;
  /** Number of seeds the property ran (default 1). */
  seeds?: number;
  /** A note printed with the replay command (e.g. a mutation the file cannot express). */
  note?: string;
}

export interface PropertyOptions<T> {
  /** Property name, as in the test title (used for `-t` and file names). */
  name: string;
  /** The test file (`import.meta.filename`), for the replay command. */
  file: string;
  arbitrary: fc.Arbitrary<T>;
  /** Throws (or rejects) when the property does not hold for `value`. */
  predicate: (value: T) => Promise<void> | void;
  /** Runs at FC_RUNS_FACTOR = 1. */
  numRuns: number;
  /** How to replay a counterexample in the simulator, when it is a scenario. */
  replay?: (value: T) => Replayable | undefined;
  /**
   * Stop searching/shrinking after this long (ms of real time); the runs done
   * so far count, and a line says so. Default: PROPERTY_TIMEOUT_MS − 30 s.
   */
  timeLimitMs?: number;
}

/** FC_RUNS_FACTOR (default 1): `npm run test:deep` runs every property 10× as often. */
export const RUNS_FACTOR = Math.max(1, Number(process.env.FC_RUNS_FACTOR ?? 1) || 1);

/** vitest timeout for a property test: 150 s, scaled with FC_RUNS_FACTOR. */
export const PROPERTY_TIMEOUT_MS = 150_000 * RUNS_FACTOR;

/** The fast-check seed of this test process: FC_SEED, or a fresh one. */
export function propertySeed(): number {
  const fromEnv = process.env.FC_SEED;
  if (fromEnv !== undefined && fromEnv !== '') {
    const n = Number(fromEnv);
    if (!Number.isInteger(n)) throw new Error(`FC_SEED must be an integer, got ${JSON.stringify(fromEnv)}`);
    return n;
  }
  return Math.floor(Math.random() * 0x7fffffff);
}

/** Outcome of {@link runProperty} that did not throw. */
export interface PropertyResult {
  seed: number;
  numRuns: number;
  /** The failure report, when `expectFailure` was set and the property failed. */
  failure?: PropertyFailure;
}

/** Everything about a failed property (also the thrown message). */
export interface PropertyFailure {
  message: string;
  seed: number;
  path: string;
  counterexample: unknown;
  scenarioFile: string | undefined;
  replay: Replayable | undefined;
  error: unknown;
}

/**
 * Checks a property; throws an Error whose message says how to replay the
 * shrunk counterexample. With `expectFailure`, returns the failure instead
 * (for tests that show a property *can* fail) and throws if it held.
 */
export async function runProperty<T>(options: PropertyOptions<T>, mode: { expectFailure?: boolean; seed?: number } = {}): Promise<PropertyResult> {
  const seed = mode.seed ?? propertySeed();
  const numRuns = Math.max(1, Math.round(options.numRuns * RUNS_FACTOR));
  const path = process.env.FC_PATH || undefined;
  if (!mode.expectFailure) {
    process.stdout.write(`[property] ${options.name}: fast-check seed ${seed}, ${numRuns} runs (FC_SEED=${seed} replays)\n`);
  }
  const details = await fc.check(
    fc.asyncProperty(options.arbitrary, async (value) => {
      await options.predicate(value);
    }),
    {
      seed,
      numRuns,
      ...(path !== undefined && !mode.expectFailure ? { path } : {}),
      interruptAfterTimeLimit: options.timeLimitMs ?? PROPERTY_TIMEOUT_MS - 30_000,
      markInterruptAsFailure: false,
    },
  );
  if (details.interrupted) {
    process.stdout.write(`[property] ${options.name}: time limit reached after ${details.numRuns} of ${numRuns} runs${details.failed ? ' (while shrinking)' : ''}\n`);
  }
  if (!details.failed) {
    if (mode.expectFailure) throw new Error(`property "${options.name}" was expected to fail (seed ${seed}, ${numRuns} runs) but held`);
    return { seed, numRuns };
  }
  const failure = describeFailure(options, details);
  if (mode.expectFailure) return { seed, numRuns, failure };
  throw new Error(failure.message, { cause: details.errorInstance });
}

function describeFailure<T>(options: PropertyOptions<T>, details: fc.RunDetails<[T]>): PropertyFailure {
  const value = details.counterexample![0];
  const replay = options.replay?.(value);
  const file = relative(process.cwd(), options.file);
  const lines = [
    `property "${options.name}" failed after ${details.numRuns} runs, shrunk ${details.numShrinks} times`,
    `  fast-check seed: ${details.seed}  path: "${details.counterexamplePath ?? ''}"`,
    `  re-run the property: FC_SEED=${details.seed} FC_PATH="${details.counterexamplePath ?? ''}" npx vitest run ${file} -t "${options.name}"`,
  ];
  let scenarioFile: string | undefined;
  if (replay !== undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'mco-property-'));
    scenarioFile = join(dir, `${options.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.yaml`);
    const header = [
      `# shrunk counterexample of property "${options.name}"`,
      `# fast-check seed ${details.seed}, path "${details.counterexamplePath ?? ''}"; simulator seed ${replay.seed}`,
      ...(replay.note ? [`# ${replay.note}`] : []),
    ];
    writeFileSync(scenarioFile, `${header.join('\n')}\n${stringify(replay.raw)}`);
    const seeds = replay.seeds ?? 1;
    lines.push(
      `  shrunk scenario: ${scenarioFile}`,
      `  simulator seed: ${replay.seed}${seeds > 1 ? ` (and the next ${seeds - 1})` : ''}`,
      seeds > 1
        ? `  replay: npx mco run ${scenarioFile} --seed-start ${replay.seed} --seeds ${seeds}   (one seed in detail: npx mco replay ${scenarioFile} --seed <S>)`
        : `  replay: npx mco replay ${scenarioFile} --seed ${replay.seed}   (until mco replay lands: npx mco run ${scenarioFile} --seed-start ${replay.seed} --seeds 1)`,
    );
    if (replay.note) lines.push(`  note: ${replay.note}`);
  } else {
    lines.push(`  counterexample: ${fc.stringify(value)}`);
  }
  const error = details.errorInstance;
  lines.push(`  failure: ${error instanceof Error ? error.message : String(error)}`);
  return {
    message: lines.join('\n'),
    seed: details.seed,
    path: details.counterexamplePath ?? '',
    counterexample: value,
    scenarioFile,
    replay,
    error,
  };
}
