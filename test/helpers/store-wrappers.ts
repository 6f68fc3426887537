import { systemClock, type Predicate, type Store, type StoreEntry, type SwapOptions, type SwapResult } from '../../src/index.js';

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
