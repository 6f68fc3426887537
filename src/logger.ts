/**
 * Logging. The library logs through an optional pino-compatible logger:
 * `logger.level(fields, message)`. Everything about the acquire and refresh
 * loops is at TRACE, as in lakeFS; lost races at INFO; failures at WARN.
 */

/** Structured fields attached to a log line. */
export type LogFields = Record<string, unknown>;

/** A log method, called as `(fields, message)` like pino. */
export type LogFn = (fields: LogFields, message: string) => void;

/** The levels the library logs at. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn';

/** The subset of a pino logger that the library uses. */
export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  /**
   * Optional, as pino's: whether lines at `level` are written. When it says
   * no, the library skips building that line's fields (they are built on
   * every acquire attempt and refresh otherwise). Without it every line is
   * built and handed over.
   */
  isLevelEnabled?(level: LogLevel): boolean;
}

const noop: LogFn = () => {};

/** The default logger: discards everything (and says so, so no fields are built for it). */
export const silentLogger: Logger = Object.freeze({ trace: noop, debug: noop, info: noop, warn: noop, isLevelEnabled: () => false });

/** Whether `logger` writes lines at `level` (true unless it says otherwise). */
export function logs(logger: Logger, level: LogLevel): boolean {
  return logger.isLevelEnabled === undefined || logger.isLevelEnabled(level);
}
