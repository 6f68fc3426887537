/**
 * The store server of `mco live`: a throwaway `redis-server` or PostgreSQL on
 * a free loopback port with its own temporary directory (as the tests start
 * them, test/helpers/servers.ts), but in the foreground under the
 * coordinator's {@link ChildSet}, so it dies with the coordinator; or an
 * existing server from `REDIS_URL` / `DATABASE_URL`.
 */
import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { exited, type ChildSet } from './processes.js';

const execFileAsync = promisify(execFile);

/** A store server for live runs. */
export interface LiveServer {
  kind: 'redis' | 'postgres';
  url: string;
  host: string;
  port: number;
  /** e.g. `redis 7.0.15`, `postgresql 15.18`. */
  version: string;
  /** Called when a server this coordinator started exits before `stop()`. */
  onCrash(fn: (why: string) => void): void;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

function findBinary(name: string, dirs: readonly string[] = []): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':').filter((d) => d !== ''), ...dirs]) if (existsSync(join(dir, name))) return join(dir, name);
  return undefined;
}

const pgDirs = (): string[] =>
  existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql')
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
        .map((v) => join('/usr/lib/postgresql', v, 'bin'))
    : [];

/** Sends `text` to host:port and resolves with the first reply chunk ('' on error or timeout). */
function ask(host: string, port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const s = createConnection({ host, port });
    s.setTimeout(1000);
    s.once('connect', () => s.write(text));
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString();
      if (got.endsWith('\r\n') && (!got.startsWith('$') || got.split('\r\n').length > 2)) {
        s.destroy();
        resolve(got);
      }
    });
    s.once('error', () => resolve(''));
    s.once('timeout', () => {
      s.destroy();
      resolve(got);
    });
  });
}

async function redisVersion(host: string, port: number): Promise<string> {
  const info = await ask(host, port, 'INFO server\r\n');
  return `redis ${/redis_version:([^\r\n]+)/.exec(info)?.[1] ?? '?'}`;
}

function crashWatch(child: ChildProcess, name: string, stopping: () => boolean): (fn: (why: string) => void) => void {
  const listeners: ((why: string) => void)[] = [];
  child.once('exit', (code, signal) => {
    if (!stopping()) for (const l of listeners) l(`${name} exited (${signal ?? `code ${code}`}) during the run`);
  });
  return (fn) => listeners.push(fn);
}

/** Starts a throwaway redis-server (no persistence) under `children`. */
export async function startRedis(children: ChildSet): Promise<LiveServer> {
  const binary = findBinary('redis-server');
  if (binary === undefined) throw new Error('redis-server not found; install it: apt-get install -y redis-server (or set REDIS_URL)');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mco-live-redis-'));
  const child = children.spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'], { stdio: 'ignore' });
  let stopping = false;
  const stop = async (): Promise<void> => {
    stopping = true;
    child.kill('SIGKILL');
    await exited(child);
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    if ((await ask('127.0.0.1', port, 'PING\r\n')).startsWith('+PONG')) break;
    if (i > 200 || child.exitCode !== null) {
      await stop();
      throw new Error(`redis-server on port ${port} did not answer PING`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { kind: 'redis', url: `redis://127.0.0.1:${port}`, host: '127.0.0.1', port, version: await redisVersion('127.0.0.1', port), onCrash: crashWatch(child, 'redis-server', () => stopping), stop };
}

/** As root, the user to run PostgreSQL as. */
function postgresUser(): { user: string; uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  for (const user of ['postgres', 'nobody']) {
    try {
      const id = (flag: string): number => Number(execFileSync('id', [flag, user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      return { user, uid: id('-u'), gid: id('-g') };
    } catch {
      // next
    }
  }
  throw new Error('running as root and neither a "postgres" nor a "nobody" user exists to run PostgreSQL as');
}

/** Starts a throwaway PostgreSQL (durability off) in the foreground under `children`, with lakeFS's kv table. */
export async function startPostgres(children: ChildSet): Promise<LiveServer> {
  const initdb = findBinary('initdb', pgDirs());
  const postgres = findBinary('postgres', pgDirs());
  if (initdb === undefined || postgres === undefined) throw new Error('initdb/postgres not found; install them: apt-get install -y postgresql (or set DATABASE_URL)');
  const as = postgresUser();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mco-live-pg-'));
  if (as !== undefined) chownSync(dir, as.uid, as.gid);
  const data = join(dir, 'data');
  const initArgs = ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '--no-instructions', '-E', 'UTF8', '--locale=C'];
  await (as === undefined ? execFileAsync(initdb, initArgs) : execFileAsync('runuser', ['-u', as.user, '--', initdb, ...initArgs]));
  const settings = ['listen_addresses=127.0.0.1', 'fsync=off', 'synchronous_commit=off', 'full_page_writes=off', 'max_connections=300'];
  const child = children.spawn(postgres, ['-D', data, '-p', String(port), '-k', dir, ...settings.flatMap((s) => ['-c', s])], {
    stdio: 'ignore',
    ...(as === undefined ? {} : { as: { uid: as.uid, gid: as.gid } }),
  });
  let stopping = false;
  const stop = async (): Promise<void> => {
    stopping = true;
    child.kill('SIGQUIT'); // immediate shutdown: the backends go too
    await exited(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  try {
    const version = await preparePostgres(url, () => child.exitCode !== null);
    return { kind: 'postgres', url, host: '127.0.0.1', port, version, onCrash: crashWatch(child, 'postgres', () => stopping), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Waits for the server, creates lakeFS's kv table (once, before nodes race to), returns its version. */
export async function preparePostgres(url: string, dead: () => boolean = () => false): Promise<string> {
  const { default: pg } = await import('pg');
  for (let i = 0; ; i++) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      const { PostgresStore } = await import('mostly-correct-owner/postgres');
      const store = new PostgresStore({ connectionString: url, createTable: true });
      await store.get('mc-live-warmup', new Uint8Array([0]));
      await store.close();
      const r = await client.query<{ server_version: string }>('SHOW server_version');
      return `postgresql ${r.rows[0]?.server_version ?? '?'}`;
    } catch (err) {
      if (i > 200 || dead()) throw new Error(`PostgreSQL at ${url} is not answering: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      await client.end().catch(() => {});
    }
  }
}

/** An existing server from REDIS_URL / DATABASE_URL. */
export async function existingServer(kind: 'redis' | 'postgres', url: string): Promise<LiveServer> {
  const u = new URL(url);
  const host = u.hostname;
  const port = Number(u.port || (kind === 'redis' ? 6379 : 5432));
  const version = kind === 'redis' ? await redisVersion(host, port) : await preparePostgres(url);
  return { kind, url, host, port, version, onCrash: () => {}, stop: async () => {} };
}
