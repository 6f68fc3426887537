/**
 * `mco`: the scenario runner. A thin yargs layer over the library in sim/;
 * tests call that library directly.
 */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yargs from 'yargs';
import { SimulationLimitError } from './engine.js';
import { ExitCode } from './exit-codes.js';
import type { Report } from './report/report.js';
import { summaryTable } from './report/table.js';
import { runScenario } from './runner.js';
import { loadScenario, ScenarioError, type Scenario } from './scenario.js';

/** Bad command-line usage: printed as one line, exit 2. */
class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Expands files and directories into scenario files (directories: *.yaml, *.yml, *.json, sorted). */
export function scenarioFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      throw new ScenarioError(p, '', 'no such file or directory');
    }
    if (!isDir) {
      out.push(p);
      continue;
    }
    const found = readdirSync(p)
      .filter((f) => /\.(ya?ml|json)$/i.test(f))
      .sort()
      .map((f) => join(p, f));
    if (found.length === 0) throw new ScenarioError(p, '', 'expected a directory with scenario files (*.yaml, *.yml, *.json)');
    out.push(...found);
  }
  return out;
}

function loadAll(paths: readonly string[]): Scenario[] {
  return scenarioFiles(paths).map((f) => loadScenario(f));
}

async function cmdRun(argv: { scenario: string[]; seeds?: number; seedStart: number; json?: string }): Promise<number> {
  const scenarios = loadAll(argv.scenario);
  const reports: Report[] = [];
  for (const s of scenarios) {
    const seeds = argv.seeds ?? s.seeds;
    process.stderr.write(`mco: ${s.name}: seeds ${argv.seedStart}..${argv.seedStart + seeds - 1}\n`);
    try {
      reports.push(await runScenario(s, { seeds, seedStart: argv.seedStart }));
    } catch (err) {
      if (err instanceof SimulationLimitError) {
        process.stderr.write(`mco: ${s.name}: ${err.message}\n`);
        return ExitCode.limit;
      }
      throw err;
    }
  }
  process.stdout.write(`${summaryTable(reports)}\n`);
  if (argv.json !== undefined) {
    const body = reports.length === 1 ? reports[0] : { schemaVersion: 1, reports };
    writeFileSync(argv.json, `${JSON.stringify(body, null, 2)}\n`);
    process.stderr.write(`mco: wrote ${argv.json}\n`);
  }
  return ExitCode.ok;
}

function cmdList(argv: { dir: string }): number {
  const scenarios = loadAll([argv.dir]);
  const width = Math.max(...scenarios.map((s) => s.name.length));
  for (const s of scenarios) process.stdout.write(`${s.name.padEnd(width)}  ${s.description.replace(/\s+/g, ' ').trim()}\n`);
  return ExitCode.ok;
}

/** Runs the CLI with `args`; resolves to the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  let code: number = ExitCode.ok;
  const parser = yargs([...args])
    .scriptName('mco')
    .usage('$0 <command> [options]')
    .command(
      'run <scenario..>',
      'run scenarios (files or directories) over many seeds and print a summary',
      (y) =>
        y
          .positional('scenario', { type: 'string', array: true, demandOption: true, describe: 'scenario file(s) or directories' })
          .option('seeds', { type: 'number', describe: "seed count (default: the scenario's `seeds`)" })
          .option('seed-start', { type: 'number', default: 1, describe: 'first seed' })
          .option('json', { type: 'string', describe: 'write the report as JSON to this file' })
          .check((a) => {
            if (a.seeds !== undefined && (!Number.isInteger(a.seeds) || a.seeds < 1)) throw new UsageError(`--seeds: expected a whole number ≥ 1, got ${String(a.seeds)}`);
            if (!Number.isSafeInteger(a['seed-start']) || a['seed-start'] < 0) throw new UsageError(`--seed-start: expected a whole number ≥ 0, got ${String(a['seed-start'])}`);
            return true;
          }),
      async (a) => {
        code = await cmdRun({ scenario: a.scenario, seeds: a.seeds, seedStart: a['seed-start'], json: a.json });
      },
    )
    .command(
      'list [dir]',
      'list the scenario library with descriptions',
      (y) => y.positional('dir', { type: 'string', default: 'scenarios', describe: 'directory of scenario files' }),
      (a) => {
        code = cmdList({ dir: a.dir });
      },
    )
    .demandCommand(1, 'expected a command: run or list')
    .strict()
    .help()
    .version(false)
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    });
  try {
    await parser.parseAsync();
  } catch (err) {
    if (err instanceof ScenarioError || err instanceof UsageError) {
      process.stderr.write(`mco: ${err.message}\n`);
      return ExitCode.badInput;
    }
    if (err instanceof Error && err.name === 'YError') {
      process.stderr.write(`mco: ${err.message.split('\n')[0]}\n`);
      return ExitCode.badInput;
    }
    throw err;
  }
  return code;
}
