import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { judge, Oracle, type Belief } from '../../sim/oracle.js';

/** One step of a run as the oracle sees it. Times only grow; few distinct values, so ties are common. */
type Step =
  | { op: 'own'; dt: number; node: number; key: number }
  | { op: 'resolve'; dt: number; pick: number; owner: number }
  | { op: 'fail'; dt: number; pick: number }
  | { op: 'end'; dt: number; pick: number; told: boolean }
  | { op: 'crash'; dt: number; node: number };

const dt = fc.constantFrom(0, 0, 0, 1, 2.5, 7);
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant('own' as const), dt, node: fc.nat(3), key: fc.nat(2) }),
  fc.record({ op: fc.constant('resolve' as const), dt, pick: fc.nat(), owner: fc.nat(5) }),
  fc.record({ op: fc.constant('fail' as const), dt, pick: fc.nat() }),
  fc.record({ op: fc.constant('end' as const), dt, pick: fc.nat(), told: fc.boolean() }),
  fc.record({ op: fc.constant('crash' as const), dt, node: fc.nat(3) }),
);

/** Plays `steps` into an Oracle; returns its result and every belief it handed out. */
function play(steps: Step[], keepBeliefs = false) {
  const oracle = new Oracle(undefined, { keepBeliefs });
  const beliefs: Belief[] = [];
  const pending: { ticket: number; node: number }[] = [];
  const open: Belief[] = [];
  let now = 0;
  for (const s of steps) {
    now += s.dt;
    if (s.op === 'own') pending.push({ ticket: oracle.ownCalled(s.node, `k${s.key}`, now), node: s.node });
    else if (s.op === 'resolve' && pending.length > 0) {
      const [p] = pending.splice(s.pick % pending.length, 1);
      // owner ids repeat across beliefs now and then: a belief never overlaps its own owner
      const b = oracle.owned(p!.ticket, `o${s.owner}`, now);
      beliefs.push(b);
      open.push(b);
    } else if (s.op === 'fail' && pending.length > 0) oracle.ownFailed(pending.splice(s.pick % pending.length, 1)[0]!.ticket);
    else if (s.op === 'end' && open.length > 0) {
      const [b] = open.splice(s.pick % open.length, 1);
      if (s.told) oracle.told(b!, now);
      else oracle.releasing(b!, now);
    } else if (s.op === 'crash') {
      oracle.crashed(s.node, now);
      for (let i = pending.length - 1; i >= 0; i--) if (pending[i]!.node === s.node) pending.splice(i, 1);
      for (let i = open.length - 1; i >= 0; i--) if (open[i]!.node === s.node) open.splice(i, 1);
    }
  }
  return { result: oracle.finish(now + steps.length % 3), beliefs };
}

describe('Oracle (judging as the run goes)', () => {
  it('gives exactly what judge() gives from all beliefs at the end: counts, overlaps in order, sums, first violation', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 120 }), (steps) => {
        const { result, beliefs } = play(steps);
        const batch = judge(beliefs, result.acquireLatenciesMs, result.handoffsMs, result.failoversMs);
        expect({ ...result, pendingOwnAgesMs: undefined }).toStrictEqual({ ...batch, pendingOwnAgesMs: undefined });
      }),
      { numRuns: 500 },
    );
  });

  it('keepBeliefs: hands out every belief it judged and every overlap behind overlapsMs, and judges the same', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 120 }), (steps) => {
        const kept = play(steps, true);
        const { beliefs: keptBeliefs, overlaps, ...rest } = kept.result;
        expect(rest).toStrictEqual(play(steps).result);
        expect(keptBeliefs).toEqual(kept.beliefs);
        expect(keptBeliefs!.every((b, i) => b === kept.beliefs[i] && b.end !== undefined)).toBe(true);
        expect(overlaps!.map((o) => o.end - o.start)).toEqual(kept.result.overlapsMs);
        for (const o of overlaps!) {
          expect(o.earlier.key === o.key && o.later.key === o.key && o.earlier.owner !== o.later.owner).toBe(true);
          expect(o.earlier.start <= o.start && o.start === o.later.start && o.start < o.earlier.end!).toBe(true);
          expect(o.end).toBe(Math.min(o.earlier.end!, o.later.end!));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('finds violations on this example (the comparison above is not vacuous)', () => {
    const { result } = play([
      { op: 'own', dt: 0, node: 0, key: 0 },
      { op: 'own', dt: 0, node: 1, key: 0 },
      { op: 'resolve', dt: 1, pick: 0, owner: 0 },
      { op: 'resolve', dt: 1, pick: 0, owner: 1 },
      { op: 'end', dt: 2.5, pick: 0, told: false },
    ]);
    expect(result.violations).toBe(1);
    expect(result.overlapsMs).toEqual([2.5]);
    expect(result.maxSimultaneousOwners).toBe(2);
    expect(result.firstViolation).toMatchObject({ key: 'k0', at: 2, earlier: { owner: 'o0' }, later: { owner: 'o1' } });
  });

  it('names the violation on the first key (in key order) when two keys have one at the same instant', () => {
    const steps: Step[] = [
      { op: 'own', dt: 0, node: 0, key: 1 },
      { op: 'own', dt: 0, node: 1, key: 1 },
      { op: 'own', dt: 0, node: 2, key: 0 },
      { op: 'own', dt: 0, node: 3, key: 0 },
      { op: 'resolve', dt: 1, pick: 0, owner: 0 }, // k1
      { op: 'resolve', dt: 0, pick: 1, owner: 2 }, // k0
      { op: 'resolve', dt: 1, pick: 0, owner: 1 }, // k1: violation at t = 2
      { op: 'resolve', dt: 0, pick: 0, owner: 3 }, // k0: violation at t = 2
    ];
    const { result, beliefs } = play(steps);
    expect(result.violations).toBe(2);
    expect(result.firstViolation).toMatchObject({ key: 'k0', at: 2 });
    expect(result.firstViolation).toStrictEqual(judge(beliefs).firstViolation);
  });

  it('believed(): keeps what the record names, forgets believed owners the record moved away from', () => {
    let named: string | undefined;
    const oracle = new Oracle(() => named);
    const own = (owner: string, t: number): void => void oracle.owned(oracle.ownCalled(0, 'k', t), owner, t);
    expect(oracle.believed('k', 'x')).toBe(false);
    named = 'x';
    own('x', 1);
    expect(oracle.believed('k', 'x')).toBe(true);
    // y's write was overwritten by x's before y's own() resolved: the record still names x
    own('y', 2);
    expect(oracle.believed('k', 'x')).toBe(true);
    expect(oracle.believed('k', 'y')).toBe(true);
    expect(oracle.believed('j', 'x')).toBe(false); // another key
    named = 'z';
    own('z', 3);
    expect(oracle.believed('k', 'z')).toBe(true);
    expect(oracle.believed('k', 'x')).toBe(false); // forgotten: the record can never name x again
    // without a record reader nothing is forgotten
    const keepAll = new Oracle();
    for (const [i, o] of ['a', 'b', 'c'].entries()) keepAll.owned(keepAll.ownCalled(0, 'k', i), o, i);
    expect(['a', 'b', 'c'].map((o) => keepAll.believed('k', o))).toEqual([true, true, true]);
  });
});
