/**
 * Where violations are judged. The oracle watches, in true time, the interval
 * during which each owner instance *believes* it owns a key: from the moment
 * its `own()` resolves until it calls `release()`, or its node crashes. Two
 * intervals of different owner instances on one key that overlap are a
 * violation (double ownership). Definitions used in reports:
 * - `violations`: acquisitions that began while another owner instance still
 *   believed it owned the key (each acquisition is one Bernoulli trial);
 * - overlap: for each overlapping pair, the time both believed; `overlapMs`
 *   sums and ranks these;
 * - max simultaneous owners: the most beliefs on one key at one instant;
 * - acquire latency: `own()` called → resolved;
 * - handoff: `release()` called while someone waited → next owner's belief;
 * - failover: crash of a node holding a belief → next owner's belief.
 */

export interface Belief {
  readonly key: string;
  readonly owner: string;
  readonly node: number;
  readonly start: number;
  end: number | undefined;
  endReason: 'release' | 'crash' | 'told' | 'run-end' | undefined;
}

/** The two owners of the first violation of a run, for replay. */
export interface ViolationInfo {
  key: string;
  at: number;
  earlier: { owner: string; node: number; start: number };
  later: { owner: string; node: number; start: number };
}

export interface OracleResult {
  acquisitions: number;
  /** Beliefs ended because the holder was told it lost the ownership (`ownership.lost`). */
  told: number;
  violations: number;
  overlapsMs: number[];
  maxSimultaneousOwners: number;
  heldMs: number;
  acquireLatenciesMs: number[];
  handoffsMs: number[];
  failoversMs: number[];
  firstViolation: ViolationInfo | undefined;
  /** Age (ms) at the end of the run of each `own()` call still pending then (not counted in acquire latency). */
  pendingOwnAgesMs: number[];
}

interface PendingOwn {
  node: number;
  key: string;
  start: number;
}

export class Oracle {
  readonly beliefs: Belief[] = [];
  readonly #pending = new Map<number, PendingOwn>();
  #nextPending = 0;
  readonly #active = new Map<string, Belief[]>();
  readonly #handoffFrom = new Map<string, number>();
  readonly #failoverFrom = new Map<string, number>();
  readonly #acquire: number[] = [];
  readonly #handoffs: number[] = [];
  readonly #failovers: number[] = [];
  readonly #owners = new Set<string>();

  /** `own()` was called; returns a ticket for {@link Oracle.owned}. */
  ownCalled(node: number, key: string, now: number): number {
    const id = this.#nextPending++;
    this.#pending.set(id, { node, key, start: now });
    return id;
  }

  /** `own()` rejected: the call is no longer waiting. */
  ownFailed(ticket: number): void {
    this.#pending.delete(ticket);
  }

  /** `own()` resolved: a belief starts. */
  owned(ticket: number, owner: string, now: number): Belief {
    const p = this.#pending.get(ticket)!;
    this.#pending.delete(ticket);
    this.#acquire.push(now - p.start);
    const b: Belief = { key: p.key, owner, node: p.node, start: now, end: undefined, endReason: undefined };
    this.beliefs.push(b);
    this.#owners.add(owner);
    const active = this.#active.get(p.key) ?? [];
    active.push(b);
    this.#active.set(p.key, active);
    const h = this.#handoffFrom.get(p.key);
    if (h !== undefined) {
      this.#handoffs.push(now - h);
      this.#handoffFrom.delete(p.key);
    }
    const f = this.#failoverFrom.get(p.key);
    if (f !== undefined) {
      this.#failovers.push(now - f);
      this.#failoverFrom.delete(p.key);
    }
    return b;
  }

  /** The holder calls `release()`: its belief ends. */
  releasing(b: Belief, now: number): void {
    this.#end(b, now, 'release');
    if (this.#waiting(b.key)) this.#handoffFrom.set(b.key, now);
  }

  /** The holder was told it lost the ownership: its belief ends (it stops acting, then releases). */
  told(b: Belief, now: number): void {
    this.#end(b, now, 'told');
  }

  /** Whether the owner id's `own()` has resolved (its belief began) in this run. */
  believed(owner: string): boolean {
    return this.#owners.has(owner);
  }

  /** Node `node` crashed: its beliefs end, its pending `own()` calls vanish. */
  crashed(node: number, now: number): void {
    for (const [id, p] of this.#pending) if (p.node === node) this.#pending.delete(id);
    for (const active of [...this.#active.values()]) {
      for (const b of [...active]) {
        if (b.node !== node) continue;
        this.#end(b, now, 'crash');
        this.#failoverFrom.set(b.key, now);
      }
    }
  }

  /** Closes the beliefs still open at the end of the run and computes the results. */
  finish(now: number): OracleResult {
    for (const active of [...this.#active.values()]) for (const b of [...active]) this.#end(b, now, 'run-end');
    const pendingOwnAgesMs = [...this.#pending.values()].map((p) => now - p.start);
    return { ...judge(this.beliefs, this.#acquire, this.#handoffs, this.#failovers), pendingOwnAgesMs };
  }

  #waiting(key: string): boolean {
    for (const p of this.#pending.values()) if (p.key === key) return true;
    return false;
  }

  #end(b: Belief, now: number, reason: 'release' | 'crash' | 'told' | 'run-end'): void {
    if (b.end !== undefined) return;
    b.end = now;
    b.endReason = reason;
    const active = this.#active.get(b.key)!;
    active.splice(active.indexOf(b), 1);
  }
}

/** Judges closed belief intervals: violations, overlaps, simultaneity, held time. */
export function judge(
  beliefs: readonly Belief[],
  acquireLatenciesMs: number[] = [],
  handoffsMs: number[] = [],
  failoversMs: number[] = [],
): Omit<OracleResult, 'pendingOwnAgesMs'> {
  const byKey = new Map<string, Belief[]>();
  let heldMs = 0;
  for (const b of beliefs) {
    heldMs += b.end! - b.start;
    const list = byKey.get(b.key) ?? [];
    list.push(b);
    byKey.set(b.key, list);
  }
  let violations = 0;
  let maxSimultaneousOwners = beliefs.length > 0 ? 1 : 0;
  const overlapsMs: number[] = [];
  let firstViolation: ViolationInfo | undefined;
  for (const [key, list] of [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    // beliefs are recorded in start order; the sort is stable for equal starts
    const sorted = [...list].sort((a, b) => a.start - b.start);
    const open: Belief[] = [];
    for (const b of sorted) {
      for (let i = open.length - 1; i >= 0; i--) if (open[i]!.end! <= b.start) open.splice(i, 1);
      const overlapping = open.filter((o) => o.owner !== b.owner);
      if (overlapping.length > 0) {
        violations++;
        for (const o of overlapping) overlapsMs.push(Math.min(o.end!, b.end!) - b.start);
        if (firstViolation === undefined || b.start < firstViolation.at) {
          const o = overlapping[0]!;
          firstViolation = {
            key,
            at: b.start,
            earlier: { owner: o.owner, node: o.node, start: o.start },
            later: { owner: b.owner, node: b.node, start: b.start },
          };
        }
      }
      if (b.end! > b.start) open.push(b);
      maxSimultaneousOwners = Math.max(maxSimultaneousOwners, open.length);
    }
  }
  return {
    acquisitions: beliefs.length,
    told: beliefs.filter((b) => b.endReason === 'told').length,
    violations,
    overlapsMs,
    maxSimultaneousOwners,
    heldMs,
    acquireLatenciesMs,
    handoffsMs,
    failoversMs,
    firstViolation,
  };
}
