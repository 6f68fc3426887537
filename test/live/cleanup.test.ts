/**
 * No orphans, however the coordinator ends: killed outright (SIGKILL, while
 * a node may be stopped by a pause), or asked to stop (SIGTERM: every
 * process ended, a partial report written, exit 130). Processes are found
 * by a marker in their environment, which every child inherits.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sweepStaleTmp } from '../../sim/live/command.js';

/** Pids of live processes whose environment carries `mark` (zombies have none). */
function marked(mark: string): number[] {
  return pids((pid) => readFileSync(`/proc/${pid}/environ`, 'latin1').includes(`MCO_TEST_MARK=${mark}`));
}

/**
 * The coordinator's redis-server, by the port it printed: redis-server
 * rewrites its process title over its environment, so it carries no marker.
 */
function redisOf(stderr: string): number[] {
  const port = /redis:\/\/127\.0\.0\.1:(\d+)/.exec(stderr)?.[1];
  if (port === undefined) return [];
  return pids((pid) => readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(`redis-server 127.0.0.1:${port}`));
}

function pids(test: (pid: string) => boolean): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (test(pid)) out.push(Number(pid));
    } catch {
      // gone, or not ours to read
    }
  }
  return out.filter((p) => p !== process.pid);
}

async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (cond()) return true;
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'mco-live-cleanup-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function coordinator(mark: string, json: string, parallel = 2) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'sim/mco.ts', 'live', 'scenarios/live/pause-lakefs.yaml', '--set', 'faults.pauses.rate=3', '--runs', '20', '--parallel', String(parallel), '--json', json], {
    env: { ...process.env, MCO_TEST_MARK: mark, REDIS_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

describe('mco live cleans up', () => {
  it('leaves no process behind when the coordinator is killed mid-run (SIGKILL)', async () => {
    const mark = randomUUID();
    const c = coordinator(mark, join(mkdtempSync(join(scratch, 'kill-')), 'out.json'));
    // 2 runs × (3 nodes + probe), and the redis-server
    expect(await until(() => marked(mark).length >= 8 && redisOf(c.stderr()).length === 1, 60_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 1500)); // into the runs, pauses under way
    c.child.kill('SIGKILL');
    await c.exited;
    expect(await until(() => marked(mark).length === 0 && redisOf(c.stderr()).length === 0, 5000)).toBe(true);
    // its temporary directory outlives it, and the next mco live removes it
    const left = join(tmpdir(), readdirSync(tmpdir()).find((n) => n.startsWith(`mco-live-${c.child.pid}-`))!);
    expect(existsSync(left)).toBe(true);
    sweepStaleTmp(tmpdir());
    expect(existsSync(left)).toBe(false);
  }, 90_000);

  it('stops with one line and exit 1 when the store server dies mid-run, leaving no process behind', async () => {
    const mark = randomUUID();
    const c = coordinator(mark, join(mkdtempSync(join(scratch, 'crash-')), 'out.json'));
    expect(await until(() => marked(mark).length >= 8 && redisOf(c.stderr()).length === 1, 60_000)).toBe(true);
    process.kill(redisOf(c.stderr())[0]!, 'SIGKILL');
    expect(await c.exited).toBe(1);
    expect(c.stderr()).toMatch(/mco: redis-server exited \(SIGKILL\) during the run\n/);
    expect(await until(() => marked(mark).length === 0, 5000)).toBe(true);
  }, 120_000);

  it('ends every process on SIGTERM, writes the partial report and exits 130', async () => {
    const mark = randomUUID();
    const json = join(mkdtempSync(join(scratch, 'term-')), 'out.json');
    // one run at a time: any progress line ("k/20 seeds", printed at most every 5 s, so not
    // necessarily for k = 1) means seed 1 finished, so the partial report (the finished prefix of
    // seeds) has a run; with two at a time seed 2 could finish first and the prefix be empty
    const c = coordinator(mark, json, 1);
    expect(await until(() => /\b[1-9]\d*\/20 seeds/.test(c.stderr()), 90_000)).toBe(true);
    c.child.kill('SIGTERM');
    expect(await c.exited).toBe(130);
    expect(marked(mark)).toEqual([]);
    expect(redisOf(c.stderr())).toEqual([]);
    expect(existsSync(json)).toBe(true);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.partial).toBe(true);
    expect(report.mode).toBe('live');
    expect(report.runs).toBeGreaterThanOrEqual(1);
  }, 120_000);
});
