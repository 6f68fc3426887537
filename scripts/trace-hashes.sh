#!/usr/bin/env bash
# The refactoring invariant: the simulator's trace hash of every scenario of the
# library under each bundled strategy, one line each ("<scenario> <strategy> <hash>").
# Two builds whose lines are equal ran the production code through the same
# events in the same order. Usage: scripts/trace-hashes.sh [seeds] (default 12;
# builds dist/ and sim/dist/ first).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seeds=${1:-12}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$root"
npm run build --silent
node sim/dist/mco.js compare scenarios --strategies lakefs,fixed,observed --seeds "$seeds" --json "$out/compare.json" >/dev/null 2>&1
node -e '
const { rows } = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
for (const r of rows) console.log(`${r.scenario} ${r.strategy} ${r.report.traceHash}`);
' "$out/compare.json"
