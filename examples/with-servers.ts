// Runs examples/redis.ts and examples/postgres.ts against throwaway servers,
// the same ones the tests start (test/helpers/servers.ts): a free port, a temp
// data directory, stopped at the end. Uses REDIS_URL / DATABASE_URL instead
// when they are set. Run: npm run example:stores
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startPostgres, startRedis, type ThrowawayServer } from '../test/helpers/servers.js';

const started: ThrowawayServer[] = [];
async function url(envName: 'REDIS_URL' | 'DATABASE_URL', start: () => Promise<ThrowawayServer>): Promise<string> {
  const given = process.env[envName];
  if (given) return given;
  const server = await start();
  started.push(server);
  return server.url;
}

let failed = false;
try {
  const env = { ...process.env, REDIS_URL: await url('REDIS_URL', () => startRedis()), DATABASE_URL: await url('DATABASE_URL', () => startPostgres()) };
  for (const example of ['redis.ts', 'postgres.ts']) {
    const file = fileURLToPath(new URL(example, import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', file], { env, stdio: 'inherit', timeout: 60_000 });
    if (r.status !== 0) {
      console.error(`example ${example} failed (exit ${r.status ?? r.signal})`);
      failed = true;
    }
  }
} finally {
  await Promise.allSettled(started.map((s) => s.stop()));
}
process.exitCode = failed ? 1 : 0;
