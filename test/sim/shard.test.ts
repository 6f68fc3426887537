/**
 * Sharding: `--shard i/n` and `--shard auto` on every verb that runs seeds,
 * and `mco merge` reproducing the unsharded output (JSON apart from the
 * wall-clock time, Markdown and CSV byte for byte).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { capture } from '../helpers/capture.js';
import { main } from '../../sim/cli.js';
import { UsageError } from '../../sim/commands/shared.js';
import { resolveShard, shardSeeds } from '../../sim/shard.js';

const ROOT = join(import.meta.dirname, '../..');
const lib = (name: string): string => join(ROOT, 'scenarios', `${name}.yaml`);
const dir = mkdtempSync(join(tmpdir(), 'mco-shard-'));
const out = (name: string): string => join(dir, name);
/**
 * The file's text with the wall-clock fields blanked: `wallMs` and the
 * provenance's date (JSON, and the provenance line of Markdown/HTML).
 */
const noWall = (f: string): string =>
  readFileSync(f, 'utf8')
    .replace(/"wallMs": \d+/g, '"wallMs": 0')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, 'DATE');
const text = (f: string): string => readFileSync(f, 'utf8');

afterEach(() => {
  vi.restoreAllMocks();
});

describe('--shard auto: i/n from the job runner', () => {
  it('reads a Kubernetes Indexed Job (0-based index, count from --shards)', () => {
    expect(resolveShard('auto', 4, { JOB_COMPLETION_INDEX: '0' })).toEqual({ index: 1, count: 4 });
    expect(resolveShard('auto', 4, { JOB_COMPLETION_INDEX: '3' })).toEqual({ index: 4, count: 4 });
    expect(() => resolveShard('auto', undefined, { JOB_COMPLETION_INDEX: '2' })).toThrow(/JOB_COMPLETION_INDEX=2 .* gives the index but not the count: add --shards n/);
    expect(() => resolveShard('auto', 4, { JOB_COMPLETION_INDEX: '4' })).toThrow(/expected i\/n with 1 ≤ i ≤ n, got 5\/4 from the environment/);
  });

  it('reads a Slurm array relative to SLURM_ARRAY_TASK_MIN, with its step', () => {
    expect(resolveShard('auto', undefined, { SLURM_ARRAY_TASK_ID: '7', SLURM_ARRAY_TASK_MIN: '5', SLURM_ARRAY_TASK_COUNT: '3' })).toEqual({ index: 3, count: 3 });
    expect(resolveShard('auto', undefined, { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_COUNT: '2' })).toEqual({ index: 1, count: 2 });
    expect(resolveShard('auto', undefined, { SLURM_ARRAY_TASK_ID: '14', SLURM_ARRAY_TASK_MIN: '10', SLURM_ARRAY_TASK_STEP: '2', SLURM_ARRAY_TASK_COUNT: '4' })).toEqual({ index: 3, count: 4 });
    expect(() => resolveShard('auto', undefined, { SLURM_ARRAY_TASK_ID: '13', SLURM_ARRAY_TASK_MIN: '10', SLURM_ARRAY_TASK_STEP: '2' })).toThrow(/not on the array's grid/);
  });

  it('reads MCO_SHARD_INDEX/MCO_SHARD_COUNT (a GitHub Actions matrix), 1-based', () => {
    expect(resolveShard('auto', undefined, { MCO_SHARD_INDEX: '2', MCO_SHARD_COUNT: '5' })).toEqual({ index: 2, count: 5 });
    expect(resolveShard('auto', 5, { MCO_SHARD_INDEX: '2' })).toEqual({ index: 2, count: 5 });
  });

  it('refuses no variables, two runners naming different shards, and counts that disagree', () => {
    expect(() => resolveShard('auto', undefined, {})).toThrow(/^--shard auto: no shard index in the environment: expected JOB_COMPLETION_INDEX/);
    expect(() => resolveShard('auto', 3, { JOB_COMPLETION_INDEX: '0', MCO_SHARD_INDEX: '2' })).toThrow(/names two shards: JOB_COMPLETION_INDEX=0 .* is shard 1, MCO_SHARD_INDEX=2 .* is shard 2/);
    expect(() => resolveShard('auto', 3, { MCO_SHARD_INDEX: '1', MCO_SHARD_COUNT: '4' })).toThrow(/disagree on the shard count \(4 vs 3\)/);
    // two runners agreeing is fine
    expect(resolveShard('auto', 3, { JOB_COMPLETION_INDEX: '1', MCO_SHARD_INDEX: '2' })).toEqual({ index: 2, count: 3 });
    expect(() => resolveShard('auto', undefined, { MCO_SHARD_INDEX: 'x' })).toThrow(UsageError);
    expect(() => resolveShard('1/2', 2, {})).toThrow(/--shards: only with --shard auto/);
    expect(() => resolveShard(undefined, 2, {})).toThrow(/--shards: only with --shard auto/);
    expect(() => resolveShard('3/2', undefined, {})).toThrow(/expected i\/n with 1 ≤ i ≤ n/);
    expect(resolveShard(undefined, undefined, { MCO_SHARD_INDEX: '1' })).toBeUndefined();
  });

  it('on the command line: one line, exit 2', async () => {
    const io = capture();
    vi.stubEnv('JOB_COMPLETION_INDEX', '1');
    vi.stubEnv('MCO_SHARD_INDEX', '1');
    expect(await main(['run', lib('healthy'), '--seeds', '2', '--shard', 'auto', '--shards', '2'])).toBe(2);
    expect(io.err()).toMatch(/^mco: --shard auto: the environment names two shards: .*\n$/);
    vi.unstubAllEnvs();
  });

  it('is refused with --importance on run, sweep and tune: one line, exit 2', async () => {
    const line = /^mco: --shard: not with --importance \(the weighted estimates are not merged across shards yet\); run the seeds in one process\n$/;
    for (const args of [
      ['run', lib('healthy')],
      ['sweep', lib('healthy'), '--vary', 'owner.refreshInterval=40ms,80ms'],
      ['tune', '--max-offset', '1ms', '--max-pause', '1ms', '--store-latency-p99', '1ms', '--json', join(dir, 'tune-shard.json')],
    ]) {
      const io = capture();
      expect(await main([...args, '--seeds', '2', '--shard', '1/2', '--importance', 'auto'])).toBe(2);
      expect(io.err()).toMatch(line);
      vi.restoreAllMocks();
    }
  });

  it('shards cover the seeds exactly, in contiguous blocks', () => {
    for (const n of [1, 2, 3, 7, 12]) {
      const seeds = Array.from({ length: n }, (_, i) => shardSeeds(5, 10, { index: i + 1, count: n }));
      expect(seeds[0]!.start).toBe(5);
      for (let i = 1; i < n; i++) expect(seeds[i]!.start).toBe(seeds[i - 1]!.start + seeds[i - 1]!.count);
      expect(seeds.reduce((t, s) => t + s.count, 0)).toBe(10);
    }
  });
});

describe('mco merge reproduces the unsharded output', () => {
  it('run: two scenarios in three shards (given out of order), JSON and Markdown', async () => {
    capture();
    const args = ['run', lib('gc-pause'), lib('flaky-store'), '--seeds', '7', '--seed-start', '3', '--workers', '1'];
    expect(await main([...args, '--json', out('run.json'), '--md', out('run.md')])).toBe(0);
    for (const i of [1, 2, 3]) expect(await main([...args, '--shard', `${i}/3`, '--json', out(`run-${i}.json`)])).toBe(0);
    expect(await main(['merge', out('run-3.json'), out('run-1.json'), out('run-2.json'), '--json', out('run-m.json'), '--md', out('run-m.md')])).toBe(0);
    expect(noWall(out('run-m.json'))).toBe(noWall(out('run.json')));
    expect(noWall(out('run-m.md'))).toBe(noWall(out('run.md')));
  }, 60_000);

  it('sweep: two cells in three shards on two workers (--shard auto), JSON, Markdown and CSV', async () => {
    capture();
    const args = ['sweep', lib('clock-skew'), '--vary', 'owner.refreshInterval=20ms,40ms', '--seeds', '5', '--workers', '2'];
    expect(await main([...args, '--workers', '1', '--json', out('sw.json'), '--md', out('sw.md'), '--csv', out('sw.csv')])).toBe(0);
    for (const i of [0, 1, 2]) {
      vi.stubEnv('JOB_COMPLETION_INDEX', String(i));
      expect(await main([...args, '--shard', 'auto', '--shards', '3', '--json', out(`sw-${i}.json`)])).toBe(0);
    }
    vi.unstubAllEnvs();
    expect(JSON.parse(text(out('sw-1.json'))).shard).toEqual({ index: 2, count: 3 });
    expect(await main(['merge', out('sw-0.json'), out('sw-1.json'), out('sw-2.json'), '--json', out('sw-m.json'), '--md', out('sw-m.md'), '--csv', out('sw-m.csv')])).toBe(0);
    expect(noWall(out('sw-m.json'))).toBe(noWall(out('sw.json')));
    expect(noWall(out('sw-m.md'))).toBe(noWall(out('sw.md')));
    expect(text(out('sw-m.csv'))).toBe(text(out('sw.csv')));
  }, 60_000);

  it('compare: two scenarios × two strategies in two shards, JSON and Markdown', async () => {
    capture();
    const args = ['compare', lib('gc-pause'), lib('healthy'), '--strategies', 'lakefs,fixed', '--seeds', '5', '--workers', '1'];
    expect(await main([...args, '--json', out('cmp.json'), '--md', out('cmp.md')])).toBe(0);
    for (const i of [1, 2]) {
      vi.stubEnv('SLURM_ARRAY_TASK_ID', String(i + 9));
      vi.stubEnv('SLURM_ARRAY_TASK_MIN', '10');
      vi.stubEnv('SLURM_ARRAY_TASK_COUNT', '2');
      expect(await main([...args, '--shard', 'auto', '--json', out(`cmp-${i}.json`)])).toBe(0);
    }
    vi.unstubAllEnvs();
    expect(await main(['merge', out('cmp-2.json'), out('cmp-1.json'), '--json', out('cmp-m.json'), '--md', out('cmp-m.md')])).toBe(0);
    expect(noWall(out('cmp-m.json'))).toBe(noWall(out('cmp.json')));
    expect(noWall(out('cmp-m.md'))).toBe(noWall(out('cmp.md')));
  }, 60_000);

  it('check: shards of the current runs, judged by merge like the unsharded check', async () => {
    const io = capture();
    const base = mkdtempSync(join(tmpdir(), 'mco-shard-base-'));
    const scen = [lib('gc-pause'), lib('healthy')];
    expect(await main(['check', ...scen, '--baseline', base, '--update', '--seeds', '6', '--workers', '1'])).toBe(0);
    expect(await main(['check', ...scen, '--baseline', base, '--workers', '1', '--json', out('chk.json'), '--md', out('chk.md')])).toBe(0);
    for (const i of [1, 2, 3]) expect(await main(['check', ...scen, '--baseline', base, '--workers', '1', '--shard', `${i}/3`, '--json', out(`chk-${i}.json`)])).toBe(0);
    expect(io.out()).toContain('mco check: shard 3/3 ran; judge all shards with mco merge\n');
    expect(await main(['merge', out('chk-1.json'), out('chk-3.json'), out('chk-2.json'), '--json', out('chk-m.json'), '--md', out('chk-m.md')])).toBe(0);
    expect(text(out('chk-m.json'))).toBe(text(out('chk.json')));
    expect(noWall(out('chk-m.md'))).toBe(noWall(out('chk.md')));
    // a regression found by the shards is found by the merge: exit 1
    const worse = ['--set', 'owner.refreshInterval=20ms'];
    for (const i of [1, 2]) expect(await main(['check', lib('gc-pause'), '--baseline', join(base, 'gc-pause.json'), ...worse, '--workers', '1', '--shard', `${i}/2`, '--json', out(`bad-${i}.json`)])).toBe(0);
    expect(await main(['merge', out('bad-1.json'), out('bad-2.json')])).toBe(1);
    expect(await main(['check', lib('gc-pause'), '--baseline', join(base, 'gc-pause.json'), '--shard', '1/2', '--workers', '1'])).toBe(2);
    expect(io.err()).toMatch(/mco: --shard: needs --json FILE/);
  }, 120_000);

  it('tune: evidence runs in two shards; the merge recommends what the unsharded tune does', async () => {
    const io = capture();
    const args = ['tune', '--max-offset', '2ms', '--max-pause', '5ms', '--store-latency-p99', '1ms', '--nodes', '2', '--scenario', lib('branch-merges'), '--seeds', '3', '--workers', '1'];
    const code = await main([...args, '--json', out('tune.json')]);
    for (const i of [1, 2]) expect(await main([...args, '--shard', `${i}/2`, '--json', out(`tune-${i}.json`)])).toBe(0);
    expect(await main(['merge', out('tune-2.json'), out('tune-1.json'), '--json', out('tune-m.json')])).toBe(code);
    expect(noWall(out('tune-m.json'))).toBe(noWall(out('tune.json')));
    expect(io.err()).not.toMatch(/mco: .*(missing|twice)/);
  }, 180_000);
});

describe('mco merge refuses incomplete or mixed shards with one line, exit 2', () => {
  it('a missing shard, a duplicate, another kind, a non-shard', async () => {
    const io = capture();
    const args = ['sweep', lib('healthy'), '--vary', 'owner.refreshInterval=40ms,80ms', '--seeds', '4', '--workers', '1'];
    for (const i of [1, 2, 3]) expect(await main([...args, '--shard', `${i}/3`, '--json', out(`x-${i}.json`)])).toBe(0);
    expect(await main([...args, '--json', out('x.json')])).toBe(0);
    expect(await main(['run', lib('healthy'), '--seeds', '2', '--workers', '1', '--shard', '1/2', '--json', out('y-1.json')])).toBe(0);
    /** What stderr got during one merge. */
    const merge = async (files: string[]): Promise<{ code: number; err: string }> => {
      const before = io.err().length;
      const code = await main(['merge', ...files.map(out)]);
      return { code, err: io.err().slice(before) };
    };
    const hash = JSON.parse(text(out('x-1.json'))).cells[0].report.scenarioHash as string;
    expect(await merge(['x-1.json', 'x-3.json'])).toEqual({ code: 2, err: `mco: sweep cell owner.refreshInterval=40ms (${hash}): shard 2/3 is missing\n` });
    const dup = await merge(['x-1.json', 'x-2.json', 'x-2.json', 'x-3.json']);
    expect(dup.code).toBe(2);
    expect(dup.err).toMatch(/^mco: sweep cell owner.refreshInterval=40ms \(\w+\): shard 2\/3 is given twice \(.*x-2\.json and .*x-2\.json\)\n$/);
    const mixed = await merge(['x-1.json', 'y-1.json']);
    expect(mixed.code).toBe(2);
    expect(mixed.err).toMatch(/^mco: .*y-1\.json: is from mco run, .*x-1\.json from mco sweep: merge the shards of one invocation\n$/);
    const whole = await merge(['x.json']);
    expect(whole.code).toBe(2);
    expect(whole.err).toMatch(/^mco: .*x\.json: sweep cell .* is not a shard \(no shard i\/n\); merge takes reports written with --shard i\/n\n$/);
  }, 60_000);
});
