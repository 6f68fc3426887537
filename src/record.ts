/**
 * The ownership record on the wire: {@link MostlyCorrectOwnership} protobuf
 * bytes, byte-compatible with lakeFS. Times cross this boundary as
 * milliseconds since the Unix epoch and are stored with nanosecond precision.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampDate, TimestampSchema, type Timestamp } from '@bufbuild/protobuf/wkt';
import { CorruptRecordError } from './errors.js';
import { MostlyCorrectOwnershipSchema, type MostlyCorrectOwnership } from './gen/mostly_correct_ownership_pb.js';

export type { MostlyCorrectOwnership } from './gen/mostly_correct_ownership_pb.js';
export { MostlyCorrectOwnershipSchema } from './gen/mostly_correct_ownership_pb.js';

/** The lakeFS partition that holds ownership records. */
export const OWNERSHIP_PARTITION = 'mc-ownership';

/** A protobuf Timestamp for `ms` milliseconds since the epoch, rounded to the nanosecond. */
export function timestampFromMs(ms: number): Timestamp {
  const { seconds, nanos } = split(ms);
  return create(TimestampSchema, { seconds: BigInt(seconds), nanos });
}

/** Milliseconds since the epoch for a Timestamp; an absent one is the epoch, as Go's `AsTime(nil)`. */
export function msFromTimestamp(ts: Timestamp | undefined): number {
  return ts === undefined ? 0 : Number(ts.seconds) * 1000 + ts.nanos / 1e6;
}

/** Whole seconds and nanoseconds (rounded, carried into seconds) of `ms` since the epoch. */
function split(ms: number): { seconds: number; nanos: number } {
  let seconds = Math.floor(ms / 1000);
  let nanos = Math.round((ms - seconds * 1000) * 1e6);
  if (nanos >= 1e9) {
    seconds += 1;
    nanos -= 1e9;
  }
  return { seconds, nanos };
}

/**
 * `ms` as it survives a round trip through a Timestamp (nanosecond precision).
 * The owner judges expiry on this, so a time it compares with a record's
 * `expires` is exactly what that record would hold.
 */
export function quantizeMs(ms: number): number {
  return msFromTimestamp(timestampFromMs(ms));
}

/** ISO-8601 text for `ms` since the epoch, as the Timestamp's Date (record comments and logs). */
export function isoFromMs(ms: number): string {
  return timestampDate(timestampFromMs(ms)).toISOString();
}

/** A new record `{ owner, expires, comment }`, every other field at its zero value. */
export function newRecord(owner: string, expiresMs: number, comment: string): MostlyCorrectOwnership {
  return create(MostlyCorrectOwnershipSchema, { owner, comment, expires: timestampFromMs(expiresMs) });
}

/** Record to bytes. Unknown fields read from a newer writer are written back. */
export function encodeRecord(record: MostlyCorrectOwnership): Uint8Array {
  return toBinary(MostlyCorrectOwnershipSchema, record);
}

/**
 * Bytes to record: a fresh object the caller may change. Throws
 * {@link CorruptRecordError} (with the raw bytes and the decoder's error as
 * `cause`) when `value` is not a valid record.
 */
export function decodeRecord(value: Uint8Array, prefixedKey: string, owner?: string): MostlyCorrectOwnership {
  try {
    return fromBinary(MostlyCorrectOwnershipSchema, value);
  } catch (cause) {
    throw new CorruptRecordError(prefixedKey, owner, value, { cause });
  }
}

/** Expiry of `record` in ms since the epoch (the epoch when unset). */
export function expiresMs(record: MostlyCorrectOwnership): number {
  return msFromTimestamp(record.expires);
}
