import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../sim/cli.js';
import { liveRefusal } from '../../sim/live/refuse.js';
import { parseScenario } from '../../sim/scenario.js';

const dir = mkdtempSync(join(tmpdir(), 'mco-live-cmd-'));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

function capture() {
  let err = '';
  let out = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  return { err: () => err, out: () => out };
}

afterEach(() => vi.restoreAllMocks());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mco live: bad input is one line, exit 2, nothing started', () => {
  const ok = file('ok.yaml', 'duration: 1s\nnodes: 2\n');
  it.each([
    [['live', file('late.yaml', 'faults: { timerLateness: 5ms }\n')], /^mco: .*late\.yaml: faults\.timerLateness: late timers are not supported live \(.*\n$/],
    [['live', file('err.yaml', 'faults: { store: { errorRate: 1.5 } }\n')], /^mco: .*err\.yaml: faults\.store\.errorRate: expected a number in \[0, 1\], got 1\.5\n$/],
    [['live', file('lost.yaml', 'faults: { store: { lostReplyRate: -0.1 } }\n')], /^mco: .*lost\.yaml: faults\.store\.lostReplyRate: expected a number in \[0, 1\].*\n$/],
    [['live', file('none.yaml', 'owner: { strategy: none }\n')], /^mco: .*none\.yaml: owner\.strategy: none .* not supported live.*\n$/],
    [['live', file('bad.yaml', 'nodes: -1\n')], /^mco: .*bad\.yaml: nodes: .*\n$/],
    [['live', ok, '--runs', '0'], /^mco: --runs: expected a whole number from 1 to 100000, got 0\n$/],
    [['live', ok, '--parallel', '99'], /^mco: --parallel: expected a whole number from 1 to 16, got 99\n$/],
    [['live', ok, '--store', 'mysql'], /^mco: --store: expected one of .*redis.*postgres.*\n$/],
    [['live', join(dir, 'missing.yaml')], /^mco: .*missing\.yaml: \(top level\): no such file or directory\n$/],
  ])('%j', async (args, line) => {
    const io = capture();
    const code = await main(args);
    expect(io.err()).toMatch(line);
    expect(code).toBe(2);
  });
});

describe('liveRefusal', () => {
  it('accepts every fault that has a live mechanism', () => {
    const s = parseScenario(
      {
        nodes: [{ offset: '250ms', driftPpm: 100, jumps: [{ at: '1s', by: '50ms' }], pauses: [{ at: '1s', for: '300ms' }], crashes: [{ at: '2s' }] }, {}],
        faults: { pauses: { rate: 1, duration: '100ms' }, crashes: { rate: 0.1 }, store: { latency: '20ms' }, clock: { offset: { dist: 'uniform', min: 0, max: 100 } } },
      },
      'x.yaml',
    );
    expect(liveRefusal(s)).toBeUndefined();
  });

  it('accepts store errors and lost replies (on either store)', () => {
    const s = parseScenario({ faults: { store: { errorRate: 0.1, lostReplyRate: 0.1 } } }, 'x.yaml');
    expect(liveRefusal(s)).toBeUndefined();
  });
});
