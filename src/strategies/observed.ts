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
 * Otherwise as `fixed` (polling waiters, lost signal, serialized release,
 * fencing tokens, one poller per key per process, push handoff).
 */
import { fixedStrategy } from './fixed.js';
import type { Strategy } from './strategy.js';

/**
 * `fixed` with observed expiry. The acquire loop hands the retry delay the end
 * of the observation window and "now" on the monotonic clock, so `fixed`'s
 * polling rule applies unchanged.
 */
export const observedStrategy: Strategy = Object.freeze({ ...fixedStrategy, name: 'observed', expiry: 'observed' });
