/**
 * `mco`: the scenario runner. It only assembles the verbs (one module each
 * under sim/commands/, over the library in sim/ that tests call directly) and
 * turns errors into exit codes: bad input is one line and exit 2. Results go
 * to stdout, progress and diagnostics to stderr. Exit codes: see exit-codes.ts.
 */
import { createRequire } from 'node:module';
import yargs from 'yargs';
import { checkVerb } from './commands/check.js';
import { compareVerb } from './commands/compare.js';
import { listVerb } from './commands/list.js';
import { mergeVerb } from './commands/merge.js';
import { replayVerb } from './commands/replay.js';
import { runVerb } from './commands/run.js';
import { UsageError } from './commands/shared.js';
import { sweepVerb } from './commands/sweep.js';
import { tuneVerb } from './commands/tune.js';
import { verbName, type Verb } from './commands/verb.js';
import { liveVerb } from './commands/live.js';
import { SimulationLimitError } from './engine.js';
import { ExitCode } from './exit-codes.js';
import { closest, OverrideError } from './overrides.js';
import { ReportMismatchError } from './report/merge.js';
import { ScenarioError } from './scenario.js';

/** Every verb, in the order `mco --help` lists them. A new verb is one more line here. */
export const VERBS: readonly Verb[] = [
  runVerb,
  mergeVerb,
  sweepVerb,
  replayVerb,
  checkVerb,
  compareVerb,
  tuneVerb,
  listVerb,
  liveVerb,
];

const VERB_NAMES = VERBS.map(verbName);

/**
 * `--json -` as `--json=-`: yargs reads a lone `-` as a positional and leaves
 * the option empty; `-` (stdout) is the only value mco gives a meaning to.
 */
export function joinDashValues(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (/^--[^=]+$/.test(arg) && args[i + 1] === '-') {
      out.push(`${arg}=-`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** `mco --version`: this package's version and the library's it runs. */
export function versionText(): string {
  const require = createRequire(import.meta.url);
  const own = require('mostly-correct-owner-sim/package.json') as { version: string };
  const library = require('mostly-correct-owner/package.json') as { version: string };
  return `${own.version} (mostly-correct-owner ${library.version})`;
}

/** Runs the CLI with `args`; resolves to the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  let code: number = ExitCode.ok;
  const parser = yargs(joinDashValues(args))
    .scriptName('mco')
    .usage('$0 <command> [options]\n\nRuns the production MostlyCorrectOwner in a deterministic simulator and reports how often double ownership happens, and what it costs.');
  // the options of the verb being parsed, for "did you mean --…?"
  let options: readonly string[] = [];
  for (const verb of VERBS) {
    parser.command(
      verb.command,
      verb.describe,
      (y) => {
        const built = verb.builder(y);
        options = optionNames(built);
        return built;
      },
      async (a) => {
        code = await verb.run(a);
      },
    );
  }
  parser
    .demandCommand(1, `expected a command: ${VERB_NAMES.slice(0, -1).join(', ')} or ${VERB_NAMES.at(-1)}`)
    .strict()
    .help()
    .version(versionText())
    .wrap(Math.min(120, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new UsageError(suggest(msg, args, options));
    });
  try {
    await parser.parseAsync();
  } catch (err) {
    if (err instanceof ScenarioError || err instanceof UsageError || err instanceof OverrideError || err instanceof ReportMismatchError) {
      process.stderr.write(`mco: ${err.message}\n`);
      return ExitCode.badInput;
    }
    if (err instanceof SimulationLimitError) {
      process.stderr.write(`mco: ${err.message}\n`);
      return ExitCode.limit;
    }
    if (err instanceof Error && err.name === 'YError') {
      process.stderr.write(`mco: ${err.message.split('\n')[0]}\n`);
      return ExitCode.badInput;
    }
    throw err;
  }
  return code;
}

/** The options a verb's builder declared. `getOptions` is a yargs instance method that @types/yargs does not declare. */
function optionNames(y: unknown): string[] {
  const { key } = (y as { getOptions(): { key: Record<string, unknown> } }).getOptions();
  return Object.keys(key);
}

/** yargs' message, plus the closest valid verb or flag (of the verb being parsed) where there is one. */
function suggest(msg: string, args: readonly string[], options: readonly string[]): string {
  const first = msg.split('\n')[0]!;
  // a flag with fixed choices (--engine): yargs spreads it over several lines
  const choice = /Argument: ([\w-]+), Given: ("[^"]*"), Choices: (.+)/.exec(msg);
  if (choice) return `--${choice[1]}: expected one of ${choice[3]!.trim()}, got ${choice[2]}`;
  const unknown = /^Unknown arguments?: (.+)$/.exec(first);
  if (!unknown) return first;
  const word = unknown[1]!.split(',')[0]!.trim();
  const isFlag = args.some((a) => a.replace(/^--?/, '').split('=')[0] === word && a.startsWith('-'));
  const best = isFlag ? closest(word, options) : closest(word, VERB_NAMES);
  return best === undefined ? first : `${first} (did you mean ${isFlag ? `--${best}` : best}?)`;
}
