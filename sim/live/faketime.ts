/**
 * Fault model (live): clock offset, drift and jumps of a node, by running its
 * process under libfaketime (Debian package `faketime`). The library's own
 * `systemClock` then reads the skewed wall clock: no test clock is injected.
 *
 * - offset: `FAKETIME="+0.250"` (seconds, decimals; `+250ms` would be read as
 *   minutes): the wall clock 250 ms ahead;
 * - drift: `x<rate>` after the offset, rate = 1 + driftPpm/1e6, counted by
 *   libfaketime from the moment the process started. The process starts
 *   before the run, so the offset is moved back by that lead × drift to read
 *   `offset` at the run's time 0, as the simulator's clock does;
 * - the spec lives in a file (`FAKETIME_TIMESTAMP_FILE`, read at every clock
 *   read: `FAKETIME_NO_CACHE=1`, ≈ 5 µs a `Date.now()`), written when the
 *   run's time 0 is known and rewritten at each jump;
 * - `FAKETIME_DONT_FAKE_MONOTONIC=1`: CLOCK_MONOTONIC stays real, so
 *   `process.hrtime` (the stamps of belief intervals) is one clock for every
 *   process on the host.
 * Limits: drift moves the wall clock only. The simulator's drift also speeds
 * the node's timers (its monotonic clock); here timers run at the host's real
 * rate (faking CLOCK_MONOTONIC would break the shared stamps). At the drifts
 * of the calibration set the difference is a few ms per lease.
 */
import { existsSync, writeFileSync } from 'node:fs';

/** Where Debian installs the multi-threaded libfaketime (Node runs several threads). */
export const LIBFAKETIME = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1', '/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1', '/usr/lib/faketime/libfaketimeMT.so.1'].find((p) => existsSync(p));

/** A node's clock fault. */
export interface ClockFault {
  offsetMs: number;
  driftPpm: number;
  /** Steps of the wall clock: at `at` ms after the run's start, by `by` ms. */
  jumps: readonly { at: number; by: number }[];
}

/** Whether `f` changes anything (a node without it runs without libfaketime). */
export const isFaulty = (f: ClockFault): boolean => f.offsetMs !== 0 || f.driftPpm !== 0 || f.jumps.length > 0;

/** libfaketime's spec for a wall clock `offsetMs` ahead, running at 1 + driftPpm/1e6. */
export function fakeSpec(offsetMs: number, driftPpm: number): string {
  const s = offsetMs / 1000;
  const offset = `${s < 0 ? '-' : '+'}${Math.abs(s).toFixed(6)}`;
  return driftPpm === 0 ? offset : `${offset} x${(1 + driftPpm / 1e6).toFixed(9)}`;
}

/**
 * The environment that runs a process under libfaketime with its spec in
 * `specFile` (read at every clock read, so that the coordinator can set the
 * offset once the run's start is known, and step it at jumps). The file
 * starts with no offset.
 */
export function faketimeEnv(specFile: string): Record<string, string> {
  if (LIBFAKETIME === undefined) throw new Error('libfaketime not found: install the Debian package faketime (apt-get install -y faketime)');
  writeFileSync(specFile, '+0\n');
  return { LD_PRELOAD: LIBFAKETIME, FAKETIME_DONT_FAKE_MONOTONIC: '1', FAKETIME_TIMESTAMP_FILE: specFile, FAKETIME_NO_CACHE: '1' };
}

/**
 * The spec that makes the clock read `fault`'s offset (plus the jumps
 * `jumpedMs` so far) at the run's time 0, for a process that started
 * `sinceStartMs` before time 0 (libfaketime counts drift from the process's
 * start: the offset is moved back by what the drift adds until time 0).
 */
export function clockSpec(fault: ClockFault, sinceStartMs: number, jumpedMs = 0): string {
  return `${fakeSpec(fault.offsetMs + jumpedMs - (sinceStartMs * fault.driftPpm) / 1e6, fault.driftPpm)}\n`;
}

/** The jumps of `fault` with the total jumped after each, by time. */
export function jumpTotals(fault: ClockFault): { at: number; jumpedMs: number }[] {
  let total = 0;
  return [...fault.jumps]
    .sort((a, b) => a.at - b.at)
    .map((j) => ({ at: j.at, jumpedMs: (total += j.by) }));
}
