import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { capture } from '../helpers/capture.js';
import { main, VERBS } from '../../sim/cli.js';

const ROOT = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'mco-cli-'));
const scenario = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};


afterEach(() => {
  vi.restoreAllMocks();
});

describe('mco run', () => {
  it('prints a summary table and writes the JSON report with every documented field', async () => {
    const file = scenario('small.yaml', 'name: small\nduration: 1s\nnodes: 2\nowner: { acquireInterval: 5ms, refreshInterval: 40ms }\n');
    const json = join(dir, 'small.json');
    const io = capture();
    const code = await main(['run', file, '--seeds', '5', '--seed-start', '3', '--json', json]);
    expect(code).toBe(0);
    expect(io.out()).toMatch(/^scenario\s+runs\s+runs w\/ violation/);
    expect(io.out()).toMatch(/\nsmall\s+5\s+0% \[0%, /);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(Object.keys(report).sort()).toEqual(
      [
        'schemaVersion', 'scenario', 'scenarioHash', 'description', 'strategy', 'seeds', 'runs', 'runsWithViolation', 'violationRate',
        'acquisitions', 'violations', 'perAcquisitionViolationRate', 'bootstrap', 'overlapMs', 'maxSimultaneousOwners', 'told', 'resource',
        'acquireLatencyMs', 'handoffMs', 'failoverMs', 'storeOps', 'operations', 'heldMs', 'events', 'simulatedMs', 'wallMs',
        'traceHash', 'violatingSeeds', 'provenance',
      ].sort(),
    );
    expect(report.schemaVersion).toBe(1);
    expect(report.seeds).toEqual({ start: 3, count: 5 });
    expect(report.failoverMs).toBeNull();
    expect(report.storeOps.reads).toBeGreaterThan(0);
  });

  it.each([
    [['run', 'nope.yaml'], /^mco: nope\.yaml: \(top level\): no such file or directory\n$/],
    [['run', '--seeds', '0', 'scenarios/healthy.yaml'], /^mco: --seeds: expected a whole number ≥ 1, got 0\n$/],
    [['run', 'scenarios/healthy.yaml', '--bogus'], /^mco: Unknown argument: bogus\n$/],
    [['frobnicate'], /^mco: Unknown argument: frobnicate\n$/],
    [['runn', 'scenarios/healthy.yaml'], /^mco: Unknown arguments: runn, .*healthy\.yaml \(did you mean run\?\)\n$/],
    [['run', 'scenarios/healthy.yaml', '--seedz', '3'], /^mco: Unknown argument: seedz \(did you mean --seeds\?\)\n$/],
    [['tune', '--max-offset', '1ms', '--max-pause', '1ms', '--store-latency-p99', '1ms', '--max-failovr', '2s'], /^mco: Unknown arguments?: max-failovr\b.* \(did you mean --max-failover\?\)\n$/],
    [[], /^mco: expected a command: run, merge, sweep, replay, check, compare, tune, list or live\n$/],
  ])('bad input %j: one line, exit 2', async (args, line) => {
    const io = capture();
    const code = await main(args.map((a) => (a.startsWith('scenarios/') ? join(ROOT, a) : a)));
    expect(code).toBe(2);
    expect(io.err()).toMatch(line);
  });

  it('bad scenario field: one line naming file and field, exit 2, nothing written', async () => {
    const file = scenario('bad.yaml', 'owner:\n  refreshInterval: -5ms\n');
    const json = join(dir, 'bad.json');
    const io = capture();
    expect(await main(['run', file, '--json', json])).toBe(2);
    expect(io.err()).toBe(`mco: ${file}: owner.refreshInterval: expected a duration > 0 (a number of ms, or a string like 5ms, 1.5s, 200us), got "-5ms"\n`);
    expect(() => readFileSync(json)).toThrow();
  });

  it('exits 3 and names the limit when a run exceeds maxEvents', async () => {
    const file = scenario('tiny-budget.yaml', 'duration: 1s\nmaxEvents: 50\nowner: { acquireInterval: 5ms, refreshInterval: 40ms }\n');
    const io = capture();
    expect(await main(['run', file, '--seeds', '1'])).toBe(3);
    expect(io.err()).toMatch(/exceeded maxEvents = 50/);
  });

  it('mco list shows the library with descriptions', async () => {
    const io = capture();
    expect(await main(['list', join(ROOT, 'scenarios')])).toBe(0);
    const names = io.out().split('\n').filter(Boolean).map((l) => l.split(/\s+/)[0]);
    expect(names).toEqual([
      'branch-merges', 'clock-drift', 'clock-jump', 'clock-skew', 'crash-failover', 'flaky-store', 'gc-pause',
      'healthy', 'late-timers', 'many-keys', 'slow-store', 'thundering-herd',
    ]);
  });
});

describe('the verbs', () => {
  it('registers every verb module under sim/commands/ (a new verb is one line in VERBS)', async () => {
    const modules = readdirSync(join(ROOT, 'sim/commands')).filter((f) => f.endsWith('.ts'));
    const exported: unknown[] = [];
    for (const f of modules) {
      const m = (await import(join(ROOT, 'sim/commands', f))) as Record<string, unknown>;
      exported.push(...Object.values(m).filter((v) => typeof v === 'object' && v !== null && 'command' in v && 'run' in v));
    }
    expect(exported.length).toBeGreaterThanOrEqual(8);
    expect(new Set(exported)).toEqual(new Set(VERBS));
  });

  it('lists the registered verbs in mco --help', async () => {
    // yargs prints help with console.log
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await main(['--help'])).toBe(0);
    const listed = [...log.mock.calls.join('\n').matchAll(/^ {2}mco (\w+)/gm)].map((m) => m[1]);
    expect(listed).toEqual(VERBS.map((v) => v.command.split(' ')[0]));
  });
});

describe('the mco executable', () => {
  it('prints no stack trace for bad input and exits 2', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'sim/mco.ts'), 'run', 'missing.yaml'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('mco: missing.yaml: (top level): no such file or directory\n');
  });

  it('is the package bin', () => {
    const pkg = JSON.parse(execFileSync('cat', [join(ROOT, 'sim/package.json')], { encoding: 'utf8' }));
    expect(pkg.bin).toEqual({ mco: 'bin/mco.js' });
  });
});

describe('long runs', () => {
  it('Ctrl-C stops cleanly: partial report printed and written, exit 130; progress lines on a non-TTY stderr', async () => {
    const json = join(dir, 'partial.json');
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'sim/mco.ts'), 'run', join(ROOT, 'scenarios/clock-drift.yaml'), '--seeds', '5000', '--workers', '1', '--json', json], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // the first periodic progress line (every 5 s) means seeds are running: interrupt
      if (!interrupted && /seeds, [\d.]+ runs\/s/.test(stderr)) {
        interrupted = true; // once: a second Ctrl-C quits at once, by design
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(stderr).toMatch(/clock-drift: \d+\/5000 seeds, [\d.]+ runs\/s, ETA \d+s, violations so far \d+ in \d+ runs/);
    expect(stderr).toMatch(/interrupted: finishing the seeds in flight/);
    expect(code).toBe(130);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.partial).toBe(true);
    expect(report.runs).toBeGreaterThan(0);
    expect(report.runs).toBeLessThan(5000);
    expect(report.seeds).toEqual({ start: 1, count: report.runs });
    expect(stdout).toMatch(new RegExp(`clock-drift\\s+${report.runs}\\s`));
  }, 60_000);
});
