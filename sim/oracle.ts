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

/** Two owners that believed at once: `later` began while `earlier` still believed (one violation has one or more). */
export interface Overlap {
  readonly key: string;
  readonly earlier: Belief;
  readonly later: Belief;
  /** True time both began believing (`later.start`). */
  readonly start: number;
  /** True time the first of the two stopped. */
  readonly end: number;
}

/** Options of {@link Oracle}. */
export interface OracleOptions {
  /**
   * Keep every belief and overlap for the result (`beliefs`, `overlaps`), as
   * a replay draws them; otherwise the oracle forgets beliefs once no later
   * one can overlap them, so its memory does not grow with the run.
   */
  keepBeliefs?: boolean;
  /**
   * The lease slack of belief `b` as it ends at `now` (released or told):
   * how long (ms) before another node may judge its record expired, or
   * undefined when it cannot be said. Negative slack is a near miss: the
   * holder believed past its lease. Feeds `marginMs`.
   */
  slack?: (b: Belief, now: number) => number | undefined;
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
  /**
   * How close the run came to a violation (ms): the smallest lease slack of
   * a belief when it ended (released or told; see {@link OracleOptions.slack})
   * or, when beliefs overlapped, minus the longest overlap. Null when neither
   * was measured. Importance sampling's cross-entropy method ranks runs by it.
   */
  marginMs: number | null;
  /** With `keepBeliefs`: every belief, in start order, each closed. */
  beliefs?: readonly Belief[];
  /** With `keepBeliefs`: every overlap, in the order of `overlapsMs` (`end - start` is its sample). */
  overlaps?: readonly Overlap[];
}

interface PendingOwn {
  node: number;
  key: string;
  start: number;
}

/** What the oracle keeps per key while a run goes on. */
interface KeyState {
  /** Beliefs that may still overlap a later one, in start order (the `open` list of {@link judge}). */
  readonly open: Belief[];
  /** Beliefs that started at the current instant: judged once true time moves on (their ends at that instant are known then). */
  readonly starting: Belief[];
  /** Overlapping pairs in {@link judge}'s order; their lengths are computed at the end, when both ends are known. */
  readonly overlaps: { earlier: Belief; later: Belief }[];
}

/**
 * The oracle judges as the run goes, so that what it keeps does not grow with
 * simulated time: a belief is judged against the others on its key once true
 * time has moved past its start (every end at that instant is known by then)
 * and forgotten once no later belief can overlap it. The result is exactly
 * what {@link judge} computes from every belief at the end of the run (a test
 * compares the two): the same counts, the same samples in the same order, the
 * same sums added in the same order. What still grows is what the result is
 * made of: one sample per acquisition (latency), per handoff and per failover
 * (8 bytes each), and the overlaps of violations.
 */
export class Oracle {
  readonly #pending = new Map<number, PendingOwn>();
  #nextPending = 0;
  readonly #active = new Map<string, Belief[]>();
  readonly #handoffFrom = new Map<string, number>();
  readonly #failoverFrom = new Map<string, number>();
  // exact samples: arrays of doubles are stored unboxed (8 bytes a sample)
  readonly #acquire: number[] = [];
  readonly #handoffs: number[] = [];
  readonly #failovers: number[] = [];
  /** Per key, the owners whose `own()` resolved and that the key's record may still name (see {@link Oracle.believed}). */
  readonly #believed = new Map<string, Set<string>>();
  readonly #recordOwner: ((key: string) => string | undefined) | undefined;
  readonly #keys = new Map<string, KeyState>();
  /** Keys with beliefs waiting in `starting`. */
  readonly #startingKeys = new Set<KeyState>();
  /** Start of the beliefs in `starting` (they all started at this instant). */
  #startingAt = -Infinity;
  /** Beliefs in start order whose held time is not yet added (held time is summed in start order, as {@link judge} does). */
  readonly #unsummed = new Queue<Belief>();
  #heldMs = 0;
  #acquisitions = 0;
  #told = 0;
  #violations = 0;
  #maxSimultaneous = 0;
  /** Smallest lease slack at a belief's end (see {@link OracleResult.marginMs}). */
  #slackMs = Infinity;
  readonly #slack: ((b: Belief, now: number) => number | undefined) | undefined;
  #firstViolation: ViolationInfo | undefined;
  /** Every belief, when the options ask to keep them. */
  readonly #kept: Belief[] | undefined;

  /**
   * @param recordOwner the owner named in a key's stored record right now;
   *   with it the oracle forgets believed owners the record can no longer name
   *   (see {@link Oracle.believed}), so that memory does not grow with
   *   acquisitions
   */
  constructor(recordOwner?: (key: string) => string | undefined, options: OracleOptions = {}) {
    this.#recordOwner = recordOwner;
    this.#kept = options.keepBeliefs ? [] : undefined;
    this.#slack = options.slack;
  }

  /** `own()` was called; returns a ticket for {@link Oracle.owned}. */
  ownCalled(node: number, key: string, now: number): number {
    this.#judgeBefore(now);
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
    this.#judgeBefore(now);
    const p = this.#pending.get(ticket)!;
    this.#pending.delete(ticket);
    this.#acquire.push(now - p.start);
    const b: Belief = { key: p.key, owner, node: p.node, start: now, end: undefined, endReason: undefined };
    this.#acquisitions++;
    this.#unsummed.push(b);
    this.#kept?.push(b);
    this.#addBelieved(p.key, owner);
    const active = this.#active.get(p.key) ?? [];
    active.push(b);
    this.#active.set(p.key, active);
    let state = this.#keys.get(p.key);
    if (state === undefined) this.#keys.set(p.key, (state = { open: [], starting: [], overlaps: [] }));
    state.starting.push(b);
    this.#startingKeys.add(state);
    this.#startingAt = now;
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
    this.#judgeBefore(now);
    this.#end(b, now, 'release');
    if (this.#waiting(b.key)) this.#handoffFrom.set(b.key, now);
  }

  /** The holder was told it lost the ownership: its belief ends (it stops acting, then releases). */
  told(b: Belief, now: number): void {
    this.#judgeBefore(now);
    this.#end(b, now, 'told');
  }

  /**
   * Whether `owner`, named in `key`'s record right now, has had its `own()`
   * resolve (its belief began) in this run. Asked only about the owner the
   * key's record names at the time of asking.
   *
   * What it keeps is bounded: when a belief starts on a key, every other
   * believed owner of that key except the one its record names is forgotten.
   * A forgotten owner X can never be named by the record again: its `own()`
   * has resolved, so X writes only with SetIf predicates equal to bytes that
   * name X, and the record no longer names X (nothing but X's writes can make
   * it name X). So the answer for the owner the record names is the same as
   * if every believed owner were kept. (This rests on the owner writing only
   * through SetIf, as every strategy does; a `wrapStore` that turned SetIf
   * into an unconditional write would break it.)
   */
  believed(key: string, owner: string): boolean {
    return this.#believed.get(key)?.has(owner) ?? false;
  }

  #addBelieved(key: string, owner: string): void {
    let owners = this.#believed.get(key);
    if (owners === undefined) this.#believed.set(key, (owners = new Set()));
    if (this.#recordOwner !== undefined && owners.size > 0) {
      const named = this.#recordOwner(key);
      for (const o of owners) if (o !== named) owners.delete(o);
    }
    owners.add(owner);
  }

  /** Node `node` crashed: its beliefs end, its pending `own()` calls vanish. */
  crashed(node: number, now: number): void {
    this.#judgeBefore(now);
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
    this.#judgeBefore(Infinity);
    const pendingOwnAgesMs = [...this.#pending.values()].map((p) => now - p.start);
    const overlapsMs: number[] = [];
    const overlaps: Overlap[] = [];
    for (const [key, state] of [...this.#keys].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      for (const { earlier, later } of state.overlaps) {
        const end = Math.min(earlier.end!, later.end!);
        overlapsMs.push(end - later.start);
        if (this.#kept) overlaps.push({ key, earlier, later, start: later.start, end });
      }
    }
    return {
      acquisitions: this.#acquisitions,
      told: this.#told,
      violations: this.#violations,
      overlapsMs,
      maxSimultaneousOwners: this.#acquisitions > 0 ? Math.max(1, this.#maxSimultaneous) : 0,
      heldMs: this.#heldMs,
      acquireLatenciesMs: this.#acquire,
      handoffsMs: this.#handoffs,
      failoversMs: this.#failovers,
      firstViolation: this.#firstViolation,
      pendingOwnAgesMs,
      marginMs: margin(this.#slackMs, overlapsMs),
      ...(this.#kept ? { beliefs: this.#kept, overlaps } : {}),
    };
  }

  #waiting(key: string): boolean {
    for (const p of this.#pending.values()) if (p.key === key) return true;
    return false;
  }

  #end(b: Belief, now: number, reason: 'release' | 'crash' | 'told' | 'run-end'): void {
    if (b.end !== undefined) return;
    b.end = now;
    b.endReason = reason;
    if (this.#slack !== undefined && (reason === 'release' || reason === 'told')) {
      const slack = this.#slack(b, now);
      if (slack !== undefined) this.#slackMs = Math.min(this.#slackMs, slack);
    }
    if (reason === 'told') this.#told++;
    const active = this.#active.get(b.key)!;
    active.splice(active.indexOf(b), 1);
    // held time, in start order: add every belief at the head that has ended
    const unsummed = this.#unsummed;
    for (let head = unsummed.peek(); head !== undefined && head.end !== undefined; head = unsummed.peek()) {
      this.#heldMs += head.end - head.start;
      unsummed.shift();
    }
  }

  /**
   * Judges the beliefs that started before `now`, as {@link judge} does (one
   * step of its loop per belief, in start order per key): every belief that
   * started earlier either has ended (its end is known) or ends at or after
   * `now`, so after its start.
   */
  #judgeBefore(now: number): void {
    if (this.#startingAt >= now || this.#startingKeys.size === 0) return;
    for (const state of this.#startingKeys) {
      for (const b of state.starting) this.#judgeOne(state, b);
      state.starting.length = 0;
    }
    this.#startingKeys.clear();
  }

  #judgeOne(state: KeyState, b: Belief): void {
    const open = state.open;
    const ended = (x: Belief): boolean => x.end !== undefined && x.end <= b.start;
    for (let i = open.length - 1; i >= 0; i--) if (ended(open[i]!)) open.splice(i, 1);
    const overlapping = open.filter((o) => o.owner !== b.owner);
    if (overlapping.length > 0) {
      this.#violations++;
      for (const o of overlapping) state.overlaps.push({ earlier: o, later: b });
      const first = this.#firstViolation;
      if (first === undefined || b.start < first.at || (b.start === first.at && b.key < first.key)) {
        const o = overlapping[0]!;
        this.#firstViolation = {
          key: b.key,
          at: b.start,
          earlier: { owner: o.owner, node: o.node, start: o.start },
          later: { owner: b.owner, node: b.node, start: b.start },
        };
      }
    }
    if (b.end === undefined || b.end > b.start) open.push(b);
    this.#maxSimultaneous = Math.max(this.#maxSimultaneous, open.length);
  }
}

/** A FIFO queue that drops what it shifted (an array with a moving head, compacted now and then). */
class Queue<T> {
  #items: T[] = [];
  #head = 0;

  push(x: T): void {
    this.#items.push(x);
  }

  peek(): T | undefined {
    return this.#head < this.#items.length ? this.#items[this.#head] : undefined;
  }

  shift(): void {
    this.#head++;
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
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
    marginMs: margin(Infinity, overlapsMs),
  };
}

/** The margin of a run (see {@link OracleResult.marginMs}) from its smallest slack and its overlaps (judge() has no slack). */
function margin(slackMs: number, overlapsMs: readonly number[]): number | null {
  let m = slackMs;
  for (const o of overlapsMs) m = Math.min(m, -o);
  return Number.isFinite(m) ? m : null;
}
