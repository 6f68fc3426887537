/**
 * The protected resource: what the owner is there to protect. Each holder
 * writes to it when its ownership begins (registering its fencing token) and
 * again when its work is done. With tokens, the resource rejects a write whose
 * token is below the highest it has seen for that key (fencing). A *stale
 * effect* is an accepted write by a holder that is no longer the owner: the
 * store's record (at that instant) names another owner, who already believes
 * it owns the key. That is the damage double ownership does. With fencing, the
 * newer owner registers its (higher) token the moment it believes, so the old
 * holder's writes are rejected.
 */
import type { Belief, Oracle } from './oracle.js';

export interface ResourceCounters {
  writes: number;
  rejected: number;
  stale: number;
}

export class ProtectedResource {
  readonly counters: ResourceCounters = { writes: 0, rejected: 0, stale: 0 };
  readonly #maxToken = new Map<string, bigint>();
  readonly #version = new Map<string, number>();

  /**
   * The benefit model's view: a version per key that only one concurrent
   * updater can advance (like a lakeFS branch head). `cas` succeeds only if
   * the version is still the one the updater read.
   */
  version(key: string): number {
    return this.#version.get(key) ?? 0;
  }

  cas(key: string, expected: number): boolean {
    if (this.version(key) !== expected) return false;
    this.#version.set(key, expected + 1);
    return true;
  }

  /**
   * @param currentOwner the owner id in the store's record for a workload key right now
   */
  constructor(
    readonly oracle: Oracle,
    readonly currentOwner: (key: string) => string | undefined = () => undefined,
  ) {}

  /** A write by the holder of `belief`; returns whether the resource accepted it. */
  write(belief: Belief, token: bigint | undefined): boolean {
    this.counters.writes++;
    const max = this.#maxToken.get(belief.key);
    if (token !== undefined) {
      if (max !== undefined && token < max) {
        this.counters.rejected++;
        return false;
      }
      this.#maxToken.set(belief.key, token);
    }
    const owner = this.currentOwner(belief.key);
    if (owner !== undefined && owner !== belief.owner && this.oracle.believed(belief.key, owner)) this.counters.stale++;
    return true;
  }
}
