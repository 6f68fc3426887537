/**
 * Architecture rules that keep production code simulatable and auditable:
 * - nothing in src/ reads global time, timers or randomness except the default
 *   clock (src/clock.ts) and random source (src/random.ts);
 * - src/ never imports sim/ or test/;
 * - src/ has no import cycles (type-only imports count: a reader follows them too);
 * - no module-level mutable state (top-level `let`/`var`, or a top-level
 *   Map/Set/array/object that is not frozen) outside the default clock and
 *   random source, and no file over 400 lines (generated code aside).
 * Checked on the TypeScript AST, so comments and strings do not count.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
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

/** The relative imports (type-only included) of `code`, resolved to .ts paths under `dir`. */
export function localImports(fileName: string, code: string): string[] {
  const sf = ts.createSourceFile(fileName, code, ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  for (const st of sf.statements) {
    if ((ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)) {
      const m = st.moduleSpecifier.text;
      if (m.startsWith('.')) out.push(resolve(dirname(fileName), m.replace(/\.js$/, '.ts')));
    }
  }
  return out;
}

/** One import cycle among `graph`'s files, as a list of files, or `undefined` when there is none. */
export function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): string[] | undefined => {
    if (state.get(f) === 'done') return undefined;
    if (state.get(f) === 'open') return [...stack.slice(stack.indexOf(f)), f];
    state.set(f, 'open');
    stack.push(f);
    for (const g of graph.get(f) ?? []) {
      const cycle = visit(g);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(f, 'done');
    return undefined;
  };
  for (const f of graph.keys()) {
    const cycle = visit(f);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Top-level declarations of `code` that hold mutable state, as "name@line". */
export function moduleState(fileName: string, code: string): string[] {
  const sf = ts.createSourceFile(fileName, code, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const at = (n: ts.Node): number => sf.getLineAndCharacterOfPosition(n.getStart()).line + 1;
  const mutableInit = (e: ts.Expression | undefined): boolean => {
    if (e === undefined) return false;
    if (ts.isNewExpression(e)) return true; // new Map(), new Set(), new Uint8Array(), …
    if (ts.isArrayLiteralExpression(e) || ts.isObjectLiteralExpression(e)) return true; // unless frozen (below)
    return false;
  };
  for (const st of sf.statements) {
    if (!ts.isVariableStatement(st)) continue;
    const isConst = (st.declarationList.flags & ts.NodeFlags.Const) !== 0;
    for (const d of st.declarationList.declarations) {
      const name = d.name.getText(sf);
      if (!isConst) found.push(`${name}@${at(d)}`);
      else if (mutableInit(d.initializer)) found.push(`${name}@${at(d)}`);
    }
  }
  return found;
}

describe('module structure of src/', () => {
  const files = sourceFiles(SRC);

  it('has no import cycles', () => {
    const graph = new Map(files.map((f) => [f, localImports(f, readFileSync(f, 'utf8')).filter((g) => g.startsWith(SRC))]));
    const cycle = findCycle(graph);
    expect(cycle?.map((f) => relative(ROOT, f))).toBeUndefined();
  });

  it('the cycle finder finds a cycle (it can fail)', () => {
    const graph = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', []]]);
    expect(findCycle(graph)).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle(new Map([['a', ['b']], ['b', []]]))).toBeUndefined();
    expect(localImports('/x/src/a.ts', "import type { T } from './b.js';\nexport { u } from '../c.js';\nimport 'pkg';")).toEqual(['/x/src/b.ts', '/x/c.ts']);
  });

  it('holds no module-level mutable state outside the default clock and random source', () => {
    const offenders = files
      .map((f) => relative(ROOT, f))
      .filter((f) => !ALLOWED.has(f))
      .flatMap((f) => moduleState(f, readFileSync(join(ROOT, f), 'utf8')).map((u) => `${f}: ${u}`));
    expect(offenders).toEqual([]);
  });

  it('the state finder flags let, var and top-level collections, not frozen constants (it can fail)', () => {
    expect(moduleState('x.ts', 'let a = 1; var b; const c = new Map(); const d = []; const e = {};')).toEqual(['a@1', 'b@1', 'c@1', 'd@1', 'e@1']);
    expect(moduleState('x.ts', "const a = 1; const b = Object.freeze({ x: 1 }); const c = 'text'; function f() { let x = 1; return x; }")).toEqual([]);
  });

  it('keeps every file at 400 lines or fewer', () => {
    const lines = (text: string): number => text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    const long = files.map((f) => [relative(ROOT, f), lines(readFileSync(f, 'utf8'))] as const).filter(([, n]) => n > 400);
    expect(long).toEqual([]);
  });
});
