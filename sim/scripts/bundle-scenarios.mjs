// Copies the scenario library (../scenarios/*.yaml, the repository's one copy)
// into dist/scenarios, so that the packed CLI ships it: `mco list` and
// `mco run healthy` work from any directory once installed.
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';

const from = new URL('../../scenarios/', import.meta.url);
const to = new URL('../dist/scenarios/', import.meta.url);
rmSync(to, { recursive: true, force: true });
mkdirSync(to, { recursive: true });
const files = readdirSync(from).filter((f) => f.endsWith('.yaml'));
for (const f of files) cpSync(new URL(f, from), new URL(f, to));
process.stderr.write(`sim build: ${files.length} scenarios bundled into dist/scenarios\n`);
