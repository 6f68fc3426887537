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
import { paramCell } from './runs.js';

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

/** A sweep cell as plotted: `x` (and `y`, a heatmap's second parameter) as given; `series` names an overlaid line (a strategy). */
export interface CellPoint {
  x: string;
  y?: string;
  series?: string;
  report: Report;
}

/** A plot of a report: a name (for its files), and its Vega-Lite spec with the data inline. */
export interface NamedPlot {
  name: string;
  spec: TopLevelSpec;
}

/**
 * How an axis of swept values is drawn: quantitative when every value is a
 * number or a duration (`20ms` → 20 ms), on a log scale when they span two
 * decades or more (all > 0); ordinal, in the given order, otherwise.
 */
export function xAxis(labels: readonly string[], title: string): { numeric: boolean; log: boolean; values: (number | string)[]; encoding: Record<string, unknown> } {
  const cells = labels.map(paramCell);
  const numeric = cells.length > 0 && cells.every((c) => typeof c === 'number');
  if (!numeric) {
    return { numeric, log: false, values: [...labels], encoding: { field: 'x', type: 'ordinal', title, sort: { field: 'order' }, axis: { labelAngle: 0 } } };
  }
  const nums = cells;
  const min = Math.min(...nums);
  const max = Math.max(...nums);
  const log = min > 0 && max / min >= 100;
  const unit = labels.some((l) => /[a-zµ]\s*$/i.test(l)) ? ' (ms)' : '';
  return {
    numeric,
    log,
    values: nums,
    encoding: { field: 'x', type: 'quantitative', title: `${title}${unit}`, scale: log ? { type: 'log' } : { zero: false }, axis: { labelAngle: 0 } },
  };
}

const rateRows = (cells: readonly CellPoint[], xs: readonly (number | string)[]) =>
  cells.map((c, i) => ({
    order: i,
    x: xs[i]!,
    y: c.y ?? '',
    series: c.series ?? 'runs',
    rate: c.report.violationRate.value,
    low: c.report.violationRate.low,
    high: c.report.violationRate.high,
    perAcq: c.report.perAcquisitionViolationRate.value,
    perAcqLow: c.report.perAcquisitionViolationRate.low,
    perAcqHigh: c.report.perAcquisitionViolationRate.high,
  }));

/** A rate (`field`, with its CI in `low`/`high`) against x: error bars, points, and a line per series. */
function rateLayers(x: Record<string, unknown>, field: string, low: string, high: string, title: string, overlaid: string | undefined) {
  // several series on a discrete axis: side by side within each value, not on top of each other
  const offset = overlaid !== undefined && x.type === 'ordinal' ? { xOffset: { field: 'series', type: 'nominal' } } : {};
  const color = overlaid === undefined ? {} : { color: { field: 'series', type: 'nominal', title: overlaid }, ...offset };
  const y = { field, type: 'quantitative', title, axis: { format: '%' } };
  return [
    { mark: { type: 'rule' }, encoding: { x, y: { field: low, type: 'quantitative', title }, y2: { field: high }, ...color } },
    ...(x.type === 'ordinal' ? [] : [{ mark: { type: 'line', opacity: 0.5 }, encoding: { x, y, ...color, detail: { field: 'series' } } }]),
    { mark: { type: 'point', filled: true, size: 60 }, encoding: { x, y, ...color, tooltip: [{ field: 'series' }, { field, format: '.4%' }, { field: low, format: '.4%' }, { field: high, format: '.4%' }] } },
  ];
}

/**
 * Runs with a violation (95% Wilson CI bars) against one parameter; one
 * colour per series (strategy) when there are several.
 */
export function violationRateSpec(cells: readonly CellPoint[], xTitle: string, seriesTitle = 'strategy'): TopLevelSpec {
  const axis = xAxis(cells.map((c) => c.x), xTitle);
  const overlaid = new Set(cells.map((c) => c.series ?? 'runs')).size > 1 ? seriesTitle : undefined;
  return {
    ...BASE,
    title: 'Runs with a violation (95% Wilson CI)',
    width: 420,
    height: 240,
    data: { values: rateRows(cells, axis.values) },
    layer: rateLayers({ ...axis.encoding }, 'rate', 'low', 'high', 'runs with a violation', overlaid),
  } as TopLevelSpec;
}

/** Violations per acquisition (95% Wilson CI bars) against one parameter, one colour per series. */
export function perAcquisitionSpec(cells: readonly CellPoint[], xTitle: string, seriesTitle = 'strategy'): TopLevelSpec {
  const axis = xAxis(cells.map((c) => c.x), xTitle);
  const overlaid = new Set(cells.map((c) => c.series ?? 'runs')).size > 1 ? seriesTitle : undefined;
  return {
    ...BASE,
    title: 'Violations per acquisition (95% Wilson CI; acquisitions within a run are correlated)',
    width: 420,
    height: 240,
    data: { values: rateRows(cells, axis.values) },
    layer: rateLayers({ ...axis.encoding }, 'perAcq', 'perAcqLow', 'perAcqHigh', 'violations per acquisition', overlaid),
  } as TopLevelSpec;
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
    data: { values: rateRows(cells, cells.map((c) => c.x)) },
    layer: [
      { mark: { type: 'rect' }, encoding: { x, y, color: { field: 'rate', type: 'quantitative', title: 'violation rate', scale: { domain: [0, 1], scheme: 'orangered' }, legend: { format: '%' } } } },
      {
        mark: { type: 'text', fontSize: 10 },
        encoding: { x, y, text: { field: 'rate', type: 'quantitative', format: '.0%' }, color: { condition: { test: 'datum.rate > 0.5', value: 'white' }, value: 'black' } },
      },
    ],
  };
}

/**
 * Latency panel: acquire/handoff/failover p50 and p99 (ms) against one
 * parameter; one facet row per latency, one colour per series (strategy, or
 * the heatmap's second parameter).
 */
export function costSpec(cells: readonly CellPoint[], xTitle: string): TopLevelSpec {
  const axis = xAxis(cells.map((c) => c.x), xTitle);
  const rows = cells.flatMap((c, i) =>
    (
      [
        ['acquire', c.report.acquireLatencyMs],
        ['handoff', c.report.handoffMs],
        ['failover', c.report.failoverMs],
      ] as const
    ).flatMap(([latency, s]) =>
      s === null
        ? []
        : [
            { order: i, x: axis.values[i]!, latency, series: c.series ?? (c.y === undefined ? 'p99' : `p99 @ ${c.y}`), quantile: 'p99', ms: s.p99 },
            { order: i, x: axis.values[i]!, latency, series: c.series ?? (c.y === undefined ? 'p50' : `p50 @ ${c.y}`), quantile: 'p50', ms: s.p50 },
          ],
    ),
  );
  return {
    ...BASE,
    title: 'Latencies (ms): p99 solid, p50 dashed',
    data: { values: rows },
    facet: { row: { field: 'latency', type: 'nominal', title: null, sort: ['acquire', 'handoff', 'failover'] } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 420,
      height: 120,
      mark: { type: 'line', point: true },
      encoding: {
        x: { ...axis.encoding },
        y: { field: 'ms', type: 'quantitative', title: 'ms' },
        color: { field: 'series', type: 'nominal', title: null },
        strokeDash: { field: 'quantile', type: 'nominal', title: null, sort: ['p99', 'p50'] },
        detail: { field: 'quantile' },
      },
    },
  };
}

/** The plots of one-parameter results (a sweep, or scenarios): rates, per-acquisition rates, latencies. */
export function sweepPlots(cells: readonly CellPoint[], xTitle: string, seriesTitle = 'strategy'): NamedPlot[] {
  return [
    { name: 'violation-rate', spec: violationRateSpec(cells, xTitle, seriesTitle) },
    { name: 'per-acquisition', spec: perAcquisitionSpec(cells, xTitle, seriesTitle) },
    { name: 'latency', spec: costSpec(cells, xTitle) },
  ];
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
