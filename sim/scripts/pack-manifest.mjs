// In the repository the simulator depends on the library beside it
// (`"mostly-correct-owner": "file:.."`, a workspace link). A published package
// must name a version instead: `pack` rewrites the dependency to `^<library
// version>` for the tarball (npm runs it as `prepack`) and `restore` puts the
// link back (`postpack`). The original is kept in package.json.orig meanwhile.
import { copyFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const manifest = new URL('../package.json', import.meta.url);
const backup = new URL('../package.json.orig', import.meta.url);
const mode = process.argv[2];
if (mode === 'pack') {
  if (existsSync(backup)) throw new Error('sim pack: package.json.orig exists: a previous pack did not restore; run `node scripts/pack-manifest.mjs restore`');
  const library = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
  copyFileSync(manifest, backup);
  pkg.dependencies[library.name] = `^${library.version}`;
  writeFileSync(manifest, `${JSON.stringify(pkg, null, 2)}\n`);
} else if (mode === 'restore') {
  if (existsSync(backup)) renameSync(backup, manifest);
} else {
  throw new Error('usage: pack-manifest.mjs pack|restore');
}
