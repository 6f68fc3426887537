/**
 * The refresh loop when `stop` aborts in the microtask gap between an
 * answer and the loop resuming: after a tick's sleep has resolved, after a
 * read's reply, after a lost write's reply. Constructed through the public
 * API: under lakefs the caller's signal stops the refresh loop, and the
 * test aborts it from a reaction to the sleep or to the store's reply that
 * runs before the loop's own continuation. Nothing may be sent or logged
 * once the loop is stopped. Written for the mutation run (docs/mutation.md).
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore, lakefsStrategy, type Clock, type Predicate, type Store, type StoreEntry, type SwapOptions, type SwapResult } from '../../src/index.js';
import { OWNERSHIP_PARTITION, decodeRecord, encodeRecord, newRecord } from '../../src/internal.js';
import { recordingLogger, seededRandom } from '../helpers/fake-time.js';
import { KEY, REFRESH, makeOwner } from '../helpers/owner-fixture.js';
import { MANUAL_EPOCH_MS, ManualTime, type ManualClock } from '../helpers/manual-time.js';

/** A clock that runs `afterSleep` (once) when a sleep resolves, before the sleeper resumes. */
class HookedClock implements Clock {
  afterSleep: (() => void) | undefined;
  constructor(private readonly inner: ManualClock) {}
  now(): number {
    return this.inner.now();
  }
  monotonicNow(): number {
    return this.inner.monotonicNow();
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.inner.sleep(ms, signal).then(() => {
      const hook = this.afterSleep;
      this.afterSleep = undefined;
      hook?.();
    });
  }
}

/**
 * A MemoryStore that counts requests. For the next `armed` request it first
 * runs `change` on the stored data, then answers, and runs `onReply` as a
 * reaction to that answer registered after the caller's own.
 */
class GapStore implements Store {
  readonly inner = new MemoryStore();
  requests = 0;
  armed: { op: 'get' | 'swap'; change: () => Promise<void>; onReply: () => void } | undefined;
  #gap<T>(op: 'get' | 'swap', answer: () => Promise<T>): Promise<T> {
    this.requests++;
    const armed = this.armed;
    if (armed?.op !== op) return answer();
    this.armed = undefined;
    let settle!: (value: T) => void;
    const reply = new Promise<T>((r) => (settle = r));
    queueMicrotask(() => {
      // the caller has attached its reaction by now (synchronously after the call)
      void reply.then(armed.onReply);
      void armed.change().then(answer).then(settle);
    });
    return reply;
  }
  get(partition: string, key: Uint8Array): Promise<StoreEntry | undefined> {
    return this.#gap('get', () => this.inner.get(partition, key));
  }
  swap(partition: string, key: Uint8Array, value: Uint8Array, expected: Predicate | null, options?: SwapOptions): Promise<SwapResult> {
    return this.#gap('swap', () => this.inner.swap(partition, key, value, expected, options));
  }
  /** Another write of our record lands (other bytes, same owner): our next write loses. */
  async rewriteOurs(): Promise<void> {
    const current = (await this.inner.get(OWNERSHIP_PARTITION, KEY))!;
    const record = decodeRecord(current.value, 'p/k');
    await this.inner.swap(OWNERSHIP_PARTITION, KEY, encodeRecord(newRecord(record.owner, MANUAL_EPOCH_MS + 12_345, record.comment)), current.predicate);
  }
}

async function held() {
  const time = new ManualTime();
  const clock = new HookedClock(time.clock());
  const store = new GapStore();
  const logger = recordingLogger();
  const owner = makeOwner(lakefsStrategy, store, { clock, random: seededRandom(1), logger });
  const controller = new AbortController();
  const pending = owner.own('a', 'k', { signal: controller.signal });
  await time.advanceTo(0);
  const ownership = await pending;
  const stop = (): { requests: number; warnings: number } => {
    controller.abort(new Error('done'));
    return { requests: store.requests, warnings: logger.lines.filter((l) => l.level === 'warn').length };
  };
  const after = () => ({ requests: store.requests, warnings: logger.lines.filter((l) => l.level === 'warn').length });
  return { time, clock, store, ownership, stop, after };
}

describe('lakefs: the caller’s signal aborts in the gap before the refresh loop resumes', () => {
  it('after the tick’s sleep resolved: no read is sent', async () => {
    const h = await held();
    let at: ReturnType<typeof h.stop> | undefined;
    h.clock.afterSleep = () => (at = h.stop());
    await h.time.advanceTo(REFRESH); // the first tick (REFRESH / 2) and the next
    expect(at).toBeDefined();
    expect(h.after()).toEqual(at);
    await h.ownership.refreshStopped;
  });

  it('after the read’s reply, which finds the record gone: nothing is logged, nothing written', async () => {
    const h = await held();
    let at: ReturnType<typeof h.stop> | undefined;
    h.store.armed = {
      op: 'get',
      change: () => h.store.inner.delete(OWNERSHIP_PARTITION, KEY).then(() => {}),
      onReply: () => (at = h.stop()),
    };
    await h.time.advanceTo(REFRESH);
    expect(at).toBeDefined();
    expect(h.after()).toEqual(at);
    await h.ownership.refreshStopped;
  });

  it('after a lost write’s reply: no WARN about the write, nothing more sent', async () => {
    const h = await held();
    let at: ReturnType<typeof h.stop> | undefined;
    h.store.armed = { op: 'swap', change: () => h.store.rewriteOurs(), onReply: () => (at = h.stop()) };
    await h.time.advanceTo(REFRESH);
    expect(at).toBeDefined();
    expect(h.after()).toEqual(at);
    await h.ownership.refreshStopped;
  });
});
