/**
 * Architecture rules that keep production code simulatable:
 * - nothing in src/ reads global time, timers or randomness except the default
 *   clock (src/clock.ts) and random source (src/random.ts);
 * - src/ never imports sim/ or test/.
 * Checked on the TypeScript AST, so comments and strings do not count.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');
const ALLOWED = new Set(['src/clock.ts', 'src/random.ts']);
const FORBIDDEN_GLOBALS = new Set(['Date', 'setTimeout', 'setInterval', 'setImmediate', 'performance', 'crypto', 'queueMicrotask']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? (d.name === 'gen' ? [] : sourceFiles(join(dir, d.name))) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
}

/** Every use of a forbidden global or module in `code`, as "name@line". */
export function forbiddenUses(fileName: string, code: string): string[] {
  const sf = ts.createSourceFile(fileName, code, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const at = (n: ts.Node): number => sf.getLineAndCharacterOfPosition(n.getStart()).line + 1;
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && FORBIDDEN_GLOBALS.has(node.text)) {
      const parent = node.parent;
      const isPropertyName =
        (ts.isPropertyAccessExpression(parent) && parent.name === node) ||
        (ts.isPropertyAssignment(parent) && parent.name === node) ||
        ts.isPropertySignature(parent) ||
        ts.isMethodDeclaration(parent);
      if (!isPropertyName) found.push(`${node.text}@${at(node)}`);
    }
    if (ts.isPropertyAccessExpression(node) && node.getText(sf).replace(/\s/g, '') === 'Math.random') found.push(`Math.random@${at(node)}`);
    if (ts.isPropertyAccessExpression(node) && /^(globalThis|process)\.(hrtime|nextTick|Date|setTimeout|performance)/.test(node.getText(sf)))
      found.push(`${node.getText(sf)}@${at(node)}`);
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const m = node.moduleSpecifier.text;
      if (/^(node:)?(timers|crypto|perf_hooks)(\/|$)/.test(m)) found.push(`import ${m}@${at(node)}`);
      if (/(^|\/)(sim|test)(\/|$)/.test(m)) found.push(`import ${m}@${at(node)}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

describe('architecture', () => {
  const files = sourceFiles(SRC);

  it('finds the source files it is supposed to check', () => {
    expect(files.length).toBeGreaterThan(8);
  });

  it('src/ reads time and randomness only through the injected clock and random source', () => {
    const offenders = files
      .map((f) => relative(ROOT, f))
      .filter((f) => !ALLOWED.has(f))
      .flatMap((f) => forbiddenUses(f, readFileSync(join(ROOT, f), 'utf8')).map((u) => `${f}: ${u}`));
    expect(offenders).toEqual([]);
  });

  it('the checker itself catches each forbidden use (it can fail)', () => {
    const samples = [
      'const t = Date.now();',
      'new Date();',
      'setTimeout(() => {}, 1);',
      'setInterval(f, 5);',
      'performance.now();',
      'Math.random();',
      'crypto.getRandomValues(b);',
      "import { setTimeout as s } from 'node:timers/promises';",
      "import { randomBytes } from 'node:crypto';",
      "import { x } from '../sim/engine.js';",
      'globalThis.setTimeout(f);',
    ];
    for (const code of samples) expect(forbiddenUses('x.ts', code), code).not.toEqual([]);
    expect(forbiddenUses('x.ts', '// Date.now() in a comment\nconst s = "setTimeout"; const o = { performance: 1 }; o.performance;')).toEqual([]);
  });

  it('the default clock and random source are where the globals are', () => {
    expect(forbiddenUses('src/clock.ts', readFileSync(join(SRC, 'clock.ts'), 'utf8'))).not.toEqual([]);
    expect(forbiddenUses('src/random.ts', readFileSync(join(SRC, 'random.ts'), 'utf8'))).not.toEqual([]);
  });
});
