/**
 * src/gen/ is generated from proto/ by `npm run generate` and committed.
 * Regenerating into a scratch directory must reproduce it byte for byte.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

describe('generated protobuf code', () => {
  it('is what `npm run generate` produces from proto/', () => {
    const out = mkdtempSync(join(tmpdir(), 'mco-gen-'));
    try {
      const template = readFileSync(join(ROOT, 'buf.gen.yaml'), 'utf8').replace('out: src/gen', `out: ${out}`);
      const templatePath = join(out, 'buf.gen.yaml');
      writeFileSync(templatePath, template);
      execFileSync(join(ROOT, 'node_modules/.bin/buf'), ['generate', '--template', templatePath], {
        cwd: ROOT,
        stdio: 'pipe',
        env: { ...process.env, PATH: `${join(ROOT, 'node_modules/.bin')}:${process.env.PATH ?? ''}` },
      });
      const committed = readdirSync(join(ROOT, 'src/gen')).sort();
      const fresh = readdirSync(out).filter((f) => f.endsWith('.ts')).sort();
      expect(fresh).toEqual(committed);
      for (const f of committed) {
        expect(readFileSync(join(out, f), 'utf8'), `src/gen/${f} differs from a fresh generation: run npm run generate`).toBe(
          readFileSync(join(ROOT, 'src/gen', f), 'utf8'),
        );
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
