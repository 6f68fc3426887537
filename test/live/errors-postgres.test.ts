/**
 * Store errors live on PostgreSQL: the proxy cuts connections (10% of
 * requests before they are applied, 10% of replies) under the owner's
 * concurrent loops, and no node process may die of it. A node died in
 * every early attempt, first of an 'error' event on a pg Client nobody
 * listened on (fixed in 3286dc3), then of a second release of the
 * listening connection to the pool (test/regression/postgres-listener-…);
 * `runLiveScenario` rejects when a node exits on its own.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ChildSet } from '../../sim/live/processes.js';
import { runLiveScenario } from '../../sim/live/runner.js';
import { existingServer, type LiveServer } from '../../sim/live/servers.js';
import { loadScenario } from '../../sim/scenario.js';

const RUNS = 6;
const databaseUrl = inject('databaseUrl');
const children = new ChildSet();
let server: LiveServer;

beforeAll(async () => {
  if (databaseUrl === null) throw new Error('this live test needs PostgreSQL (initdb/postgres, or DATABASE_URL)');
  server = await existingServer('postgres', databaseUrl);
});
afterAll(() => children.killAll());

describe.each(['scenarios/live/errors-fixed.yaml', 'scenarios/live/errors-lakefs.yaml'])('live store errors on PostgreSQL: %s', (file) => {
  it(`${RUNS} runs, connections cut as asked, no node dies`, async () => {
    const { report, records } = await runLiveScenario(loadScenario(file), { runs: RUNS, seedStart: 1, parallel: 2, server, children });
    expect(records).toHaveLength(RUNS);
    expect(report.partial).toBeUndefined();
    const { requests, cutBeforeApply, cutReply } = report.noise.proxy;
    expect(cutBeforeApply).toBeGreaterThan(requests * 0.05);
    expect(cutReply).toBeGreaterThan(requests * 0.05);
    expect(records.reduce((n, r) => n + r.acquisitions, 0)).toBeGreaterThan(0);
  });
});
