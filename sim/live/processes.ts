/**
 * Child processes of a live run, started so that none outlives the
 * coordinator however it ends:
 * - each is exec'd through `setpriv --pdeathsig KILL`: the kernel kills it
 *   when the coordinator dies, even by SIGKILL, and even while it is stopped
 *   (SIGKILL ends a stopped process);
 * - each leads its own process group (`detached`), so a Ctrl-C in the
 *   terminal reaches the coordinator only, which then ends them in order;
 * - {@link ChildSet.killAll} sends SIGKILL to every group still alive.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';

/** `setpriv` (util-linux), which sets the parent-death signal before it execs. */
export const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

/** The processes of a coordinator. */
export class ChildSet {
  readonly #children = new Set<ChildProcess>();

  /**
   * Starts `command args` in its own process group, killed when the
   * coordinator dies. `as` runs it as another user (for PostgreSQL, which
   * refuses to run as root).
   */
  spawn(command: string, args: readonly string[], options: SpawnOptions & { as?: { uid: number; gid: number } } = {}): ChildProcess {
    if (SETPRIV === undefined) throw new Error('setpriv not found (Debian package util-linux): mco live needs it so that no process outlives it');
    const as = options.as === undefined ? [] : [`--reuid=${options.as.uid}`, `--regid=${options.as.gid}`, '--clear-groups'];
    const child = spawn(SETPRIV, [...as, '--pdeathsig', 'KILL', '--', command, ...args], { ...options, detached: true });
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    child.once('error', () => this.#children.delete(child));
    return child;
  }

  /** Children not yet known to have exited. */
  get alive(): number {
    return this.#children.size;
  }

  /** SIGKILL to the process group of every child still alive; resolves when all have exited. */
  async killAll(): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const c of this.#children) {
      waits.push(exited(c));
      killGroup(c, 'SIGKILL');
    }
    await Promise.all(waits);
  }
}

/** Sends `signal` to the process group `child` leads (falls back to the process). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** Resolves when `child` has exited (at once when it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
}
