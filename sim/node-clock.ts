/**
 * Fault model: per-node clocks over the one true timeline.
 *
 * - wall(t) = EPOCH + offset + t·(1 + driftPpm/1e6) + (sum of jumps at or before t)
 * - monotonic(t) = t·(1 + driftPpm/1e6): drift changes the rate of both the
 *   wall clock and the node's timers; jumps move the wall clock only (an NTP
 *   step), never timers.
 * - A timer asked for `ms` of monotonic time fires after ms / (1 + drift) of
 *   true time, plus a drawn lateness (an overloaded event loop, a late wake-up).
 * Limits: drift is constant per node; a jump is instantaneous; there is no
 * clock slewing.
 */
import type { Clock } from 'mostly-correct-owner';
import { EventKind, type Engine, type SimEvent } from './engine.js';

/** Wall-clock origin: true time 0 reads as this (2023-11-14T22:13:20Z). */
export const SIM_EPOCH_MS = 1_700_000_000_000;

export interface ClockJump {
  /** True time of the step (ms). */
  at: number;
  /** Step size (ms); negative steps the wall clock back. */
  by: number;
}

export interface NodeClockSpec {
  offsetMs: number;
  driftPpm: number;
  jumps: readonly ClockJump[];
}

/** The {@link Clock} a simulated node's production code sees. */
export class NodeClock implements Clock {
  readonly #engine: Engine;
  readonly #rate: number;
  readonly #offset: number;
  readonly #jumps: readonly ClockJump[];
  readonly #lateness: () => number;
  readonly #node: number;
  /** Pending sleeps by signal (see {@link NodeClock.#pendingOn}). */
  readonly #sleepersOf = new WeakMap<AbortSignal, Sleepers>();

  constructor(engine: Engine, node: number, spec: NodeClockSpec, lateness: () => number) {
    this.#engine = engine;
    this.#rate = 1 + spec.driftPpm / 1e6;
    this.#offset = spec.offsetMs;
    this.#jumps = [...spec.jumps].sort((a, b) => a.at - b.at);
    this.#lateness = lateness;
    this.#node = node;
  }

  now(): number {
    const t = this.#engine.now;
    let jumped = 0;
    for (const j of this.#jumps) {
      if (j.at > t) break;
      jumped += j.by;
    }
    return SIM_EPOCH_MS + this.#offset + t * this.#rate + jumped;
  }

  monotonicNow(): number {
    return this.#engine.now * this.#rate;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    return this.#sleep(ms, signal);
  }

  #sleep(ms: number, cancel: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const engine = this.#engine;
      const fire = engine.now + Math.max(0, ms) / this.#rate + this.#lateness();
      const node = this.#node;
      const incarnation = engine.nodes[node]!.incarnation;
      if (cancel === undefined) {
        engine.call(fire, resolve, undefined, node, incarnation, true, EventKind.timer);
        return;
      }
      const pending = this.#pendingOn(cancel);
      const sleeper: Sleeper = { ev: undefined, resolve, reject, pending, prev: pending.last, next: undefined };
      sleeper.ev = engine.call(fire, wake, sleeper, node, incarnation, true, EventKind.timer);
      if (pending.last === undefined) pending.first = sleeper;
      else pending.last.next = sleeper;
      pending.last = sleeper;
    });
  }

  /**
   * The pending sleeps on `cancel`, with one abort listener that cancels and
   * rejects them all: the production code sleeps on the same signal over and
   * over (a refresh loop ticks on its stop signal for as long as it holds the
   * key), so one listener per signal instead of one per sleep spares the
   * simulator work (this is the simulator's side of the seam).
   */
  #pendingOn(cancel: AbortSignal): Sleepers {
    let pending = this.#sleepersOf.get(cancel);
    if (pending === undefined) {
      const created: Sleepers = { first: undefined, last: undefined };
      pending = created;
      this.#sleepersOf.set(cancel, created);
      const engine = this.#engine;
      const onAbort = (): void => {
        for (let s = created.first; s !== undefined; s = s.next) {
          engine.cancel(s.ev!);
          s.reject(cancel.reason as Error);
        }
        created.first = created.last = undefined;
      };
      cancel.addEventListener('abort', onAbort, { once: true });
    }
    return pending;
  }
}

/**
 * The pending sleeps on one signal, in the order they began: a list linked
 * through the sleeps themselves (a sleep joins and leaves it without a
 * `Set`'s table growing and shrinking).
 */
interface Sleepers {
  first: Sleeper | undefined;
  last: Sleeper | undefined;
}

/** A pending {@link NodeClock.sleep} on a signal. */
interface Sleeper {
  ev: SimEvent | undefined;
  resolve(): void;
  reject(reason: Error): void;
  /** The pending sleeps on its signal, this one among them. */
  readonly pending: Sleepers;
  prev: Sleeper | undefined;
  next: Sleeper | undefined;
}

/** A sleep on a signal ends (an engine event): it leaves its signal's list and resolves. */
function wake(s: Sleeper): void {
  const list = s.pending;
  if (s.prev === undefined) list.first = s.next;
  else s.prev.next = s.next;
  if (s.next === undefined) list.last = s.prev;
  else s.next.prev = s.prev;
  s.resolve();
}
