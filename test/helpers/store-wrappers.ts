import { systemClock, type Predicate, type Store, type StoreEntry, type SwapResult } from '../../src/index.js';

type Op = 'get' | 'set' | 'setIf' | 'delete' | 'swap';

/** Hooks run before an operation reaches the inner store; may throw or delay. */
export type BeforeHook = (op: Op, key: string) => Promise<void> | void;

/** A store whose operations can be delayed or failed by a hook (on the faked system clock). */
export class HookedStore implements Store {
  log: { op: Op; key: string; at: number; result?: StoreEntry | undefined }[] = [];
  /** The inner store's `swap`, hooked, when `options.swap` and the inner store has one; else absent (get + setIf). */
  readonly swap?: (partition: string, key: Uint8Array, value: Uint8Array, expected: Predicate | null) => Promise<SwapResult>;
  constructor(
    readonly inner: Store,
    public before: BeforeHook = () => {},
    options: { swap?: boolean } = {},
  ) {
    if (options.swap === true && typeof inner.swap === 'function') {
      this.swap = (partition, key, value, expected) => this.#run('swap', key, () => inner.swap!(partition, key, value, expected));
    }
  }
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
  set(partition: string, key: Uint8Array, value: Uint8Array): Promise<void> {
    return this.#run('set', key, () => this.inner.set(partition, key, value));
  }
  setIf(partition: string, key: Uint8Array, value: Uint8Array, predicate: Predicate | null): Promise<void> {
    return this.#run('setIf', key, () => this.inner.setIf(partition, key, value, predicate));
  }
  delete(partition: string, key: Uint8Array): Promise<void> {
    return this.#run('delete', key, () => this.inner.delete(partition, key));
  }
  count(op: Op): number {
    return this.log.filter((e) => e.op === op).length;
  }
}

/** Delays every operation by `ms` on the (faked) system clock. */
export function delayAll(ms: number): BeforeHook {
  return () => systemClock.sleep(ms);
}
