import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { TimestampSchema, timestampDate } from '@bufbuild/protobuf/wkt';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptRecordError } from '../src/index.js';
import {
  MostlyCorrectOwnershipSchema,
  decodeRecord,
  encodeRecord,
  expiresMs,
  isoFromMs,
  newRecord,
  quantizeMs,
  timestampFromMs,
  msFromTimestamp,
} from '../src/internal.js';

// Golden vectors, computed field by field from the protobuf wire format
// (tag = field << 3 | wire type; varints little-endian base 128), not by this library.
const OWNER = 'writer#V1StGXR8_Z5jdHi6B-myT';
const COMMENT = `${OWNER}@2023-11-14T22:13:20.123Z`;
const LIVE_HEX =
  '0a1c7772697465722356315374475852385f5a356a64486936422d6d7954' + // 1: owner
  '120b0880e2cfaa0610959aef3a' + // 2: expires {seconds: 1700000000, nanos: 123456789}
  '1a357772697465722356315374475852385f5a356a64486936422d6d795440323032332d31312d31345432323a31333a32302e3132335a'; // 3: comment
const RELEASED_HEX =
  '0a1c7772697465722356315374475852385f5a356a64486936422d6d7954' +
  '1200' + // 2: expires present but empty: Go's Timestamp.Reset() = the epoch
  '1a357772697465722356315374475852385f5a356a64486936422d6d795440323032332d31312d31345432323a31333a32302e3132335a';
const NO_COMMENT_HEX = '0a0377237812060880e2cfaa06'; // owner "w#x", expires {1700000000, 0}, no comment field

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('ownership record wire format', () => {
  it('encodes a live record (seconds + nanos) byte-identically to the reference', () => {
    const rec = newRecord(OWNER, 0, COMMENT);
    rec.expires = create(TimestampSchema, { seconds: 1_700_000_000n, nanos: 123_456_789 });
    expect(hex(encodeRecord(rec))).toBe(LIVE_HEX);
  });

  it('converts milliseconds to a Timestamp (a float ms at today\'s epoch resolves ~0.25 µs)', () => {
    const ts = timestampFromMs(1_700_000_000_123.5);
    expect(ts.seconds).toBe(1_700_000_000n);
    expect(ts.nanos).toBe(123_500_000);
    // eslint-disable-next-line no-loss-of-precision -- the point of this line
    const near = timestampFromMs(1_700_000_000_123.456789);
    expect(Math.abs(near.nanos - 123_456_789)).toBeLessThan(250);
  });

  it('encodes a released record (epoch expires, field present) byte-identically', () => {
    const rec = newRecord(OWNER, 1_700_000_000_123.5, COMMENT);
    rec.expires = timestampFromMs(0);
    expect(hex(encodeRecord(rec))).toBe(RELEASED_HEX);
  });

  it('omits an empty comment, as proto3 does', () => {
    expect(hex(encodeRecord(newRecord('w#x', 1_700_000_000_000, '')))).toBe(NO_COMMENT_HEX);
  });

  it('decodes the reference bytes back', () => {
    const rec = decodeRecord(Buffer.from(LIVE_HEX, 'hex'), 'p/k');
    expect(rec.owner).toBe(OWNER);
    expect(rec.comment).toBe(COMMENT);
    expect(rec.expires?.seconds).toBe(1_700_000_000n);
    expect(rec.expires?.nanos).toBe(123_456_789);
    expect(expiresMs(decodeRecord(Buffer.from(RELEASED_HEX, 'hex'), 'p/k'))).toBe(0);
  });

  it('keeps unknown fields from newer writers when re-encoding', () => {
    // field 4 varint 7 appended (a future "token" field)
    const bytes = Buffer.from(NO_COMMENT_HEX + '2007', 'hex');
    const rec = decodeRecord(bytes, 'p/k');
    expect(hex(encodeRecord(rec))).toBe(NO_COMMENT_HEX + '2007');
  });

  it('treats a record without expires as expired at the epoch (Go AsTime(nil))', () => {
    expect(expiresMs(decodeRecord(Buffer.from('0a03772378', 'hex'), 'p/k'))).toBe(0);
    expect(msFromTimestamp(undefined)).toBe(0);
  });

  it('rounds milliseconds to whole nanoseconds and carries into seconds', () => {
    const ts = timestampFromMs(1999.9999999);
    expect(ts.seconds).toBe(2n);
    expect(ts.nanos).toBe(0);
    expect(msFromTimestamp(timestampFromMs(-1.5))).toBe(-1.5);
  });

  it('throws a typed CorruptRecordError with the raw bytes for garbage', () => {
    const garbage = new Uint8Array([0xff, 0xff, 0xff]);
    let thrown: unknown;
    try {
      decodeRecord(garbage, 'branches/main', 'me#1');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(CorruptRecordError);
    const e = thrown as CorruptRecordError;
    expect(e.name).toBe('CorruptRecordError');
    expect(e.key).toBe('branches/main');
    expect(e.owner).toBe('me#1');
    expect(e.value).toEqual(garbage);
    expect(e.cause).toBeInstanceOf(Error);
    expect(e.message).toContain('mc-ownership/branches/main');
  });
});

describe('record helpers', () => {
  const ms = fc.oneof(
    fc.double({ min: -1e13, max: 1e13, noNaN: true }),
    fc.integer({ min: -1e13, max: 1e13 }),
    fc.double({ min: 1_700_000_000_000, max: 1_700_000_100_000, noNaN: true }),
    fc.constantFrom(0, 999.9999999, 1_700_000_000_999.999, -0.0000001, -5e-324),
  );

  it('quantizeMs(ms) is msFromTimestamp(timestampFromMs(ms))', () => {
    fc.assert(fc.property(ms, (x) => Object.is(quantizeMs(x), msFromTimestamp(timestampFromMs(x)))));
  });

  it('timestampFromMs and newRecord build exactly what create() builds (same fields, same bytes)', () => {
    fc.assert(
      fc.property(ms, fc.string(), fc.string(), (x, owner, comment) => {
        const ts = timestampFromMs(x);
        expect(ts).toStrictEqual(create(TimestampSchema, { seconds: ts.seconds, nanos: ts.nanos }));
        const rec = newRecord(owner, x, comment);
        const viaCreate = create(MostlyCorrectOwnershipSchema, { owner, expires: create(TimestampSchema, { seconds: ts.seconds, nanos: ts.nanos }), comment });
        expect(rec).toStrictEqual(viaCreate);
        expect(encodeRecord(rec)).toEqual(encodeRecord(viaCreate));
      }),
    );
  });

  it('isoFromMs(ms) is the Timestamp\'s Date as ISO text', () => {
    fc.assert(fc.property(ms, (x) => isoFromMs(x) === timestampDate(timestampFromMs(x)).toISOString()));
  });
});

describe('decodeRecord', () => {
  it('returns what fromBinary returns, each time', () => {
    const bytes = encodeRecord(newRecord('cache#1', 1_700_000_000_123.456, 'c'));
    const expected = fromBinary(MostlyCorrectOwnershipSchema, bytes);
    expect(decodeRecord(bytes, 'k')).toStrictEqual(expected);
    expect(decodeRecord(bytes.slice(), 'k')).toStrictEqual(expected);
  });

  it('hands out fresh records: changing one (as refresh and release do) leaves later decodes alone', () => {
    const bytes = encodeRecord(newRecord('cache#2', 1_700_000_000_000, 'c'));
    const first = decodeRecord(bytes, 'k');
    const second = decodeRecord(bytes, 'k');
    expect(second).not.toBe(first);
    expect(second.expires).not.toBe(first.expires);
    second.expires!.seconds = 5n;
    second.owner = 'someone else';
    first.expires = timestampFromMs(0);
    const third = decodeRecord(bytes, 'k');
    expect(third.owner).toBe('cache#2');
    expect(expiresMs(third)).toBe(1_700_000_000_000);
  });

  it('is not fooled when the caller changes the bytes it decoded', () => {
    const bytes = encodeRecord(newRecord('cache#4', 1_700_000_000_000, 'c'));
    const original = bytes.slice();
    expect(decodeRecord(bytes, 'k').owner).toBe('cache#4');
    bytes[bytes.indexOf('4'.charCodeAt(0))] = '5'.charCodeAt(0); // the caller reuses its buffer
    expect(decodeRecord(bytes, 'k').owner).toBe('cache#5');
    expect(decodeRecord(original, 'k').owner).toBe('cache#4');
  });

  it('rejects garbage after decoding good records, and keeps unknown fields', () => {
    const good = encodeRecord(newRecord('cache#3', 1, 'c'));
    decodeRecord(good, 'k');
    expect(() => decodeRecord(new Uint8Array([0xff, 0xff, 0xff]), 'k')).toThrow(CorruptRecordError);
    const withUnknown = new Uint8Array([...good, 0xa0, 0x06, 0x01]); // field 100, varint 1
    const once = decodeRecord(withUnknown, 'k');
    const twice = decodeRecord(withUnknown, 'k');
    expect(twice).toStrictEqual(once);
    expect(hex(encodeRecord(twice))).toBe(hex(withUnknown));
  });
});

describe('the direct codec agrees with protobuf-es', () => {
  const record = fc.record({
    owner: fc.string({ unit: 'grapheme' }),
    comment: fc.string(),
    token: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    leaseMs: fc.nat({ max: 2 ** 32 - 1 }),
    expires: fc.option(fc.record({ seconds: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), nanos: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) }), { nil: undefined }),
  });

  it('encodeRecord writes the bytes toBinary writes, and decodeRecord reads what fromBinary reads', () => {
    fc.assert(
      fc.property(record, ({ expires, ...fields }) => {
        const rec = create(MostlyCorrectOwnershipSchema, { ...fields, ...(expires === undefined ? {} : { expires: create(TimestampSchema, expires) }) });
        const bytes = toBinary(MostlyCorrectOwnershipSchema, rec);
        expect(hex(encodeRecord(rec))).toBe(hex(bytes));
        expect(decodeRecord(bytes, 'k')).toStrictEqual(fromBinary(MostlyCorrectOwnershipSchema, bytes));
      }),
    );
  });

  it('decodes any bytes as fromBinary does: the same record, or a CorruptRecordError where it throws', () => {
    const valid = record.map(({ expires, ...fields }) =>
      toBinary(MostlyCorrectOwnershipSchema, create(MostlyCorrectOwnershipSchema, { ...fields, ...(expires === undefined ? {} : { expires: create(TimestampSchema, expires) }) })),
    );
    // valid records cut, spliced and with bytes changed or appended: unknown fields,
    // repeated fields, wrong wire types, truncations
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc.tuple(valid, valid, fc.nat(), fc.uint8Array({ maxLength: 6 })).map(([a, b, cut, extra]) => new Uint8Array([...a.subarray(0, cut % (a.length + 1)), ...extra, ...b])),
      fc.tuple(valid, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([a, at, v]) => {
        const c = a.slice();
        if (c.length > 0) c[at % c.length] = v;
        return c;
      }),
    );
    fc.assert(
      fc.property(bytes, (b) => {
        let expected: unknown;
        try {
          expected = fromBinary(MostlyCorrectOwnershipSchema, b);
        } catch {
          expect(() => decodeRecord(b, 'k')).toThrow(CorruptRecordError);
          return;
        }
        const got = decodeRecord(b, 'k');
        expect(got).toStrictEqual(expected);
        expect(hex(encodeRecord(got))).toBe(hex(toBinary(MostlyCorrectOwnershipSchema, got)));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('release record', () => {
  it('is the record Go writes (expires present and empty)', () => {
    const rec = newRecord(OWNER, 1_700_000_000_123, COMMENT);
    rec.expires = timestampFromMs(0);
    expect(hex(encodeRecord(rec))).toBe(RELEASED_HEX);
  });
});
