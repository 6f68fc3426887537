/** `mco list`: the scenario library with descriptions. */
import { ExitCode } from '../exit-codes.js';
import { loadAll } from './shared.js';
import { defineVerb } from './verb.js';

export const listVerb = defineVerb({
  command: 'list [dir]',
  describe: 'list the scenario library with descriptions',
  builder: (y) => y.positional('dir', { type: 'string', default: 'scenarios', describe: 'directory of scenario files (default: ./scenarios, else the bundled library)' }),
  run: (a) => {
    const scenarios = loadAll([a.dir], []);
    const width = Math.max(...scenarios.map((s) => s.scenario.name.length));
    for (const { scenario: s } of scenarios) process.stdout.write(`${s.name.padEnd(width)}  ${s.description.replace(/\s+/g, ' ').trim()}\n`);
    return ExitCode.ok;
  },
});
