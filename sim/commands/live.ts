/** `mco live`: the scenario with real processes, real faults and a real store (sim/live/). */
import type { Argv } from 'yargs';
import { runLiveCommand, type LiveArgs } from '../live/command.js';
import { defineVerb } from './verb.js';

export const liveVerb = defineVerb<LiveArgs>({
  command: 'live <scenario..>',
  describe: 'run scenarios with real processes on a real Redis/PostgreSQL and real faults; --compare with the simulator',
  builder: (y: Argv) =>
    y
      .positional('scenario', { type: 'string', array: true, demandOption: true, describe: 'scenario file(s) or directories' })
      .option('store', { choices: ['redis', 'postgres'] as const, default: 'redis' as const, describe: 'store server (throwaway, or REDIS_URL / DATABASE_URL)' })
      .option('runs', { type: 'number', describe: "runs per scenario (default: the scenario's `seeds`)" })
      .option('seed-start', { type: 'number', default: 1, describe: 'first seed: run i faces the faults the simulator draws for seed i' })
      .option('parallel', { type: 'number', default: 2, describe: 'runs at once (each its own processes and key prefix)' })
      .option('compare', { type: 'boolean', default: false, describe: 'also simulate the same seeds; print both with a test of agreement (exit 1 if a rate disagrees at 99%)' })
      .option('set', { type: 'string', array: true, default: [] as string[], describe: 'override a scenario field (repeatable)' })
      .option('json', { type: 'string', describe: 'write the live report(s) as JSON' })
      .option('md', { type: 'string', describe: 'write the tables as Markdown' })
      .example('$0 live scenarios/live --runs 100 --parallel 4 --compare', 'the calibration set') as unknown as Argv<LiveArgs>,
  run: (a) => runLiveCommand({ ...a, seedStart: (a as unknown as { 'seed-start': number })['seed-start'] }),
});
