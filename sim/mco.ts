#!/usr/bin/env node
// The `mco` executable: runs the CLI and turns its result into the exit code.
import { hideBin } from 'yargs/helpers';
import { main } from './cli.js';
import { ExitCode } from './exit-codes.js';

// A reader that stops early (`mco list | head`) closes the pipe: stop quietly, as
// other command-line tools do, instead of dying on an unhandled EPIPE with a stack.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

main(hideBin(process.argv)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`mco: INVARIANT: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = ExitCode.internal;
  },
);
