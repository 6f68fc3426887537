/**
 * Provenance: every report says what ran (the resolved scenario, the
 * overrides, versions, engine) and where (commit, Node, date, host); merge
 * refuses results that are not comparable, naming the field; reports made
 * before provenance are still accepted.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../sim/cli.js';
import { gitCommit, provenanceDifference, provenanceLine } from '../../sim/report/provenance.js';
import { capture } from '../helpers/capture.js';

const ROOT = join(import.meta.dirname, '../..');
const lib = (name: string): string => join(ROOT, 'scenarios', `${name}.yaml`);
const dir = mkdtempSync(join(tmpdir(), 'mco-prov-'));
const out = (name: string): string => join(dir, name);
const readJson = (f: string): Record<string, any> => JSON.parse(readFileSync(f, 'utf8')) as Record<string, any>;
const simVersion = (createRequire(import.meta.url)('../../sim/package.json') as { version: string }).version;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('provenance in reports', () => {
  it('run: the resolved scenario, the overrides as given, versions, engine, environment; in JSON, Markdown and HTML', async () => {
    capture();
    const before = Date.now();
    expect(await main(['run', lib('healthy'), '--seeds', '2', '--workers', '1', '--set', 'owner.refreshInterval=0.08s', '--json', out('run.json'), '--md', out('run.md'), '--html', out('run.html')])).toBe(0);
    const p = readJson(out('run.json')).provenance;
    expect(p.tool).toEqual({ name: 'mostly-correct-owner-sim', version: simVersion, library: simVersion });
    expect(p.engine).toBe('fast');
    expect(p.overrides).toEqual({ set: ['owner.refreshInterval=0.08s'], vary: [] });
    expect(p.scenario.owner.refreshIntervalMs).toBe(80);
    expect(p.scenario.name).toBe('healthy');
    expect(p.environment.node).toBe(process.version);
    expect(p.environment.cores).toBe(availableParallelism());
    expect(Date.parse(p.environment.date)).toBeGreaterThanOrEqual(before - 1000);
    expect(p.environment.gitCommit).toBe(gitCommit(process.cwd()));
    const line = provenanceLine(p);
    expect(line).toContain(`mco ${simVersion}`);
    expect(line).toContain('--set owner.refreshInterval=0.08s');
    expect(readFileSync(out('run.md'), 'utf8')).toContain(`# mco run\n\n${line}\n\n`);
    expect(readFileSync(out('run.html'), 'utf8')).toContain('<p class="provenance">mco ');
  }, 60_000);

  it('sweep: each cell names its own --vary values and resolved scenario; compare names the strategy', async () => {
    capture();
    expect(await main(['sweep', lib('healthy'), '--vary', 'owner.refreshInterval=40ms,80ms', '--seeds', '1', '--workers', '1', '--json', out('sweep.json')])).toBe(0);
    const cells = readJson(out('sweep.json')).cells as { report: Record<string, any> }[];
    expect(cells.map((c) => c.report.provenance.overrides.vary)).toEqual([['owner.refreshInterval=40ms'], ['owner.refreshInterval=80ms']]);
    expect(cells.map((c) => c.report.provenance.scenario.owner.refreshIntervalMs)).toEqual([40, 80]);
    expect(await main(['compare', lib('healthy'), '--strategies', 'lakefs,fixed', '--seeds', '1', '--workers', '1', '--json', out('cmp.json')])).toBe(0);
    const rows = readJson(out('cmp.json')).rows as { report: Record<string, any> }[];
    expect(rows.map((r) => [r.report.provenance.overrides.set, r.report.provenance.scenario.owner.strategy])).toEqual([
      [['owner.strategy=lakefs'], 'lakefs'],
      [['owner.strategy=fixed'], 'fixed'],
    ]);
  }, 60_000);

  it('two identical runs differ only in wallMs and provenance.environment', async () => {
    capture();
    const args = ['run', lib('gc-pause'), '--seeds', '2', '--workers', '1'];
    expect(await main([...args, '--json', out('a.json')])).toBe(0);
    expect(await main([...args, '--json', out('b.json')])).toBe(0);
    const strip = (r: Record<string, any>) => ({ ...r, wallMs: 0, provenance: { ...r.provenance, environment: null } });
    expect(strip(readJson(out('b.json')))).toEqual(strip(readJson(out('a.json'))));
  }, 60_000);

  it('mco check accepts a committed baseline that predates provenance', async () => {
    const baseline = readJson(join(ROOT, 'reports/healthy.json'));
    expect(baseline.provenance).toBeUndefined();
    const io = capture();
    expect(await main(['check', lib('healthy'), '--baseline', join(ROOT, 'reports/healthy.json'), '--workers', '1'])).toBe(0);
    expect(io.out()).toContain('mco check: no regression');
  }, 120_000);
});

describe('merge refuses results that are not comparable', () => {
  const shards = async (extra: string[][]): Promise<string[]> => {
    capture();
    const files: string[] = [];
    for (const [i, more] of extra.entries()) {
      const f = out(`shard-${i}-${more.join('')}.json`);
      expect(await main(['run', lib('flaky-store'), '--seeds', '4', '--workers', '1', '--shard', `${i + 1}/${extra.length}`, ...more, '--json', f])).toBe(0);
      files.push(f);
    }
    vi.restoreAllMocks();
    return files;
  };

  it('a different engine: one line naming provenance.engine, exit 2', async () => {
    const [a, b] = await shards([[], ['--engine', 'reference']]);
    const io = capture();
    expect(await main(['merge', a!, b!])).toBe(2);
    expect(io.err()).toBe(`mco: ${b}: not comparable with ${a}: provenance.engine differs ("reference", not "fast"); refusing to merge\n`);
  }, 60_000);

  it('a different tool version or resolved scenario: refused, naming the field; date, host, Node, commit may differ', async () => {
    const [a, b] = await shards([[], []]);
    const edit = (file: string, name: string, change: (p: Record<string, any>) => void): string => {
      const r = readJson(file);
      change(r.provenance);
      writeFileSync(out(name), JSON.stringify(r));
      return out(name);
    };
    let io = capture();
    expect(await main(['merge', a!, edit(b!, 'v.json', (p) => (p.tool.version = '9.9.9'))])).toBe(2);
    expect(io.err()).toContain('provenance.tool.version differs ("9.9.9", not "');
    vi.restoreAllMocks();
    io = capture();
    expect(await main(['merge', a!, edit(b!, 's.json', (p) => (p.scenario.keys = 7))])).toBe(2);
    expect(io.err()).toMatch(/: provenance\.scenario differs \(a different resolved scenario\); refusing to merge\n$/);
    vi.restoreAllMocks();
    const elsewhere = edit(b!, 'env.json', (p) => (p.environment = { gitCommit: 'f'.repeat(40), node: 'v99.0.0', platform: 'other', cores: 96, date: '2030-01-01T00:00:00.000Z' }));
    capture();
    expect(await main(['merge', a!, elsewhere, '--json', out('merged.json')])).toBe(0);
    expect(readJson(out('merged.json')).provenance).toEqual(readJson(a!).provenance); // the first shard's
    // shards from before provenance merge as before
    const legacy = (f: string, name: string): string => {
      const { provenance: _p, ...rest } = readJson(f);
      writeFileSync(out(name), JSON.stringify(rest));
      return out(name);
    };
    expect(await main(['merge', legacy(a!, 'la.json'), legacy(b!, 'lb.json')])).toBe(0);
  }, 60_000);

  it('provenanceDifference: the fields compared', () => {
    const p = (over: Record<string, unknown> = {}) =>
      ({
        tool: { name: 'x', version: '1', library: '1' },
        engine: 'fast',
        overrides: { set: [], vary: [] },
        scenario: { owner: { strategy: 'fixed' }, seeds: 10 },
        environment: { gitCommit: null, node: 'v20', platform: 'p', cores: 2, date: 'd' },
        ...over,
      }) as any;
    expect(provenanceDifference(p(), p())).toBeUndefined();
    expect(provenanceDifference(p(), undefined)).toBeUndefined();
    // overrides spelled differently but resolving to the same scenario are comparable; the seed count is not a result
    expect(provenanceDifference(p(), p({ overrides: { set: ['a=1'], vary: [] }, scenario: { owner: { strategy: 'fixed' }, seeds: 3 } }))).toBeUndefined();
    expect(provenanceDifference(p(), p({ scenario: { owner: { strategy: 'lakefs' }, seeds: 10 } }))?.field).toBe('provenance.scenario.owner.strategy');
    expect(provenanceDifference(p(), p({ tool: { name: 'x', version: '1', library: '2' } }))?.field).toBe('provenance.tool.library');
  });
});

describe('gitCommit reads HEAD without git', () => {
  const sha = 'a'.repeat(40);
  const repo = (name: string): string => {
    const root = out(name);
    mkdirSync(join(root, 'sub/dir'), { recursive: true });
    return root;
  };

  it('a branch ref, a packed ref, a detached HEAD, a linked worktree; null outside a repository', () => {
    const r1 = repo('r1');
    mkdirSync(join(r1, '.git/refs/heads'), { recursive: true });
    writeFileSync(join(r1, '.git/HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(r1, '.git/refs/heads/main'), `${sha}\n`);
    expect(gitCommit(join(r1, 'sub/dir'))).toBe(sha);

    const r2 = repo('r2');
    mkdirSync(join(r2, '.git'), { recursive: true });
    writeFileSync(join(r2, '.git/HEAD'), 'ref: refs/heads/dev\n');
    writeFileSync(join(r2, '.git/packed-refs'), `# pack-refs with: peeled\n${'b'.repeat(40)} refs/heads/main\n${'c'.repeat(40)} refs/heads/dev\n`);
    expect(gitCommit(r2)).toBe('c'.repeat(40));

    const r3 = repo('r3');
    mkdirSync(join(r3, '.git'), { recursive: true });
    writeFileSync(join(r3, '.git/HEAD'), `${'d'.repeat(40)}\n`);
    expect(gitCommit(r3)).toBe('d'.repeat(40));

    // worktree: .git is a file pointing at <main>/.git/worktrees/<name>, whose refs live in the common dir
    const wt = repo('wt');
    mkdirSync(join(r1, '.git/worktrees/wt'), { recursive: true });
    writeFileSync(join(wt, '.git'), `gitdir: ${join(r1, '.git/worktrees/wt')}\n`);
    writeFileSync(join(r1, '.git/worktrees/wt/HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(r1, '.git/worktrees/wt/commondir'), '../..\n');
    expect(gitCommit(join(wt, 'sub'))).toBe(sha);

    const broken = repo('broken');
    writeFileSync(join(broken, '.git'), 'not a gitdir line\n');
    expect(gitCommit(broken)).toBeNull();
  });
});
