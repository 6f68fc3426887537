/**
 * StrykerJS ignorer plugin for `npm run test:mutation` (see docs/mutation.md):
 * leaves log-message text out of the mutation score. It ignores the second
 * argument of every `<x>.trace|debug|info|warn(fields, message)` call, the
 * pino-style message, and every mutant inside it (the string, and a ternary
 * that picks between two messages). The fields object (first argument) and
 * whether a line is logged at all stay mutated: they are behaviour a user's
 * logger sees. Error messages are not log messages and stay mutated too.
 *
 * A plugin rather than `mutator.excludedMutations: ["StringLiteral"]`,
 * which would also drop the strings that are logic here: a waiter's state
 * ('queued' / 'inflight' / …), event names, `typeof` checks.
 *
 * Loaded by Stryker's main process through tsx (the npm script sets
 * `NODE_OPTIONS=--import=tsx`); it lives under test/ so that the type-aware
 * lint and the typecheck see it.
 */
import type { Ignorer } from '@stryker-mutator/api/ignore';
import { PluginKind, declareValuePlugin } from '@stryker-mutator/api/plugin';

/** The pino levels the library logs at (src/logger.ts). */
const LOG_METHODS: ReadonlySet<string> = new Set(['trace', 'debug', 'info', 'warn']);

/** The part of a Babel NodePath this plugin reads (Stryker passes Babel's). */
interface PathLike {
  readonly node: { readonly type: string };
  readonly key: string | number | null;
  readonly listKey?: string | undefined;
  readonly parentPath: PathLike | null;
}

interface CallLike {
  readonly type: 'CallExpression';
  readonly callee: { readonly type: string; readonly property?: { readonly type: string; readonly name?: string }; readonly computed?: boolean };
}

/** Whether `path` is the message argument of a `logger.<level>(fields, message)` call. */
export function isLogMessage(path: PathLike): boolean {
  const parent = path.parentPath;
  if (parent === null || parent.node.type !== 'CallExpression') return false;
  if (path.listKey !== 'arguments' || path.key !== 1) return false;
  const callee = (parent.node as CallLike).callee;
  return (
    (callee.type === 'MemberExpression' || callee.type === 'OptionalMemberExpression') &&
    callee.computed !== true &&
    callee.property?.type === 'Identifier' &&
    LOG_METHODS.has(callee.property.name ?? '')
  );
}

export const logMessageIgnorer: Ignorer = {
  shouldIgnore(path) {
    return isLogMessage(path as PathLike) ? 'log message text (excluded from the score, docs/mutation.md)' : undefined;
  },
};

export const strykerPlugins = [declareValuePlugin(PluginKind.Ignore, 'log-messages', logMessageIgnorer)];
