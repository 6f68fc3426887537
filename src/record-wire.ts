/**
 * A fast path for the ownership record's wire format, beside protobuf-es.
 *
 * Every acquire attempt, refresh and release encodes a record and every read
 * decodes one; through protobuf-es's reflection that was about a quarter of a
 * simulated run's CPU. Records the owner writes all have one shape: the five
 * known fields of `MostlyCorrectOwnership` with small non-negative numbers and
 * no unknown fields. For that shape this file writes and reads the bytes
 * directly; for anything else (unknown fields, negative or huge numbers, a
 * field repeated or out of order, anything malformed) it answers `undefined`
 * and the caller uses protobuf-es. Where it answers, the answer is what
 * protobuf-es gives: the same bytes from {@link encodeFast} as `toBinary`, a
 * record equal to `fromBinary`'s from {@link decodeFast} (plain objects with
 * the same keys in the same order). test/record-wire.test.ts checks both
 * against protobuf-es on generated records and on mutated bytes.
 *
 * Wire format (proto3, implicit presence: a field at its zero value is not
 * written; fields in field-number order, as protobuf-es writes them):
 *   1 owner   string    tag 0x0a, length, UTF-8
 *   2 expires Timestamp tag 0x12, length, { 1 seconds int64 tag 0x08 varint, 2 nanos int32 tag 0x10 varint }
 *   3 comment string    tag 0x1a, length, UTF-8
 *   4 token   uint64    tag 0x20 varint
 *   5 leaseMs uint32    tag 0x28 varint
 */
import type { MostlyCorrectOwnership } from './gen/mostly_correct_ownership_pb.js';

const RECORD_TYPE = 'mostly_correct_owner.v1.MostlyCorrectOwnership';
const TIMESTAMP_TYPE = 'google.protobuf.Timestamp';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Largest integer the fast path writes or reads (exact as a double). */
const MAX_EXACT = Number.MAX_SAFE_INTEGER;

/** The bytes of `record`, or `undefined` when it is not of the one shape this path writes. */
export function encodeFast(record: MostlyCorrectOwnership): Uint8Array | undefined {
  if (record.$unknown !== undefined && record.$unknown.length > 0) return undefined;
  const token = record.token;
  const leaseMs = record.leaseMs;
  if (typeof token !== 'bigint' || token < 0n || token > BigInt(MAX_EXACT)) return undefined;
  if (!Number.isInteger(leaseMs) || leaseMs < 0 || leaseMs > 0xffffffff) return undefined;
  const expires = record.expires;
  let seconds = 0;
  let nanos = 0;
  if (expires !== undefined) {
    if (expires.$unknown !== undefined && expires.$unknown.length > 0) return undefined;
    if (typeof expires.seconds !== 'bigint' || expires.seconds < 0n || expires.seconds > BigInt(MAX_EXACT)) return undefined;
    seconds = Number(expires.seconds);
    nanos = expires.nanos;
    if (!Number.isInteger(nanos) || nanos < 0 || nanos > 0x7fffffff) return undefined;
  }
  if (typeof record.owner !== 'string' || typeof record.comment !== 'string') return undefined;
  const owner = record.owner === '' ? undefined : encoder.encode(record.owner);
  const comment = record.comment === '' ? undefined : encoder.encode(record.comment);
  const tsLength = (seconds === 0 ? 0 : 1 + varintSize(seconds)) + (nanos === 0 ? 0 : 1 + varintSize(nanos));
  const tokenNumber = Number(token);
  const size =
    (owner === undefined ? 0 : 1 + varintSize(owner.length) + owner.length) +
    (expires === undefined ? 0 : 1 + varintSize(tsLength) + tsLength) +
    (comment === undefined ? 0 : 1 + varintSize(comment.length) + comment.length) +
    (tokenNumber === 0 ? 0 : 1 + varintSize(tokenNumber)) +
    (leaseMs === 0 ? 0 : 1 + varintSize(leaseMs));
  const out = new Uint8Array(size);
  let at = 0;
  const varint = (n: number): void => {
    while (n >= 0x80) {
      out[at++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    out[at++] = n;
  };
  const bytes = (tag: number, b: Uint8Array): void => {
    out[at++] = tag;
    varint(b.length);
    out.set(b, at);
    at += b.length;
  };
  if (owner !== undefined) bytes(0x0a, owner);
  if (expires !== undefined) {
    out[at++] = 0x12;
    varint(tsLength);
    if (seconds !== 0) {
      out[at++] = 0x08;
      varint(seconds);
    }
    if (nanos !== 0) {
      out[at++] = 0x10;
      varint(nanos);
    }
  }
  if (comment !== undefined) bytes(0x1a, comment);
  if (tokenNumber !== 0) {
    out[at++] = 0x20;
    varint(tokenNumber);
  }
  if (leaseMs !== 0) {
    out[at++] = 0x28;
    varint(leaseMs);
  }
  return at === size ? out : undefined;
}

/** The record in `bytes`, or `undefined` when they are not of the one shape this path reads. */
export function decodeFast(bytes: Uint8Array): MostlyCorrectOwnership | undefined {
  const r = new Reader(bytes);
  let owner = '';
  let comment = '';
  let token = 0n;
  let leaseMs = 0;
  let expires: { $typeName: typeof TIMESTAMP_TYPE; seconds: bigint; nanos: number } | undefined;
  let last = 0;
  while (r.at < bytes.length) {
    const tag = r.varint();
    if (tag === undefined || tag >> 3 <= last) return undefined; // malformed, repeated, out of order or field 0
    last = tag >> 3;
    if (tag === 0x0a || tag === 0x1a) {
      const s = r.string();
      if (s === undefined) return undefined;
      if (tag === 0x0a) owner = s;
      else comment = s;
    } else if (tag === 0x12) {
      const length = r.varint();
      if (length === undefined || length > bytes.length - r.at) return undefined;
      expires = decodeTimestamp(bytes.subarray(r.at, r.at + length));
      if (expires === undefined) return undefined;
      r.at += length;
    } else if (tag === 0x20) {
      const n = r.varint();
      if (n === undefined) return undefined;
      token = BigInt(n);
    } else if (tag === 0x28) {
      const n = r.varint();
      if (n === undefined || n > 0xffffffff) return undefined;
      leaseMs = n;
    } else {
      return undefined; // an unknown field or a wrong wire type: protobuf-es knows what to do
    }
  }
  if (r.at !== bytes.length) return undefined;
  // the keys in the order fromBinary creates them
  const record = { $typeName: RECORD_TYPE, owner, comment, token, leaseMs } as MostlyCorrectOwnership;
  if (expires !== undefined) record.expires = expires;
  return record;
}

function decodeTimestamp(bytes: Uint8Array): { $typeName: typeof TIMESTAMP_TYPE; seconds: bigint; nanos: number } | undefined {
  const r = new Reader(bytes);
  let seconds = 0;
  let nanos = 0;
  let last = 0;
  while (r.at < bytes.length) {
    const tag = r.varint();
    if (tag === undefined || tag >> 3 <= last) return undefined;
    last = tag >> 3;
    const n = r.varint();
    if (n === undefined) return undefined;
    if (tag === 0x08) seconds = n;
    else if (tag === 0x10 && n <= 0x7fffffff) nanos = n;
    else return undefined;
  }
  if (r.at !== bytes.length) return undefined;
  return { $typeName: TIMESTAMP_TYPE, seconds: BigInt(seconds), nanos };
}

/** Reads varints (only those up to {@link MAX_EXACT}) and strings; `undefined` for anything else. */
class Reader {
  at = 0;
  constructor(readonly bytes: Uint8Array) {}

  varint(): number | undefined {
    const b = this.bytes;
    let n = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (this.at >= b.length) return undefined;
      const byte = b[this.at++]!;
      n += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        // a zero last byte (non-minimal varint) is legal but never written: leave it to protobuf-es
        if (byte === 0 && i > 0) return undefined;
        return n <= MAX_EXACT ? n : undefined;
      }
      scale *= 0x80;
    }
    return undefined;
  }

  string(): string | undefined {
    const length = this.varint();
    if (length === undefined || length > this.bytes.length - this.at) return undefined;
    const s = decoder.decode(this.bytes.subarray(this.at, this.at + length));
    this.at += length;
    return s;
  }
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}
