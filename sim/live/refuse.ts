/**
 * Scenario features `mco live` cannot reproduce with a real mechanism (yet):
 * refused with one line naming the field, never silently ignored.
 */
import { isZero } from '../dist.js';
import type { Scenario } from '../scenario.js';

/** Most node processes one live run may start (each is a real Node process on this host). */
export const MAX_LIVE_NODES = 16;

/** Why `s` cannot run live (on either store), or undefined when it can. */
export function liveRefusal(s: Scenario): string | undefined {
  if (s.owner.strategy === 'none') return 'owner.strategy: none (no owner, only the protected resource) is not supported live; use lakefs, fixed or observed';
  if (s.workload.work !== undefined) return 'workload.work: the benefit model (protected resource with compare-and-set) is not supported live';
  if (!isZero(s.faults.timerLateness)) return 'faults.timerLateness: late timers are not supported live (a busy event loop is not a per-timer delay: docs/live.md, late timers); use faults.busyLoop, which runs live';
  if (s.nodes.length > MAX_LIVE_NODES) return `nodes: at most ${MAX_LIVE_NODES} node processes per live run, got ${s.nodes.length}`;
  return undefined;
}
