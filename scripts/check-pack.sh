#!/usr/bin/env bash
# Packs both packages, lints each tarball (publint, and arethetypeswrong for
# the types under every resolution mode) and installs each into a scratch
# project, as a user would: proves `exports`, types, the bin and the runtime
# dependencies.
# - the library (root): imported from ESM and required from CommonJS, without
#   the optional peers (ioredis, pg); the
#   `/redis` and `/postgres` entries once they are installed; its install must
#   pull at most MAX_DEPS packages besides itself and take at most MAX_KB;
# - the simulator (sim/): `mco list`, `mco run healthy`, `mco --version` from a scratch
#   directory, with the scenario library it ships.
set -euo pipefail
MAX_DEPS=3
MAX_KB=3072
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$root"
npm run build --silent
lib_tgz=$scratch/$(npm pack --silent --ignore-scripts --pack-destination "$scratch" | tail -n 1)
sim_tgz=$scratch/$(npm pack --silent -w mostly-correct-owner-sim --pack-destination "$scratch" 2>/dev/null | tail -n 1)
for tgz in "$lib_tgz" "$sim_tgz"; do
  npx --no-install publint --strict "$tgz" | tail -n 1
  npx --no-install attw "$tgz" --format ascii --quiet || { echo "pack check: attw found problems in $(basename "$tgz")" >&2; npx --no-install attw "$tgz" >&2 || true; exit 1; }
done
echo "pack check: publint and attw clean on $(basename "$lib_tgz") and $(basename "$sim_tgz")"
typescript_dir=$root/node_modules/typescript
types_node_version=$(node -p 'require("./node_modules/@types/node/package.json").version')
ioredis_version=$(node -p 'require("./node_modules/ioredis/package.json").version')
pg_version=$(node -p 'require("./node_modules/pg/package.json").version')

# --- the library -----------------------------------------------------------
mkdir "$scratch/lib" && cd "$scratch/lib"
npm init -y >/dev/null
npm install --silent --no-audit --no-fund "$lib_tgz" >/dev/null
for peer in ioredis pg; do
  if [ -e "node_modules/$peer" ]; then echo "pack check: optional peer $peer was installed with the package" >&2; exit 1; fi
done
deps=$(npm ls --all --parseable | tail -n +2 | grep -vc '/node_modules/mostly-correct-owner$' || true)
# bytes of the installed files (what npm calls the unpacked size), not disk blocks
kb=$(du -sk --apparent-size node_modules | cut -f1)
echo "pack check: library install pulls $deps package(s) besides itself ($(npm ls --all --parseable | tail -n +2 | sed 's#.*/node_modules/##' | grep -v '^mostly-correct-owner$' | paste -sd, -)), ${kb} KB of files in node_modules, $(du -sk node_modules | cut -f1) KB on disk (limits: $MAX_DEPS packages, $MAX_KB KB)"
if [ "$deps" -gt "$MAX_DEPS" ]; then echo "pack check: the library pulls $deps packages (> $MAX_DEPS)" >&2; exit 1; fi
if [ "$kb" -gt "$MAX_KB" ]; then echo "pack check: the library's install is ${kb} KB (> $MAX_KB KB)" >&2; exit 1; fi
cat > check.mjs <<'JS'
import { MostlyCorrectOwner, MemoryStore } from 'mostly-correct-owner';
const owners = new MostlyCorrectOwner({ store: new MemoryStore(), prefix: 'p', acquireInterval: 10, refreshInterval: 40 });
const o = await owners.own('packed', 'k');
await o.release();
console.log(`pack check: ESM import from the tarball without ioredis/pg, owned and released as ${o.owner}`);
JS
node check.mjs
cat > check.cjs <<'JS'
const { MostlyCorrectOwner, MemoryStore, OwnerClosedError } = require('mostly-correct-owner');
(async () => {
  const owners = new MostlyCorrectOwner({ store: new MemoryStore(), prefix: 'p', acquireInterval: 10, refreshInterval: 40 });
  const o = await owners.own('packed', 'k');
  await o.release();
  await owners.close();
  const closed = await owners.own('packed', 'k').then(() => 'owned', (err) => err instanceof OwnerClosedError);
  if (closed !== true) throw new Error(`expected OwnerClosedError after close(), got ${closed}`);
  console.log(`pack check: CommonJS require from the tarball, owned and released as ${o.owner}`);
})().catch((err) => { console.error(err); process.exit(1); });
JS
node check.cjs
# the types a TypeScript user on Node gets, under both module kinds
npm install --silent --no-audit --no-fund "@types/node@$types_node_version" >/dev/null
cat > use-esm.mts <<'TS'
import { MostlyCorrectOwner, MemoryStore, type Ownership } from 'mostly-correct-owner';
const owners = new MostlyCorrectOwner({ store: new MemoryStore(), prefix: 'p', acquireInterval: 10, refreshInterval: 40 });
const o: Ownership = await owners.own('me', 'k');
export const id: string = o.owner;
TS
cat > use-cjs.cts <<'TS'
import { MostlyCorrectOwner, MemoryStore, type Ownership } from 'mostly-correct-owner';
export async function f(): Promise<string> {
  const o: Ownership = await new MostlyCorrectOwner({ store: new MemoryStore(), prefix: 'p', acquireInterval: 10, refreshInterval: 40 }).own('me', 'k');
  return o.owner;
}
TS
cat > tsconfig.json <<'JSON'
{ "compilerOptions": { "noEmit": true, "strict": true, "module": "nodenext", "moduleResolution": "nodenext", "target": "es2022", "lib": ["es2023", "esnext.disposable"], "types": ["node"] }, "files": ["use-esm.mts", "use-cjs.cts"] }
JSON
node "$typescript_dir/bin/tsc" -p tsconfig.json
echo "pack check: types resolve for ESM (.mts) and CommonJS (.cts) consumers under nodenext"

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
node -e "require('mostly-correct-owner/redis'); require('mostly-correct-owner/postgres'); console.log('pack check: /redis and /postgres entries require from CommonJS')"

# --- the simulator and mco -------------------------------------------------
mkdir "$scratch/cli" && cd "$scratch/cli"
npm init -y >/dev/null
npm install --silent --no-audit --no-fund "$lib_tgz" "$sim_tgz" >/dev/null
mkdir elsewhere && cd elsewhere
npx --no-install mco list >list.txt
grep -q '^healthy ' list.txt || { echo "pack check: mco list shows no healthy scenario" >&2; cat list.txt >&2; exit 1; }
npx --no-install mco run healthy --seeds 5 >run.txt 2>/dev/null
grep -q '^healthy ' run.txt || { echo "pack check: mco run healthy printed no summary row" >&2; cat run.txt >&2; exit 1; }
version=$(npx --no-install mco --version)
expected="$(node -p 'require("'"$root"'/sim/package.json").version') (mostly-correct-owner $(node -p 'require("'"$root"'/package.json").version'))"
[ "$version" = "$expected" ] || { echo "pack check: mco --version printed '$version', expected '$expected'" >&2; exit 1; }
echo "pack check: installed mco --version: $version"
echo "pack check: installed mco lists $(wc -l <list.txt) bundled scenarios and runs healthy from $(pwd)"
