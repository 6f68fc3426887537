/**
 * One poller per key per process, FIFO (the two TODOs of lakeFS's
 * `mc_owner.go`), for strategies with a local queue (`handoff.localQueue`).
 *
 * All `own()` calls for one key on one `MostlyCorrectOwner` wait in one FIFO
 * queue. While no local instance holds the key, a single poller runs the
 * shared acquire loop on behalf of the queue's head (the record it writes
 * names the head's owner id), so the store sees one waiter per process
 * however many local callers wait. While a local instance holds the key
 * nobody polls: its `release()` hands the key to the next local waiter with
 * one write from the holder's record to the waiter's (a change of owner, so
 * the fencing token increments), without any store wait. When the holder
 * loses the key (`ownership.lost`) or its release does not hand off (store
 * failure, lost race), the queue polls again.
 *
 * Waiters leave the queue when their signal aborts, without disturbing the
 * others. A waiter whose record was being written when it aborted (the write
 * was already sent) rejects at once; the record it was given is then released
 * on its behalf, which hands the key on to the next waiter.
 */
import type { Acquired, Claim, HandoffHooks, Holder } from './context.js';

/** The queue's view of its owner; `H` is the handle it grants. */
export interface KeyQueueHost<H extends Holder> {
  /** Runs the shared acquire loop until a write for a picked owner succeeds. */
  acquire(claim: Claim, signal: AbortSignal): Promise<Acquired>;
  /** Builds the handle for `ownerId` (its refresh loop starts). */
  ownership(ownerId: string, signal: AbortSignal | undefined, acquired: Acquired, hooks: HandoffHooks): H;
  /** Turns a store failure or a corrupt record seen by the poller into the error `ownerId`'s `own()` rejects with (naming `ownerId`). */
  failure(err: unknown, ownerId: string): unknown;
  /** The queue is empty and idle: forget it. */
  idle(): void;
}

interface Waiter<H> {
  readonly ownerId: string;
  readonly signal: AbortSignal | undefined;
  state: 'queued' | 'inflight' | 'aborted' | 'done';
  resolve(o: H): void;
  reject(err: unknown): void;
  detach(): void;
}

/** The local waiters of one key; see the module comment. */
export class KeyQueue<H extends Holder> implements HandoffHooks {
  readonly #host: KeyQueueHost<H>;
  readonly #waiters: Waiter<H>[] = [];
  #inflight: Waiter<H> | undefined;
  #holder: Holder | undefined;
  /** Cancels the running poll session. */
  #poller: AbortController | undefined;

  constructor(host: KeyQueueHost<H>) {
    this.#host = host;
  }

  /** Number of local callers waiting (including one whose record is being written). */
  get waiting(): number {
    return this.#waiters.length + (this.#inflight?.state === 'inflight' ? 1 : 0);
  }

  /** Queues `ownerId`; resolves when it owns the key. */
  enqueue(ownerId: string, signal: AbortSignal | undefined): Promise<H> {
    return new Promise<H>((resolve, reject) => {
      const onAbort = (): void => this.#abort(waiter);
      const waiter: Waiter<H> = {
        ownerId,
        signal,
        state: 'queued',
        resolve,
        reject,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
      this.#pump();
    });
  }

  #abort(waiter: Waiter<H>): void {
    if (waiter.state === 'queued') {
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.state = 'done';
      waiter.reject(waiter.signal?.reason);
      this.#stopPollerIfUnwanted();
      this.#maybeIdle();
    } else if (waiter.state === 'inflight') {
      // its record may be written any moment: settled later by the in-flight write
      waiter.state = 'aborted';
      waiter.reject(waiter.signal?.reason);
    }
  }

  /**
   * `tryOwn()`: when nobody local holds, waits for or polls the key, runs
   * `attempt` (one decision, no wait) for `ownerId`, which is then the
   * queue's holder if it wrote; `undefined` otherwise, at once when the queue
   * is busy (a `tryOwn()` never jumps the queue). `own()` calls made
   * meanwhile queue behind it.
   */
  async tryTake(ownerId: string, attempt: (claim: Claim) => Promise<Acquired | undefined>): Promise<H | undefined> {
    if (this.#holder !== undefined || this.#poller !== undefined || this.#inflight !== undefined || this.#waiters.length > 0) return undefined;
    const waiter: Waiter<H> = { ownerId, signal: undefined, state: 'inflight', resolve: () => {}, reject: () => {}, detach: () => {} };
    this.#inflight = waiter;
    let acquired: Acquired | undefined;
    try {
      acquired = await attempt({ pick: () => ownerId, unpick: () => {} });
    } finally {
      if (acquired === undefined) {
        this.#inflight = undefined;
        this.#pump();
        this.#maybeIdle();
      }
    }
    if (acquired === undefined) return undefined;
    this.#inflight = undefined;
    const ownership = this.#host.ownership(ownerId, undefined, acquired, this);
    this.#holder = ownership;
    return ownership;
  }

  /** Rejects every waiting `own()` with `reason` and stops the poller (the owner is closing). */
  close(reason: unknown): void {
    for (const w of this.#waiters.splice(0)) {
      w.state = 'done';
      w.detach();
      w.reject(reason);
    }
    const inflight = this.#inflight;
    if (inflight?.state === 'inflight') {
      // its record may be written any moment: settled by the in-flight write, which then releases it
      inflight.state = 'aborted';
      inflight.detach();
      inflight.reject(reason);
    }
    this.#poller?.abort(reason);
  }

  /** Starts the poller when someone waits, nobody local holds the key and none runs. */
  #pump(): void {
    if (this.#holder !== undefined || this.#poller !== undefined || this.#inflight !== undefined || this.#waiters.length === 0) return;
    const cancel = new AbortController();
    this.#poller = cancel;
    this.#poll(cancel).catch((err: unknown) => {
      // #poll handles its own errors; this is a bug
      for (const w of this.#waiters.splice(0)) w.reject(err);
    });
  }

  async #poll(cancel: AbortController): Promise<void> {
    let acquired: Acquired;
    try {
      acquired = await this.#host.acquire(this, cancel.signal);
    } catch (err) {
      const inflight = this.#inflight;
      this.#inflight = undefined;
      this.#poller = undefined;
      if (!cancel.signal.aborted) {
        // a store failure or a corrupt record: every waiter's own() rejects, as each would have alone
        const failed = [...(inflight ? [inflight] : []), ...this.#waiters.splice(0)];
        for (const w of failed) {
          if (w.state === 'aborted') continue;
          w.state = 'done';
          w.detach();
          w.reject(this.#host.failure(err, w.ownerId));
        }
      }
      this.#pump();
      this.#maybeIdle();
      return;
    }
    this.#poller = undefined;
    const waiter = this.#inflight;
    this.#inflight = undefined;
    if (waiter === undefined) throw new Error('INVARIANT: acquired without a picked waiter');
    this.#grant(waiter, acquired);
  }

  #grant(waiter: Waiter<H>, acquired: Acquired): void {
    const ownership = this.#host.ownership(waiter.ownerId, waiter.signal, acquired, this);
    this.#holder = ownership;
    if (waiter.state === 'inflight') {
      waiter.state = 'done';
      waiter.detach();
      waiter.resolve(ownership);
    } else {
      // aborted while its record was being written: give the key on (release never throws)
      void ownership.release();
    }
  }

  #holderGone(ownership: Holder): void {
    if (this.#holder !== ownership) return;
    this.#holder = undefined;
    this.#pump();
    this.#maybeIdle();
  }

  #stopPollerIfUnwanted(): void {
    if (this.#waiters.length === 0 && this.#inflight === undefined) this.#poller?.abort();
  }

  #maybeIdle(): void {
    if (this.#waiters.length === 0 && this.#inflight === undefined && this.#holder === undefined && this.#poller === undefined) this.#host.idle();
  }

  // Claim (the poller's acquire loop)

  pick(): string {
    const head = this.#waiters.shift();
    if (head === undefined) throw new Error('INVARIANT: the poller picked from an empty queue');
    head.state = 'inflight';
    this.#inflight = head;
    return head.ownerId;
  }

  unpick(): void {
    this.putBack();
  }

  // HandoffHooks (the holder's release)

  takeNext(from: Holder): string | undefined {
    if (this.#holder !== from || this.#inflight !== undefined || this.#waiters.length === 0) return undefined;
    return this.pick();
  }

  putBack(): void {
    const w = this.#inflight;
    this.#inflight = undefined;
    if (w?.state === 'inflight') {
      w.state = 'queued';
      this.#waiters.unshift(w);
    }
    this.#stopPollerIfUnwanted();
  }

  handedOff(from: Holder, acquired: Acquired): void {
    if (this.#holder === from) this.#holder = undefined;
    const waiter = this.#inflight;
    this.#inflight = undefined;
    if (waiter === undefined) throw new Error('INVARIANT: handed off without a picked waiter');
    this.#grant(waiter, acquired);
  }

  released(from: Holder): void {
    this.#holderGone(from);
  }

  lost(from: Holder): void {
    this.#holderGone(from);
  }
}
