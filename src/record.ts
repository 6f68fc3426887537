/**
 * The ownership record on the wire: {@link MostlyCorrectOwnership} protobuf
 * bytes, byte-compatible with lakeFS. Times cross this boundary as
 * milliseconds since the Unix epoch and are stored with nanosecond precision.
 */
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import { CorruptRecordError } from './errors.js';
import { MostlyCorrectOwnershipSchema, type MostlyCorrectOwnership } from './gen/mostly_correct_ownership_pb.js';

export type { MostlyCorrectOwnership } from './gen/mostly_correct_ownership_pb.js';
export { MostlyCorrectOwnershipSchema } from './gen/mostly_correct_ownership_pb.js';

/** The lakeFS partition that holds ownership records. */
export const OWNERSHIP_PARTITION = 'mc-ownership';

/** A protobuf Timestamp for `ms` milliseconds since the epoch, rounded to the nanosecond. */
export function timestampFromMs(ms: number): Timestamp {
  const { seconds, nanos } = split(ms);
  return { $typeName: 'google.protobuf.Timestamp', seconds: BigInt(seconds), nanos };
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

/**
 * A new record `{ owner, expires, comment }`, every other field at its zero
 * value: the object protobuf-es's `create` makes (same fields, same order).
 */
export function newRecord(owner: string, expiresMs: number, comment: string): MostlyCorrectOwnership {
  return { $typeName: RECORD_TYPE, owner, comment, token: 0n, leaseMs: 0, expires: timestampFromMs(expiresMs) };
}

/**
 * Record to bytes, as protobuf-es's `toBinary` writes them: fields in number
 * order, zero values left out. The five known fields are written straight
 * through the wire writer; a record carrying unknown fields (read from a
 * newer writer) goes through `toBinary`, which writes them back.
 */
export function encodeRecord(record: MostlyCorrectOwnership): Uint8Array {
  const { expires } = record;
  if (record.$unknown?.length || expires?.$unknown?.length) return toBinary(MostlyCorrectOwnershipSchema, record);
  const w = new BinaryWriter();
  if (record.owner !== '') w.tag(1, WireType.LengthDelimited).string(record.owner);
  if (expires !== undefined) {
    w.tag(2, WireType.LengthDelimited).fork();
    if (expires.seconds !== 0n) w.tag(1, WireType.Varint).int64(expires.seconds);
    if (expires.nanos !== 0) w.tag(2, WireType.Varint).int32(expires.nanos);
    w.join();
  }
  if (record.comment !== '') w.tag(3, WireType.LengthDelimited).string(record.comment);
  if (record.token !== 0n) w.tag(4, WireType.Varint).uint64(record.token);
  if (record.leaseMs !== 0) w.tag(5, WireType.Varint).uint32(record.leaseMs);
  return w.finish();
}

/**
 * Bytes to record: a fresh object the caller may change. Throws
 * {@link CorruptRecordError} (with the raw bytes and the decoder's error as
 * `cause`) when `value` is not a valid record.
 */
export function decodeRecord(value: Uint8Array, prefixedKey: string, owner?: string): MostlyCorrectOwnership {
  try {
    return readKnownFields(value) ?? fromBinary(MostlyCorrectOwnershipSchema, value);
  } catch (cause) {
    throw new CorruptRecordError(prefixedKey, owner, value, { cause });
  }
}

/** Expiry of `record` in ms since the epoch (the epoch when unset). */
export function expiresMs(record: MostlyCorrectOwnership): number {
  return msFromTimestamp(record.expires);
}

const RECORD_TYPE = 'mostly_correct_owner.v1.MostlyCorrectOwnership';

/**
 * The record in `value` as `fromBinary` decodes it, read straight through the
 * wire reader, when it holds nothing but the five known fields, each once,
 * with their wire types (what every writer of this format writes); otherwise
 * `undefined`, and `fromBinary` decides: it keeps unknown fields, merges a
 * repeated `expires`, and reports malformed bytes.
 */
function readKnownFields(value: Uint8Array): MostlyCorrectOwnership | undefined {
  try {
    const r = new BinaryReader(value);
    const record: MostlyCorrectOwnership = { $typeName: RECORD_TYPE, owner: '', comment: '', token: 0n, leaseMs: 0 };
    let seen = 0;
    while (r.pos < r.len) {
      const [no, wireType] = r.tag();
      if (no > 5 || wireType !== FIELD_WIRE_TYPES[no] || (seen & (1 << no)) !== 0) return undefined;
      seen |= 1 << no;
      if (no === 1) record.owner = r.string();
      else if (no === 3) record.comment = r.string();
      else if (no === 4) record.token = BigInt(r.uint64()); // a bigint already where BigInt exists (Node); typed bigint | string
      else if (no === 5) record.leaseMs = r.uint32();
      else {
        const expires = readTimestamp(r);
        if (expires === undefined) return undefined;
        record.expires = expires;
      }
    }
    return r.pos === r.len ? record : undefined;
  } catch {
    return undefined;
  }
}

/** Wire type of each known field (index: field number). */
const FIELD_WIRE_TYPES: readonly (WireType | undefined)[] = Object.freeze([
  undefined,
  WireType.LengthDelimited,
  WireType.LengthDelimited,
  WireType.LengthDelimited,
  WireType.Varint,
  WireType.Varint,
]);

/** A length-delimited Timestamp of only `seconds` and `nanos`, each at most once; else `undefined`. */
function readTimestamp(r: BinaryReader): Timestamp | undefined {
  const end = r.uint32() + r.pos;
  const ts: Timestamp = { $typeName: 'google.protobuf.Timestamp', seconds: 0n, nanos: 0 };
  let seen = 0;
  while (r.pos < end) {
    const [no, wireType] = r.tag();
    if (no > 2 || wireType !== WireType.Varint || (seen & (1 << no)) !== 0) return undefined;
    seen |= 1 << no;
    if (no === 1) ts.seconds = BigInt(r.int64());
    else ts.nanos = r.int32();
  }
  return r.pos === end ? ts : undefined;
}
