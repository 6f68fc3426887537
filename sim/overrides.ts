/**
 * `--set path=value` and `--vary path=values`: edits of raw scenario data
 * before validation, by dotted path. The paths are read off the scenario's
 * zod schema (sim/scenario.ts), so every field a scenario file can have can
 * be set and a typo gets "unknown parameter … (did you mean …?)". Whether a
 * value fits is the schema's to say when the edited scenario is validated.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseDuration, scenarioSchema } from './scenario.js';

/** Bad override syntax or path. */
export class OverrideError extends Error {
  override readonly name = 'OverrideError';
}

/** Stands for an array index in a path pattern (`nodes.<i>.offset` matches `nodes.2.offset`). */
export const INDEX = '<i>';

/**
 * Every field path of a zod schema, parents before children: the keys of its
 * objects, through defaults, optionals, unions (every option; a distribution
 * is a discriminated union behind a preprocess pipe, whose both ends are
 * walked) and arrays (an element's fields under {@link INDEX}).
 */
export function schemaPaths(schema: z.ZodType): string[] {
  const out = new Set<string>();
  const walk = (t: z.ZodType, prefix: string): void => {
    if (t instanceof z.ZodObject) {
      for (const [key, field] of Object.entries<z.ZodType>(t.shape)) {
        const path = prefix === '' ? key : `${prefix}.${key}`;
        out.add(path);
        walk(field, path);
      }
    } else if (t instanceof z.ZodDefault || t instanceof z.ZodOptional || t instanceof z.ZodNullable || t instanceof z.ZodPrefault) {
      walk(t.unwrap() as z.ZodType, prefix);
    } else if (t instanceof z.ZodPipe) {
      walk(t.in as z.ZodType, prefix);
      walk(t.out as z.ZodType, prefix);
    } else if (t instanceof z.ZodUnion) {
      for (const option of t.options as readonly z.ZodType[]) walk(option, prefix);
    } else if (t instanceof z.ZodArray) {
      const path = `${prefix}.${INDEX}`;
      out.add(path);
      walk(t.element as z.ZodType, path);
    }
    // anything else (string, number, enum, literal, a transform) is a value: no fields below it
  };
  walk(schema, '');
  return [...out];
}

/** Every settable path of a scenario (array elements written `nodes.<i>.…`, e.g. `nodes.0.offset`). */
export const SCENARIO_PATHS: readonly string[] = Object.freeze(schemaPaths(scenarioSchema));

const PATTERNS = SCENARIO_PATHS.map((p) => p.split('.'));

/** Checks `path` names a scenario parameter; throws with the closest valid one otherwise. */
export function checkPath(path: string): void {
  const parts = path.split('.');
  const matches = (pattern: readonly string[]): boolean =>
    pattern.length === parts.length && pattern.every((seg, i) => (seg === INDEX ? /^\d+$/.test(parts[i]!) : seg === parts[i]));
  if (PATTERNS.some(matches)) return;
  const best = closest(path, SCENARIO_PATHS.map((p) => p.replaceAll(INDEX, '0')));
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
      cur = next as Record<string, unknown>;
      continue;
    }
    // a path (checked against the schema) goes through a plain value only at a
    // distribution, whose bare value means a constant one; an index makes a list
    const created: Record<string, unknown> =
      next === undefined || next === null ? (/^\d+$/.test(parts[i + 1]!) ? ([] as unknown as Record<string, unknown>) : {}) : { dist: 'constant', value: next };
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
