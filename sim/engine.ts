/**
 * Virtual time. One true timeline; events are ordered by (time, sequence
 * number) and run one at a time. After an event that can resume production
 * code (a timer firing, a store reply arriving) the engine waits for one
 * `setImmediate` turn: Node runs every queued microtask and `process.nextTick`
 * callback before the check phase, so every promise continuation released by
 * the event, however deeply nested, settles before the next event runs. (The
 * simulated code never uses real timers or I/O, so nothing else can be
 * pending.) `test/sim/engine.test.ts` shows this is exact.
 *
 * Events addressed to a node are gated by that node's state: dropped when the
 * node's incarnation has crashed, held back until the end of a pause.
 */

/** Per-node state the engine gates events on. */
export interface NodeGate {
  /** Events of older incarnations are dropped. */
  incarnation: number;
  /** False while crashed. */
  alive: boolean;
  /** Events due before this true time are delivered at it (a stalled process). */
  pausedUntil: number;
}

/** A scheduled event. */
export interface SimEvent {
  time: number;
  seq: number;
  /** Node whose state gates delivery, or -1 for store-side and control events. */
  readonly gate: number;
  readonly incarnation: number;
  /** Whether production code may run as a consequence (then the engine flushes). */
  readonly flush: boolean;
  /** Small integer describing the event, mixed into the trace hash. */
  readonly kind: number;
  /** Called with `arg` when the event is delivered. */
  readonly fn: (arg: never) => void;
  readonly arg: unknown;
  cancelled: boolean;
}

/** Thrown when a run exceeds its event budget: a livelock or a scenario that is too big. */
export class SimulationLimitError extends Error {
  override readonly name = 'SimulationLimitError';
  constructor(
    readonly maxEvents: number,
    readonly atMs: number,
  ) {
    super(`simulation exceeded maxEvents = ${maxEvents} at true time ${atMs.toFixed(3)} ms (livelock, or raise maxEvents)`);
  }
}

export interface EngineOptions {
  /** Fail loudly after this many delivered events. */
  maxEvents: number;
}

const flushTurn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/** The event loop of one simulated run. */
export class Engine {
  /** Current true time (ms since the run started). */
  now = 0;
  /** Events delivered so far. */
  delivered = 0;
  readonly nodes: NodeGate[] = [];
  readonly #heap: SimEvent[] = [];
  #seq = 0;
  readonly #maxEvents: number;
  #h1 = 0x811c9dc5;
  #h2 = 0x01000193;
  readonly #f64 = new Float64Array(1);
  readonly #u32 = new Uint32Array(this.#f64.buffer);

  constructor(options: EngineOptions) {
    this.#maxEvents = options.maxEvents;
  }

  /** Registers a node; returns its index. */
  addNode(): number {
    this.nodes.push({ incarnation: 0, alive: true, pausedUntil: 0 });
    return this.nodes.length - 1;
  }

  /**
   * Schedules `fn` at true time `time` (not before now). An event gated on a
   * node belongs to the node's current incarnation unless `incarnation` says
   * which (a store reply belongs to the incarnation that sent the request).
   */
  at(time: number, fn: () => void, opts: { gate?: number; incarnation?: number; flush?: boolean; kind?: number } = {}): SimEvent {
    const gate = opts.gate ?? -1;
    return this.call(time, fn, undefined, gate, gate >= 0 ? (opts.incarnation ?? this.nodes[gate]!.incarnation) : 0, opts.flush ?? false, opts.kind ?? 0);
  }

  /**
   * {@link Engine.at} for the simulator's busiest paths (store messages,
   * timers): every field given, and `fn(arg)` called on delivery, so that a
   * caller needs neither an options object nor a closure per event.
   */
  call<A>(time: number, fn: (arg: A) => void, arg: A, gate: number, incarnation: number, flush: boolean, kind: number): SimEvent {
    const ev: SimEvent = { time: Math.max(time, this.now), seq: this.#seq++, gate, incarnation, flush, kind, fn, arg, cancelled: false };
    this.#push(ev);
    return ev;
  }

  /** Cancels a scheduled event (a no-op if it already ran). */
  cancel(ev: SimEvent): void {
    ev.cancelled = true;
  }

  /** Mixes numbers into the run's trace hash (two independent 32-bit lanes). */
  mix(a: number, b = 0): void {
    this.#f64[0] = a;
    this.#h1 = Math.imul(this.#h1 ^ this.#u32[0]!, 0x01000193);
    this.#h2 = Math.imul(this.#h2 ^ this.#u32[1]!, 0x85ebca6b);
    this.#h1 = Math.imul(this.#h1 ^ (b | 0), 0x27d4eb2f);
    this.#h2 = Math.imul(this.#h2 ^ this.#h1, 0x165667b1);
  }

  /** The trace hash so far, as 16 hex digits. */
  get traceHash(): string {
    return (this.#h1 >>> 0).toString(16).padStart(8, '0') + (this.#h2 >>> 0).toString(16).padStart(8, '0');
  }

  /** Runs events until true time `until` (inclusive) or until none are left. */
  async run(until: number): Promise<void> {
    for (let ev = this.deliverNext(until); ev !== undefined; ev = this.deliverNext(until)) {
      ev.fn(ev.arg as never);
      if (ev.flush) await flushTurn();
    }
    this.now = Math.max(this.now, until);
  }

  /**
   * Takes the next event due at or before `until` off the queue, applying the
   * node gates (dropping a dead incarnation's events, holding a paused node's),
   * and delivers it: advances `now`, counts it against the budget, mixes it
   * into the trace hash. The caller runs `fn` and, for a `flush` event, lets
   * every continuation settle before asking for the next one. Returns
   * `undefined` when no event is due by `until`.
   */
  protected deliverNext(until: number): SimEvent | undefined {
    const heap = this.#heap;
    while (heap.length > 0) {
      const ev = heap[0]!;
      if (ev.time > until) return undefined;
      this.#pop();
      if (ev.cancelled) continue;
      if (ev.gate >= 0) {
        const node = this.nodes[ev.gate]!;
        if (!node.alive || node.incarnation !== ev.incarnation) continue;
        if (node.pausedUntil > ev.time) {
          // Held events are popped in (time, seq) order; fresh seqs keep that order at resume.
          ev.time = node.pausedUntil;
          ev.seq = this.#seq++;
          this.#push(ev);
          continue;
        }
      }
      this.now = ev.time;
      if (++this.delivered > this.#maxEvents) throw new SimulationLimitError(this.#maxEvents, this.now);
      this.mix(ev.time, (ev.kind << 8) ^ (ev.gate + 1));
      return ev;
    }
    return undefined;
  }

  // A binary min-heap on (time, seq). Sifting moves a hole instead of swapping
  // pairs: one write per level instead of a destructuring swap.
  #push(ev: SimEvent): void {
    const heap = this.#heap;
    let i = heap.length;
    heap.push(ev);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!before(ev, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = ev;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    const n = heap.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && before(heap[r]!, heap[l]!) ? r : l;
      const child = heap[c]!;
      if (!before(child, last)) break;
      heap[i] = child;
      i = c;
    }
    heap[i] = last;
  }
}

/** The total order of events: by time, then by sequence number. */
function before(a: SimEvent, b: SimEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

/** Event kinds, for the trace hash. */
export const EventKind = Object.freeze({
  timer: 1,
  storeArrive: 2,
  storeReply: 3,
  pause: 4,
  crash: 5,
  restart: 6,
  control: 7,
  /** A release notification reaching a node (strategies with push handoff only). */
  notify: 8,
  /** A node's event loop blocked by busy work (faults.busyLoop). */
  busy: 9,
});
