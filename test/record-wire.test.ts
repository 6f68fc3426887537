import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { TimestampSchema } from '@bufbuild/protobuf/wkt';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MostlyCorrectOwnershipSchema, newRecord, type MostlyCorrectOwnership } from '../src/index.js';
import { decodeFast, encodeFast } from '../src/record-wire.js';

// The fast path must answer exactly as protobuf-es does wherever it answers at all.

const bigint64 = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 53n }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.constantFrom(0n, 1n, 127n, 128n, 2n ** 53n - 1n));
const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.constantFrom('', 'node1#V1StGXR8_Z5jdHi6B-myT', '\ud800', 'a\udfffb'));
const record: fc.Arbitrary<MostlyCorrectOwnership> = fc
  .record({
    owner: text,
    comment: text,
    token: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
    leaseMs: fc.oneof(fc.constant(0), fc.nat(), fc.constant(0xffffffff)),
    expires: fc.option(
      fc.record({ seconds: bigint64, nanos: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 999_999_999 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })) }),
      { nil: undefined },
    ),
  })
  .map(({ expires, ...rest }) =>
    create(MostlyCorrectOwnershipSchema, { ...rest, ...(expires === undefined ? {} : { expires: create(TimestampSchema, expires) }) }),
  );

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** fromBinary's answer, or the fact that it threw. */
function reference(bytes: Uint8Array): MostlyCorrectOwnership | 'throws' {
  try {
    return fromBinary(MostlyCorrectOwnershipSchema, bytes);
  } catch {
    return 'throws';
  }
}

describe('record fast path (src/record-wire.ts)', () => {
  it('encodes byte-identically to toBinary whenever it encodes', () => {
    let encoded = 0;
    fc.assert(
      fc.property(record, (r) => {
        const fast = encodeFast(r);
        if (fast === undefined) return;
        encoded++;
        expect(hex(fast)).toBe(hex(toBinary(MostlyCorrectOwnershipSchema, r)));
      }),
      { numRuns: 2000 },
    );
    expect(encoded).toBeGreaterThan(200); // the comparison is not vacuous
  });

  it('encodes every record the owner writes (live, released, fenced)', () => {
    const live = newRecord('node1#V1StGXR8_Z5jdHi6B-myT', 1_700_000_000_123.456, 'node1#V1StGXR8_Z5jdHi6B-myT@2023-11-14T22:13:20.123Z');
    const released = { ...live, expires: create(TimestampSchema, {}) };
    const fenced = { ...live, token: 42n, leaseMs: 40 };
    for (const r of [live, released, fenced]) expect(encodeFast(r)).toEqual(toBinary(MostlyCorrectOwnershipSchema, r));
  });

  it('decodes to what fromBinary returns whenever it decodes, on encoded records', () => {
    fc.assert(
      fc.property(record, (r) => {
        const bytes = toBinary(MostlyCorrectOwnershipSchema, r);
        const fast = decodeFast(bytes);
        if (fast !== undefined) expect(fast).toStrictEqual(reference(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes to what fromBinary returns whenever it decodes, on mutated and truncated bytes', () => {
    let decoded = 0;
    const mutated = fc
      .tuple(record, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), fc.nat(), fc.boolean())
      .map(([r, flips, cut, truncate]) => {
        const bytes = toBinary(MostlyCorrectOwnershipSchema, r);
        for (const [at, value] of flips) if (bytes.length > 0) bytes[at % bytes.length] = value;
        return truncate && bytes.length > 0 ? bytes.subarray(0, cut % bytes.length) : bytes;
      });
    fc.assert(
      fc.property(mutated, (bytes) => {
        const fast = decodeFast(bytes);
        if (fast === undefined) return;
        decoded++;
        expect(fast).toStrictEqual(reference(bytes));
      }),
      { numRuns: 3000 },
    );
    expect(decoded).toBeGreaterThan(300);
  });

  it('leaves unknown fields, repeated fields and non-minimal varints to protobuf-es', () => {
    const bytes = toBinary(MostlyCorrectOwnershipSchema, newRecord('a#b', 1_700_000_000_000, 'c'));
    expect(decodeFast(new Uint8Array([...bytes, 0xa0, 0x06, 0x01]))).toBeUndefined(); // field 100
    expect(decodeFast(new Uint8Array([0x0a, 0x01, 0x61, 0x0a, 0x01, 0x62]))).toBeUndefined(); // owner twice
    expect(decodeFast(new Uint8Array([0x28, 0x81, 0x00]))).toBeUndefined(); // leaseMs 1 in two bytes
    expect(decodeFast(bytes)).toStrictEqual(reference(bytes));
  });
});
