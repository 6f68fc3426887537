import { MemoryStore, systemClock, type Predicate, type Store, type StoreEntry, type SwapOptions, type SwapResult, type Unsubscribe } from '../../src/index.js';

type Op = 'get' | 'swap';

/** Hooks run before an operation reaches the inner store; may throw or delay. */
export type BeforeHook = (op: Op, key: string) => Promise<void> | void;

/**
 * A store whose operations can be delayed or failed by a hook (on the faked
 * system clock), with a log of every call. No release notifications: waiters
 * on it poll.
 */
export class HookedStore implements Store {
  log: { op: Op; key: string; at: number; result?: StoreEntry | undefined }[] = [];
  constructor(
    readonly inner: Store,
    public before: BeforeHook = () => {},
  ) {}
  async #run<T>(op: Op, key: Uint8Array, fn: () => Promise<T>): Promise<T> {
    const k = Buffer.from(key).toString();
    const entry: (typeof this.log)[number] = { op, key: k, at: systemClock.monotonicNow() };
    this.log.push(entry);
    await this.before(op, k);
    const result = await fn();
    if (op === 'get') entry.result = result as StoreEntry | undefined;
    return result;
  }
  get(partition: string, key: Uint8Array): Promise<StoreEntry | undefined> {
    return this.#run('get', key, () => this.inner.get(partition, key));
  }
  swap(partition: string, key: Uint8Array, value: Uint8Array, expected: Predicate | null, options?: SwapOptions): Promise<SwapResult> {
    return this.#run('swap', key, () => this.inner.swap(partition, key, value, expected, options));
  }
  count(op: Op): number {
    return this.log.filter((e) => e.op === op).length;
  }
}

/** Delays every operation by `ms` on the (faked) system clock. */
export function delayAll(ms: number): BeforeHook {
  return () => systemClock.sleep(ms);
}

/**
 * A `MemoryStore` (release notifications included) whose next request can be
 * held before it reaches the store, to stand a test in the moment while it
 * is out. Counts the requests it is sent.
 */
export class HoldingStore implements Store {
  readonly inner = new MemoryStore();
  requests = 0;
  #hold: { op: Op | undefined; opened: Promise<void> } | undefined;
  /** Holds the next `op` (the next request of either kind when omitted) until the returned function is called. */
  holdNext(op?: Op): () => void {
    let open!: () => void;
    this.#hold = { op, opened: new Promise<void>((r) => (open = r)) };
    return open;
  }
  async #pass(op: Op): Promise<void> {
    this.requests++;
    const hold = this.#hold;
    if (hold === undefined || (hold.op !== undefined && hold.op !== op)) return;
    this.#hold = undefined;
    await hold.opened;
  }
  async get(partition: string, key: Uint8Array): Promise<StoreEntry | undefined> {
    await this.#pass('get');
    return this.inner.get(partition, key);
  }
  async swap(partition: string, key: Uint8Array, value: Uint8Array, expected: Predicate | null, options?: SwapOptions): Promise<SwapResult> {
    await this.#pass('swap');
    return this.inner.swap(partition, key, value, expected, options);
  }
  notify(partition: string, key: Uint8Array): Promise<void> {
    return this.inner.notify(partition, key);
  }
  watch(partition: string, key: Uint8Array, listener: () => void): Unsubscribe {
    return this.inner.watch(partition, key, listener);
  }
}
