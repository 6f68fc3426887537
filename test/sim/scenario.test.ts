import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario, parseDuration, parseScenario, ScenarioError } from '../../sim/scenario.js';

const dir = mkdtempSync(join(tmpdir(), 'mco-scenario-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function errorOf(raw: unknown): string {
  try {
    parseScenario(raw, 'x.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return (err as Error).message;
  }
  throw new Error('expected a ScenarioError');
}

describe('durations', () => {
  it.each([
    [5, 5],
    ['5', 5],
    ['5ms', 5],
    ['1.5s', 1500],
    ['2m', 120_000],
    ['200us', 0.2],
    ['300ns', 0.0003],
    ['-30ms', -30],
  ])('%s → %s ms', (input, ms) => {
    expect(parseDuration(input)).toBeCloseTo(ms, 12);
  });
  it.each(['5 parsecs', '', 'ms', {}, null, Number.NaN])('rejects %s', (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });
});

describe('scenario schema', () => {
  it('fills every default for an empty scenario (no faults)', () => {
    const s = parseScenario({}, 'empty.yaml', 'empty');
    expect(s.name).toBe('empty');
    expect(s.nodes).toHaveLength(2);
    expect(s.owner).toEqual({ strategy: 'fixed', acquireIntervalMs: 150, refreshIntervalMs: 400 });
    expect(s.faults.store).toEqual({
      requestLatency: { dist: 'constant', value: 0 },
      responseLatency: { dist: 'constant', value: 0 },
      errorRate: 0,
      lostReplyRate: 0,
    });
    expect(s.faults.pauses.rate).toBe(0);
    expect(s.faults.crashes.rate).toBe(0);
    expect(s.durationMs).toBe(10_000);
  });

  it('reads the documented example', () => {
    const s = loadScenario(
      file(
        'gc.yaml',
        `name: gc-pause
description: Holders stall longer than half the lease.
seeds: 200
duration: 30s
owner: { strategy: lakefs, acquireInterval: 5ms, refreshInterval: 40ms }
nodes: [{ offset: 0ms }, { offset: 30ms, driftPpm: 200, pauses: [{ at: 2s, for: 100ms }], crashes: [{ at: 5s, restartAfter: 1s }] }]
keys: 1
workload:
  think: { dist: exponential, mean: 10ms }
  hold:  { dist: uniform, min: 5ms, max: 50ms }
faults:
  clock:
    offset:   { dist: uniform, min: -5ms, max: 5ms }
    driftPpm: 0
    jumps: [{ node: 1, at: 10s, by: -30ms }]
  pauses: { rate: 0.5, duration: { dist: lognormal, median: 10ms, p99: 80ms } }
  timerLateness: 0ms
  store:
    latency: { dist: lognormal, median: 0.5ms, p99: 3ms }
    errorRate: 0
    lostReplyRate: 0
  crashes: { rate: 0, restartAfter: 1s }
`,
      ),
    );
    expect(s.name).toBe('gc-pause');
    expect(s.seeds).toBe(200);
    expect(s.durationMs).toBe(30_000);
    expect(s.nodes[1]).toEqual({
      offset: 30,
      driftPpm: 200,
      jumps: [],
      pauses: [{ at: 2000, for: 100 }],
      busy: [],
      crashes: [{ at: 5000, restartAfter: 1000 }],
    });
    expect(s.faults.clock.jumps).toEqual([{ node: 1, at: 10_000, by: -30 }]);
    expect(s.faults.store.requestLatency).toEqual({ dist: 'lognormal', median: 0.5, p99: 3 });
    expect(s.faults.pauses.duration).toEqual({ dist: 'lognormal', median: 10, p99: 80 });
  });

  it.each([
    [{ bogus: 1 }, 'x.yaml: bogus: unknown field'],
    [{ owner: { refreshIntervl: '40ms' } }, 'x.yaml: owner.refreshIntervl: unknown field'],
    [{ owner: { refreshInterval: '-40ms' } }, 'x.yaml: owner.refreshInterval: expected a duration > 0'],
    [{ duration: 'soon' }, 'x.yaml: duration: expected a duration > 0'],
    [{ faults: { store: { latency: { dist: 'lognormal', median: '3ms', p99: '1ms' } } } }, 'x.yaml: faults.store.latency.p99: expected p99 ≥ median (3)'],
    [{ faults: { store: { latency: { dist: 'uniform', min: '3ms', max: '1ms' } } } }, 'x.yaml: faults.store.latency.max: expected max ≥ min (3)'],
    [{ faults: { store: { latency: { dist: 'gaussian', mean: 1 } } } }, 'x.yaml: faults.store.latency.dist: expected one of dist: constant, uniform, exponential, lognormal'],
    [{ workload: { hold: '-5ms' } }, 'x.yaml: workload.hold.value: expected a duration ≥ 0'],
    [{ faults: { store: { errorRate: 1.5 } } }, 'x.yaml: faults.store.errorRate: expected a number in [0, 1]'],
    [{ nodes: [{ offset: '1ms' }, { pauses: [{ at: '1s' }] }] }, 'x.yaml: nodes[1].pauses[0].for: expected a duration ≥ 0'],
    [{ nodes: 2, faults: { clock: { jumps: [{ node: 5, at: '1s', by: '1ms' }] } } }, 'x.yaml: faults.clock.jumps[0].node: expected a node index < 2'],
    [{ owner: { strategy: 'redlock' } }, 'x.yaml: owner.strategy: expected one of "lakefs", "fixed", "observed"'],
    [{ seeds: 0 }, 'x.yaml: seeds: expected'],
  ])('rejects %j with one line naming file, field and expectation', (raw, start) => {
    const msg = errorOf(raw);
    expect(msg.startsWith(start), msg).toBe(true);
    expect(msg).not.toContain('\n');
  });

  it('names the file for unreadable files, bad YAML and non-mapping documents', () => {
    expect(() => loadScenario(join(dir, 'missing.yaml'))).toThrow(/missing\.yaml: \(top level\): cannot read the file \(ENOENT\)/);
    expect(() => loadScenario(file('bad.yaml', 'owner: [unclosed\n'))).toThrow(/bad\.yaml: \(top level\): expected YAML or JSON/);
    expect(() => loadScenario(file('list.yaml', '- 1\n- 2\n'))).toThrow(/list\.yaml: \(top level\): expected a mapping/);
  });

  it('accepts JSON and takes the name from the file when absent', () => {
    const s = loadScenario(file('from-json.json', JSON.stringify({ nodes: 4 })));
    expect(s.name).toBe('from-json');
    expect(s.nodes).toHaveLength(4);
  });
});
