/**
 * Runs in both test projects (vitest.config.ts) and proves which store kind
 * the owner's tests exercised there: a native swap in `default`, lakeFS's
 * SetIf behind `swapOverSetIf` in `set-if-store`. The owner's path is the
 * same on both: a `get` when it decides on a read, a `swap` for each write.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore, MostlyCorrectOwner, fixedStrategy, lakefsStrategy, observedStrategy, type Store } from '../src/index.js';
import { STORE_KIND, memoryStore } from './helpers/store-kind.js';

const setIf = STORE_KIND === 'set-if';

/** The store methods called on `store` (the owner's calls, and what the store kind makes of them), in order. */
function counted(store: MemoryStore): { store: Store; calls: string[] } {
  const calls: string[] = [];
  const get = store.get.bind(store);
  const setIfOf = store.setIf.bind(store);
  // count the inner calls too: the set-if kind's swap runs setIf (and get when it loses)
  store.get = (p, k) => (calls.push('get'), get(p, k));
  store.setIf = (p, k, v, pr) => (calls.push('setIf'), setIfOf(p, k, v, pr));
  const wrapped: Store = { get: (p, k) => store.get(p, k), swap: (p, k, v, e) => (calls.push('swap'), store.swap(p, k, v, e)) };
  return { store: wrapped, calls };
}

describe(`owner tests in this project run on ${setIf ? 'a get + setIf store (swapOverSetIf)' : 'a store with a native swap'}`, () => {
  for (const strategy of [fixedStrategy, observedStrategy]) {
    it(`${strategy.name}: an uncontended own + release costs one swap each${setIf ? ', each a setIf underneath' : ''}`, async () => {
      const { store, calls } = counted(memoryStore());
      const owners = new MostlyCorrectOwner({ store, prefix: 'p', acquireInterval: 10, refreshInterval: 1000, strategy });
      await (await owners.own('a', 'k')).release();
      expect(calls).toEqual(setIf ? ['swap', 'setIf', 'swap', 'setIf'] : ['swap', 'swap']);
    });
  }

  it('lakefs: a read, then a swap, for own and for release', async () => {
    const { store, calls } = counted(memoryStore());
    const owners = new MostlyCorrectOwner({ store, prefix: 'p', acquireInterval: 10, refreshInterval: 1000, strategy: lakefsStrategy });
    await (await owners.own('a', 'k')).release();
    expect(calls).toEqual(setIf ? ['get', 'swap', 'setIf', 'get', 'swap', 'setIf'] : ['get', 'swap', 'get', 'swap']);
  });

  it('a lost write costs a read more on the set-if kind only', async () => {
    const { store, calls } = counted(memoryStore());
    const owners = new MostlyCorrectOwner({ store, prefix: 'p', acquireInterval: 10, refreshInterval: 1000, strategy: fixedStrategy });
    const held = await owners.own('a', 'k');
    calls.length = 0;
    const result = await store.swap('mc-ownership', new TextEncoder().encode('p/k'), new Uint8Array([1]), null);
    expect(result.swapped).toBe(false);
    expect(calls).toEqual(setIf ? ['swap', 'setIf', 'get'] : ['swap']);
    await held.release();
  });
});
