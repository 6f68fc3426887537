/**
 * Scenario files: schema, defaults, loading. A scenario is YAML or JSON with
 * the fields below; every omitted field takes the default documented in
 * docs/scenarios.md (no faults). Durations are numbers (ms) or strings with a
 * unit: ns, us, ms, s, m, h. Distributions are `{dist: constant, value}`,
 * `{dist: uniform, min, max}`, `{dist: exponential, mean}`,
 * `{dist: lognormal, median, p99}`, or a bare value meaning constant.
 *
 * Invalid input raises {@link ScenarioError}: one line naming the file, the
 * field path and what was expected.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { resolveScenarioPath } from './library.js';
import { STRATEGIES, type StrategyName } from 'mostly-correct-owner';
import type { Distribution } from './dist.js';
import { nominal, proposalProblem, type Proposal, type ProposalDist, type TiltParam } from './importance/proposal.js';

/** Bad scenario input. `message` is one line: `file: field.path: what was expected`. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(
    readonly file: string,
    readonly field: string,
    readonly expected: string,
  ) {
    super(`${file}: ${field === '' ? '(top level)' : field}: ${expected}`);
  }
}

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a duration (number = ms, or "<number><unit>") to ms; undefined when malformed. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^\s*(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)\s*(ns|us|µs|ms|s|m|h)?\s*$/i.exec(value);
  if (!m) return undefined;
  const unit = (m[2] ?? 'ms').toLowerCase();
  return Number(m[1]) * UNITS[unit === 'µs' ? 'us' : unit]!;
}

const durationExpected = (min: string): string => `expected a duration ${min}(a number of ms, or a string like 5ms, 1.5s, 200us)`;

function duration(opts: { min?: number; allowNegative?: boolean } = {}) {
  const min = opts.allowNegative ? -Infinity : (opts.min ?? 0);
  return z.unknown().transform((v, ctx): number => {
    const ms = parseDuration(v);
    if (ms === undefined || ms < min) {
      ctx.addIssue({ code: 'custom', message: durationExpected(min === -Infinity ? '' : min === 0 ? '≥ 0 ' : `> ${min} ms `) + gotText(v) });
      return z.NEVER;
    }
    return ms;
  });
}

function positiveDuration() {
  return z.unknown().transform((v, ctx): number => {
    const ms = parseDuration(v);
    if (ms === undefined || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: durationExpected('> 0 ') + gotText(v) });
      return z.NEVER;
    }
    return ms;
  });
}

function gotText(v: unknown): string {
  return `, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`;
}

function number(min: number, max = Infinity) {
  return z.unknown().transform((v, ctx): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a number ${max === Infinity ? `≥ ${min}` : `in [${min}, ${max}]`}${gotText(v)}`,
      });
      return z.NEVER;
    }
    return v;
  });
}

/** A distribution whose values are parsed by `value` (durations or plain numbers). */
function distribution(value: () => z.ZodType<number, unknown>, nonNegative: boolean) {
  const bare = (v: unknown): unknown => (v !== null && typeof v === 'object' ? v : { dist: 'constant', value: v });
  return z.preprocess(
    bare,
    z
      .discriminatedUnion('dist', [
        z.strictObject({ dist: z.literal('constant'), value: value() }),
        z.strictObject({ dist: z.literal('uniform'), min: value(), max: value() }),
        z.strictObject({ dist: z.literal('exponential'), mean: value() }),
        z.strictObject({ dist: z.literal('lognormal'), median: value(), p99: value() }),
      ])
      .superRefine((d, ctx) => {
        if (d.dist === 'uniform' && d.max < d.min) ctx.addIssue({ code: 'custom', path: ['max'], message: `expected max ≥ min (${d.min})` });
        if (d.dist === 'exponential' && d.mean < 0) ctx.addIssue({ code: 'custom', path: ['mean'], message: 'expected mean ≥ 0' });
        if (d.dist === 'lognormal') {
          if (d.median < 0) ctx.addIssue({ code: 'custom', path: ['median'], message: 'expected median ≥ 0' });
          else if (d.p99 < d.median) ctx.addIssue({ code: 'custom', path: ['p99'], message: `expected p99 ≥ median (${d.median})` });
        }
        if (nonNegative && d.dist === 'uniform' && d.min < 0) ctx.addIssue({ code: 'custom', path: ['min'], message: 'expected min ≥ 0' });
        if (nonNegative && d.dist === 'constant' && d.value < 0) ctx.addIssue({ code: 'custom', path: ['value'], message: 'expected a value ≥ 0' });
      }),
  ) as unknown as z.ZodType<Distribution, unknown>;
}

const anyDuration = () => duration({ allowNegative: true });
const durationDist = () => distribution(() => duration(), true);
const signedDurationDist = () => distribution(anyDuration, false);
const numberDist = () => distribution(() => number(-1e6, 1e6), false);

const pauseSpec = z.strictObject({ at: duration(), for: duration() });
const crashSpec = z.strictObject({ at: duration(), restartAfter: duration().default(1000) });
const jumpSpec = z.strictObject({ at: duration(), by: anyDuration() });

const nodeSpec = z.strictObject({
  offset: anyDuration().optional(),
  driftPpm: number(-1e6, 1e6).optional(),
  jumps: z.array(jumpSpec).default([]),
  pauses: z.array(pauseSpec).default([]),
  busy: z.array(pauseSpec).default([]),
  crashes: z.array(crashSpec).default([]),
});

/** The library's strategies by name, in the order of its STRATEGIES table (src/strategies/). */
export const OWNER_STRATEGIES: readonly StrategyName[] = Object.freeze(Object.keys(STRATEGIES) as StrategyName[]);

/**
 * The strategies a scenario can name: the library's, and the simulator's own
 * `none` (no owner at all: workers go straight to the resource, the baseline
 * of the benefit model).
 */
export const SCENARIO_STRATEGIES: readonly [...StrategyName[], 'none'] = Object.freeze([...OWNER_STRATEGIES, 'none'] as const);

/** The strategy of a scenario that names none (docs/scenarios.md), and of `mco tune`. */
export const DEFAULT_STRATEGY: StrategyName = 'fixed';

/** A strategy a scenario can name. */
export type ScenarioStrategy = StrategyName | 'none';

const bound = (value: () => z.ZodType<number, unknown>) => z.strictObject({ min: value().optional(), max: value().optional() });
const countBound = () => bound(() => number(0));
const msBound = () => bound(() => duration());
const latencyBounds = () => z.strictObject({ p50: msBound().optional(), p99: msBound().optional(), max: msBound().optional() });

/** Expectations `mco run` enforces (exit 1 when one fails). */
const expectSchema = z.strictObject({
  violationRate: bound(() => number(0, 1)).optional(),
  perAcquisitionViolationRate: bound(() => number(0, 1)).optional(),
  runsWithViolation: countBound().optional(),
  violations: countBound().optional(),
  maxSimultaneousOwners: countBound().optional(),
  overlapMs: z.strictObject({ total: msBound().optional(), p50: msBound().optional(), p99: msBound().optional(), max: msBound().optional() }).optional(),
  acquireLatencyMs: latencyBounds().optional(),
  handoffMs: latencyBounds().optional(),
  failoverMs: latencyBounds().optional(),
  storeOps: z.strictObject({ reads: countBound().optional(), writes: countBound().optional(), perHeldSecond: countBound().optional() }).optional(),
});

/** A `{min, max}` bound of an expectation. */
export interface Bound {
  min?: number | undefined;
  max?: number | undefined;
}

/** The `expect:` block of a scenario: metric path → bound. */
export type Expectations = z.output<typeof expectSchema>;

/** A proposal distribution: a distribution, optionally with `mix` in (0, 1] (a defensive mixture, see importance/proposal.ts). */
function proposalDist(base: () => z.ZodType<Distribution, unknown>) {
  return z.unknown().transform((v, ctx): ProposalDist => {
    let mix: unknown;
    let rest = v;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && 'mix' in v) ({ mix, ...rest } = v as Record<string, unknown>);
    if (mix !== undefined && (typeof mix !== 'number' || !(mix > 0 && mix <= 1))) {
      ctx.addIssue({ code: 'custom', path: ['mix'], message: `expected a number in (0, 1]${gotText(mix)}` });
      return z.NEVER;
    }
    const parsed = base().safeParse(rest);
    if (!parsed.success) {
      const first = parsed.error.issues[0]!;
      ctx.addIssue({ ...first, code: 'custom', message: issueToError('', first).expected });
      return z.NEVER;
    }
    return mix === undefined ? parsed.data : { ...parsed.data, mix: mix };
  });
}

/**
 * Importance sampling's proposal (`mco run --importance scenario`): the fault
 * parameters to draw from another distribution, mirroring `faults:`. Ignored
 * without `--importance` (docs/rare-events.md).
 */
const importanceSchema = z.strictObject({
  clock: z.strictObject({ offset: proposalDist(signedDurationDist).optional() }).optional(),
  pauses: z.strictObject({ rate: number(0).optional(), duration: proposalDist(durationDist).optional() }).optional(),
  timerLateness: proposalDist(durationDist).optional(),
  store: z
    .strictObject({
      latency: proposalDist(durationDist).optional(),
      requestLatency: proposalDist(durationDist).optional(),
      responseLatency: proposalDist(durationDist).optional(),
      errorRate: number(0, 1).optional(),
      lostReplyRate: number(0, 1).optional(),
    })
    .optional(),
  crashes: z.strictObject({ rate: number(0).optional() }).optional(),
});

export const scenarioSchema = z.strictObject({
  name: z.string().min(1).optional(),
  description: z.string().default(''),
  seeds: z.number().int().min(1).max(1_000_000).default(100),
  duration: positiveDuration().default(10_000),
  maxEvents: z.number().int().min(1).default(20_000_000),
  expect: expectSchema.optional(),
  importance: importanceSchema.optional(),
  owner: z
    .strictObject({
      strategy: z.enum(SCENARIO_STRATEGIES).default(DEFAULT_STRATEGY),
      acquireInterval: positiveDuration().default(150),
      refreshInterval: positiveDuration().default(400),
    })
    .default({ strategy: DEFAULT_STRATEGY, acquireInterval: 150, refreshInterval: 400 }),
  nodes: z.union([z.number().int().min(1).max(1000), z.array(nodeSpec).min(1).max(1000)]).default(2),
  keys: z.number().int().min(1).max(100_000).default(1),
  workload: z
    .strictObject({
      think: durationDist().default({ dist: 'exponential', mean: 10 }),
      hold: durationDist().default({ dist: 'uniform', min: 5, max: 50 }),
      work: durationDist().optional(),
      workGrowth: number(0).default(0),
      maxAttempts: z.number().int().min(1).max(1000).default(5),
    })
    .default({ think: { dist: 'exponential', mean: 10 }, hold: { dist: 'uniform', min: 5, max: 50 }, workGrowth: 0, maxAttempts: 5 }),
  faults: z
    .strictObject({
      clock: z
        .strictObject({
          offset: signedDurationDist().default({ dist: 'constant', value: 0 }),
          driftPpm: numberDist().default({ dist: 'constant', value: 0 }),
          jumps: z.array(z.strictObject({ node: z.number().int().min(0), at: duration(), by: anyDuration() })).default([]),
        })
        .default({ offset: { dist: 'constant', value: 0 }, driftPpm: { dist: 'constant', value: 0 }, jumps: [] }),
      pauses: z
        .strictObject({ rate: number(0), duration: durationDist().default({ dist: 'constant', value: 0 }) })
        .default({ rate: 0, duration: { dist: 'constant', value: 0 } }),
      busyLoop: z
        .strictObject({ rate: number(0), duration: durationDist().default({ dist: 'constant', value: 0 }) })
        .default({ rate: 0, duration: { dist: 'constant', value: 0 } }),
      timerLateness: durationDist().default({ dist: 'constant', value: 0 }),
      store: z
        .strictObject({
          latency: durationDist().optional(),
          requestLatency: durationDist().optional(),
          responseLatency: durationDist().optional(),
          errorRate: number(0, 1).default(0),
          lostReplyRate: number(0, 1).default(0),
        })
        .default({ errorRate: 0, lostReplyRate: 0 }),
      crashes: z.strictObject({ rate: number(0), restartAfter: duration().default(1000) }).default({ rate: 0, restartAfter: 1000 }),
    })
    .default({
      clock: { offset: { dist: 'constant', value: 0 }, driftPpm: { dist: 'constant', value: 0 }, jumps: [] },
      pauses: { rate: 0, duration: { dist: 'constant', value: 0 } },
      busyLoop: { rate: 0, duration: { dist: 'constant', value: 0 } },
      timerLateness: { dist: 'constant', value: 0 },
      store: { errorRate: 0, lostReplyRate: 0 },
      crashes: { rate: 0, restartAfter: 1000 },
    }),
});

type Parsed = z.output<typeof scenarioSchema>;

/** Per-node overrides, normalized. */
export interface NodeSpec {
  offset: number | undefined;
  driftPpm: number | undefined;
  jumps: { at: number; by: number }[];
  pauses: { at: number; for: number }[];
  /** Scheduled blocks of the node's event loop (faults.busyLoop's model). */
  busy: { at: number; for: number }[];
  crashes: { at: number; restartAfter: number }[];
}

/** A validated scenario with every default filled in; all durations in ms. */
export interface Scenario {
  name: string;
  description: string;
  seeds: number;
  durationMs: number;
  maxEvents: number;
  owner: { strategy: ScenarioStrategy; acquireIntervalMs: number; refreshIntervalMs: number };
  /** Expectations enforced by `mco run` (empty when none). */
  expect: Expectations;
  nodes: NodeSpec[];
  keys: number;
  workload: {
    think: Distribution;
    hold: Distribution;
    /** Benefit model: work per attempt; when set, `hold` is replaced by operations on the resource. */
    work?: Distribution | undefined;
    workGrowth: number;
    maxAttempts: number;
  };
  faults: {
    clock: { offset: Distribution; driftPpm: Distribution; jumps: { node: number; at: number; by: number }[] };
    pauses: { rate: number; duration: Distribution };
    /** Blocks of each node's event loop by busy work: Poisson rate per node per second, block length. */
    busyLoop: { rate: number; duration: Distribution };
    timerLateness: Distribution;
    store: { requestLatency: Distribution; responseLatency: Distribution; errorRate: number; lostReplyRate: number };
    crashes: { rate: number; restartAfterMs: number };
  };
  /**
   * The scenario's `importance:` block, validated against its faults: the
   * proposal `--importance scenario` draws from. Absent when the file has
   * none; never part of what a plain run simulates (not in `scenarioHash`).
   */
  importance?: Proposal;
}

const ZERO: Distribution = { dist: 'constant', value: 0 };

/**
 * Validates raw scenario data (as parsed from YAML/JSON). `file` names the
 * source in errors; `fallbackName` is used when the data has no `name`.
 */
export function parseScenario(raw: unknown, file: string, fallbackName = 'scenario'): Scenario {
  const result = scenarioSchema.safeParse(raw ?? {});
  if (!result.success) throw issueToError(file, result.error.issues[0]!);
  const s: Parsed = result.data;
  const nodes: NodeSpec[] =
    typeof s.nodes === 'number'
      ? Array.from({ length: s.nodes }, () => ({ offset: undefined, driftPpm: undefined, jumps: [], pauses: [], busy: [], crashes: [] }))
      : s.nodes.map((n) => ({ ...n, offset: n.offset, driftPpm: n.driftPpm }));
  s.faults.clock.jumps.forEach((j, i) => {
    if (j.node >= nodes.length) {
      throw new ScenarioError(file, `faults.clock.jumps[${i}].node`, `expected a node index < ${nodes.length} (nodes are numbered from 0), got ${j.node}`);
    }
  });
  const store = s.faults.store;
  const scenario: Scenario = {
    name: s.name ?? fallbackName,
    description: s.description,
    seeds: s.seeds,
    durationMs: s.duration,
    maxEvents: s.maxEvents,
    owner: { strategy: s.owner.strategy, acquireIntervalMs: s.owner.acquireInterval, refreshIntervalMs: s.owner.refreshInterval },
    expect: s.expect ?? {},
    nodes,
    keys: s.keys,
    workload: s.workload,
    faults: {
      clock: s.faults.clock,
      pauses: s.faults.pauses,
      busyLoop: s.faults.busyLoop,
      timerLateness: s.faults.timerLateness,
      store: {
        requestLatency: store.requestLatency ?? store.latency ?? ZERO,
        responseLatency: store.responseLatency ?? store.latency ?? ZERO,
        errorRate: store.errorRate,
        lostReplyRate: store.lostReplyRate,
      },
      crashes: { rate: s.faults.crashes.rate, restartAfterMs: s.faults.crashes.restartAfter },
    },
  };
  if (s.importance !== undefined) scenario.importance = importanceProposal(file, s.importance, scenario.faults);
  return scenario;
}

/** The `importance:` block as a proposal, each parameter checked against the scenario's own. */
function importanceProposal(file: string, block: z.output<typeof importanceSchema>, faults: Scenario['faults']): Proposal {
  const named: [TiltParam, string, Distribution | number | undefined][] = [
    ['clock.offset', 'clock.offset', block.clock?.offset],
    ['pauses.rate', 'pauses.rate', block.pauses?.rate],
    ['pauses.duration', 'pauses.duration', block.pauses?.duration],
    ['timerLateness', 'timerLateness', block.timerLateness],
    ['store.requestLatency', 'store.requestLatency', block.store?.requestLatency ?? block.store?.latency],
    ['store.responseLatency', 'store.responseLatency', block.store?.responseLatency ?? block.store?.latency],
    ['store.errorRate', 'store.errorRate', block.store?.errorRate],
    ['store.lostReplyRate', 'store.lostReplyRate', block.store?.lostReplyRate],
    ['crashes.rate', 'crashes.rate', block.crashes?.rate],
  ];
  const out: Record<string, Distribution | number> = {};
  for (const [param, field, value] of named) {
    if (value === undefined) continue;
    const problem = proposalProblem(param, nominal(faults, param), value);
    const given = field.startsWith('store.') && field.endsWith('Latency') && block.store?.[field.slice(6) as 'requestLatency'] === undefined ? 'store.latency' : field;
    if (problem !== undefined) throw new ScenarioError(file, `importance.${given}`, problem);
    out[param] = value;
  }
  return out;
}

function issueToError(file: string, issue: z.core.$ZodIssue): ScenarioError {
  if (issue.code === 'invalid_union' && !('discriminator' in issue) && issue.errors.length > 0) {
    // "a number or a list": report the branch that got furthest into the input
    const branches = issue.errors.filter((b) => b.length > 0);
    const best = branches.reduce((a, b) => (b[0]!.path.length > a[0]!.path.length ? b : a), branches[0]!);
    if (best[0]!.path.length > 0) return issueToError(file, { ...best[0]!, path: [...issue.path, ...best[0]!.path] });
    return new ScenarioError(file, formatPath(issue.path), 'expected a number or a list of node specs');
  }
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    return new ScenarioError(file, path === '' ? key : `${path}.${key}`, 'unknown field (check the spelling; see docs/scenarios.md)');
  }
  if (issue.code === 'invalid_union' && 'discriminator' in issue) {
    return new ScenarioError(file, path, `expected one of dist: ${(issue as { options?: unknown[] }).options?.join(', ') ?? 'constant, uniform, exponential, lognormal'}`);
  }
  let message = issue.message;
  if (issue.code === 'invalid_type') message = `expected ${issue.expected}${issue.input === undefined ? ' (missing)' : ''}`;
  if (issue.code === 'invalid_value') message = `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  if (issue.code === 'too_small' || issue.code === 'too_big') message = `expected ${issue.message.replace(/^Too (small|big): expected /, '')}`;
  return new ScenarioError(file, path, message);
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out;
}

/**
 * Identity of what a scenario simulates: a hash of every field that affects
 * results (not name, description, seeds or expectations). Reports carry it so
 * a baseline from a different scenario is refused.
 */
export function scenarioHash(s: Scenario): string {
  const { name: _n, description: _d, seeds: _s, expect: _e, importance: _i, ...simulated } = s;
  return createHash('sha256').update(JSON.stringify(simulated, leaveOutIfOff)).digest('hex').slice(0, 16);
}

/** Fields added after baselines existed are left out of the hash while they are off, so those baselines still match. */
function leaveOutIfOff(key: string, value: unknown): unknown {
  if (key === 'busy' && Array.isArray(value) && value.length === 0) return undefined;
  if (key === 'busyLoop' && (value as Scenario['faults']['busyLoop']).rate === 0) return undefined;
  return value;
}

/** Options of {@link loadScenario}. */
export interface LoadOptions {
  /** Edits applied to the raw data before validation, as `mco run --set` (see overrides.ts). */
  edit?: (raw: unknown) => unknown;
}

/** Reads and validates a scenario file (YAML or JSON). */
export function loadScenario(file: string, options: LoadOptions = {}): Scenario {
  const raw = loadScenarioRaw(file);
  const base = file.replace(/^.*[\\/]/, '').replace(/\.(ya?ml|json)$/i, '');
  return parseScenario(options.edit ? options.edit(raw) : raw, file, base);
}

/** Reads a scenario file as raw data (YAML or JSON), before validation. */
export function loadScenarioRaw(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ScenarioError(file, '', `cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    const line = (err as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    throw new ScenarioError(file, '', `expected YAML or JSON${line === undefined ? '' : ` (syntax error at line ${line})`}`);
  }
  // an empty file ran with every default and exited 0: almost always a wrong path or an unsaved editor
  if (raw === null || raw === undefined) throw new ScenarioError(file, '', 'the file is empty (or only comments): expected a mapping of scenario fields (see docs/scenarios.md)');
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ScenarioError(file, '', 'expected a mapping of scenario fields');
  }
  return raw;
}

/**
 * Expands files and directories into scenario files (directories: *.yaml,
 * *.yml, *.json, sorted). A name that is not a path is looked up in the
 * bundled library (see library.ts).
 */
export function scenarioFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths.map(resolveScenarioPath)) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      throw new ScenarioError(p, '', 'no such file or directory');
    }
    if (!isDir) {
      out.push(p);
      continue;
    }
    const found = readdirSync(p)
      .filter((f) => /\.(ya?ml|json)$/i.test(f))
      .sort()
      .map((f) => join(p, f));
    if (found.length === 0) throw new ScenarioError(p, '', 'expected a directory with scenario files (*.yaml, *.yml, *.json)');
    out.push(...found);
  }
  return out;
}
