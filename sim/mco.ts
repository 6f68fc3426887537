#!/usr/bin/env node
// The `mco` executable: runs the CLI and turns its result into the exit code.
import { hideBin } from 'yargs/helpers';
import { main } from './cli.js';
import { ExitCode } from './exit-codes.js';

main(hideBin(process.argv)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`mco: INVARIANT: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = ExitCode.internal;
  },
);
