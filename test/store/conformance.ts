/**
 * One conformance suite for every Store backend: call `storeConformance(name, open)`
 * from a backend's test file. `open()` returns a fresh store and a cleanup function;
 * each test uses its own partition so backends may be shared.
 */
import { describe, expect, it } from 'vitest';
import { PredicateFailedError, isPredicateFailed, type Store } from '../../src/index.js';

export interface OpenedStore {
  store: Store;
  close?: () => Promise<void>;
}

let partitionCounter = 0;
const freshPartition = (): string => `conformance-${process.pid}-${++partitionCounter}`;
const b = (s: string): Uint8Array => new TextEncoder().encode(s);

export function storeConformance(name: string, open: () => Promise<OpenedStore>): void {
  describe(`Store conformance: ${name}`, () => {
    const withStore = (fn: (store: Store, partition: string) => Promise<void>) => async () => {
      const { store, close } = await open();
      try {
        await fn(store, freshPartition());
      } finally {
        await close?.();
      }
    };

    it(
      'get on a missing key is undefined',
      withStore(async (s, p) => {
        expect(await s.get(p, b('missing'))).toBeUndefined();
      }),
    );

    it(
      'setIf with a null predicate inserts only when absent',
      withStore(async (s, p) => {
        await s.setIf(p, b('k'), b('v1'), null);
        expect((await s.get(p, b('k')))?.value).toEqual(b('v1'));
        const err = await s.setIf(p, b('k'), b('v2'), null).catch((e: unknown) => e);
        expect(isPredicateFailed(err)).toBe(true);
        expect(err).toBeInstanceOf(PredicateFailedError);
        expect((await s.get(p, b('k')))?.value).toEqual(b('v1'));
      }),
    );

    it(
      'setIf with a matching predicate writes; with a stale one fails and leaves the value',
      withStore(async (s, p) => {
        await s.set(p, b('k'), b('v1'));
        const first = (await s.get(p, b('k')))!;
        await s.setIf(p, b('k'), b('v2'), first.predicate);
        expect((await s.get(p, b('k')))?.value).toEqual(b('v2'));
        await expect(s.setIf(p, b('k'), b('v3'), first.predicate)).rejects.toSatisfy(isPredicateFailed);
        expect((await s.get(p, b('k')))?.value).toEqual(b('v2'));
      }),
    );

    it(
      'exactly one of 50 concurrent setIfs on the same predicate wins',
      withStore(async (s, p) => {
        await s.set(p, b('race'), b('start'));
        const { predicate } = (await s.get(p, b('race')))!;
        const results = await Promise.allSettled(
          Array.from({ length: 50 }, (_, i) => s.setIf(p, b('race'), b(`writer-${i}`), predicate)),
        );
        const won = results.filter((r) => r.status === 'fulfilled');
        expect(won).toHaveLength(1);
        for (const r of results) if (r.status === 'rejected') expect(isPredicateFailed(r.reason)).toBe(true);
        const winner = results.findIndex((r) => r.status === 'fulfilled');
        expect((await s.get(p, b('race')))?.value).toEqual(b(`writer-${winner}`));
      }),
    );

    it(
      'exactly one of 50 concurrent inserts of an absent key wins',
      withStore(async (s, p) => {
        const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => s.setIf(p, b('new'), b(`w${i}`), null)));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      }),
    );

    it(
      'is binary-safe for keys and values (0x00, ":", "/", non-UTF-8, 1 MiB)',
      withStore(async (s, p) => {
        const key = new Uint8Array([0x00, 0x3a, 0x2f, 0xff, 0xfe, 0x00, 0x41]);
        const value = new Uint8Array(1024 * 1024);
        for (let i = 0; i < value.length; i++) value[i] = (i * 131 + 7) & 0xff;
        await s.setIf(p, key, value, null);
        const got = (await s.get(p, key))!;
        expect(Buffer.from(got.value).equals(Buffer.from(value))).toBe(true);
        await s.setIf(p, key, new Uint8Array([0, 0xff, 0]), got.predicate);
        expect((await s.get(p, key))?.value).toEqual(new Uint8Array([0, 0xff, 0]));
        // keys that differ only after a 0x00 or in a non-UTF-8 byte are distinct
        expect(await s.get(p, new Uint8Array([0x00, 0x3a, 0x2f, 0xff, 0xfe, 0x00, 0x42]))).toBeUndefined();
        expect(await s.get(p, new Uint8Array([0x00]))).toBeUndefined();
      }),
    );

    it(
      'partitions are separate namespaces',
      withStore(async (s, p) => {
        await s.set(p, b('k'), b('a'));
        expect(await s.get(`${p}-other`, b('k'))).toBeUndefined();
      }),
    );

    it(
      'delete removes; deleting a missing key succeeds; after delete only a null predicate inserts',
      withStore(async (s, p) => {
        await s.set(p, b('k'), b('v'));
        const { predicate } = (await s.get(p, b('k')))!;
        await s.delete(p, b('k'));
        expect(await s.get(p, b('k'))).toBeUndefined();
        await s.delete(p, b('k'));
        await expect(s.setIf(p, b('k'), b('again'), predicate)).rejects.toSatisfy(isPredicateFailed);
        await s.setIf(p, b('k'), b('again'), null);
        expect((await s.get(p, b('k')))?.value).toEqual(b('again'));
      }),
    );

    it(
      'returned values are copies: mutating them does not change the store',
      withStore(async (s, p) => {
        const v = b('value');
        await s.set(p, b('k'), v);
        v[0] = 0;
        const got = (await s.get(p, b('k')))!;
        expect(got.value).toEqual(b('value'));
        got.value[0] = 0;
        expect((await s.get(p, b('k')))?.value).toEqual(b('value'));
      }),
    );
  });
}

/** Resolves when `check()` holds, retrying `act()` every 20 ms; rejects after `limitMs` (real time: a server round trip). */
async function eventually(act: () => Promise<void>, check: () => boolean, limitMs = 3000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${limitMs} ms`);
    await act();
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The optional release-notification capability (`notify` + `watch`), for
 * stores that have it. Delivery is best effort and a subscription may take a
 * round trip to be established, so the first notification is repeated until
 * it arrives; after that, ordering on one store connection lets a test prove
 * that a notification did *not* arrive: it would have come before a later one.
 */
export function notificationConformance(name: string, open: () => Promise<OpenedStore>, options: { crossInstance: boolean }): void {
  describe(`Store release notifications: ${name}`, () => {
    const withStore = (fn: (store: Required<Pick<Store, 'notify' | 'watch'>> & Store, partition: string) => Promise<void>) => async () => {
      const { store, close } = await open();
      try {
        expect(typeof store.notify).toBe('function');
        expect(typeof store.watch).toBe('function');
        await fn(store as Required<Pick<Store, 'notify' | 'watch'>> & Store, freshPartition());
      } finally {
        await close?.();
      }
    };

    it(
      'a watcher hears notify on its key, not on other keys or partitions, and nothing after unsubscribing',
      withStore(async (s, p) => {
        const heard: string[] = [];
        const stopA = s.watch(p, b('a'), () => heard.push('a'));
        const stopA2 = s.watch(p, b('a'), () => heard.push('a2'));
        const stopB = s.watch(p, new Uint8Array([0x00, 0xff, 0x3a]), () => heard.push('b'));
        await eventually(() => s.notify(p, b('a')), () => heard.includes('a'));
        await eventually(() => s.notify(p, new Uint8Array([0x00, 0xff, 0x3a])), () => heard.includes('b'));
        expect(heard).toContain('a2');
        heard.length = 0;
        await s.notify(`${p}-other`, b('a'));
        await s.notify(p, b('c'));
        stopA2();
        stopA2(); // idempotent
        await s.notify(p, b('a'));
        await eventually(() => s.notify(p, new Uint8Array([0x00, 0xff, 0x3a])), () => heard.includes('b'));
        // 'a' (to the remaining watcher) came before 'b'; nothing for the other partition, key c, or a2
        expect(heard.slice(0, heard.indexOf('b'))).toEqual(['a']);
        stopA();
        heard.length = 0;
        await s.notify(p, b('a'));
        await eventually(() => s.notify(p, new Uint8Array([0x00, 0xff, 0x3a])), () => heard.includes('b'));
        expect(heard.filter((h) => h !== 'b')).toEqual([]);
        stopB();
      }),
    );

    it.skipIf(!options.crossInstance)(
      'notifications cross store instances (separate connections), as between processes',
      async () => {
        const a = await open();
        const c = await open();
        try {
          const p = freshPartition();
          let heard = 0;
          const stop = c.store.watch!(p, b('k'), () => heard++);
          await eventually(() => a.store.notify!(p, b('k')), () => heard > 0);
          stop();
        } finally {
          await a.close?.();
          await c.close?.();
        }
      },
    );
  });
}
