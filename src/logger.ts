/**
 * Logging. The library logs through an optional pino-compatible logger:
 * `logger.level(fields, message)`. Everything about the acquire and refresh
 * loops is at TRACE, as in lakeFS; lost races at INFO; failures at WARN.
 */

/** Structured fields attached to a log line. */
export type LogFields = Record<string, unknown>;

/** A log method, called as `(fields, message)` like pino. */
export type LogFn = (fields: LogFields, message: string) => void;

/** The subset of a pino logger that the library uses. */
export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
}

const noop: LogFn = () => {};

/** The default logger: discards everything. */
export const silentLogger: Logger = Object.freeze({ trace: noop, debug: noop, info: noop, warn: noop });
