/**
 * `mco` as a tool: `--version`, SIGTERM handled like Ctrl-C, `--json -` (one
 * JSON document on stdout, the human text on stderr) on every verb that
 * writes JSON, and the bundled scenario library found by name.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../sim/cli.js';
import { resolveScenarioPath } from '../../sim/library.js';
import { capture } from '../helpers/capture.js';

const ROOT = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'mco-tool-'));
const SMALL = join(dir, 'small.yaml');
writeFileSync(SMALL, 'name: small\nduration: 1s\nnodes: 2\nowner: { acquireInterval: 5ms, refreshInterval: 40ms }\n');

afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs `mco args` in-process; stdout must be exactly one JSON document. */
async function jsonOnStdout(args: string[]): Promise<{ code: number; json: Record<string, unknown>; err: string }> {
  const io = capture();
  const code = await main(args);
  const out = io.out();
  vi.restoreAllMocks();
  return { code, json: JSON.parse(out) as Record<string, unknown>, err: io.err() };
}

describe('mco --version', () => {
  it("prints the CLI's version and the library's", async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await main(['--version'])).toBe(0);
    const sim = JSON.parse(readFileSync(join(ROOT, 'sim/package.json'), 'utf8')).version;
    const lib = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
    expect(log.mock.calls.join('\n')).toBe(`${sim} (mostly-correct-owner ${lib})`);
  });
});

describe('--json - writes the JSON to stdout and the table to stderr', () => {
  it('run', async () => {
    const r = await jsonOnStdout(['run', SMALL, '--seeds', '3', '--workers', '1', '--json', '-']);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ schemaVersion: 1, scenario: 'small', runs: 3 });
    expect(r.err).toMatch(/^scenario\s+runs/m);
  });

  it('merge', async () => {
    const a = join(dir, 'a.json');
    expect(await main(['run', SMALL, '--seeds', '4', '--workers', '1', '--shard', '1/2', '--json', a])).toBe(0);
    const b = join(dir, 'b.json');
    expect(await main(['run', SMALL, '--seeds', '4', '--workers', '1', '--shard', '2/2', '--json', b])).toBe(0);
    vi.restoreAllMocks();
    const r = await jsonOnStdout(['merge', a, b, '--json', '-']);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ scenario: 'small', runs: 4 });
  });

  it('sweep', async () => {
    const r = await jsonOnStdout(['sweep', SMALL, '--vary', 'owner.refreshInterval=40ms,80ms', '--seeds', '2', '--workers', '1', '--json', '-']);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ kind: 'sweep', scenario: 'small' });
    expect(r.json.cells).toHaveLength(2);
  });

  it('compare', async () => {
    const r = await jsonOnStdout(['compare', SMALL, '--strategies', 'lakefs,fixed', '--seeds', '2', '--workers', '1', '--json', '-']);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ kind: 'compare', strategies: ['lakefs', 'fixed'] });
  });

  it('check (new: --json)', async () => {
    const baseline = join(dir, 'small-baseline.json');
    expect(await main(['run', SMALL, '--seeds', '3', '--workers', '1', '--json', baseline])).toBe(0);
    vi.restoreAllMocks();
    const r = await jsonOnStdout(['check', SMALL, '--baseline', baseline, '--workers', '1', '--json', '-']);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ schemaVersion: 1, kind: 'check', regressed: false, partial: false });
    expect((r.json.checks as { baseline: string }[])[0]!.baseline).toBe(baseline);
    expect(r.err).toMatch(/mco check: no regression/);
  });

  it('tune (new: --json)', async () => {
    const r = await jsonOnStdout([
      'tune', '--max-offset', '2ms', '--max-pause', '5ms', '--store-latency-p99', '1ms', '--nodes', '2', '--seeds', '2', '--workers', '1', '--json', '-',
    ]);
    expect([0, 1]).toContain(r.code);
    expect(r.json).toMatchObject({ schemaVersion: 1, kind: 'tune', input: { maxOffsetMs: 2, nodes: 2 } });
    expect(r.json).toHaveProperty('derived.refreshIntervalMs');
    expect(r.json).not.toHaveProperty('evidenceScenario');
    expect(r.err).toMatch(/^mco tune: strategy/m);
  }, 120_000);
});

describe('the bundled scenario library', () => {
  it('resolves a bare name and the default directory when no such path exists here', () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'mco-cwd-'));
    const cwd = process.cwd();
    process.chdir(elsewhere);
    try {
      expect(resolveScenarioPath('healthy')).toBe(join(ROOT, 'scenarios/healthy.yaml'));
      expect(resolveScenarioPath('healthy.yaml')).toBe(join(ROOT, 'scenarios/healthy.yaml'));
      expect(resolveScenarioPath('scenarios')).toBe(join(ROOT, 'scenarios/'));
      expect(resolveScenarioPath('missing.yaml')).toBe('missing.yaml');
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('SIGTERM', () => {
  it('stops like Ctrl-C: partial report on stdout with --json -, exit 143', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'sim/mco.ts'), 'run', join(ROOT, 'scenarios/clock-drift.yaml'), '--seeds', '5000', '--workers', '1', '--json', '-'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    let terminated = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // the first periodic progress line (every 5 s) means seeds have finished: terminate
      if (!terminated && /seeds, [\d.]+ runs\/s/.test(stderr)) {
        terminated = true;
        child.kill('SIGTERM');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(stderr).toMatch(/terminated: finishing the seeds in flight/);
    expect(code).toBe(143);
    const report = JSON.parse(stdout);
    expect(report.partial).toBe(true);
    expect(report.runs).toBeGreaterThan(0);
    expect(report.runs).toBeLessThan(5000);
    expect(stderr).toMatch(new RegExp(`clock-drift\\s+${report.runs}\\s`));
  }, 60_000);
});

describe('a reader that stops early (mco list | head -c 1)', () => {
  it('ends quietly: no EPIPE stack, exit 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'sim/mco.ts'), 'list', join(ROOT, 'scenarios')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // read one chunk, then close our end of the pipe, like `head -c 1`
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(/EPIPE|Unhandled|\n\s+at /);
    expect(code).toBe(0);
  }, 30_000);
});
