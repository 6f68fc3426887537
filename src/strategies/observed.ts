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
import { pollDelayMs } from './fixed.js';
import type { AcquireRetryInput, Strategy } from './strategy.js';

export const observedStrategy: Strategy = Object.freeze({
  name: 'observed',
  acquireRetryDelayMs(input: AcquireRetryInput): number {
    // readExpiresMs/nowMs are, for this strategy, the end of the observation window and now (monotonic)
    return pollDelayMs(input, (input.readExpiresMs ?? input.nowMs) - input.nowMs);
  },
  ownSignalStopsRefresh: false,
  stopRefreshBeforeRelease: true,
  expiry: 'observed',
  onRefreshReadError: 'retry',
  signalsLoss: true,
  fencing: true,
  refreshFromAcquireSend: true,
  coalesce: true,
  pushHandoff: true,
});
