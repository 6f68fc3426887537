#!/usr/bin/env bash
# Engine equivalence, as CI runs it: the whole scenario library on both
# simulation engines (reference: setImmediate after every event; fast: exact
# quiescence from Node's queue order), the same seeds, and the reports must be
# identical apart from wall time and the provenance's engine and environment — above all the trace hash of every scenario,
# which folds in the hash of every seed's event trace.
# Usage: scripts/check-engines.sh [seeds]   (default 10; uses the built sim/dist/)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seeds=${1:-10}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$root"
npm run build --silent
for engine in reference fast; do
  node sim/dist/mco.js run scenarios --seeds "$seeds" --engine "$engine" --workers 2 --json "$out/$engine.json" >/dev/null
done
node - "$out/reference.json" "$out/fast.json" <<'JS'
const fs = require('node:fs');
const [ref, fast] = process.argv.slice(2).map((f) => JSON.parse(fs.readFileSync(f, 'utf8')).reports);
// wall time, and in the provenance the engine's name and where/when it ran, differ by design
const strip = ({ wallMs, provenance, ...rest }) => {
  const { engine, environment, ...what } = provenance ?? {};
  return JSON.stringify({ ...rest, provenance: what });
};
let bad = 0;
if (ref.length !== fast.length) { console.error(`engines: ${ref.length} vs ${fast.length} reports`); process.exit(1); }
for (let i = 0; i < ref.length; i++) {
  const same = strip(ref[i]) === strip(fast[i]);
  console.log(`${same ? 'same' : 'DIFF'}  ${ref[i].scenario.padEnd(18)} trace ${ref[i].traceHash} / ${fast[i].traceHash}  ${ref[i].events} events`);
  if (!same) bad++;
}
if (bad > 0) { console.error(`engine equivalence: ${bad} scenario(s) differ between the reference and the fast engine`); process.exit(1); }
console.log(`engine equivalence: ${ref.length} scenarios, identical reports and trace hashes on both engines`);
JS
