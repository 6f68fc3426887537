/**
 * Inputs refused before anything runs: an empty scenario file, and a run its
 * pilot projects past `--max-wall` (sim/pilot.ts).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../sim/cli.js';
import { estimateRun, humanDuration } from '../../sim/pilot.js';
import { runScenario } from '../../sim/runner.js';
import { loadScenario } from '../../sim/scenario.js';
import { capture } from '../helpers/capture.js';

const ROOT = join(import.meta.dirname, '../..');
const lib = (name: string): string => join(ROOT, 'scenarios', `${name}.yaml`);
const dir = mkdtempSync(join(tmpdir(), 'mco-inputs-'));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe('empty scenario files', () => {
  it.each([
    ['empty.yaml', ''],
    ['comments.yaml', '# a scenario, some day\n\n   # nothing yet\n'],
    ['blank.json', '\n\n'],
  ])('%s: one line naming the file, exit 2, on every verb that loads scenarios', async (name, text) => {
    const f = file(name, text);
    for (const args of [['run', f], ['sweep', f, '--vary', 'keys=1,2'], ['compare', f], ['replay', f, '--seed', '1'], ['list', dir]]) {
      const io = capture();
      expect(await main(args)).toBe(2);
      const err = io.err();
      vi.restoreAllMocks();
      expect(err).toMatch(new RegExp(`^mco: ${dir}/\\S+: \\(top level\\): the file is empty \\(or only comments\\): expected a mapping of scenario fields \\(see docs/scenarios.md\\)\\n$`));
      if (args[0] !== 'list') expect(err).toContain(f);
    }
  });
});

describe('--max-wall', () => {
  it('refuses duration: 100000h with the estimate, before running a seed', async () => {
    const f = file('forever.yaml', readFileSync(lib('healthy'), 'utf8').replace(/^duration: .*$/m, 'duration: 100000h'));
    expect(readFileSync(f, 'utf8')).toContain('\nduration: 100000h\n');
    const io = capture();
    expect(await main(['run', f, '--workers', '1'])).toBe(2);
    const err = io.err();
    expect(err.split('\n').filter(Boolean)).toHaveLength(1);
    expect(err).toMatch(/^mco: --max-wall 1h: refused: a pilot projects [\d.e+]+ events, about [\d.e+]+ years of wall time on 1 worker \([\d.e+]+ events per seed of healthy, past its maxEvents\); shorten duration or seeds, or raise --max-wall \(0 or none: no limit\)\n$/);
    expect(io.out()).toBe(''); // no table: nothing ran
  });

  it('a tight limit refuses an ordinary run; 0 and none disable the check; a bad value is exit 2', async () => {
    const args = ['run', lib('healthy'), '--seeds', '2', '--workers', '1'];
    let io = capture();
    expect(await main([...args, '--max-wall', '1us'])).toBe(2);
    expect(io.err()).toMatch(/^mco: --max-wall 1us: refused: /);
    vi.restoreAllMocks();
    for (const off of ['0', 'none', 'NONE']) {
      capture();
      expect(await main([...args, '--max-wall', off])).toBe(0);
      vi.restoreAllMocks();
    }
    io = capture();
    expect(await main([...args, '--max-wall', 'soon'])).toBe(2);
    expect(io.err()).toBe("mco: --max-wall: expected a duration like 30m or 2h, or 0 / none for no limit, got 'soon'\n");
    vi.restoreAllMocks();
    // sweep and compare pilot every cell / strategy
    io = capture();
    expect(await main(['sweep', lib('healthy'), '--vary', 'duration=1s,100000h', '--max-wall', '30m'])).toBe(2);
    expect(io.err()).toContain('refused');
    vi.restoreAllMocks();
    io = capture();
    expect(await main(['compare', lib('healthy'), '--set', 'duration=100000h', '--strategies', 'fixed'])).toBe(2);
    expect(io.err()).toContain('refused');
  });

  it('the pilot changes no report', async () => {
    const out = (n: string): string => join(dir, n);
    capture();
    expect(await main(['run', lib('gc-pause'), '--seeds', '3', '--workers', '1', '--json', out('piloted.json')])).toBe(0);
    expect(await main(['run', lib('gc-pause'), '--seeds', '3', '--workers', '1', '--max-wall', 'none', '--json', out('plain.json')])).toBe(0);
    const read = (f: string) => {
      const r = JSON.parse(readFileSync(f, 'utf8')) as Record<string, any>;
      return { ...r, wallMs: 0, provenance: { ...r.provenance, environment: null } };
    };
    expect(read(out('piloted.json'))).toEqual(read(out('plain.json')));
  }, 60_000);

  it('projects the events of a run to within 15%', async () => {
    for (const name of ['healthy', 'many-keys', 'crash-failover']) {
      const s = loadScenario(lib(name));
      const e = await estimateRun([{ scenario: s, seeds: 2, seedStart: 1 }], { workers: 1 });
      const actual = (await runScenario(s, { seeds: 2 })).events;
      expect(Math.abs(e.events / actual - 1), name).toBeLessThan(0.15);
    }
  }, 60_000);

  it('says durations the way people do', () => {
    expect(humanDuration(850)).toBe('850 ms');
    expect(humanDuration(42_000)).toBe('42 s');
    expect(humanDuration(90 * 60_000)).toBe('1.5 h');
    expect(humanDuration(3 * 365.25 * 86_400_000)).toBe('3 years');
  });
});
