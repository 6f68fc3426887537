/**
 * The ownership record on the wire: {@link MostlyCorrectOwnership} protobuf
 * bytes, byte-compatible with lakeFS. Times cross this boundary as
 * milliseconds since the Unix epoch and are stored with nanosecond precision.
 */
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import { CorruptRecordError } from './errors.js';
import { MostlyCorrectOwnershipSchema, type MostlyCorrectOwnership } from './gen/mostly_correct_ownership_pb.js';
import { bytesEqual } from './store/store.js';

export type { MostlyCorrectOwnership } from './gen/mostly_correct_ownership_pb.js';
export { MostlyCorrectOwnershipSchema } from './gen/mostly_correct_ownership_pb.js';

/** The lakeFS partition that holds ownership records. */
export const OWNERSHIP_PARTITION = 'mc-ownership';

/**
 * A protobuf Timestamp for `ms` milliseconds since the epoch, rounded to the nanosecond.
 *
 * Built as the plain object `create(TimestampSchema, …)` returns for a proto3
 * message (test/record.test.ts pins the equality), without `create`'s
 * reflection: a record is built on every acquire and refresh.
 */
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
 * `ms` as it survives a round trip through a Timestamp (nanosecond precision):
 * `msFromTimestamp(timestampFromMs(ms))`, computed without the message.
 */
export function quantizeMs(ms: number): number {
  const { seconds, nanos } = split(ms);
  // `+ 0` turns -0 into 0, as the BigInt seconds of a Timestamp do
  return (seconds + 0) * 1000 + nanos / 1e6;
}

/**
 * ISO-8601 text for `ms` since the epoch (for record comments and logs):
 * the text of the Timestamp's Date, `timestampDate(timestampFromMs(ms))`.
 * Within one second only the milliseconds change, so the Date's text is made
 * once a second and the milliseconds put in (each new text cost about as
 * much as encoding a record; test/record.test.ts checks the two agree).
 */
export function isoFromMs(ms: number): string {
  const { seconds, nanos } = split(ms);
  // what timestampMs() gives the Date: whole milliseconds, the nanoseconds rounded
  const millis = Math.round(nanos / 1e6);
  // nanoseconds that round up to a whole second: the Date is in the next second
  if (millis > 999) return timestampDate({ $typeName: 'google.protobuf.Timestamp', seconds: BigInt(seconds), nanos }).toISOString();
  if (seconds !== isoSecond) {
    isoSecond = seconds;
    // "…:SS." of "…:SS.000Z"
    isoPrefix = timestampDate({ $typeName: 'google.protobuf.Timestamp', seconds: BigInt(seconds), nanos: 0 }).toISOString().slice(0, -4);
  }
  return `${isoPrefix}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
}

/** The second {@link isoFromMs} last made a Date's text for, and that text up to the milliseconds. */
let isoSecond = Number.NaN;
let isoPrefix = '';

/**
 * A new record: what `create(MostlyCorrectOwnershipSchema, { owner, expires,
 * comment })` returns (the other fields at their zero values), built as a
 * plain object without `create`'s reflection (test/record.test.ts pins the
 * equality).
 */
export function newRecord(owner: string, expiresMs: number, comment: string): MostlyCorrectOwnership {
  return { $typeName: 'mostly_correct_owner.v1.MostlyCorrectOwnership', owner, comment, token: 0n, leaseMs: 0, expires: timestampFromMs(expiresMs) };
}

/** Record to bytes. Unknown fields read from a newer writer are written back. */
export function encodeRecord(record: MostlyCorrectOwnership): Uint8Array {
  return toBinary(MostlyCorrectOwnershipSchema, record);
}

/**
 * The encoding of a series of records that differ only in `expires`: a
 * holder writes its acquisition's record again with a new expiry on every
 * refresh, and once more (expiring at the epoch) on release.
 *
 * `toBinary` writes a message as its fields' encodings one after another, in
 * field-number order, then the unknown fields. So a record's bytes are the
 * bytes of field 1 (`owner`), then of field 2 (`expires`), then of the rest,
 * and only the middle part changes between refreshes. The two fixed parts
 * are encoded once, each write encodes `expires` alone: `toBinary` still
 * writes every byte. test/record.test.ts checks the result against
 * {@link encodeRecord} on generated records. Measured against
 * `encodeRecord`: a refresh's write costs about half (the strings' UTF-8
 * and their reflection are what it saves), a release's about an eighth, and
 * making the encoding at acquisition about a tenth more than one encode.
 */
export class RecordEncoding {
  readonly #owner: string;
  readonly #comment: string;
  readonly #token: bigint;
  readonly #leaseMs: number;
  readonly #unknown: MostlyCorrectOwnership['$unknown'];
  /** Field 1. */
  readonly #head: Uint8Array;
  /** Fields 3 to 5, then the unknown fields. */
  readonly #tail: Uint8Array;
  /** Whether decoding these bytes gives the record back (see {@link decodesToItself}): then a write is remembered for decodes. */
  readonly #decodesToItself: boolean;

  /** The encoding of `record`'s fields other than `expires` (copied now: later changes to `record` are not seen). */
  constructor(record: MostlyCorrectOwnership) {
    this.#owner = record.owner;
    this.#comment = record.comment;
    this.#token = record.token;
    this.#leaseMs = record.leaseMs;
    this.#unknown = record.$unknown;
    this.#head = toBinary(MostlyCorrectOwnershipSchema, { ...BLANK, owner: record.owner });
    const rest = { ...BLANK, comment: record.comment, token: record.token, leaseMs: record.leaseMs };
    if (record.$unknown !== undefined) rest.$unknown = record.$unknown;
    this.#tail = toBinary(MostlyCorrectOwnershipSchema, rest);
    this.#decodesToItself = record.$unknown === undefined && decodesToItself(record);
  }

  /** Whether `record`'s fields other than `expires` are the ones this encodes. */
  fits(record: MostlyCorrectOwnership): boolean {
    return (
      record.owner === this.#owner &&
      record.comment === this.#comment &&
      record.token === this.#token &&
      record.leaseMs === this.#leaseMs &&
      record.$unknown === this.#unknown
    );
  }

  /**
   * `record`'s bytes, what `encodeRecord` returns for it; `record` must
   * {@link fits | fit}. The caller must change neither `record` nor the
   * bytes afterwards: the next {@link decodeRecord} of these bytes may
   * answer with a copy of `record` instead of decoding them.
   */
  encode(record: MostlyCorrectOwnership): Uint8Array {
    if (!this.fits(record)) throw new Error(`RecordEncoding: the record of ${record.owner} is not the one this encoding was made for`);
    const expires = record.expires;
    const middle = expires === undefined ? NO_BYTES : expiresBytes(expires);
    const head = this.#head;
    const tail = this.#tail;
    const bytes = new Uint8Array(head.length + middle.length + tail.length);
    bytes.set(head);
    bytes.set(middle, head.length);
    bytes.set(tail, head.length + middle.length);
    // (without `expires` a record built here has the key and fromBinary's has not: not remembered;
    // the library always writes one)
    if (this.#decodesToItself && expires !== undefined) {
      encoded[encodedNext] = { bytes, record };
      encodedNext = (encodedNext + 1) & (ENCODED_KEPT - 1);
    }
    return bytes;
  }
}

/**
 * The last records written through a {@link RecordEncoding}, with their
 * bytes (neither is changed afterwards). A decode that misses the cache looks
 * here before running `fromBinary`: a holder reading its own record back
 * (lakeFS refreshes and releases read first), and in the simulator every
 * node reading what another wrote, then decode nothing.
 */
const ENCODED_KEPT = 16;
const encoded: ({ readonly bytes: Uint8Array; readonly record: MostlyCorrectOwnership } | undefined)[] = new Array<undefined>(ENCODED_KEPT).fill(undefined);
let encodedNext = 0;

/** The record of the bytes, among those {@link encoded} keeps. */
function recentlyEncoded(value: Uint8Array): MostlyCorrectOwnership | undefined {
  for (const e of encoded) if (e !== undefined && bytesEqual(e.bytes, value)) return e.record;
  return undefined;
}

/**
 * Whether decoding `record`'s encoding gives `record` back field for field.
 * Numbers and timestamps do (an encoding that would change them throws
 * instead), strings do unless they hold a lone surrogate, which UTF-8 turns
 * into U+FFFD; any surrogate is taken as a reason to decode (owner ids
 * rarely hold one). Unknown fields are not looked at.
 */
export function decodesToItself(record: MostlyCorrectOwnership): boolean {
  return !SURROGATE.test(record.owner) && !SURROGATE.test(record.comment);
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** A record with every field at its zero value (nothing to encode). */
const BLANK: MostlyCorrectOwnership = Object.freeze({
  $typeName: 'mostly_correct_owner.v1.MostlyCorrectOwnership',
  owner: '',
  comment: '',
  token: 0n,
  leaseMs: 0,
});

const NO_BYTES = new Uint8Array(0);

/** Field 2 of a record expiring at the epoch (every release writes it), made on first use. */
let epochBytes: Uint8Array | undefined;

/** The bytes of field 2 holding `expires`. */
function expiresBytes(expires: Timestamp): Uint8Array {
  if (expires.seconds === 0n && expires.nanos === 0) {
    return (epochBytes ??= toBinary(MostlyCorrectOwnershipSchema, { ...BLANK, expires: timestampFromMs(0) }));
  }
  return toBinary(MostlyCorrectOwnershipSchema, { ...BLANK, expires });
}

/**
 * Bytes to record. Throws {@link CorruptRecordError} (with the raw bytes and the
 * decoder's error as `cause`) when `value` is not a valid record.
 *
 * The same bytes are decoded over and over (every waiter's poll and every
 * refresh reads the record the holder last wrote), so decoded records are
 * cached by content: a hit returns a fresh copy of what `fromBinary` returned
 * for those bytes, which the caller may change (refresh and release set
 * `expires`) without touching the cache. Records with unknown fields are not
 * cached.
 */
export function decodeRecord(value: Uint8Array, prefixedKey: string, owner?: string): MostlyCorrectOwnership {
  // most reads are of the record the last decode was of (a key's holder is read by every waiter
  // until it writes again): comparing with it first skips hashing the bytes
  const last = lastDecoded;
  if (last !== undefined && bytesEqual(last.bytes, value)) return copyRecord(last.record);
  const slot = value.length <= DECODE_CACHE_MAX_BYTES ? decodeCacheSlot(value) : -1;
  const cached = slot >= 0 ? decoded[slot] : undefined;
  if (cached !== undefined && bytesEqual(cached.bytes, value)) {
    lastDecoded = cached;
    return copyRecord(cached.record);
  }
  let record: MostlyCorrectOwnership;
  const written = recentlyEncoded(value);
  if (written !== undefined) {
    record = copyRecord(written);
  } else {
    try {
      record = fromBinary(MostlyCorrectOwnershipSchema, value);
    } catch (cause) {
      throw new CorruptRecordError(prefixedKey, owner, value, { cause });
    }
  }
  // the bytes are copied (the caller owns `value` and may change it later) into the slot's own
  // part of one buffer: an allocation per miss was a measurable part of a simulation
  if (slot >= 0 && record.$unknown === undefined) {
    const bytes = new Uint8Array((cacheBytes ??= new ArrayBuffer(DECODE_CACHE_SLOTS * DECODE_CACHE_MAX_BYTES)), slot * DECODE_CACHE_MAX_BYTES, value.length);
    bytes.set(value);
    // the entry this replaces is dropped everywhere at once: its bytes (the same memory) are no longer its own
    const entry = { bytes, record: copyRecord(record) };
    decoded[slot] = entry;
    lastDecoded = entry;
  }
  return record;
}

/** Records up to this size (bytes) are cached by {@link decodeRecord}; real ones are ~100. */
const DECODE_CACHE_MAX_BYTES = 512;
/** Slots of the cache (a power of two); a record goes to the slot its bytes hash to, replacing what was there. */
const DECODE_CACHE_SLOTS = 1024;
/** Decoded records with their bytes, by hash of the bytes (a hit compares the bytes in full). */
const decoded: ({ bytes: Uint8Array; record: MostlyCorrectOwnership } | undefined)[] = new Array<undefined>(DECODE_CACHE_SLOTS).fill(undefined);
/** The cached records' bytes: slot `i` keeps its entry's at `i × DECODE_CACHE_MAX_BYTES` (512 KB, made on the first miss). */
let cacheBytes: ArrayBuffer | undefined;

/** The entry the last cached decode hit or filled. */
let lastDecoded: { bytes: Uint8Array; record: MostlyCorrectOwnership } | undefined;

/** The slot of the decode cache that `bytes` go to (exported for tests that need two records in one slot). */
export function decodeCacheSlot(bytes: Uint8Array): number {
  return hashBytes(bytes) & (DECODE_CACHE_SLOTS - 1);
}

/** FNV-1a over the bytes (32 bits). */
function hashBytes(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

/**
 * A copy of a record that can be changed without touching it: plain objects,
 * as `fromBinary` builds them, the Timestamp copied too. Written out field by
 * field, so every copy has one shape whatever built the original (a spread
 * of records from `fromBinary` and from {@link newRecord} was ≈ 4 % of a
 * simulation); the keys present are the original's (`expires` and
 * `$unknown` only when it has them).
 */
export function copyRecord(r: MostlyCorrectOwnership): MostlyCorrectOwnership {
  const copy: MostlyCorrectOwnership = { $typeName: r.$typeName, owner: r.owner, comment: r.comment, token: r.token, leaseMs: r.leaseMs };
  const ts = r.expires;
  if (ts !== undefined) {
    copy.expires = ts.$unknown === undefined ? { $typeName: ts.$typeName, seconds: ts.seconds, nanos: ts.nanos } : { ...ts };
  } else if ('expires' in r) {
    copy.expires = undefined;
  }
  if (r.$unknown !== undefined) copy.$unknown = r.$unknown;
  return copy;
}

/** Expiry of `record` in ms since the epoch (the epoch when unset). */
export function expiresMs(record: MostlyCorrectOwnership): number {
  return msFromTimestamp(record.expires);
}
