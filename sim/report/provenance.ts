/**
 * Provenance: what a report needs to be reproduced from itself. Two parts:
 * what determines the results (the resolved scenario, the overrides as
 * given, the tool's versions, the engine), the same on every run of the same
 * command, and `environment` (git commit, Node version, date, host), which
 * says where and when it ran and is the one part of a report, with `wallMs`,
 * that differs between identical runs (docs/reports.md).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { EngineKind } from '../engines.js';
import type { Scenario } from '../scenario.js';

export interface Provenance {
  /** The tool that ran: the simulator package and the library it runs. */
  tool: { name: string; version: string; library: string };
  engine: EngineKind;
  /** The command line's edits, as given: `--set` assignments, and a sweep cell's `--vary` values as `path=value`. */
  overrides: { set: string[]; vary: string[] };
  /** The scenario that ran, after every override, with every default filled in (durations in ms). */
  scenario: Scenario;
  /** Where and when: differs between identical runs; never compared. */
  environment: {
    /** HEAD of the git repository around the working directory (uncommitted changes are not seen), or null outside one. */
    gitCommit: string | null;
    node: string;
    platform: string;
    cores: number;
    /** ISO 8601, UTC. */
    date: string;
  };
}

/** Versions of the simulator package and the library it runs. */
export function toolVersions(): Provenance['tool'] {
  const require = createRequire(import.meta.url);
  const own = require('mostly-correct-owner-sim/package.json') as { name: string; version: string };
  const library = require('mostly-correct-owner/package.json') as { version: string };
  return { name: own.name, version: own.version, library: library.version };
}

/** The provenance of a report on `scenario` run now. `now` and `cwd` are for tests. */
export function provenance(
  scenario: Scenario,
  overrides: { set?: readonly string[]; vary?: readonly string[] },
  engine: EngineKind,
  env: { now?: Date; cwd?: string } = {},
): Provenance {
  return {
    tool: toolVersions(),
    engine,
    overrides: { set: [...(overrides.set ?? [])], vary: [...(overrides.vary ?? [])] },
    scenario,
    environment: {
      gitCommit: gitCommit(env.cwd ?? process.cwd()),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cores: availableParallelism(),
      date: (env.now ?? new Date()).toISOString(),
    },
  };
}

/**
 * The commit of HEAD of the git repository containing `from`, read from the
 * files (no `git` process; works in linked worktrees and with packed refs);
 * null outside a repository or when anything is unreadable.
 */
export function gitCommit(from: string): string | null {
  try {
    for (let dir = resolve(from); ; dir = dirname(dir)) {
      const dotGit = join(dir, '.git');
      if (existsSync(dotGit)) return headCommit(dotGit);
      if (dirname(dir) === dir) return null;
    }
  } catch {
    return null;
  }
}

function headCommit(dotGit: string): string | null {
  let gitDir = dotGit;
  if (statSync(dotGit).isFile()) {
    const m = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, 'utf8'));
    if (!m) return null;
    gitDir = resolve(dirname(dotGit), m[1]!.trim());
  }
  const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
  if (/^[0-9a-f]{40,64}$/.test(head)) return head;
  const ref = /^ref:\s*(.+)$/.exec(head)?.[1]?.trim();
  if (ref === undefined) return null;
  const commonFile = join(gitDir, 'commondir');
  const common = existsSync(commonFile) ? resolve(gitDir, readFileSync(commonFile, 'utf8').trim()) : gitDir;
  for (const d of [gitDir, common]) {
    const f = join(d, ref);
    if (existsSync(f)) return readFileSync(f, 'utf8').trim();
  }
  const packed = join(common, 'packed-refs');
  if (!existsSync(packed)) return null;
  for (const line of readFileSync(packed, 'utf8').split('\n')) {
    const [sha, name] = line.trim().split(' ');
    if (name === ref && sha !== undefined && /^[0-9a-f]{40,64}$/.test(sha)) return sha;
  }
  return null;
}

/**
 * The fields whose difference makes two results not comparable (not
 * mergeable): what ran and with what. The environment (date, host, Node,
 * commit) may differ between shards of one run.
 */
const COMPARED: readonly [string, (p: Provenance) => unknown][] = [
  ['provenance.tool.version', (p) => p.tool.version],
  ['provenance.tool.library', (p) => p.tool.library],
  ['provenance.engine', (p) => p.engine],
  ['provenance.scenario.owner.strategy', (p) => p.scenario.owner.strategy],
  ['provenance.scenario', (p) => JSON.stringify({ ...p.scenario, seeds: 0 })],
];

/**
 * The first field in which two provenances say their results are not
 * comparable, or undefined when they are (or either report predates
 * provenance: then only the scenario hash speaks).
 */
export function provenanceDifference(a: Provenance | undefined, b: Provenance | undefined): { field: string; a: unknown; b: unknown } | undefined {
  if (a === undefined || b === undefined) return undefined;
  for (const [field, get] of COMPARED) {
    const x = get(a);
    const y = get(b);
    if (x !== y) return { field, a: x, b: y };
  }
  return undefined;
}

/**
 * Why `reports` cannot be merged, in one line naming the field (for
 * ReportMismatchError), or undefined when each is comparable with the first.
 */
export function provenanceMismatch(reports: readonly { provenance?: Provenance | undefined; file?: string; scenario: string }[]): string | undefined {
  const first = reports[0];
  if (first === undefined) return undefined;
  for (const r of reports.slice(1)) {
    const d = provenanceDifference(first.provenance, r.provenance);
    if (d === undefined) continue;
    const what = d.field === 'provenance.scenario' ? 'a different resolved scenario' : `${JSON.stringify(d.b)}, not ${JSON.stringify(d.a)}`;
    return `${r.file ?? r.scenario}: not comparable with ${first.file ?? first.scenario}: ${d.field} differs (${what}); refusing to merge`;
  }
  return undefined;
}

/**
 * One line for Markdown and HTML headers: tool, commit, Node, engine, date,
 * cores, overrides (`overrides` instead of `p`'s, for a page of several
 * reports: a sweep's whole grid, a comparison's strategies).
 */
export function provenanceLine(p: Provenance | undefined, overrides?: Provenance['overrides']): string {
  if (p === undefined) return '';
  const o = overrides ?? p.overrides;
  const e = p.environment;
  const parts = [
    `mco ${p.tool.version} (library ${p.tool.library})`,
    e.gitCommit === null ? 'no git commit' : `commit ${e.gitCommit.slice(0, 12)}`,
    `Node ${e.node}`,
    `engine ${p.engine}`,
    e.date,
    `${e.cores} cores (${e.platform})`,
  ];
  const edits = [...o.set.map((s) => `--set ${s}`), ...o.vary.map((v) => `--vary ${v}`)];
  return `${parts.join(' · ')}${edits.length ? ` · ${edits.join(' ')}` : ''}`;
}
