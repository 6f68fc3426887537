/**
 * Edges of the acquire, refresh and release loops that the scenario tests
 * pass by: a release while a refresh request is in flight (silent), a record
 * that vanished under its holder or before its release, a push-handoff
 * strategy without a local queue (a waiter without a signal), a clock whose
 * sleep fails. Written for the mutation run (docs/mutation.md).
 */
import { describe, expect, it } from 'vitest';
import { OwnershipLostError, defineStrategy, fixedStrategy, lakefsStrategy, type Clock } from '../../src/index.js';
import { OWNERSHIP_PARTITION } from '../../src/internal.js';
import { recordingLogger, seededRandom } from '../helpers/fake-time.js';
import { KEY, makeOwner } from '../helpers/owner-fixture.js';
import { HoldingStore } from '../helpers/store-wrappers.js';
import { ManualTime } from '../helpers/manual-time.js';

describe('a release while a refresh request is in flight', () => {
  it('lakefs: the refresh read still out when release stops the loop ends it silently', async () => {
    const time = new ManualTime();
    const store = new HoldingStore();
    const log = recordingLogger();
    const owner = makeOwner(lakefsStrategy, store, { clock: time.clock(), random: seededRandom(1), logger: log });
    const pending = owner.own('a', 'k');
    await time.advanceTo(0);
    const held = await pending;
    const open = store.holdNext('get');
    await time.advanceTo(200); // the refresh read is out
    await held.release();
    await held.refreshStopped;
    open();
    await time.advanceTo(1_000);
    expect(log.lines.filter((l) => l.level === 'warn' || l.level === 'info')).toEqual([]);
  });

  it('fixed: the refresh write still out when release stops the loop ends it silently; release waits for it', async () => {
    const time = new ManualTime();
    const store = new HoldingStore();
    const log = recordingLogger();
    const owner = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(1), logger: log });
    const pending = owner.own('a', 'k');
    await time.advanceTo(0);
    const held = await pending;
    const open = store.holdNext('swap');
    await time.advanceTo(200); // the refresh write is out
    let released = false;
    const releasing = held.release().then(() => (released = true));
    await time.advanceTo(210);
    expect(released).toBe(false);
    open();
    await releasing;
    await time.advanceTo(1_000);
    expect(log.lines.filter((l) => l.level === 'warn' || l.level === 'info')).toEqual([]);
    const stored = await store.inner.get(OWNERSHIP_PARTITION, KEY);
    expect(stored).toBeDefined();
  });
});

describe('a record that vanished', () => {
  it('under its holder: the refresh warns that it is not found, and the holder is told (vanished)', async () => {
    const time = new ManualTime();
    const store = new HoldingStore();
    const log = recordingLogger();
    const owner = makeOwner(fixedStrategy, store, { clock: time.clock(), random: seededRandom(1), logger: log, fastPath: false });
    const pending = owner.own('a', 'k');
    await time.advanceTo(0);
    const held = await pending;
    await store.inner.delete(OWNERSHIP_PARTITION, KEY);
    await time.advanceTo(200);
    expect(held.lost.aborted).toBe(true);
    expect((held.lost.reason as OwnershipLostError).reason).toBe('vanished');
    const warned = log.lines.filter((l) => l.level === 'warn');
    expect(warned).toHaveLength(1);
    expect(warned[0]!.message).toBe('Failed to get ownership message to refresh');
    expect((warned[0]!.fields.err as Error).message).toBe('ownership record p/k not found');
    expect(warned[0]!.fields).toMatchObject({ owner: held.owner, prefixed_key: 'p/k', interval: 200 });
    await held.release();
  });

  it('before its release: nothing to release, said at INFO with the key and the owner', async () => {
    const time = new ManualTime();
    const store = new HoldingStore();
    const log = recordingLogger();
    const owner = makeOwner(lakefsStrategy, store, { clock: time.clock(), random: seededRandom(1), logger: log });
    const pending = owner.own('a', 'k');
    await time.advanceTo(0);
    const held = await pending;
    await store.inner.delete(OWNERSHIP_PARTITION, KEY);
    await held.release();
    expect(log.lines.filter((l) => l.level === 'info')).toEqual([
      { level: 'info', message: 'Ownership record not found; nothing to release', fields: { prefixed_key: 'p/k', owner: held.owner } },
    ]);
    expect(store.inner.size).toBe(0);
  });
});

describe('push handoff without a local queue', () => {
  // allowed: a local queue needs stop-then-write and fencing; push alone needs nothing
  const pushOnly = defineStrategy({ ...fixedStrategy, name: 'push-only', handoff: { localQueue: false, push: true } });

  it('a waiter that gave own() no signal is woken by the release notification', async () => {
    const time = new ManualTime();
    const store = new HoldingStore();
    const one = makeOwner(pushOnly, store, { clock: time.clock(), random: seededRandom(1) });
    const two = makeOwner(pushOnly, store, { clock: time.clock(), random: seededRandom(2) });
    const a = one.own('a', 'k');
    await time.advanceTo(0);
    const heldA = await a;
    let ownedAt: number | undefined;
    const b = two.own('b', 'k').then((o) => {
      ownedAt = time.now;
      return o;
    });
    await time.advanceTo(0);
    await time.advanceTo(15.5);
    await heldA.release();
    await time.advanceTo(15.5);
    expect(ownedAt).toBe(15.5);
    await (await b).release();
  });
});

describe('a clock whose sleep fails', () => {
  /** `clock` whose sleeps reject with `failure` once `failing.on`. */
  const failingSleeps = (clock: Clock, failing: { on: boolean }, failure: Error): Clock => ({
    now: () => clock.now(),
    monotonicNow: () => clock.monotonicNow(),
    sleep: (ms, signal) => (failing.on ? Promise.reject(failure) : clock.sleep(ms, signal)),
  });

  for (const [name, strategy] of [
    ['fixed (waits for a notification)', fixedStrategy],
    ['lakefs (polls)', lakefsStrategy],
  ] as const) {
    it(`${name}: a waiting own() rejects with the clock's failure`, async () => {
      const time = new ManualTime();
      const store = new HoldingStore();
      const failing = { on: false };
      const failure = new Error('timer broken');
      const one = makeOwner(strategy, store, { clock: time.clock(), random: seededRandom(1) });
      const two = makeOwner(strategy, store, { clock: failingSleeps(time.clock(), failing, failure), random: seededRandom(2) });
      const a = one.own('a', 'k');
      await time.advanceTo(0);
      const heldA = await a;
      failing.on = true;
      const b = two.own('b', 'k').catch((e: unknown) => e);
      await time.advanceTo(0);
      await time.advanceTo(5);
      expect(await b).toBe(failure);
      await heldA.release();
    });
  }
});
