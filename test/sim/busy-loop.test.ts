/**
 * faults.busyLoop (sim/faults/busy-loop.ts): a blocked event loop holds the
 * node's timers until the block ends, blocks queue where pauses merge, and a
 * block longer than lakefs's slack makes a second owner.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blockSpan, scheduleBlocks, stallsOf, type Block } from '../../sim/faults/busy-loop.js';
import { schedulePauses, type Pause } from '../../sim/faults/pauses.js';
import { createEngine, ENGINE_KINDS } from '../../sim/engines.js';
import { NodeClock } from '../../sim/node-clock.js';
import { runSeed } from '../../sim/run.js';
import { parseScenario } from '../../sim/scenario.js';
import { safetyAnalysis } from '../../sim/bound.js';
import { RUNS_FACTOR } from '../helpers/property.js';

describe('blocks queue, pauses merge', () => {
  it('a block planned during a stall starts when it ends and lasts its whole length', () => {
    expect(blockSpan(100, 50, 0)).toEqual({ start: 100, end: 150 });
    expect(blockSpan(100, 50, 130)).toEqual({ start: 130, end: 180 });
  });

  it('stallsOf: two overlapping blocks stall for the sum; a pause inside a block merges with it', () => {
    expect(stallsOf([], [{ at: 0, for: 100 }, { at: 50, for: 100 }])).toEqual([{ at: 0, for: 100 }, { at: 100, for: 100 }]);
    expect(stallsOf([{ at: 0, for: 100 }, { at: 50, for: 100 }], [])).toEqual([{ at: 0, for: 100 }, { at: 50, for: 100 }]); // merged later: [0, 150)
    expect(stallsOf([{ at: 20, for: 30 }], [{ at: 0, for: 100 }])).toEqual([{ at: 0, for: 100 }, { at: 20, for: 30 }]);
    expect(stallsOf([{ at: 0, for: 100 }], [{ at: 0, for: 10 }])).toEqual([{ at: 0, for: 100 }, { at: 100, for: 10 }]);
  });
});

const span = (ms: number) => fc.integer({ min: 0, max: ms }); // whole ms: lengths compare exactly

describe.each(ENGINE_KINDS)('a node\'s timers never fire inside a block (%s engine)', (kind) => {
  it('each timer fires at its due time, or, when that falls in a stall, exactly when the stall ends', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: span(1000), for: span(200) }), { maxLength: 6 }),
        fc.array(fc.record({ at: span(1000), for: span(200) }), { maxLength: 3 }),
        fc.array(fc.record({ setAt: span(1000), ms: span(300) }), { minLength: 1, maxLength: 20 }),
        async (blocks: Block[], pauses: Pause[], timers) => {
          const engine = createEngine(kind, { maxEvents: 10_000 });
          const node = engine.addNode();
          const clock = new NodeClock(engine, node, { offsetMs: 0, driftPpm: 0, jumps: [] }, () => 0);
          schedulePauses(engine, node, pauses);
          const spans: { start: number; end: number }[] = [];
          scheduleBlocks(engine, node, blocks, (_b, start, end) => spans.push({ start, end }));
          const fired: { due: number; at: number }[] = [];
          for (const t of timers) {
            engine.at(
              t.setAt,
              () => {
                const due = engine.now + t.ms; // set when the node runs (itself held by a stall)
                void clock.sleep(t.ms).then(() => fired.push({ due, at: engine.now }));
              },
              { gate: node, flush: true },
            );
          }
          await engine.run(5000);
          // the stalls as the node lived them: pauses, and blocks where they really ran
          const stalls = [...pauses.map((p) => ({ start: p.at, end: p.at + p.for })), ...spans].filter((s) => s.end > s.start);
          expect(spans.map((s) => s.end - s.start).sort()).toEqual(blocks.map((b) => b.for).sort()); // every block ran its whole length
          for (const f of fired) {
            for (const b of spans) expect(f.at > b.start && f.at < b.end).toBe(false);
            if (f.at === f.due) continue; // not held
            expect(f.at).toBeGreaterThan(f.due);
            expect(stalls.some((s) => s.end === f.at)).toBe(true); // held until a stall's end
          }
        },
      ),
      { numRuns: 200 * RUNS_FACTOR },
    );
  });
});

describe('busyLoop under lakefs (refreshInterval 400 ms: a refresh every 200 ms, slack 200 ms)', () => {
  // node 0 takes the key at once and holds it 2 s; node 1 asks 50 ms later and waits
  const scenario = (blocks: string) =>
    parseScenario(
      {
        duration: '3s',
        owner: { strategy: 'lakefs', acquireInterval: '50ms', refreshInterval: '400ms' },
        nodes: [{ busy: JSON.parse(blocks) as unknown }, {}],
        workload: { think: { dist: 'constant', value: '50ms' }, hold: { dist: 'constant', value: '2s' } },
      },
      'constructed.yaml',
    );

  it('a block longer than the slack lets the waiter steal: a violation', async () => {
    const r = await runSeed(scenario('[{"at": "500ms", "for": "700ms"}]'), 1);
    expect(r.violations).toBeGreaterThan(0);
  });

  it('a block shorter than the slack does not', async () => {
    const r = await runSeed(scenario('[{"at": "500ms", "for": "100ms"}]'), 1);
    expect(r.violations).toBe(0);
  });

  // the holder refreshes at ≈ 250, 450, 650 ms …: the refresh due at 650 must run before 850 (450 + 400)
  it('two 150 ms blocks 10 ms apart queue into a 300 ms stall (a violation), where two such pauses would merge into 160 ms (none)', async () => {
    const blocks = await runSeed(scenario('[{"at": "600ms", "for": "150ms"}, {"at": "610ms", "for": "150ms"}]'), 1);
    expect(blocks.violations).toBeGreaterThan(0);
    const s = scenario('[]');
    s.nodes[0]!.pauses = [{ at: 600, for: 150 }, { at: 610, for: 150 }];
    expect((await runSeed(s, 1)).violations).toBe(0);
  });

  it('mco bound: Poisson blocks are unbounded; scheduled ones count where they queue', () => {
    const poisson = parseScenario({ owner: { strategy: 'lakefs' }, faults: { busyLoop: { rate: 1, duration: '10ms' } } }, 'x.yaml');
    expect(safetyAnalysis(poisson).unbounded.some((u) => u.startsWith('faults.busyLoop.rate'))).toBe(true);
    const two = [{ at: '500ms', for: '150ms' }, { at: '510ms', for: '150ms' }];
    const margin = (node: object) => safetyAnalysis(parseScenario({ owner: { strategy: 'lakefs', refreshInterval: '400ms' }, nodes: [node, {}] }, 'x.yaml')).marginMs;
    expect(margin({ busy: two })).toBeCloseTo(margin({ pauses: [{ at: '500ms', for: '300ms' }] }), 9); // queued: one 300 ms stall
    expect(margin({ pauses: two })).toBeCloseTo(margin({ pauses: [{ at: '500ms', for: '160ms' }] }), 9); // merged: 160 ms
  });
});
