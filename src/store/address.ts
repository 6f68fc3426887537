/**
 * How stores name their server in errors and logs: a URL with any password
 * replaced by `***`. A password must never reach a message, a log line or an
 * error's fields, also not through the text of an underlying error.
 */
import type { PoolConfig } from 'pg';

/** The redaction mark that replaces passwords. */
export const REDACTED = '***';

/**
 * `url` with its password replaced by `***` (`redis://:***@host:6379/0`).
 * Text that does not parse as a URL is not echoed (it may hold a password):
 * it is described as `<unparseable <scheme> address>`.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1] ?? 'store';
    return `<unparseable ${scheme} address>`;
  }
  if (parsed.password !== '') parsed.password = REDACTED;
  // Query parameters may carry credentials too (e.g. `?password=…`).
  for (const name of [...parsed.searchParams.keys()]) {
    if (/pass|secret|token|key/i.test(name)) parsed.searchParams.set(name, REDACTED);
  }
  return parsed.toString();
}

/** `text` with every occurrence of each non-empty secret replaced by `***`. */
export function scrubSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret !== undefined && secret !== '') out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** The password inside a URL, decoded; `undefined` when there is none or it does not parse. */
export function urlPassword(url: string): string | undefined {
  try {
    const password = new URL(url).password;
    return password === '' ? undefined : decodeURIComponent(password);
  } catch {
    return undefined;
  }
}

/** The message of an unknown thrown value. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

interface ConnectionOptionsLike {
  host?: unknown;
  port?: unknown;
  path?: unknown;
  db?: unknown;
  username?: unknown;
  password?: unknown;
  tls?: unknown;
}

/** A URL naming the server an ioredis client talks to, built from its options; a password shows only as `***`. */
export function describeRedisClient(client: unknown): string {
  const c = client as {
    isCluster?: unknown;
    options?: ConnectionOptionsLike & { redisOptions?: ConnectionOptionsLike };
    startupNodes?: unknown;
  };
  if (c.isCluster === true && Array.isArray(c.startupNodes)) {
    const nodes = (c.startupNodes as unknown[]).map((n) =>
      typeof n === 'string' ? n : typeof n === 'number' ? `localhost:${n}` : hostPort(n as ConnectionOptionsLike),
    );
    const auth = c.options?.redisOptions?.password ? ':***@' : '';
    return `redis-cluster://${auth}${nodes.join(',')}`;
  }
  const o = c.options;
  if (o === undefined) return 'redis://<given client>';
  const scheme = o.tls ? 'rediss' : 'redis';
  const user = typeof o.username === 'string' ? o.username : '';
  const auth = o.password ? `${user}:***@` : user !== '' ? `${user}@` : '';
  if (typeof o.path === 'string' && o.path !== '') return `${scheme}+unix://${auth}${o.path}`;
  return `${scheme}://${auth}${hostPort(o)}/${typeof o.db === 'number' ? o.db : 0}`;
}

function hostPort(o: ConnectionOptionsLike): string {
  const host = typeof o.host === 'string' ? o.host : 'localhost';
  const port = typeof o.port === 'number' || typeof o.port === 'string' ? o.port : 6379;
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export function redisClientPassword(client: unknown): string | undefined {
  const o = (client as { options?: { password?: unknown; redisOptions?: { password?: unknown } } }).options;
  const p = o?.password ?? o?.redisOptions?.password;
  return typeof p === 'string' ? p : undefined;
}

/** A URL naming the server of a pool config (connection string wins, as in pg). */
export function describePoolConfig(config: PoolConfig | undefined): string {
  if (config?.connectionString) return config.connectionString;
  const user = config?.user ?? process.env.PGUSER ?? '';
  const password = config?.password !== undefined && config.password !== '' ? ':***' : '';
  const host = config?.host ?? process.env.PGHOST ?? 'localhost';
  const port = config?.port ?? process.env.PGPORT ?? 5432;
  const database = config?.database ?? process.env.PGDATABASE ?? user;
  const auth = user !== '' || password !== '' ? `${encodeURIComponent(user)}${password}@` : '';
  const hostPart = host.startsWith('/') ? encodeURIComponent(host) : host;
  return `postgres://${auth}${hostPart}:${port}/${database}`;
}
