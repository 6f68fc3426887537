// Marks dist/cjs as CommonJS: the root package is "type": "module", so without
// this package.json Node (and TypeScript) would read dist/cjs/*.js as ESM.
import { writeFileSync } from 'node:fs';

writeFileSync(new URL('../dist/cjs/package.json', import.meta.url), '{"type":"commonjs"}\n');
