/**
 * Plots: numeric axes for numeric sweeps (log when the values span two
 * decades), CI bars, strategies overlaid, and every spec valid Vega-Lite
 * (against the JSON schema vega-lite ships) written beside the page.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../sim/cli.js';
import { costSpec, heatmapSpec, perAcquisitionSpec, timelineSpec, violationRateSpec, xAxis, type CellPoint } from '../../sim/report/plots.js';
import { ReportBuilder } from '../../sim/report/report.js';
import { capture } from '../helpers/capture.js';

const ROOT = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'mco-plots-'));
// the package's exports list neither its schema nor its package.json: find the schema above its entry point
const entry = createRequire(join(ROOT, 'sim/package.json')).resolve('vega-lite');
const vegaLite = entry.slice(0, entry.lastIndexOf('/node_modules/vega-lite/') + '/node_modules/vega-lite/'.length);
const schema = JSON.parse(readFileSync(join(vegaLite, 'build/vega-lite-schema.json'), 'utf8')) as object;
const validate = new Ajv({ strict: false, allErrors: false }).compile(schema);

const report = (violations: number) => {
  const b = new ReportBuilder({ scenario: 's', scenarioHash: 'h', description: '', strategy: 'fixed' }, 1);
  b.add({
    seed: 1, acquisitions: 10, told: 0, violations, overlapsMs: [], maxSimultaneousOwners: 1, heldMs: 100, acquireLatenciesMs: [1, 2], handoffsMs: [3], failoversMs: [],
    pendingOwnAgesMs: [], events: 10, simulatedMs: 1000, resourceWrites: 0, rejectedWrites: 0, staleEffects: 0, storeReads: 1, storeWrites: 1,
    ops: { completed: 0, failed: 0, attempts: 0, workMs: 0, wastedMs: 0, latenciesMs: [] }, notifications: { sent: 0, delivered: 0, lost: 0 }, traceHash: '0', marginMs: null, logWeight: 0, weight: 1,
  });
  return b.build(0);
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe('axes', () => {
  it('numbers and durations: quantitative, in ms; log when they span two decades; anything else ordinal in the given order', () => {
    expect(xAxis(['20ms', '40ms', '80ms'], 'lease')).toMatchObject({ numeric: true, log: false, values: [20, 40, 80], encoding: { type: 'quantitative', title: 'lease (ms)', scale: { zero: false } } });
    expect(xAxis(['5ms', '50ms', '0.5s'], 'lease')).toMatchObject({ numeric: true, log: true, values: [5, 50, 500], encoding: { type: 'quantitative', scale: { type: 'log' } } });
    expect(xAxis(['1', '99'], 'nodes').log).toBe(false); // under two decades
    expect(xAxis(['1', '100'], 'nodes')).toMatchObject({ log: true, encoding: { title: 'nodes' } });
    expect(xAxis(['0ms', '10ms', '1s'], 'offset').log).toBe(false); // a zero cannot go on a log scale
    expect(xAxis(['lakefs', 'fixed'], 'strategy')).toMatchObject({ numeric: false, log: false, encoding: { type: 'ordinal', sort: { field: 'order' } } });
    expect(xAxis(['1ms', '{dist: uniform, min: 0, max: 5ms}'], 'x').numeric).toBe(false);
  });
});

describe('specs', () => {
  const cells: CellPoint[] = [
    { x: '5ms', series: 'lakefs', report: report(3) },
    { x: '500ms', series: 'lakefs', report: report(0) },
    { x: '5ms', series: 'fixed', report: report(1) },
    { x: '500ms', series: 'fixed', report: report(0) },
  ];

  it('rates: CI bars (rule from low to high), one colour per strategy, numeric log x', () => {
    const spec = violationRateSpec(cells, 'owner.refreshInterval') as any;
    const [bars, , points] = spec.layer;
    expect(bars.mark.type).toBe('rule');
    expect(bars.encoding.y.field).toBe('low');
    expect(bars.encoding.y2.field).toBe('high');
    expect(points.encoding.color).toMatchObject({ field: 'series', title: 'strategy' });
    expect(points.encoding.x).toMatchObject({ type: 'quantitative', scale: { type: 'log' } });
    expect(spec.data.values.map((v: any) => [v.x, v.series])).toEqual([[5, 'lakefs'], [500, 'lakefs'], [5, 'fixed'], [500, 'fixed']]);
    // one series: no colour legend
    expect((violationRateSpec(cells.slice(0, 2).map(({ series: _s, ...c }) => c), 'x') as any).layer[2].encoding.color).toBeUndefined();
  });

  it('every spec is valid Vega-Lite (the schema vega-lite ships)', () => {
    const specs = {
      rate: violationRateSpec(cells, 'p'),
      perAcquisition: perAcquisitionSpec(cells, 'p'),
      latency: costSpec(cells, 'p'),
      heatmap: heatmapSpec(cells.map((c) => ({ ...c, y: c.series! })), 'p', 'q'),
      ordinalOverlaid: violationRateSpec(cells.map((c) => ({ ...c, x: `scenario-${c.x}` })), 'scenario'),
      timeline: timelineSpec([{ node: '0', owner: 'a', key: 'k', start: 0, end: 1 }], [{ start: 0, end: 1 }]),
    };
    for (const [name, spec] of Object.entries(specs)) {
      const ok = validate(JSON.parse(JSON.stringify(spec)));
      expect(ok, `${name}: ${JSON.stringify(validate.errors?.slice(0, 2))}`).toBe(true);
    }
    // and the validator does reject a broken one
    expect(validate({ mark: 'no-such-mark', data: { values: [] } })).toBe(false);
  });
});

describe('files beside the HTML', () => {
  it('sweep --html writes each plot as SVG and as its Vega-Lite spec with the data inline', async () => {
    capture();
    const html = join(dir, 'sweep.html');
    expect(
      await main(['sweep', join(ROOT, 'scenarios/clock-skew.yaml'), '--vary', 'owner.refreshInterval=5ms,50ms,500ms', '--vary', 'owner.strategy=lakefs,fixed', '--seeds', '1', '--set', 'duration=1s', '--workers', '1', '--html', html]),
    ).toBe(0);
    for (const name of ['violation-rate', 'per-acquisition', 'latency']) {
      const spec = JSON.parse(readFileSync(join(dir, `sweep.${name}.vl.json`), 'utf8'));
      expect(validate(spec), name).toBe(true);
      expect(spec.data.values.length).toBeGreaterThanOrEqual(6);
      expect(readFileSync(join(dir, `sweep.${name}.svg`), 'utf8')).toMatch(/^<svg/);
    }
    const rate = JSON.parse(readFileSync(join(dir, 'sweep.violation-rate.vl.json'), 'utf8'));
    expect(rate.layer[2].encoding.x.scale).toEqual({ type: 'log' });
    expect(new Set(rate.data.values.map((v: any) => v.series))).toEqual(new Set(['lakefs', 'fixed']));
    expect(existsSync(join(dir, 'sweep.heatmap.vl.json'))).toBe(false); // strategy × one parameter: overlaid lines, no heatmap
  }, 60_000);
});
