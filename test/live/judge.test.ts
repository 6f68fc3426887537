import { describe, expect, it } from 'vitest';
import type { NodeEvent } from '../../sim/live/protocol.js';
import { judgeRun, type JudgedIncarnation, type RunNoise } from '../../sim/live/run.js';

const ZERO_MS = 1000;
/** A stamp (ns after the base) for true time `ms`. */
const t = (ms: number): string => String(Math.round((ZERO_MS + ms) * 1e6));
const noise = (): RunNoise => ({ startLateMs: [], pauses: [], busy: [], proxyAskedMs: [], proxyAddedMs: [], proxyCuts: { requests: 0, errorBeforeApply: 0, lostReply: 0 }, probeLatenessMs: [], clocks: [] });
const inc = (node: number, events: NodeEvent[], crashedAt?: number, incarnation = 0): JudgedIncarnation => ({ node, incarnation, events, crashedAt });

describe('judging a live run with the simulator’s oracle', () => {
  it('two nodes believing at once on one key is a violation; the overlap is measured on the shared clock', () => {
    const r = judgeRun(1, ZERO_MS, 3000, [
      inc(0, [
        { e: 'call', t: t(10), id: 0, key: 'key-0' },
        { e: 'owned', t: t(11), id: 0, owner: 'node0#a' },
        { e: 'release', t: t(600), id: 0 },
        { e: 'ops', t: t(650), reads: 3, writes: 2 },
      ]),
      inc(1, [
        { e: 'call', t: t(20), id: 0, key: 'key-0' },
        { e: 'owned', t: t(500), id: 0, owner: 'node1#b' },
        { e: 'release', t: t(700), id: 0 },
        { e: 'ops', t: t(750), reads: 5, writes: 1 },
      ]),
    ], [], noise());
    expect(r.acquisitions).toBe(2);
    expect(r.violations).toBe(1);
    expect(r.overlapsMs).toEqual([100]);
    expect(r.maxSimultaneousOwners).toBe(2);
    expect(r.storeReads + r.storeWrites).toBe(11);
  });

  it('a crash ends the belief at the SIGKILL, drops later events of that process, and times the failover', () => {
    const r = judgeRun(1, ZERO_MS, 3000, [
      inc(0, [
        { e: 'call', t: t(10), id: 0, key: 'key-0' },
        { e: 'owned', t: t(11), id: 0, owner: 'node0#a' },
        { e: 'release', t: t(900), id: 0 }, // stamped after the kill: never happened
      ], 300),
      inc(1, [
        { e: 'call', t: t(20), id: 0, key: 'key-0' },
        { e: 'owned', t: t(650), id: 0, owner: 'node1#b' },
      ]),
    ], [{ node: 0, at: 300 }], noise());
    expect(r.violations).toBe(0);
    expect(r.failoversMs).toEqual([350]);
    expect(r.heldMs).toBeCloseTo(289 + 2350, 6);
  });

  // regression (calibration run, drift-lakefs): a node's start timer fired ~0.5 ms early, its first
  // own() was stamped before time 0 and dropped, and its owned event then had no call to belong to
  it('keeps an own() called just before time 0', () => {
    const r = judgeRun(1, ZERO_MS, 3000, [inc(0, [{ e: 'call', t: t(-0.4), id: 0, key: 'key-0' }, { e: 'owned', t: t(2), id: 0, owner: 'node0#a' }])], [], noise());
    expect(r.acquisitions).toBe(1);
    expect(r.acquireLatenciesMs[0]).toBeCloseTo(2.4, 6);
  });

  it('ignores what happens after the end of the run', () => {
    const r = judgeRun(1, ZERO_MS, 1000, [inc(0, [{ e: 'call', t: t(10), id: 0, key: 'key-0' }, { e: 'owned', t: t(1500), id: 0, owner: 'node0#a' }])], [], noise());
    expect(r.acquisitions).toBe(0);
    expect(r.pendingOwnAgesMs).toEqual([990]);
  });
});
