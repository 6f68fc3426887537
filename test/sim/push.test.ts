/**
 * Push handoff and local queues in the simulator: release notifications are
 * simulated messages (sim/sim-store.ts). They must leave `lakefs` runs exactly
 * as they were (lakefs never notifies, and the draws come from a separate
 * stream), keep runs deterministic, and make a slow-polling `fixed` waiter
 * take a released key within store round trips.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../sim/engine.js';
import { scheduleCrashes } from '../../sim/faults/crashes.js';
import { schedulePauses } from '../../sim/faults/pauses.js';
import { stream } from '../../sim/prng.js';
import { runSeed } from '../../sim/run.js';
import { SimStore } from '../../sim/sim-store.js';
import { runScenario } from '../../sim/runner.js';
import { loadScenario, type Scenario } from '../../sim/scenario.js';

const library = (name: string): Scenario => loadScenario(join(import.meta.dirname, '../../scenarios', `${name}.yaml`));
const withStrategy = (s: Scenario, strategy: 'lakefs' | 'fixed' | 'observed', acquireIntervalMs = s.owner.acquireIntervalMs): Scenario => ({
  ...s,
  owner: { ...s.owner, strategy, acquireIntervalMs },
});

describe('simulated release notifications', () => {
  it('lakefs runs are unchanged: no notification, the same per-seed trace hashes as before push handoff existed', async () => {
    // Hashes of seeds 1–3 as computed before notifications were added to the simulated store
    // (the 40-seed combined hashes of every scenario also still equal reports/*.json).
    const pinned: Record<string, string[]> = {
      healthy: ['d6a55f6336003894', '0fe2761b67a648eb', '01f8fc1b20fb77f2'],
      'gc-pause': ['b7d197952215618e', '52626ee71252c5f8', 'e334c95974c6348f'],
      'crash-failover': ['a880bc4fb838a735', '687dd20741633c18', '9a145dff355b0c22'],
    };
    for (const [name, hashes] of Object.entries(pinned)) {
      const s = library(name);
      expect(s.owner.strategy).toBe('lakefs');
      for (const [i, hash] of hashes.entries()) {
        const r = await runSeed(s, i + 1);
        expect(r.traceHash, `${name} seed ${i + 1}`).toBe(hash);
        expect(r.notifications).toEqual({ sent: 0, delivered: 0, lost: 0 });
      }
    }
  }, 60_000);

  it('fixed: the same seed twice gives the same trace hash, with notifications flowing', async () => {
    const s = withStrategy(library('gc-pause'), 'fixed');
    const a = await runSeed(s, 7);
    const b = await runSeed(s, 7);
    expect(a.traceHash).toBe(b.traceHash);
    expect(a.notifications.sent).toBeGreaterThan(10);
    expect(a.notifications.delivered).toBeGreaterThan(0);
    expect(a).toEqual(b);
  });

  it('fixed with a 200 ms poll: handoff p99 within store round trips (push), where polling alone waits up to 200 ms', async () => {
    const healthy = library('healthy');
    const s = withStrategy({ ...healthy, owner: { ...healthy.owner, refreshIntervalMs: 400 } }, 'fixed', 200);
    const fixed = await runScenario(s, { seeds: 10 });
    // healthy: 0.1–2 ms each way; a handoff is release (get + setIf), a notification, then get + setIf
    expect(fixed.handoffMs!.p99).toBeLessThan(25);
    expect(fixed.acquisitions).toBeGreaterThan(100);
    expect(fixed.violations).toBe(0);
  }, 60_000);
});

describe('SimStore notifications: delays, pauses, crashes', () => {
  const faults = (lostReplyRate = 0) => ({
    requestLatency: { dist: 'constant', value: 1 } as const,
    responseLatency: { dist: 'constant', value: 2 } as const,
    errorRate: 0,
    lostReplyRate,
  });
  const key = new Uint8Array([1, 2]);

  it('reach a watcher a request + response delay later; held while its node is paused; dropped after it crashed', async () => {
    const engine = new Engine({ maxEvents: 10_000 });
    const store = new SimStore(engine, faults());
    const a = engine.addNode();
    const b = engine.addNode();
    const publisher = store.client(a, stream(1, 'a:store'), stream(1, 'a:notify'));
    const watcher = store.client(b, stream(1, 'b:store'), stream(1, 'b:notify'));
    const heard: number[] = [];
    watcher.watch!('p', key, () => heard.push(engine.now));
    watcher.watch!('p', new Uint8Array([9]), () => heard.push(-1)); // another key: never called
    engine.at(10, () => void publisher.notify!('p', key));
    // b paused from 20 to 50: a notification sent at 20 arrives at the store at 21, would reach b at 23
    schedulePauses(engine, b, [{ at: 20, for: 30 }]);
    engine.at(20, () => void publisher.notify!('p', key));
    // b crashes at 60: one sent at 59 is in flight to b (due at 62) and is dropped
    engine.at(59, () => void publisher.notify!('p', key));
    scheduleCrashes(engine, b, [{ at: 60, restartAfter: 1000 }], () => {}, () => {});
    await engine.run(200);
    expect(heard).toEqual([13, 50]);
    expect(store.notifications).toEqual({ sent: 3, delivered: 2, lost: 0 });
  });

  it('lost at the lost-reply rate, polling being the fallback', async () => {
    const engine = new Engine({ maxEvents: 10_000 });
    const store = new SimStore(engine, faults(1));
    const a = engine.addNode();
    const publisher = store.client(a, stream(1, 'a:store'), stream(1, 'a:notify'));
    let heard = 0;
    publisher.watch!('p', key, () => heard++);
    engine.at(1, () => void publisher.notify!('p', key));
    await engine.run(100);
    expect(heard).toBe(0);
    expect(store.notifications).toEqual({ sent: 1, delivered: 0, lost: 1 });
  });

  it('a client made without a notify stream has no notifications (the capability is optional)', () => {
    const engine = new Engine({ maxEvents: 10 });
    const client = new SimStore(engine, faults()).client(engine.addNode(), stream(1, 'x'));
    expect('notify' in client).toBe(false);
    expect('watch' in client).toBe(false);
  });
});
