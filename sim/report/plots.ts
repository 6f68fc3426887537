/**
 * Plots for HTML reports: Vega-Lite specs rendered to SVG strings at report
 * time by Vega's headless renderer. Why Vega-Lite: declarative specs (a plot
 * is data + encoding, reviewable in a diff), correct scales, axes and legends
 * for free, error bars and heatmaps built in, and SVG output with no browser
 * and no network, so the HTML stays self-contained. Hand-drawn SVG strings
 * would re-implement all of that, badly.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Report } from './report.js';

/** Renders a Vega-Lite spec to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const BASE = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', background: 'white' } as const;

/** A sweep cell as plotted. */
export interface CellPoint {
  x: string;
  y?: string;
  report: Report;
}

const rateRows = (cells: readonly CellPoint[]) =>
  cells.map((c, i) => ({
    order: i,
    x: c.x,
    y: c.y ?? '',
    rate: c.report.violationRate.value,
    low: c.report.violationRate.low,
    high: c.report.violationRate.high,
    perAcq: c.report.perAcquisitionViolationRate.value,
  }));

/** Violation rate (runs with a violation) with 95% CI bars against one parameter. */
export function violationRateSpec(cells: readonly CellPoint[], xTitle: string): TopLevelSpec {
  const x = { field: 'x', type: 'ordinal', title: xTitle, sort: { field: 'order' }, axis: { labelAngle: 0 } } as const;
  return {
    ...BASE,
    title: 'Runs with a violation (95% Wilson CI)',
    width: 420,
    height: 240,
    data: { values: rateRows(cells) },
    layer: [
      { mark: { type: 'rule' }, encoding: { x, y: { field: 'low', type: 'quantitative', title: 'violation rate', axis: { format: '%' }, scale: { domain: [0, 1] } }, y2: { field: 'high' } } },
      { mark: { type: 'point', filled: true, size: 60 }, encoding: { x, y: { field: 'rate', type: 'quantitative' } } },
    ],
  };
}

/** Heatmap of the violation rate over two parameters. */
export function heatmapSpec(cells: readonly CellPoint[], xTitle: string, yTitle: string): TopLevelSpec {
  const x = { field: 'x', type: 'ordinal', title: xTitle, sort: null, axis: { labelAngle: 0 } } as const;
  const y = { field: 'y', type: 'ordinal', title: yTitle, sort: null } as const;
  return {
    ...BASE,
    title: 'Runs with a violation',
    width: { step: 48 },
    height: { step: 36 },
    data: { values: rateRows(cells) },
    layer: [
      { mark: { type: 'rect' }, encoding: { x, y, color: { field: 'rate', type: 'quantitative', title: 'violation rate', scale: { domain: [0, 1], scheme: 'orangered' }, legend: { format: '%' } } } },
      {
        mark: { type: 'text', fontSize: 10 },
        encoding: { x, y, text: { field: 'rate', type: 'quantitative', format: '.0%' }, color: { condition: { test: 'datum.rate > 0.5', value: 'white' }, value: 'black' } },
      },
    ],
  };
}

/** Cost curves (acquire/handoff/failover p99, ms) against one parameter; series per `y` when given. */
export function costSpec(cells: readonly CellPoint[], xTitle: string): TopLevelSpec {
  const rows = cells.flatMap((c, i) =>
    (
      [
        ['acquire p99', c.report.acquireLatencyMs?.p99],
        ['handoff p99', c.report.handoffMs?.p99],
        ['failover p99', c.report.failoverMs?.p99],
      ] as const
    )
      .filter(([, v]) => v !== undefined)
      .map(([metric, v]) => ({ order: i, x: c.x, series: c.y === undefined ? metric : `${metric} @ ${c.y}`, ms: v })),
  );
  return {
    ...BASE,
    title: 'Costs (p99, ms)',
    width: 420,
    height: 240,
    data: { values: rows },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'x', type: 'ordinal', title: xTitle, sort: { field: 'order' }, axis: { labelAngle: 0 } },
      y: { field: 'ms', type: 'quantitative', title: 'ms' },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}

/** Per-scenario violation rate with CI bars (for `mco run --html`). */
export function scenarioRatesSpec(reports: readonly Report[]): TopLevelSpec {
  return violationRateSpec(
    reports.map((r) => ({ x: r.scenario, report: r })),
    'scenario',
  );
}

/** One belief interval for the timeline plot. */
export interface BeliefBar {
  node: string;
  owner: string;
  key: string;
  start: number;
  end: number;
}

/** Ownership beliefs per node over true time, overlaps shaded. */
export function timelineSpec(bars: readonly BeliefBar[], overlaps: readonly { start: number; end: number }[]): TopLevelSpec {
  return {
    ...BASE,
    title: 'Who believed it owned a key (true time); red = two owners of one key at once',
    width: 720,
    height: { step: 28 },
    layer: [
      {
        data: { values: overlaps.map((o) => ({ ...o })) },
        mark: { type: 'rect', color: '#e45756', opacity: 0.25 },
        encoding: { x: { field: 'start', type: 'quantitative', title: 'true time (ms)' }, x2: { field: 'end' } },
      },
      {
        data: { values: bars.map((b) => ({ ...b })) },
        mark: { type: 'bar', cornerRadius: 2, height: 16 },
        encoding: {
          y: { field: 'node', type: 'nominal', title: 'node' },
          x: { field: 'start', type: 'quantitative' },
          x2: { field: 'end' },
          color: { field: 'owner', type: 'nominal', legend: null },
          tooltip: [{ field: 'owner' }, { field: 'key' }, { field: 'start' }, { field: 'end' }],
        },
      },
    ],
  };
}
