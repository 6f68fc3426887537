import { describe, expect, it } from 'vitest';
import { clockSpec, fakeSpec, jumpTotals } from '../../sim/live/faketime.js';
import { mergePauses } from '../../sim/live/run.js';

describe('libfaketime specs', () => {
  it('are seconds with decimals (+250ms would be minutes)', () => {
    expect(fakeSpec(250, 0)).toBe('+0.250000');
    expect(fakeSpec(-1500, 0)).toBe('-1.500000');
    expect(fakeSpec(0, 50_000)).toBe('+0.000000 x1.050000000');
  });

  it('move the offset back by what drift adds between the process start and time 0', () => {
    // started 2 s before time 0 at +5%: libfaketime would add 100 ms by time 0
    expect(clockSpec({ offsetMs: 100, driftPpm: 50_000, jumps: [] }, 2000)).toBe('+0.000000 x1.050000000\n');
    expect(clockSpec({ offsetMs: 250, driftPpm: 0, jumps: [] }, 2000, 100)).toBe('+0.350000\n');
  });

  it('jumps accumulate in time order', () => {
    expect(jumpTotals({ offsetMs: 0, driftPpm: 0, jumps: [{ at: 2000, by: -50 }, { at: 1000, by: 300 }] })).toEqual([
      { at: 1000, jumpedMs: 300 },
      { at: 2000, jumpedMs: 250 },
    ]);
  });
});

describe('pauses', () => {
  it('merge where they overlap, as the simulator keeps a node paused until the latest end', () => {
    expect(mergePauses([{ at: 500, for: 100 }, { at: 100, for: 300 }, { at: 300, for: 300 }])).toEqual([
      { at: 100, end: 600 },
    ]);
    expect(mergePauses([{ at: 0, for: 10 }, { at: 10, for: 10 }])).toEqual([{ at: 0, end: 10 }, { at: 10, end: 20 }]);
  });
});
