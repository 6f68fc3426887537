/**
 * Runs in both test projects (vitest.config.ts) and proves which store path
 * the owner's tests exercised there: the fast path (one swap per own and per
 * release) in `default`, `get` + `setIf` in `generic-path`.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore, MostlyCorrectOwner, fixedStrategy, lakefsStrategy, observedStrategy, type Store } from '../src/index.js';

const generic = process.env.MCO_OWNER_PATH === 'generic';

/** The names of the store methods called, in order. */
function counted(store: MemoryStore): { store: Store; calls: string[] } {
  const calls: string[] = [];
  const wrapped: Store = {
    get: (p, k) => (calls.push('get'), store.get(p, k)),
    set: (p, k, v) => (calls.push('set'), store.set(p, k, v)),
    setIf: (p, k, v, pr) => (calls.push('setIf'), store.setIf(p, k, v, pr)),
    delete: (p, k) => (calls.push('delete'), store.delete(p, k)),
  };
  if (typeof store.swap === 'function') wrapped.swap = (p, k, v, e) => (calls.push('swap'), store.swap(p, k, v, e));
  return { store: wrapped, calls };
}

describe(`owner tests in this project run on the ${generic ? 'generic (get + setIf)' : 'fast (swap)'} path`, () => {
  for (const strategy of [fixedStrategy, observedStrategy]) {
    it(`${strategy.name}: an uncontended own + release on a MemoryStore costs ${generic ? 'get + setIf twice' : 'one swap each'}`, async () => {
      const { store, calls } = counted(new MemoryStore());
      const owners = new MostlyCorrectOwner({ store, prefix: 'p', acquireInterval: 10, refreshInterval: 1000, strategy });
      await (await owners.own('a', 'k')).release();
      expect(calls).toEqual(generic ? ['get', 'setIf', 'get', 'setIf'] : ['swap', 'swap']);
    });
  }

  it('lakefs: get + setIf on either project', async () => {
    const { store, calls } = counted(new MemoryStore());
    const owners = new MostlyCorrectOwner({ store, prefix: 'p', acquireInterval: 10, refreshInterval: 1000, strategy: lakefsStrategy });
    await (await owners.own('a', 'k')).release();
    expect(calls).toEqual(['get', 'setIf', 'get', 'setIf']);
  });
});
