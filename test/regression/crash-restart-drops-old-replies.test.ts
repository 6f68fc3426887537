/**
 * Regression (found by property 3, test/property/liveness.test.ts, "failover:
 * after a holder crashes"; shrunk to 3 nodes, restartAfter 0, request
 * latency up to 0.4 ms): a store reply was stamped with the node's
 * incarnation when the reply was *scheduled*, i.e. when the request arrived
 * at the store. A request sent by an incarnation that crashed and restarted
 * while the request travelled therefore had its reply delivered to the new
 * incarnation, which resumed the dead incarnation's code: its refresh loop
 * went on refreshing the dead owner's record forever, and the key was never
 * failed over (115 ms against a bound of 23 ms in the shrunk case; forever in
 * this one). A dead incarnation's own() resumed the same way reached the
 * oracle with a ticket the crash had removed: a TypeError, as an unhandled
 * rejection, and that node's workload was gone. Replies now belong to the
 * incarnation that sent the request.
 */
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/index.js';
import { failoverBoundMs } from '../../sim/bound.js';
import { runSeed } from '../../sim/run.js';
import { parseScenario } from '../../sim/scenario.js';

describe('regression: a crashed incarnation never gets replies, even after an instant restart', () => {
  it('the dead holder stops refreshing at the crash and a waiter takes over within the failover bound', async () => {
    // node 0 owns from ~6 ms; its first refresh swap is sent at ~19 ms and lands at ~22 ms; it crashes at 20 ms
    // and restarts at once, so the swap's reply is scheduled after the restart
    const s = parseScenario(
      {
        duration: 200,
        owner: { strategy: 'lakefs', acquireInterval: 1, refreshInterval: 20 },
        nodes: [{ crashes: [{ at: 20, restartAfter: 0 }] }, {}],
        workload: { think: 0, hold: 1000 },
        faults: { store: { requestLatency: 3, responseLatency: 0.001 } },
      },
      'crash-restart.yaml',
    );
    const callsByIncarnation = new Map<string, number>();
    const made = [0, 0];
    const r = await runSeed(s, 1, {
      wrapStore: (store: Store, node: number) => {
        const id = `node ${node} incarnation ${made[node]!++}`;
        const count = <T>(op: () => Promise<T>): Promise<T> => {
          callsByIncarnation.set(id, (callsByIncarnation.get(id) ?? 0) + 1);
          return op();
        };
        return {
          get: (p, k) => count(() => store.get(p, k)),
          swap: (p, k, v, expected, options) => count(() => store.swap(p, k, v, expected, options)),
        };
      },
    });
    // incarnation 0: own's get + swap, the first refresh's get + swap; nothing after the crash
    expect(callsByIncarnation.get('node 0 incarnation 0')).toBe(4);
    expect(r.failoversMs).toHaveLength(1);
    expect(r.failoversMs[0]!).toBeLessThanOrEqual(failoverBoundMs(s));
    expect(r.violations).toBe(0);
  });

  it('an own() whose reply arrives after crash and restart is not resumed: no crash of the oracle, the node works on', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => void unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      // node 0's first get is in flight (3 ms) when it crashes at 1 ms and restarts at once
      const s = parseScenario(
        {
          duration: 100,
          owner: { strategy: 'lakefs', acquireInterval: 1, refreshInterval: 20 },
          nodes: [{ crashes: [{ at: 1, restartAfter: 0 }] }, {}],
          workload: { think: 0, hold: 5 },
          faults: { store: { requestLatency: 3, responseLatency: 0.001 } },
        },
        'crash-restart-own.yaml',
      );
      const r = await runSeed(s, 1);
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
      expect(r.acquisitions).toBeGreaterThan(2); // both nodes keep taking turns
      expect(r.violations).toBe(0);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
