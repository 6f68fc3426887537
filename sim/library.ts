/**
 * The scenario library that ships with the CLI. In the repository it is
 * `scenarios/`; the package build copies it to `dist/scenarios/`, so that an
 * installed `mco list` and `mco run healthy` work from any directory.
 * A path that exists always wins: the library is only a fallback.
 */
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where the library is: beside the built code (installed), or the repository's `scenarios/` (from source). */
export function libraryDir(): string | undefined {
  for (const rel of ['./scenarios/', '../scenarios/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(dir) && statSync(dir).isDirectory()) return dir;
  }
  return undefined;
}

/**
 * `p` itself when it exists; otherwise the library (`p` = `scenarios`, the
 * default of `mco list`) or the library's scenario of that name (`healthy`,
 * `healthy.yaml`); otherwise `p` unchanged, for the caller's "no such file".
 */
export function resolveScenarioPath(p: string): string {
  if (existsSync(p)) return p;
  const dir = libraryDir();
  if (dir === undefined) return p;
  if (p === 'scenarios' || p === 'scenarios/') return dir;
  const name = /^([\w.-]+?)(\.ya?ml)?$/.exec(p)?.[1];
  if (name !== undefined && existsSync(`${dir}${name}.yaml`)) return `${dir}${name}.yaml`;
  return p;
}
