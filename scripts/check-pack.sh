#!/usr/bin/env bash
# Packs the library, installs the tarball into a scratch project and imports it
# from plain Node ESM: proves `exports`, types and runtime dependencies are right.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$root"
npm run build --silent
tarball=$(npm pack --silent --pack-destination "$scratch" | tail -n 1)
cd "$scratch"
npm init -y >/dev/null
npm install --silent --no-audit --no-fund "$scratch/$tarball" >/dev/null
cat > check.mjs <<'JS'
import { MostlyCorrectOwner, MemoryStore } from 'mostly-correct-owner';
const owners = new MostlyCorrectOwner({ store: new MemoryStore(), prefix: 'p', acquireInterval: 10, refreshInterval: 40 });
const o = await owners.own('packed', 'k');
await o.release();
console.log(`pack check: imported from the tarball, owned and released as ${o.owner}`);
JS
node check.mjs
test -f node_modules/mostly-correct-owner/dist/src/index.d.ts
