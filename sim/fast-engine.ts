/**
 * The fast engine: the reference {@link Engine}'s events, in the same order,
 * without a trip through libuv's event loop per event.
 *
 * The reference engine lets every continuation released by an event settle by
 * waiting one `setImmediate` turn. This engine instead *detects quiescence* —
 * no promise job (microtask), no `process.nextTick` callback and no
 * `setImmediate` callback of the simulated code pending — and runs the next
 * event as soon as that holds. Both engines are exact, so both deliver every
 * event in the same state: same order, same trace hash, same report (the
 * equivalence test runs both on the scenario library and compares).
 *
 * The technique rests on how Node orders its two queues (pinned by a test in
 * test/sim/engine.test.ts, so a Node upgrade that changed it would fail):
 * V8 runs the microtask queue to empty, and Node runs `process.nextTick`
 * callbacks only *between* such drains, never inside one. So a tick queued
 * from inside a microtask runs only once the microtask queue is empty.
 *
 * - Events run inside a microtask. After a `flush` event the engine queues a
 *   tick T (through the real `nextTick`). T runs when the microtask queue has
 *   drained, i.e. after every promise continuation the event released, however
 *   deep, and every `queueMicrotask` callback.
 * - Ticks of the simulated code are the one thing that can still be pending
 *   then, or have run just before T and queued microtasks. The engine wraps
 *   `process.nextTick` to count ticks queued and ticks run. If, at T, a counted
 *   tick is pending or one ran since T was queued, the engine hops into a
 *   microtask and queues T again (one more drain); otherwise the simulated
 *   world is quiescent and the next event runs in a microtask queued by T
 *   (only ticks and microtasks of *other* code can run in between).
 * - `setImmediate` callbacks run in a later loop phase. The engine wraps
 *   `setImmediate`/`clearImmediate` (the global and `node:timers`'s) to know
 *   which are pending; while any is, it falls back to exactly what the
 *   reference engine does: it waits one `setImmediate` turn (queued after
 *   them, so they run first), then checks again.
 * - The first flush of each `run()` is always such a turn (the caller may have
 *   started `run()` outside a microtask, or queued work before the wrappers
 *   existed), and so is a flush that needs more than
 *   {@link MAX_QUIESCENCE_ROUNDS} hops (a tick ping-pong), and one flush in
 *   {@link FLUSHES_PER_TURN} (so the thread's event loop is not starved).
 *
 * Why not `v8.promiseHooks` (count promise jobs, probe at the queue's tail):
 * a prototype of that was exact too, but installed hooks take every promise
 * operation of the thread off V8's fast paths, and an `await` registered
 * before the hooks were installed resumes without a hook, unseen. Counting
 * ticks needs neither.
 *
 * Limits, outside the simulation model as for the reference engine (whose turn
 * does not wait for them either): real timers, real I/O, and callbacks queued
 * through a `nextTick`/`setImmediate` captured before the first FastEngine was
 * created. The wrappers are installed by the first FastEngine constructed and
 * stay for the life of the thread; they only count, so other code is
 * unaffected (its ticks and immediates merely cost this engine an extra hop or
 * turn). Several engines may run interleaved on one thread; their simulated
 * worlds must be disjoint, as runs always are.
 */
import timers from 'node:timers';
import { promisify } from 'node:util';
import { Engine, type EngineOptions } from './engine.js';

/** Hops one flush may take before the engine falls back to a `setImmediate` turn. */
export const MAX_QUIESCENCE_ROUNDS = 10_000;

/**
 * Every this many flushes the engine takes a `setImmediate` turn anyway, so a
 * long run does not starve the thread's event loop (signals, worker messages,
 * progress timers). A turn is always exact; it only costs time.
 */
export const FLUSHES_PER_TURN = 1024;

/** `process.nextTick` callbacks queued, and run, since the wrappers were installed. */
let ticksQueued = 0;
let ticksRun = 0;
/** `setImmediate` callbacks queued, not yet run, not cleared. */
const pendingImmediates = new Set<unknown>();
let installed = false;

const SETTLED = Promise.resolve();
const realNextTick = process.nextTick.bind(process);
const realSetImmediate = globalThis.setImmediate;

type Callback = (...args: unknown[]) => void;

function installCounters(): void {
  if (installed) return;
  installed = true;

  process.nextTick = function countedNextTick(callback: Callback, ...args: unknown[]): void {
    if (typeof callback !== 'function') return realNextTick(callback); // let Node reject it
    ticksQueued++;
    realNextTick(() => {
      ticksRun++;
      callback(...args);
    });
  };

  const setImmediate = globalThis.setImmediate;
  const clearImmediate = globalThis.clearImmediate;
  const countedSetImmediate = function countedSetImmediate(callback: Callback, ...args: unknown[]): NodeJS.Immediate {
    if (typeof callback !== 'function') return setImmediate(callback);
    const immediate = setImmediate(() => {
      pendingImmediates.delete(immediate);
      callback(...args);
    });
    pendingImmediates.add(immediate);
    return immediate;
  } as typeof globalThis.setImmediate;
  Object.defineProperty(countedSetImmediate, promisify.custom, {
    value: (setImmediate as unknown as Record<symbol, unknown>)[promisify.custom],
  });
  const countedClearImmediate = function countedClearImmediate(immediate: NodeJS.Immediate | string | number | undefined): void {
    pendingImmediates.delete(immediate);
    clearImmediate(immediate as NodeJS.Immediate | undefined);
  };
  globalThis.setImmediate = countedSetImmediate;
  globalThis.clearImmediate = countedClearImmediate;
  timers.setImmediate = countedSetImmediate;
  timers.clearImmediate = countedClearImmediate;
}

/** How the fast engine settled its flushes (for benchmarks and tests). */
export interface FlushStats {
  /** Flush events delivered. */
  flushes: number;
  /** Quiescence checks (ticks T) over all flushes. */
  checks: number;
  /** Flushes settled with a `setImmediate` turn (the first of each run, one in {@link FLUSHES_PER_TURN}, immediates pending, too many hops). */
  turns: number;
}

/** The reference engine's semantics, with quiescence detected instead of waited for. */
export class FastEngine extends Engine {
  readonly flushStats: FlushStats = { flushes: 0, checks: 0, turns: 0 };

  constructor(options: EngineOptions) {
    super(options);
    installCounters();
  }

  /** Runs events until true time `until` (inclusive) or until none are left. */
  override run(until: number): Promise<void> {
    const stats = this.flushStats;
    return new Promise<void>((resolve, reject) => {
      let inMicrotask = false;
      let ranAtArm = 0;
      let rounds = 0;
      let sinceTurn = 0;
      // Runs events until one whose continuations must settle first.
      const drive = (): void => {
        try {
          for (let ev = this.deliverNext(until); ev !== undefined; ev = this.deliverNext(until)) {
            ev.fn(ev.arg as never);
            if (ev.flush) {
              stats.flushes++;
              rounds = 0;
              if (inMicrotask && ++sinceTurn < FLUSHES_PER_TURN) arm();
              else turn();
              return;
            }
          }
          this.now = Math.max(this.now, until);
          resolve();
        } catch (err) {
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- whatever an event threw, unchanged, as the reference engine's async run() rejects
          reject(err);
        }
      };
      // Called inside a microtask: T runs once the microtask queue is empty.
      const arm = (): void => {
        ranAtArm = ticksRun;
        realNextTick(check);
      };
      const check = (): void => {
        stats.checks++;
        if (pendingImmediates.size > 0 || ++rounds > MAX_QUIESCENCE_ROUNDS) turn();
        else if (ticksQueued !== ticksRun || ticksRun !== ranAtArm) void SETTLED.then(arm);
        else void SETTLED.then(drive);
      };
      const turn = (): void => {
        stats.turns++;
        sinceTurn = 0;
        realSetImmediate(afterTurn);
      };
      const afterTurn = (): void => {
        inMicrotask = true;
        rounds = 0;
        void SETTLED.then(arm);
      };
      drive();
    });
  }
}
