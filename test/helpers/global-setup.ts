/**
 * vitest globalSetup: gives the test files a Redis and a PostgreSQL to talk to.
 *
 * - `REDIS_URL` / `DATABASE_URL` set: those servers are used as they are.
 * - otherwise a throwaway `redis-server` and PostgreSQL are started (free port,
 *   temp data dir, nothing persisted) and stopped when the run ends, also when
 *   it fails.
 * - binaries missing: under `CI=true` the run fails with the line that installs
 *   them; elsewhere the real-server tests are skipped with a loud message.
 */
import type { TestProject } from 'vitest/node';
import { INSTALL_HINT, missingServerBinaries, startPostgres, startRedis, type ThrowawayServer } from './servers.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Redis URL for real-server tests, or null when they must skip. */
    redisUrl: string | null;
    /** PostgreSQL URL for real-server tests, or null when they must skip. */
    databaseUrl: string | null;
    /** True when `redisUrl` is a throwaway server started by this setup. */
    redisIsThrowaway: boolean;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started: ThrowawayServer[] = [];
  const teardown = async (): Promise<void> => {
    await Promise.allSettled(started.map((s) => s.stop()));
  };
  const envRedis = process.env.REDIS_URL || undefined;
  const envDatabase = process.env.DATABASE_URL || undefined;
  const missing = missingServerBinaries().filter((b) =>
    b === 'redis-server' ? envRedis === undefined : envDatabase === undefined,
  );
  if (missing.length > 0) {
    const message = `real-server tests need ${missing.join(', ')}; install with: ${INSTALL_HINT} (or set REDIS_URL / DATABASE_URL)`;
    if (process.env.CI === 'true') throw new Error(message);
    console.warn(`\n${'!'.repeat(100)}\n!!! SKIPPING REAL-SERVER TESTS: ${message}\n${'!'.repeat(100)}\n`);
  }
  const [redisResult, postgresResult] = await Promise.allSettled([
    envRedis !== undefined || missing.includes('redis-server') ? undefined : startRedis(),
    envDatabase !== undefined || missing.some((m) => m.includes('postgresql')) ? undefined : startPostgres(),
  ]);
  for (const r of [redisResult, postgresResult]) if (r.status === 'fulfilled' && r.value !== undefined) started.push(r.value);
  for (const r of [redisResult, postgresResult]) {
    if (r.status === 'rejected') {
      await teardown();
      throw r.reason;
    }
  }
  const redis = redisResult.status === 'fulfilled' ? redisResult.value : undefined;
  const postgres = postgresResult.status === 'fulfilled' ? postgresResult.value : undefined;
  project.provide('redisUrl', envRedis ?? redis?.url ?? null);
  project.provide('databaseUrl', envDatabase ?? postgres?.url ?? null);
  project.provide('redisIsThrowaway', envRedis === undefined && redis !== undefined);
  return teardown;
}
