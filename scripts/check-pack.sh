#!/usr/bin/env bash
# Packs the library, installs the tarball into a scratch project and imports it
# from plain Node ESM: proves `exports`, types and runtime dependencies are right.
# The main entry must work without the optional peers (ioredis, pg); the
# `/redis` and `/postgres` entries once they are installed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$root"
npm run build --silent
tarball=$(npm pack --silent --pack-destination "$scratch" | tail -n 1)
ioredis_version=$(node -p 'require("./node_modules/ioredis/package.json").version')
pg_version=$(node -p 'require("./node_modules/pg/package.json").version')
cd "$scratch"
npm init -y >/dev/null
npm install --silent --no-audit --no-fund "$scratch/$tarball" >/dev/null
for peer in ioredis pg; do
  if [ -e "node_modules/$peer" ]; then echo "pack check: optional peer $peer was installed with the package" >&2; exit 1; fi
done
cat > check.mjs <<'JS'
import { MostlyCorrectOwner, MemoryStore } from 'mostly-correct-owner';
const owners = new MostlyCorrectOwner({ store: new MemoryStore(), prefix: 'p', acquireInterval: 10, refreshInterval: 40 });
const o = await owners.own('packed', 'k');
await o.release();
console.log(`pack check: imported from the tarball without ioredis/pg, owned and released as ${o.owner}`);
JS
node check.mjs
test -f node_modules/mostly-correct-owner/dist/src/index.d.ts

npm install --silent --no-audit --no-fund "ioredis@$ioredis_version" "pg@$pg_version" >/dev/null
cat > check-stores.mjs <<'JS'
import { RedisStore } from 'mostly-correct-owner/redis';
import { PostgresStore } from 'mostly-correct-owner/postgres';
const redis = new RedisStore({ url: 'redis://127.0.0.1:1', redisOptions: { lazyConnect: true } });
await redis.close();
const postgres = new PostgresStore({ connectionString: 'postgres://u:p@127.0.0.1:1/db' });
await postgres.close();
console.log(`pack check: /redis and /postgres entries load (${redis.address}, ${postgres.address})`);
JS
node check-stores.mjs
test -f node_modules/mostly-correct-owner/dist/src/redis.d.ts
test -f node_modules/mostly-correct-owner/dist/src/postgres.d.ts
