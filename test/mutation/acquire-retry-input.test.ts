/**
 * What the acquire loop tells a strategy when it decides how long to wait
 * (`AcquireRetryInput`): why the attempt failed, "now" and the expiry it
 * judged on, the candidate it tried to write, the attempt number. A strategy
 * is a user's extension point, so these are its contract; pinned here for
 * each way an attempt can fail, on a read and on the fast path's guess.
 * Written for the mutation run (docs/mutation.md).
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore, defineStrategy, fixedStrategy, lakefsStrategy, observedStrategy, type AcquireRetryInput, type Predicate, type Store, type StoreEntry, type Strategy, type SwapOptions, type SwapResult } from '../../src/index.js';
import { OWNERSHIP_PARTITION, encodeRecord, newRecord, pollDelayMs } from '../../src/internal.js';
import { seededRandom } from '../helpers/fake-time.js';
import { KEY, makeOwner } from '../helpers/owner-fixture.js';
import { ManualTime, MANUAL_EPOCH_MS as T0 } from '../helpers/manual-time.js';

/** `base` whose retry delay records its inputs (and then waits as `base` would, or 10 ms). */
function spying(base: Strategy): { strategy: Strategy; inputs: Omit<AcquireRetryInput, 'random'>[] } {
  const inputs: Omit<AcquireRetryInput, 'random'>[] = [];
  const strategy = defineStrategy({
    ...base,
    name: `${base.name}-spy`,
    acquireRetryDelayMs: (input: AcquireRetryInput) => {
      const { random: _random, ...rest } = input;
      inputs.push(rest);
      return base === lakefsStrategy ? 10 : pollDelayMs(input);
    },
  });
  return { strategy, inputs };
}

/** A MemoryStore; `beforeSwap` runs before a swap reaches it; `answerStale` makes the next failing-to-be swap answer the expected state. */
class Sneaky implements Store {
  readonly inner = new MemoryStore();
  beforeSwap: (() => Promise<void>) | undefined;
  get(partition: string, key: Uint8Array): Promise<StoreEntry | undefined> {
    return this.inner.get(partition, key);
  }
  async swap(partition: string, key: Uint8Array, value: Uint8Array, expected: Predicate | null, options?: SwapOptions): Promise<SwapResult> {
    const hook = this.beforeSwap;
    this.beforeSwap = undefined;
    await hook?.();
    return this.inner.swap(partition, key, value, expected, options);
  }
}

const other = (expires: number) => encodeRecord(newRecord('z#1', expires, ''));

/** z releases (its record now expires at the epoch), so a waiter takes it at its next look. */
async function release(store: Sneaky): Promise<void> {
  const current = (await store.inner.get(OWNERSHIP_PARTITION, KEY))!;
  await store.inner.swap(OWNERSHIP_PARTITION, KEY, other(0), current.predicate);
}

describe('AcquireRetryInput', () => {
  it('a key held by someone, judged on a read: held, with the expiry read', async () => {
    const time = new ManualTime();
    const store = new Sneaky();
    await store.inner.swap(OWNERSHIP_PARTITION, KEY, other(T0 + 5_000), null);
    const { strategy, inputs } = spying(fixedStrategy);
    const owner = makeOwner(strategy, store, { clock: time.clock(), random: seededRandom(1), fastPath: false });
    const pending = owner.own('b', 'k');
    await time.advanceTo(0);
    await time.advanceTo(20);
    expect(inputs[0]).toEqual({ outcome: 'held', nowMs: T0, readExpiresMs: T0 + 5_000, candidateExpiresMs: undefined, attempt: 1, acquireIntervalMs: 10, refreshIntervalMs: 400 });
    // a store without notifications: the next look is after the sleep, on a later clock
    expect(inputs[1]).toMatchObject({ outcome: 'held', attempt: 2, readExpiresMs: T0 + 5_000 });
    expect(inputs[1]!.nowMs).toBeGreaterThan(T0);
    await release(store);
    await time.advanceTo(100);
    await (await pending).release();
  });

  it('on the fast path a wrong guess (absent) answered with a held record: held, decided on the answer', async () => {
    const time = new ManualTime();
    const store = new Sneaky();
    await store.inner.swap(OWNERSHIP_PARTITION, KEY, other(T0 + 5_000), null);
    const { strategy, inputs } = spying(fixedStrategy);
    const owner = makeOwner(strategy, store, { clock: time.clock(), random: seededRandom(1) });
    const pending = owner.own('b', 'k');
    await time.advanceTo(0);
    expect(inputs[0]).toEqual({ outcome: 'held', nowMs: T0, readExpiresMs: T0 + 5_000, candidateExpiresMs: undefined, attempt: 1, acquireIntervalMs: 10, refreshIntervalMs: 400 });
    await release(store);
    await time.advanceTo(100);
    await (await pending).release();
  });

  it('a write that lost to another writer after a read: lost-race, with the candidate it tried', async () => {
    const time = new ManualTime();
    const store = new Sneaky();
    const { strategy, inputs } = spying(lakefsStrategy);
    const owner = makeOwner(strategy, store, { clock: time.clock(), random: seededRandom(1) });
    store.beforeSwap = () => store.inner.swap(OWNERSHIP_PARTITION, KEY, other(T0 + 5), null).then(() => {});
    const pending = owner.own('b', 'k');
    await time.advanceTo(0);
    expect(inputs[0]).toEqual({ outcome: 'lost-race', nowMs: T0, readExpiresMs: undefined, candidateExpiresMs: T0 + 400, attempt: 1, acquireIntervalMs: 10, refreshIntervalMs: 400 });
    await time.advanceTo(10);
    // attempt 2 reads z's record, expired by then: takes it
    const held = await pending;
    expect(inputs).toHaveLength(1);
    await held.release();
  });

  it("a guess answered with the guessed state itself (a store's snapshot): lost-race, judged on the guess", async () => {
    for (const [base, nowOf] of [
      [fixedStrategy, (wall: number) => wall],
      [observedStrategy, (_wall: number, mono: number) => mono],
    ] as const) {
      const time = new ManualTime();
      time.now = 7;
      const store = new Sneaky();
      const { strategy, inputs } = spying(base);
      const owner = makeOwner(strategy, store, { clock: time.clock(), random: seededRandom(1) });
      // the answer is "absent", as guessed, though the write lost
      const realSwap = store.inner.swap.bind(store.inner);
      store.inner.swap = () => {
        store.inner.swap = realSwap;
        return Promise.resolve({ swapped: false, current: undefined });
      };
      const pending = owner.own('b', 'k');
      await time.advanceTo(7);
      expect(inputs[0]).toEqual({
        outcome: 'lost-race',
        nowMs: nowOf(T0 + 7, 7),
        readExpiresMs: undefined,
        candidateExpiresMs: T0 + 7 + 400,
        attempt: 1,
        acquireIntervalMs: 10,
        refreshIntervalMs: 400,
      });
      await time.advanceTo(30);
      await (await pending).release();
    }
  });

  it('a released record guessed and answered with itself: lost-race, with the guess expiring at the epoch', async () => {
    const time = new ManualTime();
    const store = new Sneaky();
    const { strategy, inputs } = spying(fixedStrategy);
    const owner = makeOwner(strategy, store, { clock: time.clock(), random: seededRandom(1) });
    const first = owner.own('a', 'k');
    await time.advanceTo(0);
    await (await first).release(); // known: our released record
    const released = (await store.inner.get(OWNERSHIP_PARTITION, KEY))!;
    const realSwap = store.inner.swap.bind(store.inner);
    store.inner.swap = () => {
      store.inner.swap = realSwap;
      return Promise.resolve({ swapped: false, current: { value: released.value.slice(), predicate: released.predicate } });
    };
    const pending = owner.own('b', 'k');
    await time.advanceTo(1);
    expect(inputs[0]).toEqual({ outcome: 'lost-race', nowMs: T0, readExpiresMs: 0, candidateExpiresMs: T0 + 400, attempt: 1, acquireIntervalMs: 10, refreshIntervalMs: 400 });
    await time.advanceTo(30);
    await (await pending).release();
  });
});
