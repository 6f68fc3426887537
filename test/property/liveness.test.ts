/**
 * Property 3: liveness of the `lakefs` strategy, against the bounds derived in
 * sim/bound.ts (docs/bound.md). lakefs has no bound on how long one own()
 * waits in general (a waiter sleeps until the expiry it read while others
 * take the key in between); what holds is progress after a release or a
 * crash, and a per-call bound when think times rule out re-acquisition.
 */
import { describe, expect, it } from 'vitest';
import { handoffBoundMs } from '../../sim/bound.js';
import { runSeed } from '../../sim/run.js';
import { parseScenario } from '../../sim/scenario.js';
import { PROPERTY_TIMEOUT_MS, runProperty } from '../helpers/property.js';
import { everyOwnWithinBound, failoverWithinBound, handoffWithinBound, type LivenessTally } from './liveness-property.js';

/** How close the runs came to the bound (for docs/bound.md; the property fails above 1). */
const report = (what: string, t: LivenessTally): void => {
  process.stdout.write(`[property] ${what}: ${t.samples} samples in ${t.runs} runs, worst = ${(t.worstRatio * 100).toFixed(1)}% of the derived bound\n`);
};

describe('property 3: liveness', () => {
  it('progress: after a release with someone waiting, the next owner within the handoff bound', async () => {
    const p = handoffWithinBound();
    const { numRuns } = await runProperty({ name: 'progress: after a release with someone waiting', file: import.meta.filename, ...p, numRuns: 200 });
    expect(p.tally.runs).toBeGreaterThan(numRuns / 2);
    expect(p.tally.samples).toBeGreaterThan(p.tally.runs * 5);
    report('handoff', p.tally);
  }, PROPERTY_TIMEOUT_MS);

  it('bounded wait: with think times above the derived wait bound, every own() resolves within it', async () => {
    const p = everyOwnWithinBound();
    const { numRuns } = await runProperty({ name: 'bounded wait: with think times above the derived wait bound', file: import.meta.filename, ...p, numRuns: 80 });
    expect(p.tally.runs).toBeGreaterThan(numRuns / 2);
    expect(p.tally.samples).toBeGreaterThan(p.tally.runs);
    report('own() wait', p.tally);
  }, PROPERTY_TIMEOUT_MS);

  it('failover: after a holder crashes, a waiting node owns within the failover bound', async () => {
    const p = failoverWithinBound();
    const { numRuns } = await runProperty({ name: 'failover: after a holder crashes', file: import.meta.filename, ...p, numRuns: 150 });
    expect(p.tally.runs).toBeGreaterThan(numRuns / 2);
    expect(p.tally.samples).toBeGreaterThan(p.tally.runs);
    report('failover', p.tally);
  }, PROPERTY_TIMEOUT_MS);

  it('no per-call bound in general: lakefs starves a waiter for dozens of handoff bounds (8 nodes, no think time)', async () => {
    const s = parseScenario(
      {
        duration: '3s',
        owner: { strategy: 'lakefs', acquireInterval: 5, refreshInterval: 40 },
        nodes: 8,
        workload: { think: 0, hold: { dist: 'uniform', min: 1, max: 10 } },
        faults: { store: { latency: { dist: 'uniform', min: 0.001, max: 1 } } },
      },
      'starvation.yaml',
    );
    const h = handoffBoundMs(s);
    expect(h).toBeLessThan(60);
    const r = await runSeed(s, 1);
    expect(r.violations).toBe(0);
    const longest = Math.max(...r.acquireLatenciesMs, ...r.pendingOwnAgesMs);
    // the key changed hands hundreds of times, every handoff within the bound, while one own() kept missing it
    expect(r.acquisitions).toBeGreaterThan(250);
    expect(Math.max(...r.handoffsMs)).toBeLessThanOrEqual(h);
    expect(longest).toBeGreaterThan(20 * h);
  });
});
