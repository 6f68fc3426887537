/**
 * One conformance suite for every Store backend: call `storeConformance(name, open)`
 * from a backend's test file. `open()` returns a fresh store and a cleanup function;
 * each test uses its own partition so backends may be shared.
 */
import { describe, expect, it } from 'vitest';
import { PredicateFailedError, isPredicateFailed, valuePredicate, type Store } from '../../src/index.js';

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

    it(
      'a caller may reuse and change its key array between calls: each call names the key its bytes say then',
      withStore(async (s, p) => {
        const key = b('key-a');
        await s.set(p, key, b('1'));
        key[4] = 'b'.charCodeAt(0); // now 'key-b'
        expect(await s.get(p, key)).toBeUndefined();
        await s.setIf(p, key, b('2'), null);
        expect((await s.get(p, b('key-a')))?.value).toEqual(b('1'));
        expect((await s.get(p, b('key-b')))?.value).toEqual(b('2'));
        if (s.swap !== undefined) {
          key[4] = 'c'.charCodeAt(0);
          expect((await s.swap(p, key, b('3'), null)).swapped).toBe(true);
          expect((await s.get(p, b('key-c')))?.value).toEqual(b('3'));
          expect((await s.get(p, b('key-b')))?.value).toEqual(b('2'));
        }
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

    it(
      'swap with notify: a write tells the watchers (or answers that the caller must), a swap that wrote nothing tells nobody',
      withStore(async (s, p) => {
        if (s.swap === undefined) return; // (every bundled store has swap; asserted by swapConformance)
        const heard: string[] = [];
        const stop = s.watch(p, b('k'), () => heard.push('k'));
        const stopOther = s.watch(p, b('other'), () => heard.push('other'));
        // let the subscriptions settle: a plain notify on k must arrive first
        await eventually(() => s.notify(p, b('k')), () => heard.includes('k'));
        heard.length = 0;
        // a swap that does not write (the key is absent, `expected` names a value): nobody is told
        const miss = await s.swap(p, b('k'), b('v1'), valuePredicate(b('nope')), { notify: true });
        expect(miss.swapped).toBe(false);
        // a swap that writes, with notify
        const hit = await s.swap(p, b('k'), b('v1'), null, { notify: true });
        expect(hit.swapped).toBe(true);
        if (hit.swapped && hit.notified !== true) await s.notify(p, b('k')); // the caller's part, for stores that cannot
        const deadline = Date.now() + 5000;
        while (!heard.includes('k') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
        expect(heard).toEqual(['k']);
        // without the option the store notifies nobody
        heard.length = 0;
        const quiet = await s.swap(p, b('k'), b('v2'), valuePredicate(b('v1')));
        expect(quiet.swapped && quiet.notified).toBeFalsy();
        await eventually(() => s.notify(p, b('other')), () => heard.includes('other'));
        expect(heard.filter((h) => h === 'k')).toEqual([]);
        stop();
        stopOther();
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

/**
 * The optional `swap` capability, for stores that have it: the compare of
 * `setIf`, and on a mismatch what a `get` would have returned. Under
 * concurrency a loser's `current` is a value the key held during the call:
 * the winner's, or (PostgreSQL, answering from its statement snapshot) the
 * value before it, which then equals the loser's `expected`.
 */
export function swapConformance(name: string, open: () => Promise<OpenedStore>): void {
  describe(`Store swap: ${name}`, () => {
    const withStore = (fn: (store: Store & Required<Pick<Store, 'swap'>>, partition: string) => Promise<void>) => async () => {
      const { store, close } = await open();
      try {
        expect(typeof store.swap).toBe('function');
        await fn(store as Store & Required<Pick<Store, 'swap'>>, freshPartition());
      } finally {
        await close?.();
      }
    };

    it(
      'expected null: inserts when absent (its predicate works for setIf); when present writes nothing and answers the value',
      withStore(async (s, p) => {
        const first = await s.swap(p, b('k'), b('v1'), null);
        expect(first.swapped).toBe(true);
        expect((await s.get(p, b('k')))?.value).toEqual(b('v1'));
        const second = await s.swap(p, b('k'), b('v2'), null);
        expect(second).toMatchObject({ swapped: false });
        if (second.swapped) throw new Error('unreachable');
        expect(second.current?.value).toEqual(b('v1'));
        expect((await s.get(p, b('k')))?.value).toEqual(b('v1'));
        if (!first.swapped) throw new Error('unreachable');
        await s.setIf(p, b('k'), b('v3'), first.predicate);
        expect((await s.get(p, b('k')))?.value).toEqual(b('v3'));
      }),
    );

    it(
      'a matching predicate writes and answers the new predicate; chained swaps from answers; a stale one answers the current entry',
      withStore(async (s, p) => {
        await s.set(p, b('k'), b('v1'));
        let predicate = (await s.get(p, b('k')))!.predicate;
        for (const v of ['v2', 'v3', 'v4']) {
          const r = await s.swap(p, b('k'), b(v), predicate);
          if (!r.swapped) throw new Error(`swap to ${v} failed, current ${String(r.current?.value)}`);
          predicate = r.predicate;
        }
        expect((await s.get(p, b('k')))?.value).toEqual(b('v4'));
        const stale = (await s.get(p, b('k')))!.predicate;
        await s.set(p, b('k'), b('other'));
        const r = await s.swap(p, b('k'), b('mine'), stale);
        if (r.swapped) throw new Error('a stale predicate swapped');
        expect(r.current?.value).toEqual(b('other'));
        expect((await s.get(p, b('k')))?.value).toEqual(b('other'));
        // the answered entry's predicate is as good as a get's
        await s.setIf(p, b('k'), b('mine'), r.current!.predicate);
        expect((await s.get(p, b('k')))?.value).toEqual(b('mine'));
      }),
    );

    it(
      'a predicate on a key deleted since answers current undefined and writes nothing',
      withStore(async (s, p) => {
        await s.set(p, b('k'), b('v'));
        const { predicate } = (await s.get(p, b('k')))!;
        await s.delete(p, b('k'));
        expect(await s.swap(p, b('k'), b('w'), predicate)).toEqual({ swapped: false, current: undefined });
        expect(await s.get(p, b('k'))).toBeUndefined();
      }),
    );

    it(
      'is binary-safe: 0x00, 0xff and ":" in keys, expected and current values',
      withStore(async (s, p) => {
        const key = new Uint8Array([0x00, 0x3a, 0xff, 0xfe]);
        const v1 = new Uint8Array([0x00, 0xff, 0x00, 0x80, 0x3a]);
        const v2 = new Uint8Array([0xff, 0x00]);
        const r1 = await s.swap(p, key, v1, null);
        expect(r1.swapped).toBe(true);
        const r2 = await s.swap(p, key, v2, null);
        if (r2.swapped) throw new Error('inserted over an existing key');
        expect(r2.current?.value).toEqual(v1);
        const r3 = await s.swap(p, key, v2, r2.current!.predicate);
        expect(r3.swapped).toBe(true);
        expect((await s.get(p, key))?.value).toEqual(v2);
        expect(await s.get(p, new Uint8Array([0x00, 0x3a, 0xff, 0xff]))).toBeUndefined();
      }),
    );

    it(
      'exactly one of 50 concurrent swaps on the same predicate wins; each loser answers the winner (or the value it expected)',
      withStore(async (s, p) => {
        await s.set(p, b('race'), b('start'));
        const { predicate } = (await s.get(p, b('race')))!;
        const results = await Promise.all(Array.from({ length: 50 }, (_, i) => s.swap(p, b('race'), b(`writer-${i}`), predicate)));
        const winners = results.flatMap((r, i) => (r.swapped ? [i] : []));
        expect(winners).toHaveLength(1);
        const winner = b(`writer-${winners[0]}`);
        expect((await s.get(p, b('race')))?.value).toEqual(winner);
        for (const r of results) {
          if (r.swapped) continue;
          const seen = Buffer.from(r.current!.value).toString();
          expect(['start', `writer-${winners[0]}`]).toContain(seen);
        }
      }),
    );

    it(
      'exactly one of 50 concurrent swaps of an absent key wins; each loser answers the winner (or absent)',
      withStore(async (s, p) => {
        const results = await Promise.all(Array.from({ length: 50 }, (_, i) => s.swap(p, b('new'), b(`w${i}`), null)));
        const winners = results.flatMap((r, i) => (r.swapped ? [i] : []));
        expect(winners).toHaveLength(1);
        for (const r of results) {
          if (r.swapped) continue;
          if (r.current !== undefined) expect(Buffer.from(r.current.value).toString()).toBe(`w${winners[0]}`);
        }
        expect((await s.get(p, b('new')))?.value).toEqual(b(`w${winners[0]}`));
      }),
    );

    it(
      'answered values are copies: mutating them does not change the store',
      withStore(async (s, p) => {
        await s.set(p, b('k'), b('value'));
        const r = await s.swap(p, b('k'), b('x'), null);
        if (r.swapped) throw new Error('inserted over an existing key');
        r.current!.value[0] = 0;
        expect((await s.get(p, b('k')))?.value).toEqual(b('value'));
      }),
    );
  });
}
