/**
 * `--set path=value` and `--vary path=values`: edits of raw scenario data
 * before validation, by dotted path. Paths are checked against the list of
 * scenario fields so a typo gets "unknown parameter … (did you mean …?)".
 */
import { parse as parseYaml } from 'yaml';
import { parseDuration } from './scenario.js';

/** Bad override syntax or path. */
export class OverrideError extends Error {
  override readonly name = 'OverrideError';
}

const DIST = ['', '.dist', '.value', '.min', '.max', '.mean', '.median', '.p99'];
const withDist = (p: string): string[] => DIST.map((d) => p + d);

/** Every settable path (`nodes[i].…` is written `nodes.<i>.…`). */
export const SCENARIO_PATHS: readonly string[] = [
  'name',
  'description',
  'seeds',
  'duration',
  'maxEvents',
  'owner.strategy',
  'owner.acquireInterval',
  'owner.refreshInterval',
  'nodes',
  'keys',
  ...withDist('workload.think'),
  ...withDist('workload.hold'),
  ...withDist('faults.clock.offset'),
  ...withDist('faults.clock.driftPpm'),
  'faults.clock.jumps',
  'faults.pauses.rate',
  ...withDist('faults.pauses.duration'),
  ...withDist('faults.timerLateness'),
  ...withDist('faults.store.latency'),
  ...withDist('faults.store.requestLatency'),
  ...withDist('faults.store.responseLatency'),
  'faults.store.errorRate',
  'faults.store.lostReplyRate',
  'faults.crashes.rate',
  'faults.crashes.restartAfter',
];

const NODE_FIELDS = ['offset', 'driftPpm', 'jumps', 'pauses', 'crashes'];

/** Checks `path` names a scenario parameter; throws with the closest valid one otherwise. */
export function checkPath(path: string): void {
  if (SCENARIO_PATHS.includes(path)) return;
  const node = /^nodes\.(\d+)\.(\w+)$/.exec(path);
  if (node && NODE_FIELDS.includes(node[2]!)) return;
  const best = closest(path, [...SCENARIO_PATHS, ...NODE_FIELDS.map((f) => `nodes.0.${f}`)]);
  throw new OverrideError(`unknown parameter path '${path}'${best === undefined ? '' : ` (did you mean '${best}'?)`}`);
}

/** The candidate closest to `word` by edit distance, if reasonably close. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/** Parses a value as YAML (so `80ms` stays text, `3` is a number, `{dist: uniform, …}` an object). */
export function parseValue(text: string): unknown {
  try {
    return parseYaml(text) as unknown;
  } catch {
    return text;
  }
}

/** Splits `path=value`. */
export function splitAssignment(flag: string, assignment: string): [string, string] {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new OverrideError(`${flag} '${assignment}': expected path=value, e.g. ${flag} owner.refreshInterval=80ms`);
  return [assignment.slice(0, eq).trim(), assignment.slice(eq + 1).trim()];
}

/** Returns a copy of `raw` with `value` written at dotted `path` (intermediate objects created). */
export function setPath(raw: unknown, path: string, value: unknown): Record<string, unknown> {
  const root: Record<string, unknown> = structuredClone((raw ?? {}) as Record<string, unknown>);
  const parts = path.split('.');
  let cur: Record<string, unknown> = root;
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i]!;
    let next = cur[part];
    if (part === 'nodes' && typeof next === 'number') {
      next = Array.from({ length: next }, () => ({}));
      cur[part] = next;
    }
    if (next !== null && typeof next === 'object') {
      // a bare distribution value becomes a constant distribution when a field of it is set
      cur = next as Record<string, unknown>;
      continue;
    }
    const created: Record<string, unknown> =
      next === undefined ? {} : DIST.slice(1).includes(`.${parts[i + 1]}`) ? { dist: 'constant', value: next } : {};
    cur[part] = created;
    cur = created;
  }
  cur[parts[parts.length - 1]!] = value;
  return root;
}

/** Applies `--set` assignments in order. */
export function applySets(raw: unknown, assignments: readonly string[]): unknown {
  let out = raw;
  for (const a of assignments) {
    const [path, value] = splitAssignment('--set', a);
    checkPath(path);
    out = setPath(out, path, parseValue(value));
  }
  return out;
}

/** One varied parameter of a sweep. */
export interface Vary {
  path: string;
  /** The values as given (text), in order. */
  labels: string[];
  values: unknown[];
}

/**
 * Parses `path=a,b,c` or `path=from..to:step` (inclusive; durations or
 * plain numbers, e.g. `0ms..60ms:10ms`, `0..1:0.25`).
 */
export function parseVary(assignment: string): Vary {
  const [path, spec] = splitAssignment('--vary', assignment);
  checkPath(path);
  const range = /^(.+?)\.\.(.+?):(.+)$/.exec(spec);
  if (range) {
    const from = range[1]!.trim();
    const to = range[2]!.trim();
    const step = range[3]!.trim();
    const unit = /[a-zµ]+$/i.exec(from)?.[0] ?? '';
    const num = (s: string): number | undefined => (unit === '' ? (Number.isFinite(Number(s)) ? Number(s) : undefined) : parseDuration(s));
    const [a, b, st] = [num(from), num(to), num(step)];
    if (a === undefined || b === undefined || st === undefined || st <= 0 || b < a) {
      throw new OverrideError(`--vary ${path}: expected from..to:step with to ≥ from and step > 0, e.g. 0ms..60ms:10ms, got '${spec}'`);
    }
    const n = Math.floor((b - a) / st + 1e-9) + 1;
    if (n > 1000) throw new OverrideError(`--vary ${path}: ${n} values is too many (at most 1000)`);
    const scale = unit === '' ? 1 : parseDuration(`1${unit}`)!;
    const labels = Array.from({ length: n }, (_, i) => `${+((a + i * st) / scale).toFixed(9)}${unit}`);
    return { path, labels, values: labels.map((l) => (unit === '' ? Number(l) : l)) };
  }
  const labels = spec.split(',').map((s) => s.trim());
  if (labels.length === 0 || labels.some((l) => l === '')) {
    throw new OverrideError(`--vary ${path}: expected a comma-separated list or from..to:step, got '${spec}'`);
  }
  return { path, labels, values: labels.map(parseValue) };
}
