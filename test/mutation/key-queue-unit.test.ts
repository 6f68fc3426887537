/**
 * The local queue of one key (src/key-queue.ts) against a scripted host: no
 * store, no clock. Each step of the poller and of a handoff is driven by the
 * test, so the rules (FIFO, one poller, who counts as waiting, what an abort
 * does in each state, when the queue is idle) are pinned one by one.
 * Written for the mutation run (docs/mutation.md).
 */
import { describe, expect, it } from 'vitest';
import type { Acquired, Claim, HandoffHooks } from '../../src/context.js';
import { KeyQueue } from '../../src/key-queue.js';
import {  } from '../../src/index.js';
import { valuePredicate } from '../../src/internal.js';

interface Poll {
  claim: Claim;
  signal: AbortSignal;
  resolve(a: Acquired): void;
  reject(err: unknown): void;
}

interface FakeHolder {
  ownerId: string;
  signal: AbortSignal | undefined;
  acquired: Acquired;
  hooks: HandoffHooks;
  releases: number;
  release(): Promise<void>;
}

const acquiredFor = (n: number): Acquired => ({ sentAtMono: n, token: BigInt(n), written: { value: new Uint8Array([n]), predicate: valuePredicate(new Uint8Array([n])) } });

function scripted() {
  const polls: Poll[] = [];
  const holders: FakeHolder[] = [];
  const failures: { err: unknown; ownerId: string }[] = [];
  let idle = 0;
  const queue = new KeyQueue<FakeHolder>({
    acquire: (claim, signal) =>
      new Promise<Acquired>((resolve, reject) => {
        polls.push({ claim, signal, resolve, reject });
      }),
    ownership: (ownerId, signal, acquired, hooks) => {
      const h: FakeHolder = {
        ownerId,
        signal,
        acquired,
        hooks,
        releases: 0,
        release() {
          h.releases++;
          return Promise.resolve();
        },
      };
      holders.push(h);
      return h;
    },
    failure: (err, ownerId) => {
      failures.push({ err, ownerId });
      return { wrapped: err, ownerId };
    },
    idle: () => {
      idle++;
    },
  });
  return { queue, polls, holders, failures, idle: () => idle };
}

/** Settles a promise into an inspectable tag. */
function settle<T>(p: Promise<T>): { state: 'pending' | 'resolved' | 'rejected'; value?: T; reason?: unknown } {
  const s: { state: 'pending' | 'resolved' | 'rejected'; value?: T; reason?: unknown } = { state: 'pending' };
  p.then(
    (v) => Object.assign(s, { state: 'resolved', value: v }),
    (e: unknown) => Object.assign(s, { state: 'rejected', reason: e }),
  );
  return s;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('KeyQueue: one poller, FIFO, handoff', () => {
  it('the first waiter starts one poller; later waiters join it', async () => {
    const { queue, polls } = scripted();
    void settle(queue.enqueue('a', undefined));
    void settle(queue.enqueue('b', undefined));
    void settle(queue.enqueue('c', undefined));
    expect(polls).toHaveLength(1);
    expect(polls[0]!.claim).toBe(queue);
    expect(queue.waiting).toBe(3);
  });

  it('the poller writes for the head; a picked waiter still counts as waiting until it owns', async () => {
    const { queue, polls, holders, idle } = scripted();
    const a = settle(queue.enqueue('a', undefined));
    void settle(queue.enqueue('b', undefined));
    expect(queue.pick()).toBe('a');
    expect(queue.waiting).toBe(2);
    polls[0]!.resolve(acquiredFor(1));
    await tick();
    expect(a.state).toBe('resolved');
    expect(a.value).toBe(holders[0]);
    expect(holders[0]).toMatchObject({ ownerId: 'a', acquired: acquiredFor(1) });
    expect(holders[0]!.hooks).toBe(queue);
    expect(queue.waiting).toBe(1);
    // a local holder: nobody polls
    expect(polls).toHaveLength(1);
    expect(idle()).toBe(0);
  });

  it('a lost race puts the picked waiter back at the front', () => {
    const { queue } = scripted();
    void settle(queue.enqueue('a', undefined));
    void settle(queue.enqueue('b', undefined));
    expect(queue.pick()).toBe('a');
    queue.unpick();
    expect(queue.waiting).toBe(2);
    expect(queue.pick()).toBe('a');
    queue.putBack();
    expect(queue.pick()).toBe('a');
    expect(queue.pick()).toBe('b');
  });

  it('picking from an empty queue is a bug, said as one', () => {
    const { queue } = scripted();
    expect(() => queue.pick()).toThrow('INVARIANT: the poller picked from an empty queue');
  });

  it('the holder hands over to the next waiter only: not another holder, not with nobody waiting', async () => {
    const { queue, polls, holders } = scripted();
    void settle(queue.enqueue('a', undefined));
    queue.pick();
    polls[0]!.resolve(acquiredFor(1));
    await tick();
    const holderA = holders[0]!;
    expect(queue.takeNext(holderA)).toBeUndefined(); // nobody waits
    const b = settle(queue.enqueue('b', undefined));
    void settle(queue.enqueue('c', undefined));
    expect(polls).toHaveLength(1); // still held locally: no poller
    expect(queue.takeNext({ release: () => Promise.resolve() })).toBeUndefined(); // not the holder
    expect(queue.takeNext(holderA)).toBe('b');
    expect(queue.takeNext(holderA)).toBeUndefined(); // a handoff is in flight
    queue.handedOff(holderA, acquiredFor(2));
    await tick();
    expect(b.state).toBe('resolved');
    expect(holders[1]).toMatchObject({ ownerId: 'b', acquired: acquiredFor(2) });
    expect(queue.waiting).toBe(1);
    // the old holder's release is no longer the holder's: nothing starts
    queue.released(holderA);
    expect(polls).toHaveLength(1);
    // the new holder's release without handoff: the queue polls for c
    queue.released(holders[1]!);
    expect(polls).toHaveLength(2);
  });

  it('a failed handoff puts the waiter back; the release then lets the queue poll', async () => {
    const { queue, polls, holders } = scripted();
    void settle(queue.enqueue('a', undefined));
    queue.pick();
    polls[0]!.resolve(acquiredFor(1));
    await tick();
    void settle(queue.enqueue('b', undefined));
    expect(queue.takeNext(holders[0]!)).toBe('b');
    queue.putBack();
    expect(queue.waiting).toBe(1);
    queue.released(holders[0]!);
    expect(polls).toHaveLength(2);
    expect(queue.pick()).toBe('b');
  });

  it('a holder that loses the key lets the queue poll again, unless a handoff is in flight', async () => {
    const { queue, polls, holders } = scripted();
    void settle(queue.enqueue('a', undefined));
    queue.pick();
    polls[0]!.resolve(acquiredFor(1));
    await tick();
    void settle(queue.enqueue('b', undefined));
    void settle(queue.enqueue('c', undefined));
    expect(queue.takeNext(holders[0]!)).toBe('b');
    queue.lost(holders[0]!);
    expect(polls).toHaveLength(1); // b's record is being written: no second writer
    queue.handedOff(holders[0]!, acquiredFor(2));
    await tick();
    expect(holders[1]!.ownerId).toBe('b');
    queue.lost(holders[1]!);
    expect(polls).toHaveLength(2);
    expect(queue.pick()).toBe('c');
  });

  it('a handoff without a picked waiter is a bug, said as one', () => {
    const { queue } = scripted();
    expect(() => queue.handedOff({ release: () => Promise.resolve() }, acquiredFor(1))).toThrow('INVARIANT: handed off without a picked waiter');
  });

  it('an acquire that resolves without a pick is a bug: every waiter rejects with it', async () => {
    const { queue, polls } = scripted();
    const a = settle(queue.enqueue('a', undefined));
    const b = settle(queue.enqueue('b', undefined));
    polls[0]!.resolve(acquiredFor(1));
    await tick();
    expect(a.state).toBe('rejected');
    expect((a.reason as Error).message).toBe('INVARIANT: acquired without a picked waiter');
    expect(b.reason).toBe(a.reason);
  });

  it('the queue is idle once nobody waits, nobody holds and nobody polls', async () => {
    const { queue, polls, holders, idle } = scripted();
    void settle(queue.enqueue('a', undefined));
    queue.pick();
    polls[0]!.resolve(acquiredFor(1));
    await tick();
    expect(idle()).toBe(0);
    queue.released(holders[0]!);
    expect(idle()).toBe(1);
    expect(polls).toHaveLength(1);
  });
});

describe('KeyQueue: aborts', () => {
  it('a queued waiter that aborts leaves at once with its reason; the others keep their order', () => {
    const { queue } = scripted();
    const ac = new AbortController();
    void settle(queue.enqueue('a', undefined));
    const b = settle(queue.enqueue('b', ac.signal));
    void settle(queue.enqueue('c', undefined));
    ac.abort(new Error('b gives up'));
    return tick().then(() => {
      expect(b.state).toBe('rejected');
      expect((b.reason as Error).message).toBe('b gives up');
      expect(queue.waiting).toBe(2);
      expect(queue.pick()).toBe('a');
      expect(queue.pick()).toBe('c');
    });
  });

  it('when the last queued waiter aborts, the poller is cancelled and the queue goes idle', async () => {
    const { queue, polls, idle } = scripted();
    const ac = new AbortController();
    const a = settle(queue.enqueue('a', ac.signal));
    expect(polls[0]!.signal.aborted).toBe(false);
    ac.abort('stop');
    expect(polls[0]!.signal.aborted).toBe(true);
    polls[0]!.reject(polls[0]!.signal.reason);
    await tick();
    expect(a.reason).toBe('stop');
    expect(idle()).toBe(1);
  });

  it('the poller keeps going while someone else still waits', () => {
    const { queue, polls } = scripted();
    const ac = new AbortController();
    void settle(queue.enqueue('a', ac.signal));
    void settle(queue.enqueue('b', undefined));
    ac.abort('stop');
    expect(polls[0]!.signal.aborted).toBe(false);
  });

  it('a waiter whose record is being written rejects at once; the record it gets is released on its behalf', async () => {
    const { queue, polls, holders } = scripted();
    const ac = new AbortController();
    const a = settle(queue.enqueue('a', ac.signal));
    queue.pick();
    ac.abort('late');
    await tick();
    expect(a.state).toBe('rejected');
    expect(a.reason).toBe('late');
    expect(queue.waiting).toBe(0); // aborted: no longer waiting, though its write is in flight
    expect(polls[0]!.signal.aborted).toBe(false); // its write may still land
    polls[0]!.resolve(acquiredFor(1));
    await tick();
    expect(holders[0]!.ownerId).toBe('a');
    expect(holders[0]!.releases).toBe(1);
  });

  it('aborting the signal after own() resolved changes nothing (the listener is gone)', async () => {
    const { queue, polls, holders } = scripted();
    const ac = new AbortController();
    const a = settle(queue.enqueue('a', ac.signal));
    queue.pick();
    polls[0]!.resolve(acquiredFor(1));
    await tick();
    expect(a.state).toBe('resolved');
    expect(holders[0]!.signal).toBe(ac.signal);
    ac.abort('after');
    await tick();
    expect(a.state).toBe('resolved');
    expect(queue.waiting).toBe(0);
  });

  it('aborting after the store failed changes nothing', async () => {
    const { queue, polls } = scripted();
    const ac = new AbortController();
    const a = settle(queue.enqueue('a', ac.signal));
    polls[0]!.reject(new Error('down'));
    await tick();
    ac.abort('later');
    await tick();
    expect((a.reason as { wrapped: Error }).wrapped.message).toBe('down');
  });
});

describe('KeyQueue: store failures', () => {
  it('a store failure rejects every waiter (the picked one first) with its own error, skipping one that aborted', async () => {
    const { queue, polls, failures, idle } = scripted();
    const acB = new AbortController();
    const a = settle(queue.enqueue('a', undefined));
    const b = settle(queue.enqueue('b', acB.signal));
    const c = settle(queue.enqueue('c', undefined));
    queue.pick(); // a in flight
    const err = new Error('store down');
    acB.abort('b left');
    polls[0]!.reject(err);
    await tick();
    expect(failures.map((f) => f.ownerId)).toEqual(['a', 'c']);
    expect(a.reason).toEqual({ wrapped: err, ownerId: 'a' });
    expect(b.reason).toBe('b left');
    expect(c.reason).toEqual({ wrapped: err, ownerId: 'c' });
    expect(queue.waiting).toBe(0);
    expect(idle()).toBe(1);
  });

  it('an in-flight waiter that aborted before the failure is not rejected twice', async () => {
    const { queue, polls, failures } = scripted();
    const ac = new AbortController();
    const a = settle(queue.enqueue('a', ac.signal));
    queue.pick();
    ac.abort('gone');
    polls[0]!.reject(new Error('down'));
    await tick();
    expect(a.reason).toBe('gone');
    expect(failures).toEqual([]);
  });

  it('after a failure, the next own() starts a new poller', async () => {
    const { queue, polls } = scripted();
    void settle(queue.enqueue('a', undefined));
    polls[0]!.reject(new Error('down'));
    await tick();
    void settle(queue.enqueue('b', undefined));
    expect(polls).toHaveLength(2);
    expect(queue.pick()).toBe('b');
  });
});
