/**
 * Shards: part i of n of a verb's seeds (`--shard i/n`), so that a job runner
 * can spread one run, sweep, compare or check over n machines and `mco merge`
 * can put the parts back together. Every scenario (sweep cell, strategy) of a
 * shard runs the same contiguous block of the seed range; `--shard auto`
 * reads i and n from the job runner's environment (docs/scale-out.md).
 */
import { UsageError } from './commands/shared.js';

/** Part `index` (1-based) of `count`. */
export interface Shard {
  index: number;
  count: number;
}

/** Environment variables `--shard auto` reads, by job runner (docs/scale-out.md). */
export const SHARD_ENV = Object.freeze({
  kubernetes: ['JOB_COMPLETION_INDEX'],
  slurm: ['SLURM_ARRAY_TASK_ID', 'SLURM_ARRAY_TASK_MIN', 'SLURM_ARRAY_TASK_COUNT', 'SLURM_ARRAY_TASK_STEP'],
  github: ['MCO_SHARD_INDEX', 'MCO_SHARD_COUNT'],
});

const whole = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v.trim())) throw new UsageError(`--shard auto: ${name}=${v} is not a whole number`);
  return Number(v.trim());
};

/** One job runner's idea of the shard, or undefined when its variables are not set. */
type Found = { source: string; index: number; count: number | undefined };

function fromKubernetes(env: NodeJS.ProcessEnv): Found | undefined {
  const i = whole('JOB_COMPLETION_INDEX', env.JOB_COMPLETION_INDEX);
  return i === undefined ? undefined : { source: `JOB_COMPLETION_INDEX=${i} (Kubernetes Indexed Job, 0-based)`, index: i + 1, count: undefined };
}

function fromSlurm(env: NodeJS.ProcessEnv): Found | undefined {
  const id = whole('SLURM_ARRAY_TASK_ID', env.SLURM_ARRAY_TASK_ID);
  if (id === undefined) return undefined;
  const min = whole('SLURM_ARRAY_TASK_MIN', env.SLURM_ARRAY_TASK_MIN) ?? 0;
  const step = whole('SLURM_ARRAY_TASK_STEP', env.SLURM_ARRAY_TASK_STEP) ?? 1;
  const count = whole('SLURM_ARRAY_TASK_COUNT', env.SLURM_ARRAY_TASK_COUNT);
  if (step < 1 || (id - min) % step !== 0 || id < min) {
    throw new UsageError(`--shard auto: SLURM_ARRAY_TASK_ID=${id} is not on the array's grid (SLURM_ARRAY_TASK_MIN=${min}, SLURM_ARRAY_TASK_STEP=${step})`);
  }
  return { source: `SLURM_ARRAY_TASK_ID=${id} (Slurm array, from SLURM_ARRAY_TASK_MIN=${min})`, index: (id - min) / step + 1, count };
}

function fromGithub(env: NodeJS.ProcessEnv): Found | undefined {
  const i = whole('MCO_SHARD_INDEX', env.MCO_SHARD_INDEX);
  if (i === undefined) return undefined;
  return { source: `MCO_SHARD_INDEX=${i} (1-based, e.g. a GitHub Actions matrix)`, index: i, count: whole('MCO_SHARD_COUNT', env.MCO_SHARD_COUNT) };
}

/**
 * The shard of `--shard` (`i/n` or `auto`) and `--shards` (n, for `auto`),
 * reading `env` for `auto`. Undefined without `--shard`.
 */
export function resolveShard(text: string | undefined, shards: number | undefined, env: NodeJS.ProcessEnv = process.env): Shard | undefined {
  if (shards !== undefined && (!Number.isInteger(shards) || shards < 1)) throw new UsageError(`--shards: expected a whole number ≥ 1, got ${String(shards)}`);
  if (text === undefined) {
    if (shards !== undefined) throw new UsageError('--shards: only with --shard auto (the count of shards when the environment gives only the index)');
    return undefined;
  }
  let shard: Shard;
  if (text === 'auto') {
    const found = [fromKubernetes(env), fromSlurm(env), fromGithub(env)].filter((f): f is Found => f !== undefined);
    if (found.length === 0) {
      throw new UsageError(
        '--shard auto: no shard index in the environment: expected JOB_COMPLETION_INDEX (with --shards n), SLURM_ARRAY_TASK_ID (with SLURM_ARRAY_TASK_COUNT), or MCO_SHARD_INDEX (with MCO_SHARD_COUNT or --shards n)',
      );
    }
    const counts = found.map((f) => f.count).filter((c): c is number => c !== undefined);
    if (shards !== undefined) counts.push(shards);
    const first = found[0]!;
    for (const f of found.slice(1)) {
      if (f.index !== first.index) throw new UsageError(`--shard auto: the environment names two shards: ${first.source} is shard ${first.index}, ${f.source} is shard ${f.index}`);
    }
    if (new Set(counts).size > 1) throw new UsageError(`--shard auto: the environment and --shards disagree on the shard count (${[...new Set(counts)].join(' vs ')}) for ${first.source}`);
    if (counts.length === 0) throw new UsageError(`--shard auto: ${first.source} gives the index but not the count: add --shards n`);
    shard = { index: first.index, count: counts[0]! };
  } else {
    const m = /^(\d+)\/(\d+)$/.exec(text);
    if (!m) throw new UsageError(`--shard: expected i/n with 1 ≤ i ≤ n (e.g. --shard 1/2) or auto, got '${text}'`);
    shard = { index: Number(m[1]), count: Number(m[2]) };
    if (shards !== undefined) throw new UsageError('--shards: only with --shard auto (--shard i/n already gives the count)');
  }
  if (shard.count < 1 || shard.index < 1 || shard.index > shard.count) {
    throw new UsageError(`--shard: expected i/n with 1 ≤ i ≤ n, got ${shard.index}/${shard.count}${text === 'auto' ? ' from the environment' : ''}`);
  }
  return shard;
}

/** Seeds of shard `index` of `count`: contiguous blocks that cover start..start+total-1 exactly. */
export function shardSeeds(start: number, total: number, shard: Shard): { start: number; count: number } {
  const from = Math.floor(((shard.index - 1) * total) / shard.count);
  const to = Math.floor((shard.index * total) / shard.count);
  return { start: start + from, count: to - from };
}

/** The seeds a verb runs: all of them, or its shard's block. */
export function seedsOf(start: number, total: number, shard: Shard | undefined): { start: number; count: number } {
  return shard === undefined ? { start, count: total } : shardSeeds(start, total, shard);
}
