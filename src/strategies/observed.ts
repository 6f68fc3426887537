/**
 * The `observed` strategy: a waiter never compares a remote timestamp with its
 * own wall clock. It judges a record expired once it has seen that exact
 * record (bytes) unchanged for a whole lease on its *own monotonic clock*, as
 * Kubernetes leader election and the DynamoDB lock client do. Holders rewrite
 * the record (new `expires`) every lease/2, so a live holder's record keeps
 * changing. A released record (expires at the epoch) is taken at once.
 *
 * Immune to clock offset and jumps. Drift still matters: a waiter whose clock
 * runs fast by d (ppm) ends a lease early by lease·d/1e6; a holder refreshing
 * every lease/2 keeps a margin of lease/2 minus its own delays, so drift
 * below ~10⁵ ppm is harmless at any practical lease (see docs).
 * Everything else is `fixed`'s.
 */
import type { Clock } from '../clock.js';
import { bytesEqual } from '../store/store.js';
import { fixedRules } from './fixed.js';
import { defineStrategy, type ExpiryJudge, type ExpiryRule, type Judgement, type SeenRecord } from './strategy.js';

/**
 * Observed expiry. The lease is the record's own (field 5), or
 * `refreshInterval` for a record that names none. The retry delay is then
 * computed on the monotonic clock: "now" and the end of the observation
 * window, so `fixed`'s polling rule applies unchanged.
 */
export const observedExpiry: ExpiryRule = Object.freeze({
  name: 'observed',
  judge(refreshIntervalMs: number): ExpiryJudge {
    // the record last read, and when (monotonic) it was first seen unchanged
    let seen: { value: Uint8Array; sinceMono: number } | undefined;
    return {
      // without a read nothing was observed: only a released record is taken
      takesUnread: (record: SeenRecord) => record.expiresMs === 0,
      judge(record: SeenRecord | undefined, wallNowMs: number, clock: Clock): Judgement {
        if (record === undefined) return { state: 'not owned', nowMs: wallNowMs, expiresMs: undefined };
        if (record.expiresMs === 0) return { state: 'expired', nowMs: wallNowMs, expiresMs: 0 }; // released
        const monoNow = clock.monotonicNow();
        if (seen === undefined || !bytesEqual(seen.value, record.value)) seen = { value: record.value, sinceMono: monoNow };
        const endMono = seen.sinceMono + (record.leaseMs > 0 ? record.leaseMs : refreshIntervalMs);
        return { state: monoNow >= endMono ? 'expired' : 'owned', nowMs: monoNow, expiresMs: endMono };
      },
      nowOn: (_wallNowMs: number, clock: Clock) => clock.monotonicNow(),
      forget: () => {
        seen = undefined;
      },
    };
  },
});

/** `fixed` with observed expiry. */
export const observedStrategy = defineStrategy({ name: 'observed', expiry: observedExpiry, ...fixedRules });
