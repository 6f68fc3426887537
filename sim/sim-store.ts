/**
 * Fault model: the shared store as the nodes see it over a network.
 *
 * The store itself is linearizable: one in-memory map ({@link SimKV}), each
 * operation applied atomically at the true time its request arrives. Each
 * operation of a node travels: request delay (client → store, drawn), apply,
 * response delay (store → client, drawn). Failures, each with a rate per
 * operation:
 * - error before apply: the store rejects the request; nothing changes;
 * - lost reply: the operation *was applied* but the client gets an error
 *   (a timeout after the write happened).
 * Every message takes at least {@link MIN_DELAY_MS}: nothing is instantaneous,
 * so a client that re-reads at once still sees time pass.
 * Limits: no reordering beyond what the drawn delays produce, no partitions
 * that heal (a partition is a run of errors), one store replica.
 *
 * Release notifications (`notify`/`watch`, used by strategies with
 * `pushHandoff`) are messages: the publisher's request travels to the store
 * (request delay), and from there one message per current watcher travels
 * to the watcher's node (response delay), each lost at the lost-reply rate.
 * Delivery is gated like any message: held while the watcher's node is
 * paused, dropped when its incarnation crashed. Every draw comes from the
 * publisher's own `notify` stream, so strategies that never notify (lakefs)
 * see exactly the same store traffic and traces as before.
 *
 * The store offers the owner's contract, `get` and `swap`. A `swap` (the
 * conditional write) is one operation like a `get`: one request, applied
 * atomically on arrival (compare, and write or read), one reply, with the
 * same draws, delays, errors and lost replies. A lost reply of an applied
 * swap may have written. It counts as a write (`counters.writes`); a swap
 * that wrote nothing is traced as `predicate-failed` but replies normally,
 * with the current value.
 */
import type { Predicate, Store, StoreEntry, SwapResult } from 'mostly-correct-owner';
import { SimKV } from './sim-kv.js';
import { sample, type Distribution } from './dist.js';
import { EventKind, type Engine } from './engine.js';
import type { Tilt } from './importance/tilt.js';
import type { Prng } from './prng.js';

/** Smallest one-way delay of any store message (1 µs). */
export const MIN_DELAY_MS = 0.001;

/** The store faults of a scenario. */
export interface StoreFaults {
  requestLatency: Distribution;
  responseLatency: Distribution;
  errorRate: number;
  lostReplyRate: number;
}

/** An injected store failure, as the client sees it. */
export class SimStoreError extends Error {
  override readonly name = 'SimStoreError';
  constructor(readonly kind: 'error-before-apply' | 'lost-reply') {
    super(kind === 'lost-reply' ? 'simulated store: reply lost (the operation was applied)' : 'simulated store: request failed (not applied)');
  }
}

/** Operation counts at the store (requests that arrived). */
export interface StoreCounters {
  reads: number;
  writes: number;
}

/** Observer of store traffic as it is applied, for the trace. */
export type StoreObserver = (e: { node: number; op: Op; outcome: Outcome; value?: Uint8Array | undefined }) => void;

/** The simulated shared store. Hand each node its own {@link SimStore.client}. */
export class SimStore {
  /** The linearizable state: what is stored, right now in true time. */
  readonly kv = new SimKV();
  readonly counters: StoreCounters = { reads: 0, writes: 0 };
  observer: StoreObserver | undefined;
  readonly #engine: Engine;
  readonly #faults: StoreFaults;
  /** The draws of each operation (through importance sampling's tilt when one is given). */
  readonly #draw: { request: (rng: Prng) => number; response: (rng: Prng) => number; fail: (rng: Prng) => boolean; lose: (rng: Prng) => boolean };
  /** Watchers by key, in subscription order (deterministic delivery order). */
  readonly #watchers = new Map<string, { node: number; incarnation: number; listener: () => void }[]>();
  /** Notifications sent and messages delivered (for tests and the trace). */
  readonly notifications = { sent: 0, delivered: 0, lost: 0 };

  /**
   * @param tilt importance sampling: operations draw their latencies and
   *   failures through it (its scenario faults must be `faults`); release
   *   notifications always draw from `faults`
   */
  constructor(engine: Engine, faults: StoreFaults, tilt?: Tilt) {
    this.#engine = engine;
    this.#faults = faults;
    this.#draw =
      tilt === undefined
        ? {
            request: (rng) => sample(faults.requestLatency, rng),
            response: (rng) => sample(faults.responseLatency, rng),
            fail: (rng) => rng.next() < faults.errorRate,
            lose: (rng) => rng.next() < faults.lostReplyRate,
          }
        : {
            request: tilt.drawer('store.requestLatency'),
            response: tilt.drawer('store.responseLatency'),
            fail: tilt.chance('store.errorRate'),
            lose: tilt.chance('store.lostReplyRate'),
          };
  }

  /**
   * The store as node `node` sees it; `rng` is that node's store-fault
   * stream, `notifyRng` (optional: without it the client has no
   * notifications) the stream its release notifications draw from.
   */
  client(node: number, rng: Prng, notifyRng?: Prng): Store {
    const notifications =
      notifyRng === undefined
        ? {}
        : {
            notify: (p: string, k: Uint8Array): Promise<void> => {
              this.#notify(node, notifyRng, watchKey(p, k));
              return Promise.resolve();
            },
            watch: (p: string, k: Uint8Array, listener: () => void): (() => void) => this.#watch(node, watchKey(p, k), listener),
          };
    return {
      ...notifications,
      get: (p: string, k: Uint8Array) => this.#send<StoreEntry | undefined>(node, rng, 'get', p, k, undefined, null),
      swap: (p: string, k: Uint8Array, v: Uint8Array, expected: Predicate | null) => this.#send<SwapResult>(node, rng, 'swap', p, k, v, expected),
    };
  }

  #watch(node: number, key: string, listener: () => void): () => void {
    let list = this.#watchers.get(key);
    if (list === undefined) this.#watchers.set(key, (list = []));
    const entry = { node, incarnation: this.#engine.nodes[node]!.incarnation, listener };
    list.push(entry);
    return () => {
      const i = list.indexOf(entry);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0 && this.#watchers.get(key) === list) this.#watchers.delete(key);
    };
  }

  #notify(node: number, rng: Prng, key: string): void {
    const engine = this.#engine;
    const f = this.#faults;
    this.notifications.sent++;
    const requestDelay = Math.max(MIN_DELAY_MS, sample(f.requestLatency, rng));
    engine.at(
      engine.now + requestDelay,
      () => {
        // the watchers at the store when the message arrives, in subscription order;
        // those of crashed incarnations are forgotten (nobody unsubscribes for them)
        const list = this.#watchers.get(key) ?? [];
        const stale = list.filter((w) => engine.nodes[w.node]!.incarnation !== w.incarnation);
        for (const w of stale) list.splice(list.indexOf(w), 1);
        if (list.length === 0) this.#watchers.delete(key);
        for (const w of [...list]) {
          // two draws per delivery, whatever happens, so one loss does not shift the next
          const delay = Math.max(MIN_DELAY_MS, sample(f.responseLatency, rng));
          const lost = rng.next() < f.lostReplyRate;
          if (lost) {
            this.notifications.lost++;
            continue;
          }
          engine.at(
            engine.now + delay,
            () => {
              this.notifications.delivered++;
              w.listener();
            },
            { gate: w.node, flush: true, kind: EventKind.notify },
          );
        }
      },
      ARRIVE,
    );
  }

  #send<T>(node: number, rng: Prng, op: Op, partition: string, key: Uint8Array, value: Uint8Array | undefined, expected: Predicate | null): Promise<T> {
    const engine = this.#engine;
    const draw = this.#draw;
    // Always four draws per operation, so the rates do not shift the latency sequence.
    const requestDelay = Math.max(MIN_DELAY_MS, draw.request(rng));
    const responseDelay = Math.max(MIN_DELAY_MS, draw.response(rng));
    const failBefore = draw.fail(rng);
    const loseReply = draw.lose(rng);
    // the reply goes to the incarnation that sent the request: if the node crashed (and maybe
    // restarted) while the request travelled, the reply is dropped, never handed to a new incarnation
    const flight = new Flight(this, engine, node, engine.nodes[node]!.incarnation, op, partition, key, value, expected, responseDelay, failBefore, loseReply);
    const replied = new Promise<T>((resolve, reject) => {
      flight.resolve = resolve as (value: unknown) => void;
      flight.reject = reject;
    });
    engine.call(engine.now + requestDelay, arrive, flight, -1, 0, false, EventKind.storeArrive);
    return replied;
  }
}

/**
 * One store operation in flight: its request, its draws, and, once applied,
 * its answer. Handed to the engine's events as their argument, so the two
 * messages of an operation need no closures.
 */
class Flight {
  result: unknown;
  outcome: Outcome = 'ok';
  resolve: (value: unknown) => void = noop;
  reject: (reason: Error) => void = noop;

  constructor(
    readonly store: SimStore,
    readonly engine: Engine,
    readonly node: number,
    readonly incarnation: number,
    readonly op: Op,
    readonly partition: string,
    readonly key: Uint8Array,
    readonly value: Uint8Array | undefined,
    readonly expected: Predicate | null,
    readonly responseDelay: number,
    readonly failBefore: boolean,
    readonly loseReply: boolean,
  ) {}
}

const noop = (): void => {};

/** A request's arrival at the store (an engine event): applied (or failed) atomically at this instant of true time; the reply leaves. */
function arrive(f: Flight): void {
  const store = f.store;
  const engine = f.engine;
  if (f.op === 'get') store.counters.reads++;
  else store.counters.writes++;
  let outcome: Outcome;
  let read: Uint8Array | undefined;
  if (f.failBefore) {
    outcome = 'error-before-apply';
  } else {
    if (f.op === 'get') {
      const entry = store.kv.get(f.partition, f.key);
      f.result = entry;
      read = entry?.value;
      outcome = 'ok';
    } else {
      const result = store.kv.swap(f.partition, f.key, f.value!, f.expected);
      f.result = result;
      read = result.swapped ? undefined : result.current?.value;
      outcome = result.swapped ? 'ok' : 'predicate-failed';
    }
    if (f.loseReply) outcome = 'lost-reply';
  }
  f.outcome = outcome;
  engine.mix(engine.now, OUTCOME_CODE[outcome] | (OP_CODE[f.op] << 4) | ((f.node + 1) << 8));
  store.observer?.({ node: f.node, op: f.op, outcome, value: read });
  engine.call(engine.now + f.responseDelay, settle, f, f.node, f.incarnation, true, EventKind.storeReply);
}

/** A reply's arrival at its node (an engine event): the operation's promise settles. */
function settle(f: Flight): void {
  if (f.outcome === 'error-before-apply' || f.outcome === 'lost-reply') {
    const kind = f.outcome;
    f.reject(withoutStack(() => new SimStoreError(kind)));
  } else {
    f.resolve(f.result);
  }
}

/** How a message's arrival at the store is scheduled (one object for all of them). */
const ARRIVE = Object.freeze({ kind: EventKind.storeArrive });

type Op = 'get' | 'swap';
const watchKey = (partition: string, key: Uint8Array): string => `${partition}\0${Buffer.from(key).toString('hex')}`;
type Outcome = 'ok' | 'predicate-failed' | 'error-before-apply' | 'lost-reply';
/**
 * Each operation's code in the trace hash. `swap`, the one conditional write,
 * has the code lakeFS's SetIf had when the owner also wrote with SetIf, so
 * the `lakefs` strategy's traces hash as they did then.
 */
const OP_CODE: Record<Op, number> = { get: 0, swap: 2 };
const OUTCOME_CODE: Record<Outcome, number> = { ok: 0, 'predicate-failed': 1, 'error-before-apply': 2, 'lost-reply': 3 };

/**
 * `make()` with stack capture off: these errors stand for a remote store's
 * answer, so a stack of simulator frames says nothing, and capturing it was
 * ≈ 3 % of a run's CPU (one per lost race). Name, message, fields and class
 * are unchanged, so the production code sees the same error.
 */
function withoutStack<E extends Error>(make: () => E): E {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
