/**
 * The conformance suites, called from each backend's test file:
 * - `storeConformance(name, open)`: the {@link Store} contract the owner
 *   relies on, `get` + `swap`; every bundled store runs it, and so does
 *   `swapOverSetIf` over a get + setIf store;
 * - `setIfConformance(name, open)`: lakeFS's kv API that the bundled stores
 *   keep beside the contract (`set`, `setIf`, `delete`);
 * - `notificationConformance(name, open, options)`: the optional release
 *   notifications (`notify` + `watch`).
 * `open()` returns a fresh store and a cleanup function; each test uses its
 * own partition so backends may be shared.
 */
import { describe, expect, it } from 'vitest';
import { PredicateFailedError, isPredicateFailed, type Predicate, type Store, type StoreEntry } from '../../src/index.js';
import { valuePredicate } from '../../src/internal.js';

/** Unconditional writes, as another client of the same data would make them: how tests set up a state. */
export interface DirectWrites {
  set(partition: string, key: Uint8Array, value: Uint8Array): Promise<void>;
  delete(partition: string, key: Uint8Array): Promise<void>;
}

/** A store with lakeFS's kv API beside the contract, as every bundled store has. */
export type KvStore = Store & DirectWrites & { setIf(partition: string, key: Uint8Array, value: Uint8Array, predicate: Predicate | null): Promise<void> };

export interface OpenedStore<S extends Store = Store> {
  store: S;
  close?: () => Promise<void>;
  /** Writes to the data behind `store` (for a store that has no `set`/`delete` of its own). Default: the store's own `set` and `delete`. */
  direct?: DirectWrites;
}

let partitionCounter = 0;
const freshPartition = (): string => `conformance-${process.pid}-${++partitionCounter}`;
const b = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The value of a swap that wrote nothing (fails the test when it wrote). */
function lost(r: Awaited<ReturnType<Store['swap']>>): StoreEntry | undefined {
  if (r.swapped) throw new Error('the swap wrote, expected it to write nothing');
  return r.current;
}

/** The predicate of a swap that wrote (fails the test when it did not). */
function won(r: Awaited<ReturnType<Store['swap']>>): Predicate {
  if (!r.swapped) throw new Error(`the swap wrote nothing, current ${String(r.current?.value)}`);
  return r.predicate;
}

function directOf(opened: OpenedStore): DirectWrites {
  if (opened.direct !== undefined) return opened.direct;
  const s = opened.store as Partial<DirectWrites>;
  if (typeof s.set !== 'function' || typeof s.delete !== 'function') throw new Error('the store has no set/delete: open() must give `direct`');
  return opened.store as Store & DirectWrites;
}

/**
 * The contract: `get`, and `swap`, the compare of lakeFS's `SetIf` that on a
 * mismatch answers what a `get` would have returned. Under concurrency a
 * loser's `current` is a value the key held during the call: the winner's,
 * or (PostgreSQL, answering from its statement snapshot; the setIf adapter,
 * reading after its failed write) one that then equals the loser's
 * `expected`.
 */
export function storeConformance(name: string, open: () => Promise<OpenedStore>): void {
  describe(`Store conformance: ${name}`, () => {
    const withStore = (fn: (store: Store, partition: string, direct: DirectWrites) => Promise<void>) => async () => {
      const opened = await open();
      try {
        expect(typeof opened.store.get).toBe('function');
        expect(typeof opened.store.swap).toBe('function');
        await fn(opened.store, freshPartition(), directOf(opened));
      } finally {
        await opened.close?.();
      }
    };

    it(
      'get on a missing key is undefined',
      withStore(async (s, p) => {
        expect(await s.get(p, b('missing'))).toBeUndefined();
      }),
    );

    it(
      'expected null: inserts when absent (its predicate works for a later swap); when present writes nothing and answers the value',
      withStore(async (s, p) => {
        const first = await s.swap(p, b('k'), b('v1'), null);
        expect(first.swapped).toBe(true);
        expect((await s.get(p, b('k')))?.value).toEqual(b('v1'));
        const second = await s.swap(p, b('k'), b('v2'), null);
        expect(second).toMatchObject({ swapped: false });
        expect(lost(second)?.value).toEqual(b('v1'));
        expect((await s.get(p, b('k')))?.value).toEqual(b('v1'));
        won(await s.swap(p, b('k'), b('v3'), won(first)));
        expect((await s.get(p, b('k')))?.value).toEqual(b('v3'));
      }),
    );

    it(
      'a matching predicate writes and answers the new predicate; chained swaps from answers; a stale one answers the current entry',
      withStore(async (s, p, direct) => {
        await direct.set(p, b('k'), b('v1'));
        let predicate = (await s.get(p, b('k')))!.predicate;
        for (const v of ['v2', 'v3', 'v4']) predicate = won(await s.swap(p, b('k'), b(v), predicate));
        expect((await s.get(p, b('k')))?.value).toEqual(b('v4'));
        const stale = (await s.get(p, b('k')))!.predicate;
        await direct.set(p, b('k'), b('other'));
        const current = lost(await s.swap(p, b('k'), b('mine'), stale));
        expect(current?.value).toEqual(b('other'));
        expect((await s.get(p, b('k')))?.value).toEqual(b('other'));
        // the answered entry's predicate is as good as a get's
        won(await s.swap(p, b('k'), b('mine'), current!.predicate));
        expect((await s.get(p, b('k')))?.value).toEqual(b('mine'));
      }),
    );

    it(
      'a predicate on a key deleted since answers current undefined and writes nothing; then only expected null inserts',
      withStore(async (s, p, direct) => {
        await direct.set(p, b('k'), b('v'));
        const { predicate } = (await s.get(p, b('k')))!;
        await direct.delete(p, b('k'));
        expect(await s.swap(p, b('k'), b('w'), predicate)).toEqual({ swapped: false, current: undefined });
        expect(await s.get(p, b('k'))).toBeUndefined();
        won(await s.swap(p, b('k'), b('again'), null));
        expect((await s.get(p, b('k')))?.value).toEqual(b('again'));
      }),
    );

    it(
      'exactly one of 50 concurrent swaps on the same predicate wins; each loser answers the winner (or the value it expected)',
      withStore(async (s, p, direct) => {
        await direct.set(p, b('race'), b('start'));
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
      'is binary-safe for keys and values (0x00, ":", "/", non-UTF-8, 1 MiB)',
      withStore(async (s, p) => {
        const key = new Uint8Array([0x00, 0x3a, 0x2f, 0xff, 0xfe, 0x00, 0x41]);
        const value = new Uint8Array(1024 * 1024);
        for (let i = 0; i < value.length; i++) value[i] = (i * 131 + 7) & 0xff;
        won(await s.swap(p, key, value, null));
        const got = (await s.get(p, key))!;
        expect(Buffer.from(got.value).equals(Buffer.from(value))).toBe(true);
        won(await s.swap(p, key, new Uint8Array([0, 0xff, 0]), got.predicate));
        expect((await s.get(p, key))?.value).toEqual(new Uint8Array([0, 0xff, 0]));
        // keys that differ only after a 0x00 or in a non-UTF-8 byte are distinct
        expect(await s.get(p, new Uint8Array([0x00, 0x3a, 0x2f, 0xff, 0xfe, 0x00, 0x42]))).toBeUndefined();
        expect(await s.get(p, new Uint8Array([0x00]))).toBeUndefined();
      }),
    );

    it(
      'is binary-safe: 0x00, 0xff and ":" in keys, expected and current values',
      withStore(async (s, p) => {
        const key = new Uint8Array([0x00, 0x3a, 0xff, 0xfe]);
        const v1 = new Uint8Array([0x00, 0xff, 0x00, 0x80, 0x3a]);
        const v2 = new Uint8Array([0xff, 0x00]);
        won(await s.swap(p, key, v1, null));
        const current = lost(await s.swap(p, key, v2, null));
        expect(current?.value).toEqual(v1);
        won(await s.swap(p, key, v2, current!.predicate));
        expect((await s.get(p, key))?.value).toEqual(v2);
        expect(await s.get(p, new Uint8Array([0x00, 0x3a, 0xff, 0xff]))).toBeUndefined();
      }),
    );

    it(
      'partitions are separate namespaces',
      withStore(async (s, p) => {
        won(await s.swap(p, b('k'), b('a'), null));
        expect(await s.get(`${p}-other`, b('k'))).toBeUndefined();
        won(await s.swap(`${p}-other`, b('k'), b('b'), null)); // absent there
        expect((await s.get(p, b('k')))?.value).toEqual(b('a'));
      }),
    );

    it(
      'values are copied in and out: mutating what was written or handed out does not change the store',
      withStore(async (s, p) => {
        const v = b('value');
        const predicate = won(await s.swap(p, b('k'), v, null));
        v[0] = 0;
        const got = (await s.get(p, b('k')))!;
        expect(got.value).toEqual(b('value'));
        got.value[0] = 0;
        expect((await s.get(p, b('k')))?.value).toEqual(b('value'));
        const current = lost(await s.swap(p, b('k'), b('x'), null))!;
        current.value[0] = 0;
        expect((await s.get(p, b('k')))?.value).toEqual(b('value'));
        // the predicate answered for `v` still names what was written, not the changed array
        won(await s.swap(p, b('k'), b('after'), predicate));
      }),
    );

    it(
      'entries handed out belong to the caller: values and predicates from get and swap stay as they were after later writes to the key',
      withStore(async (s, p, direct) => {
        // equal lengths throughout, so a store that wrote over an array it handed out in place would show it
        const k = b('k');
        const inserted = won(await s.swap(p, k, b('value-1'), null));
        const got1 = (await s.get(p, k))!;
        const swapped2 = won(await s.swap(p, k, b('value-2'), got1.predicate));
        const current2 = lost(await s.swap(p, k, b('value-x'), inserted))!; // answers value-2
        const got2 = (await s.get(p, k))!;
        // later writes to the key: by swap, and as another client would
        won(await s.swap(p, k, b('value-3'), current2.predicate));
        await direct.set(p, k, b('value-4'));
        const current4 = lost(await s.swap(p, k, b('value-x'), got1.predicate))!;
        await direct.set(p, k, b('value-5'));
        await direct.delete(p, k);
        await direct.set(p, k, b('value-6'));
        // values: as handed out
        expect(got1.value).toEqual(b('value-1'));
        expect(current2.value).toEqual(b('value-2'));
        expect(got2.value).toEqual(b('value-2'));
        expect(current4.value).toEqual(b('value-4'));
        // predicates (opaque): each still matches the value it was handed out for, and nothing else
        const named = [
          ['value-1', inserted],
          ['value-1', got1.predicate],
          ['value-2', swapped2],
          ['value-2', current2.predicate],
          ['value-2', got2.predicate],
          ['value-4', current4.predicate],
        ] as const;
        for (const [value, predicate] of named) {
          expect(lost(await s.swap(p, k, b('value-x'), predicate))?.value).toEqual(b('value-6'));
          await direct.set(p, k, b(value));
          won(await s.swap(p, k, b('value-6'), predicate));
        }
        expect((await s.get(p, k))?.value).toEqual(b('value-6'));
      }),
    );

    it(
      'a caller may reuse and change its key array between calls: each call names the key its bytes say then',
      withStore(async (s, p) => {
        const key = b('key-a');
        won(await s.swap(p, key, b('1'), null));
        key[4] = 'b'.charCodeAt(0); // now 'key-b'
        expect(await s.get(p, key)).toBeUndefined();
        won(await s.swap(p, key, b('2'), null));
        expect((await s.get(p, b('key-a')))?.value).toEqual(b('1'));
        expect((await s.get(p, b('key-b')))?.value).toEqual(b('2'));
        key[4] = 'c'.charCodeAt(0);
        won(await s.swap(p, key, b('3'), null));
        expect((await s.get(p, b('key-c')))?.value).toEqual(b('3'));
        expect((await s.get(p, b('key-b')))?.value).toEqual(b('2'));
      }),
    );
  });
}

/**
 * lakeFS's kv API, which the bundled stores keep beside the contract:
 * `setIf` throws {@link PredicateFailedError} on a mismatch, `set` writes
 * unconditionally, `delete` removes; predicates from `get` and from `swap`
 * are interchangeable.
 */
export function setIfConformance(name: string, open: () => Promise<OpenedStore<KvStore>>): void {
  describe(`Store setIf/set/delete (lakeFS kv API): ${name}`, () => {
    const withStore = (fn: (store: KvStore, partition: string) => Promise<void>) => async () => {
      const { store, close } = await open();
      try {
        await fn(store, freshPartition());
      } finally {
        await close?.();
      }
    };

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
        const fulfilled = results.filter((r) => r.status === 'fulfilled');
        expect(fulfilled).toHaveLength(1);
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
      'setIf is binary-safe for keys and values (0x00, ":", "/", non-UTF-8, 1 MiB)',
      withStore(async (s, p) => {
        const key = new Uint8Array([0x00, 0x3a, 0x2f, 0xff, 0xfe, 0x00, 0x41]);
        const value = new Uint8Array(1024 * 1024);
        for (let i = 0; i < value.length; i++) value[i] = (i * 131 + 7) & 0xff;
        await s.setIf(p, key, value, null);
        const got = (await s.get(p, key))!;
        expect(Buffer.from(got.value).equals(Buffer.from(value))).toBe(true);
        await s.setIf(p, key, new Uint8Array([0, 0xff, 0]), got.predicate);
        expect((await s.get(p, key))?.value).toEqual(new Uint8Array([0, 0xff, 0]));
        expect(await s.get(p, new Uint8Array([0x00, 0x3a, 0x2f, 0xff, 0xfe, 0x00, 0x42]))).toBeUndefined();
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
      'set copies: mutating the value written does not change the store',
      withStore(async (s, p) => {
        const v = b('value');
        await s.set(p, b('k'), v);
        v[0] = 0;
        expect((await s.get(p, b('k')))?.value).toEqual(b('value'));
      }),
    );

    it(
      'predicates from swap work for setIf, and those from get for swap',
      withStore(async (s, p) => {
        const inserted = await s.swap(p, b('k'), b('v1'), null);
        if (!inserted.swapped) throw new Error('insert failed');
        await s.setIf(p, b('k'), b('v2'), inserted.predicate);
        expect((await s.get(p, b('k')))?.value).toEqual(b('v2'));
        const stale = await s.swap(p, b('k'), b('x'), inserted.predicate);
        if (stale.swapped) throw new Error('a stale predicate swapped');
        await s.setIf(p, b('k'), b('v3'), stale.current!.predicate);
        expect((await s.get(p, b('k')))?.value).toEqual(b('v3'));
        expect((await s.swap(p, b('k'), b('v4'), (await s.get(p, b('k')))!.predicate)).swapped).toBe(true);
      }),
    );

    it(
      'a caller may reuse and change its key array between set/setIf/delete calls',
      withStore(async (s, p) => {
        const key = b('key-a');
        await s.set(p, key, b('1'));
        key[4] = 'b'.charCodeAt(0); // now 'key-b'
        expect(await s.get(p, key)).toBeUndefined();
        await s.setIf(p, key, b('2'), null);
        expect((await s.get(p, b('key-a')))?.value).toEqual(b('1'));
        expect((await s.get(p, b('key-b')))?.value).toEqual(b('2'));
        key[4] = 'a'.charCodeAt(0);
        await s.delete(p, key);
        expect(await s.get(p, b('key-a'))).toBeUndefined();
        expect((await s.get(p, b('key-b')))?.value).toEqual(b('2'));
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
