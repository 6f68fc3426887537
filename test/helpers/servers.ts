/**
 * Throwaway Redis and PostgreSQL servers for tests and benchmarks: each on a
 * free loopback port with its own temporary data directory, nothing
 * persisted, stopped (and its directory removed) by `stop()`.
 *
 * PostgreSQL's `initdb` refuses to run as root; as root we run `initdb` and
 * `pg_ctl` through `runuser -u postgres` (or `nobody` when there is no
 * `postgres` user) and hand the data directory to that user.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chownSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The line that installs what these helpers need (Debian/Ubuntu). */
export const INSTALL_HINT = 'apt-get install -y redis-server postgresql';

/** A running throwaway server. */
export interface ThrowawayServer {
  /** Connection URL on 127.0.0.1. */
  readonly url: string;
  readonly port: number;
  /** Stops the server and removes its data directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (free when asked; good enough for tests). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Absolute path of `name` on PATH or in one of `dirs`, or undefined. */
export function findBinary(name: string, dirs: readonly string[] = []): string | undefined {
  const path = (process.env.PATH ?? '').split(':').filter((d) => d !== '');
  for (const dir of [...path, ...dirs]) {
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Where Debian puts PostgreSQL's server binaries, newest version first. */
function postgresBinDirs(): string[] {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => join(root, v, 'bin'));
}

export const redisServerBinary = (): string | undefined => findBinary('redis-server');
const pgBinary = (name: string): string | undefined => findBinary(name, postgresBinDirs());

/** The binaries that are missing for {@link startRedis} and {@link startPostgres}. */
export function missingServerBinaries(): string[] {
  const missing: string[] = [];
  if (redisServerBinary() === undefined) missing.push('redis-server');
  for (const b of ['initdb', 'pg_ctl']) if (pgBinary(b) === undefined) missing.push(`${b} (postgresql)`);
  return missing;
}

/** Resolves once `port` answers a Redis PING, rejects after `timeoutMs`. */
async function waitForRedis(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode} before it was ready`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.setTimeout(500);
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (d) => {
        socket.destroy();
        resolve(d.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Starts `redis-server` on `port` (default: a free one) with no persistence
 * (`--save '' --appendonly no`): a restart loses every key.
 */
export async function startRedis(options: { port?: number } = {}): Promise<ThrowawayServer> {
  const binary = redisServerBinary();
  if (binary === undefined) throw new Error(`redis-server not found; install it: ${INSTALL_HINT}`);
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'mco-redis-'));
  const child = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForRedis(port, child, 10_000);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
  return { url: `redis://127.0.0.1:${port}`, port, stop };
}

/** As root, the unprivileged user to run PostgreSQL as; otherwise undefined (run as ourselves). */
function postgresRunAs(): { user: string; uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  for (const user of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      return { user, uid, gid };
    } catch {
      // try the next one
    }
  }
  throw new Error('running as root and neither a "postgres" nor a "nobody" user exists to run initdb as');
}

/**
 * Starts a throwaway PostgreSQL: `initdb` into a temp directory (trust auth,
 * superuser `postgres`) and `pg_ctl start` on a free port, durability off.
 * `settings` adds server settings (`-c name=value`), e.g.
 * `{ shared_preload_libraries: 'pg_stat_statements' }`.
 */
export async function startPostgres(options: { settings?: Record<string, string> } = {}): Promise<ThrowawayServer> {
  const initdb = pgBinary('initdb');
  const pgCtl = pgBinary('pg_ctl');
  if (initdb === undefined || pgCtl === undefined) throw new Error(`initdb/pg_ctl not found; install them: ${INSTALL_HINT}`);
  const runAs = postgresRunAs();
  const as = (cmd: string, args: string[]): [string, string[]] =>
    runAs === undefined ? [cmd, args] : ['runuser', ['-u', runAs.user, '--', cmd, ...args]];
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mco-pg-'));
  if (runAs !== undefined) chownSync(dir, runAs.uid, runAs.gid);
  const data = join(dir, 'data');
  const run = async (cmd: string, args: string[]): Promise<void> => {
    const [c, a] = as(cmd, args);
    try {
      await execFileAsync(c, a, { timeout: 60_000 });
    } catch (err) {
      const e = err as Error & { stdout?: string; stderr?: string };
      throw new Error(`${[c, ...a].join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
    }
  };
  let started = false;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (started) await run(pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await run(initdb, ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '--no-instructions', '-E', 'UTF8', '--locale=C']);
    const serverOptions = [
      `-p ${port}`,
      `-k ${dir}`,
      '-c listen_addresses=127.0.0.1',
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=200',
      ...Object.entries(options.settings ?? {}).map(([name, value]) => `-c ${name}=${value}`),
    ].join(' ');
    started = true;
    await run(pgCtl, ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', serverOptions, 'start']);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, stop };
}
