/**
 * Regression (found by property 5, test/property/interleavings.test.ts,
 * "stop first: no live record is left once everyone released"):
 *
 * With `stopRefreshBeforeRelease: true`, release() stopped the refresh loop
 * and went on as soon as the loop exited, while the loop's last SetIf was
 * still in flight (aborting only abandons the *promise*; the request still
 * lands). That write could land between release's get and its SetIf: the
 * release lost the race to its own refresh and the key stayed held for a
 * whole lease after release, contrary to the Strategy contract ("stops the
 * refresh loop and waits for an in-flight tick"). Shrunk interleaving: holder
 * n1 refresh get → refresh SetIf sent → release: get delivered → refresh
 * SetIf delivered → release SetIf delivered (predicate failed).
 */
import { describe, expect, it } from 'vitest';
import {
  MemoryStore,
  MostlyCorrectOwner,
  OWNERSHIP_PARTITION,
  decodeRecord,
  expiresMs,
  lakefsStrategy,
  type Store,
  type Strategy,
} from '../../src/index.js';
import { seededRandom } from '../helpers/fake-time.js';
import { ManualTime, flush } from '../helpers/manual-time.js';

/** A store whose requests wait in a queue until the test delivers them, in the order it chooses. */
class ManualNetwork {
  readonly inner = new MemoryStore();
  readonly queue: { op: 'get' | 'setIf'; expiresZero: boolean; deliver: () => void }[] = [];
  readonly store: Store = {
    get: (p, k) => this.#enqueue('get', false, () => this.inner.get(p, k)),
    set: (p, k, v) => this.inner.set(p, k, v),
    delete: (p, k) => this.inner.delete(p, k),
    setIf: (p, k, v, pred) => this.#enqueue('setIf', expiresMs(decodeRecord(v, 'k')) === 0, () => this.inner.setIf(p, k, v, pred)),
  };

  #enqueue<T>(op: 'get' | 'setIf', expiresZero: boolean, apply: () => Promise<T>): Promise<T> {
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

describe('regression: release with stopRefreshBeforeRelease waits for an in-flight refresh write', () => {
  it('the record ends released even when the refresh SetIf is delivered after release would have read', async () => {
    const stopFirst: Strategy = { ...lakefsStrategy, name: 'stop-first', stopRefreshBeforeRelease: true };
    const time = new ManualTime();
    const net = new ManualNetwork();
    const owners = new MostlyCorrectOwner({ store: net.store, prefix: 'p', acquireInterval: 5, refreshInterval: 40, clock: time.clock(), random: seededRandom(), strategy: stopFirst });

    const owning = owners.own('n1', 'k0');
    await flush();
    await net.deliver((q) => q.op === 'get');
    await net.deliver((q) => q.op === 'setIf');
    const o = await owning;

    await time.advanceTo(20); // first refresh tick
    await net.deliver((q) => q.op === 'get');
    expect(net.queue.map((q) => q.op)).toEqual(['setIf']); // the refresh write is in flight

    let released = false;
    void o.release().then(() => void (released = true));
    await flush();
    // adversarial order: release's read first (if it was sent), then the refresh write, then the rest
    if (net.queue.some((q) => q.op === 'get')) await net.deliver((q) => q.op === 'get');
    await net.deliver((q) => q.op === 'setIf' && !q.expiresZero);
    while (net.queue.length > 0) await net.deliver(() => true);
    expect(released).toBe(true);

    const entry = await net.inner.get(OWNERSHIP_PARTITION, new TextEncoder().encode('p/k0'));
    const record = decodeRecord(entry!.value, 'k0');
    expect(record.owner).toBe(o.owner);
    expect(expiresMs(record), 'released: expiry at the epoch').toBe(0);
  });

  it('lakefs (release first, stop after, as Go) keeps its documented race: the same order leaves the record held', async () => {
    const time = new ManualTime();
    const net = new ManualNetwork();
    const owners = new MostlyCorrectOwner({ store: net.store, prefix: 'p', acquireInterval: 5, refreshInterval: 40, clock: time.clock(), random: seededRandom(), strategy: lakefsStrategy });
    const owning = owners.own('n1', 'k0');
    await flush();
    await net.deliver((q) => q.op === 'get');
    await net.deliver((q) => q.op === 'setIf');
    const o = await owning;
    await time.advanceTo(20);
    await net.deliver((q) => q.op === 'get');
    void o.release();
    await flush();
    await net.deliver((q) => q.op === 'get'); // release reads
    await net.deliver((q) => q.op === 'setIf' && !q.expiresZero); // refresh write lands
    while (net.queue.length > 0) await net.deliver(() => true); // release's SetIf loses
    const entry = await net.inner.get(OWNERSHIP_PARTITION, new TextEncoder().encode('p/k0'));
    expect(expiresMs(decodeRecord(entry!.value, 'k0'))).toBe(time.clock().now() + 40);
  });
});
