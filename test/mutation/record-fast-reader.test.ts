/**
 * `decodeRecord`'s direct reader (the five known fields, each once, with
 * their wire types) against protobuf-es's `fromBinary` on crafted bytes the
 * random property of test/record.test.ts rarely draws: repeated fields
 * (a repeated message merges), strings whose bytes also read as a
 * Timestamp, wrong wire types, unknown fields in the record and in its
 * Timestamp, a Timestamp's length reaching past the record. The answer must
 * always be `fromBinary`'s (the same record, or a CorruptRecordError where
 * it throws). Written for the mutation run (docs/mutation.md).
 */
import { fromBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptRecordError } from '../../src/index.js';
import { MostlyCorrectOwnershipSchema, decodeRecord } from '../../src/internal.js';

type Build = (w: BinaryWriter) => void;
const bytes = (...parts: Build[]): Uint8Array => {
  const w = new BinaryWriter();
  for (const p of parts) p(w);
  return w.finish();
};
const owner = (s: string): Build => (w) => void w.tag(1, WireType.LengthDelimited).string(s);
const comment = (s: string): Build => (w) => void w.tag(3, WireType.LengthDelimited).string(s);
const token = (t: bigint): Build => (w) => void w.tag(4, WireType.Varint).uint64(t);
const lease = (n: number): Build => (w) => void w.tag(5, WireType.Varint).uint32(n);
const expires = (...inner: Build[]): Build => (w) => {
  w.tag(2, WireType.LengthDelimited).fork();
  for (const p of inner) p(w);
  w.join();
};
const seconds = (s: bigint): Build => (w) => void w.tag(1, WireType.Varint).int64(s);
const nanos = (n: number): Build => (w) => void w.tag(2, WireType.Varint).int32(n);
const raw = (...b: number[]): Build => (w) => void w.raw(new Uint8Array(b));

const cases: [string, Uint8Array][] = [
  ['empty', new Uint8Array()],
  ['every field', bytes(owner('a#1'), expires(seconds(1_700_000_000n), nanos(5)), comment('c'), token(3n), lease(400))],
  ['fields out of number order', bytes(lease(400), token(3n), comment('c'), expires(nanos(5), seconds(7n)), owner('a#1'))],
  ['expires twice: the two messages merge', bytes(owner('a#1'), expires(seconds(1_700_000_000n)), expires(nanos(5)))],
  ['owner twice: the last one', bytes(owner('a#1'), owner('b#2'))],
  ['token twice, lease twice', bytes(token(3n), token(4n), lease(1), lease(2))],
  ['seconds twice in one Timestamp', bytes(expires(seconds(1n), seconds(2n)))],
  ['nanos twice in one Timestamp', bytes(expires(nanos(1), nanos(2)))],
  ['an owner whose bytes also read as a Timestamp', bytes(owner('\b\u0005'))],
  ['a comment whose bytes also read as a Timestamp', bytes(comment('\b\u0005'))],
  ['owner as a varint', bytes(raw(0x08, 0x05))],
  ['comment as a varint', bytes(raw(0x18, 0x05))],
  ['expires as a varint', bytes(raw(0x10, 0x05))],
  ['token as a length-delimited field', bytes(raw(0x22, 0x01, 0x05))],
  ['lease as a length-delimited field', bytes(raw(0x2a, 0x01, 0x05))],
  ['a token whose value reads as a Timestamp length', bytes(token(2n), raw(0x08, 0x05))],
  ['a lease whose value reads as a Timestamp length', bytes(lease(2), raw(0x08, 0x05))],
  ['an unknown field 6', bytes(owner('a#1'), raw(0x30, 0x01))],
  ['an unknown field 7 (length-delimited)', bytes(raw(0x3a, 0x01, 0x41), owner('a#1'))],
  ['an unknown field in the Timestamp', bytes(expires(seconds(1n), raw(0x18, 0x01)))],
  ['seconds as a length-delimited field', bytes(expires(raw(0x0a, 0x01, 0x05)))],
  ['a Timestamp longer than the record', bytes(raw(0x12, 0x05, 0x08, 0x01))],
  ['a Timestamp shorter than its fields', bytes(raw(0x12, 0x01, 0x08, 0x05), owner('a#1'))],
  ['a Timestamp with no owner before it, 10 bytes long', bytes(expires(seconds(1_700_000_000n), nanos(20_000)), comment('c'))],
  ['a Timestamp first, whose 4 bytes read as an owner field', bytes(raw(0x12, 0x04, 0x0a, 0x02, 0x41, 0x42))],
  ['a Timestamp tag and nothing after it', new Uint8Array([0x12])],
  ['a truncated string', bytes(raw(0x0a, 0x05, 0x41))],
  ['field number 0', bytes(raw(0x00, 0x01))],
];

function agrees(b: Uint8Array): void {
  let expected: unknown;
  try {
    expected = fromBinary(MostlyCorrectOwnershipSchema, b);
  } catch {
    expect(() => decodeRecord(b, 'p/k')).toThrow(CorruptRecordError);
    return;
  }
  expect(decodeRecord(b, 'p/k')).toStrictEqual(expected);
}

describe('decodeRecord answers as fromBinary does', () => {
  for (const [name, b] of cases) it(name, () => agrees(b));

  it('on records built field by field with any field number 0–7 and any wire type, nested one level', () => {
    // a field: a tag with any number and wire type, then a payload of the kind its wire type says
    // (or of another kind); groups and Timestamps hold such fields too
    const payload = (depth: number): fc.Arbitrary<Build> =>
      fc.oneof(
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((v): Build => (w) => void w.uint64(v)),
        fc.uint8Array({ maxLength: 6 }).map((v): Build => (w) => void w.bytes(v)),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }).map((v): Build => (w) => void w.fixed32(v)),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((v): Build => (w) => void w.fixed64(v)),
        ...(depth > 0 ? [fields(depth - 1).map((inner): Build => (w) => { w.fork(); for (const f of inner) f(w); w.join(); })] : []),
      );
    const field = (depth: number): fc.Arbitrary<Build> =>
      fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 5 }), payload(depth)).map(([no, wt, p]): Build => (w) => {
        w.uint32((no << 3) | wt);
        p(w);
      });
    const fields = (depth: number): fc.Arbitrary<Build[]> => fc.array(field(depth), { maxLength: 5 });
    const known = fc.constantFrom(owner('a#1'), comment('c'), token(3n), lease(400), expires(seconds(1_700_000_000n), nanos(5)), expires(nanos(7)));
    const record = fc.array(fc.oneof({ weight: 2, arbitrary: known }, { weight: 1, arbitrary: field(1) }), { maxLength: 6 });
    fc.assert(fc.property(record, (parts) => agrees(bytes(...parts))), { numRuns: 3000 });
  });
});
