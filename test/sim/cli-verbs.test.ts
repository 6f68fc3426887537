import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { capture } from '../helpers/capture.js';
import { main } from '../../sim/cli.js';
import { shardSeeds } from '../../sim/shard.js';
import { parseVary, setPath } from '../../sim/overrides.js';
import { shellWord } from '../../sim/replay.js';
import { normalQuantile, twoProportionZ } from '../../sim/report/check.js';
import { parseScenario } from '../../sim/scenario.js';
import { STRATEGIES } from '../../src/index.js';

const ROOT = join(import.meta.dirname, '../..');
const lib = (name: string): string => join(ROOT, 'scenarios', `${name}.yaml`);
const dir = mkdtempSync(join(tmpdir(), 'mco-verbs-'));
const out = (name: string): string => join(dir, name);
const readJson = (f: string): Record<string, any> => JSON.parse(readFileSync(f, 'utf8')) as Record<string, any>;
/** A report without what differs between identical runs: `wallMs` and where/when it ran (`provenance.environment`, docs/reports.md). */
const noWall = (r: Record<string, any>) => ({ ...r, wallMs: 0, provenance: { ...r.provenance, environment: undefined } });


afterEach(() => {
  vi.restoreAllMocks();
});

describe('--workers, --shard and merge', () => {
  it('gives identical JSON (apart from wallMs) on 1 and 2 workers', async () => {
    capture();
    expect(await main(['run', lib('gc-pause'), '--seeds', '6', '--workers', '1', '--json', out('w1.json')])).toBe(0);
    expect(await main(['run', lib('gc-pause'), '--seeds', '6', '--workers', '2', '--json', out('w2.json')])).toBe(0);
    expect(noWall(readJson(out('w2.json')))).toEqual(noWall(readJson(out('w1.json'))));
  }, 60_000);

  it('--engine: reference (on 2 workers) and fast give identical JSON and replay; an unknown engine exits 2', async () => {
    const io = capture();
    expect(await main(['run', lib('crash-failover'), '--seeds', '4', '--workers', '2', '--engine', 'reference', '--json', out('ref.json')])).toBe(0);
    expect(await main(['run', lib('crash-failover'), '--seeds', '4', '--workers', '1', '--engine', 'fast', '--json', out('fast.json')])).toBe(0);
    // the same results; only the provenance names the engine
    const noEngine = (r: Record<string, any>) => ({ ...noWall(r), provenance: { ...noWall(r).provenance, engine: undefined } });
    expect(readJson(out('ref.json')).provenance.engine).toBe('reference');
    expect(noEngine(readJson(out('fast.json')))).toEqual(noEngine(readJson(out('ref.json'))));
    const before = io.out().length;
    expect(await main(['replay', lib('gc-pause'), '--seed', '6', '--to', '1s', '--engine', 'reference'])).toBe(0);
    const reference = io.out().slice(before);
    expect(await main(['replay', lib('gc-pause'), '--seed', '6', '--to', '1s'])).toBe(0);
    expect(io.out().slice(before + reference.length)).toBe(reference);
    expect(await main(['run', lib('healthy'), '--engine', 'slow'])).toBe(2);
    expect(io.err()).toContain('mco: --engine: expected one of "reference", "fast", got "slow"\n');
  }, 60_000);

  it('two shards merged equal the unsharded run', async () => {
    capture();
    const args = ['run', lib('flaky-store'), '--seeds', '7', '--seed-start', '5', '--workers', '1'];
    expect(await main([...args, '--json', out('full.json')])).toBe(0);
    expect(await main([...args, '--shard', '1/2', '--json', out('s1.json')])).toBe(0);
    expect(await main([...args, '--shard', '2/2', '--json', out('s2.json')])).toBe(0);
    expect(readJson(out('s1.json')).seeds).toEqual({ start: 5, count: 3 });
    expect(readJson(out('s2.json')).seeds).toEqual({ start: 8, count: 4 });
    expect(await main(['merge', out('s2.json'), out('s1.json'), '--json', out('merged.json')])).toBe(0);
    const merged = readJson(out('merged.json'));
    const full = readJson(out('full.json'));
    expect(noWall(merged)).toEqual(noWall(full));
    expect(merged.traceHash).toBe(full.traceHash);
  });

  it('refuses to merge overlapping shards or reports without per-seed data', async () => {
    const io = capture();
    expect(await main(['merge', out('s1.json'), out('s1.json')])).toBe(2);
    expect(io.err()).toMatch(/scenario flaky-store \(\w+\): shard 1\/2 is given twice/);
    expect(await main(['merge', out('full.json')])).toBe(2);
    expect(io.err()).toMatch(/is not a shard \(no shard i\/n\); merge takes reports written with --shard i\/n/);
  });

  it('splits seeds into contiguous shards covering the range exactly', () => {
    const parts = [1, 2, 3].map((i) => shardSeeds(10, 10, { index: i, count: 3 }));
    expect(parts).toEqual([
      { start: 10, count: 3 },
      { start: 13, count: 3 },
      { start: 16, count: 4 },
    ]);
  });
});

describe('--set and expect:', () => {
  it('--set overrides a field (and a typo names the closest path)', async () => {
    const io = capture();
    expect(await main(['run', lib('healthy'), '--seeds', '2', '--workers', '1', '--set', 'owner.refreshInterval=80ms', '--json', out('set.json')])).toBe(0);
    const base = await main(['run', lib('healthy'), '--seeds', '2', '--workers', '1', '--json', out('noset.json')]);
    expect(base).toBe(0);
    expect(readJson(out('set.json')).scenarioHash).not.toBe(readJson(out('noset.json')).scenarioHash);
    expect(await main(['run', lib('healthy'), '--set', 'owner.refreshIntervl=80ms'])).toBe(2);
    expect(io.err()).toMatch(/mco: unknown parameter path 'owner.refreshIntervl' \(did you mean 'owner.refreshInterval'\?\)\n$/);
  });

  it('--set reaches every field of the schema: mco run scenarios/branch-merges.yaml --set workload.maxAttempts=3', async () => {
    const io = capture();
    const args = ['run', lib('branch-merges'), '--seeds', '2', '--workers', '1'];
    expect(await main([...args, '--set', 'workload.maxAttempts=3', '--json', out('attempts3.json')])).toBe(0);
    expect(io.err()).not.toMatch(/unknown parameter path/);
    expect(await main([...args, '--json', out('attempts5.json')])).toBe(0);
    expect(readJson(out('attempts3.json')).scenarioHash).not.toBe(readJson(out('attempts5.json')).scenarioHash);
    const before = io.err().length;
    expect(await main([...args, '--set', 'workload.maxAttempt=3'])).toBe(2);
    expect(io.err().slice(before)).toBe("mco: unknown parameter path 'workload.maxAttempt' (did you mean 'workload.maxAttempts'?)\n");
  });

  it('creates the distribution object a field of which is set', () => {
    expect(setPath({ faults: { clock: { offset: 5 } } }, 'faults.clock.offset.max', '9ms')).toEqual({ faults: { clock: { offset: { dist: 'constant', value: 5, max: '9ms' } } } });
    expect(setPath({ nodes: 2 }, 'nodes.1.offset', '3ms')).toEqual({ nodes: [{}, { offset: '3ms' }] });
  });

  it('enforces a scenario expect: block with exit 1, and passes when it holds', async () => {
    const bad = join(dir, 'expect-bad.yaml');
    writeFileSync(bad, `${readFileSync(lib('clock-skew'), 'utf8')}\nexpect:\n  violationRate: { max: 0 }\n  failoverMs: { p99: { max: 500ms } }\n`);
    const io = capture();
    expect(await main(['run', bad, '--seeds', '20', '--workers', '1', '--set', 'nodes=[{offset: 0ms}, {offset: 30ms}]'])).toBe(1);
    expect(io.out()).toMatch(/expectation failed: clock-skew: violationRate = [\d.]+ \(expected ≤ 0\)/);
    expect(io.out()).toMatch(/expectation failed: clock-skew: failoverMs.p99 = not measured \(no samples\)/);
    const good = join(dir, 'expect-good.yaml');
    writeFileSync(good, `${readFileSync(lib('healthy'), 'utf8')}\nexpect:\n  violations: { max: 0 }\n  handoffMs: { p99: { max: 100ms } }\n`);
    expect(await main(['run', good, '--seeds', '5', '--workers', '1'])).toBe(0);
    expect(io.out()).toMatch(/healthy: all 2 expectations held/);
  });
});

describe('mco check', () => {
  it('passes on the baseline’s own configuration and fails on a deliberately worse one', async () => {
    const io = capture();
    const baseline = out('skew-baseline.json');
    expect(await main(['check', lib('clock-skew'), '--baseline', baseline, '--update', '--seeds', '30', '--workers', '1'])).toBe(0);
    expect(await main(['check', lib('clock-skew'), '--baseline', baseline, '--workers', '1'])).toBe(0);
    expect(io.out()).toMatch(/mco check: no regression/);
    // half the lease: more steals at the same clock offsets
    expect(await main(['check', lib('clock-skew'), '--baseline', baseline, '--workers', '1', '--set', 'owner.refreshInterval=20ms'])).toBe(1);
    expect(io.out()).toMatch(/violations \/ acquisition .* REGRESSION/);
    expect(io.err()).toMatch(/parameters differ from the baseline's/);
  });

  it('refuses a baseline of another scenario or schema version', async () => {
    const io = capture();
    expect(await main(['check', lib('healthy'), '--baseline', out('skew-baseline.json'), '--workers', '1', '--seeds', '1'])).toBe(2);
    expect(io.err()).toMatch(/baseline is for scenario clock-skew, not healthy; refusing to compare/);
    writeFileSync(out('v2.json'), JSON.stringify({ ...readJson(out('skew-baseline.json')), schemaVersion: 2 }));
    expect(await main(['check', lib('clock-skew'), '--baseline', out('v2.json'), '--seeds', '1'])).toBe(2);
    expect(io.err()).toMatch(/expected schemaVersion 1, got 2/);
  });

  it('uses the stated statistics', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.95)).toBeCloseTo(1.644854, 5);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326348, 5);
    // 10/100 vs 25/100
    expect(twoProportionZ(10, 100, 25, 100)).toBeCloseTo(2.7915, 3); // pooled p = 0.175, se = 0.05374
    expect(twoProportionZ(0, 100, 0, 50)).toBe(0);
  });
});

describe('mco sweep', () => {
  it('runs the grid and writes CSV, JSON and an HTML heatmap', async () => {
    const io = capture();
    const code = await main([
      'sweep', lib('clock-skew'), '--vary', 'faults.clock.offset.max=0ms..40ms:20ms', '--vary', 'owner.refreshInterval=20ms,40ms',
      '--seeds', '3', '--workers', '1', '--csv', out('sweep.csv'), '--json', out('sweep.json'), '--html', out('sweep.html'),
    ]);
    expect(code).toBe(0);
    const sweep = readJson(out('sweep.json'));
    expect(sweep.cells.map((c: { labels: string[] }) => c.labels)).toEqual([
      ['0ms', '20ms'], ['0ms', '40ms'], ['20ms', '20ms'], ['20ms', '40ms'], ['40ms', '20ms'], ['40ms', '40ms'],
    ]);
    expect(readFileSync(out('sweep.csv'), 'utf8').split('\n')[0]).toMatch(/^faults\.clock\.offset\.max,owner\.refreshInterval,runs,/);
    const html = readFileSync(out('sweep.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect(io.out()).toMatch(/^faults\.clock\.offset\.max\s+owner\.refreshInterval\s+runs/);
  });

  it('parses lists and ranges, and rejects bad ones with a clear line', async () => {
    expect(parseVary('owner.refreshInterval=20ms,40ms').values).toEqual(['20ms', '40ms']);
    expect(parseVary('faults.store.errorRate=0..0.1:0.05').values).toEqual([0, 0.05, 0.1]);
    expect(parseVary('faults.clock.offset.max=0ms..1s:250ms').labels).toEqual(['0ms', '250ms', '500ms', '750ms', '1000ms']);
    const io = capture();
    expect(await main(['sweep', lib('healthy'), '--vary', 'owner.refreshInterval=40ms..20ms:5ms'])).toBe(2);
    expect(io.err()).toMatch(/--vary owner.refreshInterval: expected from..to:step with to ≥ from/);
    expect(await main(['sweep', lib('healthy'), '--vary', 'owner.refreshInterval=-5ms', '--seeds', '1'])).toBe(2);
    expect(io.err()).toMatch(/owner\.refreshInterval: expected a duration > 0 .* \(with --vary owner\.refreshInterval=-5ms\)/);
  });
});

describe('mco replay', () => {
  it('shows the two owners and the late refresh for a violating gc-pause seed', async () => {
    const io = capture();
    expect(await main(['run', lib('gc-pause'), '--seeds', '10', '--workers', '1', '--json', out('gc.json')])).toBe(0);
    const seed: number = readJson(out('gc.json')).violatingSeeds[0];
    expect(seed).toBeTypeOf('number');
    expect(await main(['replay', lib('gc-pause'), '--seed', String(seed), '--html', out('replay.html')])).toBe(0);
    const text = io.out();
    expect(text).toMatch(/<<< VIOLATION: node\d#\S+ still believes it owns key-0/);
    expect(text).toMatch(/first violation: node\d#\S+ \(node \d\) took key-0 at [\d.]+ ms while node\d#\S+ \(node \d, owner since [\d.]+ ms\) still believed it owned it: the holder was paused/);
    expect(text).toMatch(/PAUSED for [\d.]+ ms {3}<<</);
    expect(readFileSync(out('replay.html'), 'utf8')).toContain('<svg');
  });

  it('mco run prints the exact replay command of the first 3 violating seeds; run in a shell, it replays a violation', async () => {
    const io = capture();
    const sets = ['workload.think={dist: exponential, mean: 8ms}', 'owner.refreshInterval=30ms'];
    const args = ['run', lib('gc-pause'), lib('healthy'), '--seeds', '10', '--workers', '1', ...sets.flatMap((x) => ['--set', x])];
    expect(await main([...args, '--json', out('hints.json')])).toBe(0);
    const [gc, healthy] = readJson(out('hints.json')).reports;
    expect(healthy.runsWithViolation).toBe(0);
    expect(gc.violatingSeeds.length).toBeGreaterThan(3);
    const commands = io.out().split('\n').filter((l) => l.startsWith('  npx mco replay ')).map((l) => l.trim());
    expect(io.out()).toContain(`\ngc-pause: ${gc.runsWithViolation} runs with a violation; replay the first 3:\n`);
    expect(commands).toEqual(
      gc.violatingSeeds.slice(0, 3).map((seed: number) => `npx mco replay ${lib('gc-pause')} --seed ${seed} --set 'workload.think={dist: exponential, mean: 8ms}' --set owner.refreshInterval=30ms`),
    );
    // the printed command, through a real shell (its quoting included), with mco from the sources
    const mco = `${shellWord(process.execPath)} --import tsx ${shellWord(join(ROOT, 'sim/mco.ts'))}`;
    const r = spawnSync('sh', ['-c', commands[0]!.replace(/^npx mco /, `${mco} `)], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^replay gc-pause seed ${gc.violatingSeeds[0]}: \\d+ acquisitions, [1-9]\\d* violations`));
    expect(r.stdout).toMatch(/<<< VIOLATION: /);
  }, 60_000);

  it('limits the window with --from/--to and prints JSON with --json', async () => {
    const io = capture();
    expect(await main(['replay', lib('healthy'), '--seed', '1', '--from', '100ms', '--to', '0.2s', '--json'])).toBe(0);
    const r = JSON.parse(io.out());
    expect(r.events.length).toBeGreaterThan(0);
    expect(r.events.every((e: { t: number }) => e.t >= 100 && e.t <= 200)).toBe(true);
    expect(r.firstViolation).toBeNull();
  });
});

describe('strategy names come from the STRATEGIES table', () => {
  const names = Object.keys(STRATEGIES);

  it('a scenario can name every strategy of the library, and none', () => {
    for (const name of [...names, 'none']) expect(parseScenario({ owner: { strategy: name } }, 'x.yaml').owner.strategy).toBe(name);
    expect(() => parseScenario({ owner: { strategy: 'redlock' } }, 'x.yaml')).toThrow(`expected one of ${[...names, 'none'].map((n) => `"${n}"`).join(', ')}`);
  });

  it('mco compare --strategies and mco tune --strategy list them, and refuse others in one line, exit 2', async () => {
    const io = capture();
    expect(await main(['compare', lib('healthy'), '--strategies', `${names[0]},nope`])).toBe(2);
    expect(io.err()).toBe(`mco: --strategies: unknown strategy 'nope' (expected ${[...names, 'none'].join(', ')}; did you mean 'none'?)\n`);
    expect(await main(['tune', '--max-offset', '1ms', '--max-pause', '1ms', '--store-latency-p99', '1ms', '--strategy', 'none'])).toBe(2);
    expect(io.err()).toMatch(new RegExp(`mco: --strategy: expected one of ${names.map((n) => `"${n}"`).join(', ')}, got "none"\n$`));
  });
});

describe('mco tune', () => {
  it('prints derived bound, the sweep, the recommendation and the reproducing sweep command', async () => {
    const io = capture();
    const code = await main(['tune', '--max-offset', '5ms', '--max-pause', '10ms', '--store-latency-p99', '1ms', '--nodes', '2', '--seeds', '3', '--workers', '1', '--html', out('tune.html')]);
    expect(code).toBe(0);
    expect(io.out()).toMatch(/derived \(sim\/bound\.ts, docs\/bound\.md\): refreshInterval ≥ \d+ ms is provably safe/);
    expect(io.out()).toMatch(/recommendation: strategy fixed, acquireInterval \d+ ms, refreshInterval \d+ ms/);
    expect(io.out()).toMatch(/reproduce: npx mco sweep \S+tune-evidence\.yaml --set owner\.strategy=fixed --set owner\.acquireInterval=\d+ms --vary owner\.refreshInterval=(\d+ms,){4}\d+ms --seeds 3 --seed-start 1/);
    expect(readFileSync(out('tune.html'), 'utf8')).toContain('<svg');
  });

  it('refuses an impossible failover target in one line, exit 2', async () => {
    const io = capture();
    expect(await main(['tune', '--max-offset', '20ms', '--max-pause', '150ms', '--store-latency-p99', '5ms', '--max-failover', '300ms'])).toBe(2);
    expect(io.err()).toMatch(/^mco tune: refused: --max-failover 300ms is below what this environment allows: .*\n$/);
    expect(await main(['tune', '--max-offset', '20ms', '--max-pause', '150ms', '--store-latency-p99', '5ms', '--target', 'violations<1'])).toBe(2);
    expect(io.err()).toMatch(/--target: expected violation-rate<=X or per-acquisition<=X/);
  });
});
