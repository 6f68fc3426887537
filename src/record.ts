/**
 * The ownership record on the wire: {@link MostlyCorrectOwnership} protobuf
 * bytes, byte-compatible with lakeFS. Times cross this boundary as
 * milliseconds since the Unix epoch and are stored with nanosecond precision.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { TimestampSchema, timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import { CorruptRecordError } from './errors.js';
import { MostlyCorrectOwnershipSchema, type MostlyCorrectOwnership } from './gen/mostly_correct_ownership_pb.js';
import { decodeFast, encodeFast } from './record-wire.js';

export type { MostlyCorrectOwnership } from './gen/mostly_correct_ownership_pb.js';
export { MostlyCorrectOwnershipSchema } from './gen/mostly_correct_ownership_pb.js';

/** The lakeFS partition that holds ownership records. */
export const OWNERSHIP_PARTITION = 'mc-ownership';

/** A protobuf Timestamp for `ms` milliseconds since the epoch, rounded to the nanosecond. */
export function timestampFromMs(ms: number): Timestamp {
  let seconds = Math.floor(ms / 1000);
  let nanos = Math.round((ms - seconds * 1000) * 1e6);
  if (nanos >= 1e9) {
    seconds += 1;
    nanos -= 1e9;
  }
  return create(TimestampSchema, { seconds: BigInt(seconds), nanos });
}

/** Milliseconds since the epoch for a Timestamp; an absent one is the epoch, as Go's `AsTime(nil)`. */
export function msFromTimestamp(ts: Timestamp | undefined): number {
  return ts === undefined ? 0 : Number(ts.seconds) * 1000 + ts.nanos / 1e6;
}

/**
 * Whole seconds and nanoseconds of `ms`, as {@link timestampFromMs} splits
 * it (the same arithmetic, without building a message).
 */
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
 * `ms` as it survives a round trip through a Timestamp (nanosecond precision):
 * `msFromTimestamp(timestampFromMs(ms))`, computed without the message.
 */
export function quantizeMs(ms: number): number {
  const { seconds, nanos } = split(ms);
  // `+ 0` turns -0 into 0, as the BigInt seconds of a Timestamp do
  return (seconds + 0) * 1000 + nanos / 1e6;
}

/** ISO-8601 text for `ms` since the epoch (for record comments and logs). */
export function isoFromMs(ms: number): string {
  const { seconds, nanos } = split(ms);
  // a Timestamp as `create` builds it (a plain object), without the reflection `create` does
  return timestampDate({ $typeName: 'google.protobuf.Timestamp', seconds: BigInt(seconds), nanos }).toISOString();
}

/** A new record. */
export function newRecord(owner: string, expiresMs: number, comment: string): MostlyCorrectOwnership {
  return create(MostlyCorrectOwnershipSchema, { owner, expires: timestampFromMs(expiresMs), comment });
}

/**
 * Record to bytes. Unknown fields read from a newer writer are written back.
 * Records of the shape the owner writes take a hand-written fast path
 * (src/record-wire.ts, checked byte for byte against protobuf-es); the rest
 * go through protobuf-es. Decoding likewise.
 */
export function encodeRecord(record: MostlyCorrectOwnership): Uint8Array {
  return encodeFast(record) ?? toBinary(MostlyCorrectOwnershipSchema, record);
}

/**
 * Bytes to record. Throws {@link CorruptRecordError} (with the raw bytes and the
 * decoder's error as `cause`) when `value` is not a valid record.
 */
export function decodeRecord(value: Uint8Array, prefixedKey: string, owner?: string): MostlyCorrectOwnership {
  try {
    return decodeFast(value) ?? fromBinary(MostlyCorrectOwnershipSchema, value);
  } catch (cause) {
    throw new CorruptRecordError(prefixedKey, owner, value, { cause });
  }
}

/** Expiry of `record` in ms since the epoch (the epoch when unset). */
export function expiresMs(record: MostlyCorrectOwnership): number {
  return msFromTimestamp(record.expires);
}
