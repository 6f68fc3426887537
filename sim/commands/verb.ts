/**
 * What one `mco` verb is: a yargs command (the verb and its positionals, the
 * help line, the options) plus a handler that resolves to the exit code.
 * sim/cli.ts registers a list of these, so a new verb is one module here and
 * one line in that list.
 */
import type { ArgumentsCamelCase, Argv } from 'yargs';

/** One verb of `mco`. `A` is the parsed arguments its builder declares. */
export interface Verb<A = unknown> {
  /** yargs command string: the verb, then its positionals (`run <scenario..>`). */
  readonly command: string;
  /** The one-line description in `mco --help`. */
  readonly describe: string;
  /** Declares the positionals, options, checks and examples. */
  readonly builder: (y: Argv) => Argv<A>;
  /** Does the work; resolves to the exit code (exit-codes.ts). */
  readonly run: (args: ArgumentsCamelCase<A>) => Promise<number> | number;
}

/**
 * Types a verb's handler by its builder, then forgets the argument type so
 * verbs with different options fit in one list (yargs hands each handler the
 * arguments its own builder declared).
 */
export function defineVerb<A>(verb: Verb<A>): Verb {
  return verb as unknown as Verb;
}

/** The verb's name: the first word of its command string. */
export const verbName = (verb: Verb): string => verb.command.split(' ')[0]!;
