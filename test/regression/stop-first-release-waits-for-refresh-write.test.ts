/**
 * Regression (found by property 5, test/property/interleavings.test.ts,
 * "stop first: no live record is left once everyone released"):
 *
 * With release stopping the refresh loop first (then the flag
 * `stopRefreshBeforeRelease: true`, now `release.order: 'stop-then-write'`),
 * release() stopped the refresh loop and went on as soon as the loop exited,
 * while the loop's last write was still in flight (aborting only abandons the
 * *promise*; the request still lands). That write could land between
 * release's get and its own write: the release lost the race to its own
 * refresh and the key stayed held for a whole lease after release, contrary
 * to the Strategy contract ("stops the refresh loop and waits for an
 * in-flight tick"). Shrunk interleaving (writes were SetIfs then, swaps now):
 * holder n1 refresh get → refresh write sent → release: get delivered →
 * refresh write delivered → release write delivered (predicate failed).
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore, MostlyCorrectOwner, defineStrategy, lakefsStrategy, swapOverSetIf, type Store } from '../../src/index.js';
import { OWNERSHIP_PARTITION, decodeRecord, expiresMs } from '../../src/internal.js';
import { seededRandom } from '../helpers/fake-time.js';
import { ManualTime, flush } from '../helpers/manual-time.js';
import { STORE_KIND } from '../helpers/store-kind.js';

/** The conditional write on the wire in this test project: a swap, or lakeFS's SetIf (test/helpers/store-kind.ts). */
const WRITE = STORE_KIND === 'set-if' ? 'setIf' : 'swap';

/** A store whose requests wait in a queue until the test delivers them, in the order it chooses. */
class ManualNetwork {
  readonly inner = new MemoryStore();
  readonly queue: { op: 'get' | typeof WRITE; expiresZero: boolean; deliver: () => void }[] = [];
  readonly store: Store;

  constructor() {
    const get: Store['get'] = (p, k) => this.#enqueue('get', false, () => this.inner.get(p, k));
    const released = (v: Uint8Array): boolean => expiresMs(decodeRecord(v, 'k')) === 0;
    // on a SetIf store, the read after a lost write is a request of its own
    this.store =
      WRITE === 'setIf'
        ? swapOverSetIf({ get, setIf: (p, k, v, pred) => this.#enqueue(WRITE, released(v), () => this.inner.setIf(p, k, v, pred)) })
        : { get, swap: (p, k, v, expected, options) => this.#enqueue(WRITE, released(v), () => this.inner.swap(p, k, v, expected, options)) };
  }

  #enqueue<T>(op: 'get' | typeof WRITE, expiresZero: boolean, apply: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ op, expiresZero, deliver: () => void apply().then(resolve, reject) });
    });
  }

  /** Delivers the first queued request matching `which`; fails the test when there is none. */
  async deliver(which: (q: ManualNetwork['queue'][number]) => boolean): Promise<void> {
    const i = this.queue.findIndex(which);
    expect(i, 'a matching request is in flight').toBeGreaterThanOrEqual(0);
    this.queue.splice(i, 1)[0]!.deliver();
    await flush();
  }
}

describe("regression: release with release.order 'stop-then-write' waits for an in-flight refresh write", () => {
  // 1 read: only the wait saves the release (a release that wrote on its read would lose to the refresh and give up);
  // 3 reads, as the fixed strategies ship
  for (const attempts of [1, 3]) {
    it(`the record ends released even when the refresh write is delivered after release would have read (${attempts} read(s))`, async () => {
      const stopFirst = defineStrategy({ ...lakefsStrategy, name: 'stop-first', release: { order: 'stop-then-write', attempts } });
      const time = new ManualTime();
      const net = new ManualNetwork();
      const owners = new MostlyCorrectOwner({ store: net.store, prefix: 'p', acquireInterval: 5, refreshInterval: 40, clock: time.clock(), random: seededRandom(), strategy: stopFirst });

      const owning = owners.own('n1', 'k0');
      await flush();
      await net.deliver((q) => q.op === 'get');
      await net.deliver((q) => q.op === WRITE);
      const o = await owning;

      await time.advanceTo(20); // first refresh tick
      await net.deliver((q) => q.op === 'get');
      expect(net.queue.map((q) => q.op)).toEqual([WRITE]); // the refresh write is in flight

      let released = false;
      void o.release().then(() => void (released = true));
      await flush();
      // adversarial order: release's read first (if it was sent), then the refresh write, then the rest
      if (net.queue.some((q) => q.op === 'get')) await net.deliver((q) => q.op === 'get');
      await net.deliver((q) => q.op === WRITE && !q.expiresZero);
      while (net.queue.length > 0) await net.deliver(() => true);
      expect(released).toBe(true);

      const entry = await net.inner.get(OWNERSHIP_PARTITION, new TextEncoder().encode('p/k0'));
      const record = decodeRecord(entry!.value, 'k0');
      expect(record.owner).toBe(o.owner);
      expect(expiresMs(record), 'released: expiry at the epoch').toBe(0);
    });
  }

  it('lakefs (release first, stop after, as Go) keeps its documented race: the same order leaves the record held', async () => {
    const time = new ManualTime();
    const net = new ManualNetwork();
    const owners = new MostlyCorrectOwner({ store: net.store, prefix: 'p', acquireInterval: 5, refreshInterval: 40, clock: time.clock(), random: seededRandom(), strategy: lakefsStrategy });
    const owning = owners.own('n1', 'k0');
    await flush();
    await net.deliver((q) => q.op === 'get');
    await net.deliver((q) => q.op === WRITE);
    const o = await owning;
    await time.advanceTo(20);
    await net.deliver((q) => q.op === 'get');
    void o.release();
    await flush();
    await net.deliver((q) => q.op === 'get'); // release reads
    await net.deliver((q) => q.op === WRITE && !q.expiresZero); // refresh write lands
    while (net.queue.length > 0) await net.deliver(() => true); // release's write loses
    const entry = await net.inner.get(OWNERSHIP_PARTITION, new TextEncoder().encode('p/k0'));
    expect(expiresMs(decodeRecord(entry!.value, 'k0'))).toBe(time.clock().now() + 40);
  });
});
