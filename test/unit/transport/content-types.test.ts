import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
// cbor-x's default `decode` stands in for a client that knows nothing of Lode's encoder settings.
import { decode, Encoder } from 'cbor-x';
import type { LodeError } from '../../../framework/src/errors/index.js';
import { cborCodec, csvFormat, jsonCodec, msgpackCodec, negotiate } from '../../../framework/src/transport/index.js';
import { codecForContentType } from '../../../framework/src/transport/codecs.js';
import { attributeSuffix, formatSuffix } from '../../../framework/src/transport/url-suffix.js';

describe('CBOR codec', () => {
  test('bigints, dates, bytes and nested values survive a round trip', () => {
    const value = { big: 2n ** 70n, long: 2n ** 60n, small: 5n, when: new Date('2024-01-05T10:00:00.123Z'), bytes: Buffer.from([0, 1, 255]), list: [1, 'a', null], nested: { f: 1.5 } };
    const encoded = cborCodec.encode(value) as Buffer;
    assert.deepEqual(decode(encoded), value);
  });

  test('output is plain CBOR: a map for an object, no record extension tags', () => {
    const encoded = cborCodec.encode({ a: 1 }) as Buffer;
    assert.equal(encoded[0]! >> 5, 5, 'major type 5 (map)');
    assert.equal(encoded.includes(0xd9), false, 'no two-byte tags (records use 0xd9 0xdf…)');
    assert.equal((cborCodec.encode(Buffer.from('hi')) as Buffer)[0], 0x42, 'bytes are an untagged byte string');
  });

  test('a streamed collection is one indefinite-length array', () => {
    const framing = cborCodec.frame();
    const body = Buffer.concat([framing.open() as Buffer, framing.encode({ id: 1 }) as Buffer, framing.encode({ id: 2 }) as Buffer, framing.close as Buffer]);
    assert.equal(body[0], 0x9f);
    assert.equal(body.at(-1), 0xff);
    assert.deepEqual(decode(body), [{ id: 1 }, { id: 2 }]);
  });

  test('request bodies: 64-bit integers that fit a double become numbers, larger ones stay bigints', () => {
    const generic = new Encoder({ useRecords: false });
    const decoded = cborCodec.decode(generic.encode({ when: 2n ** 40n, huge: 2n ** 60n, negative: -(2n ** 40n), list: [2n ** 33n] })) as Record<string, unknown>;
    assert.deepEqual(decoded, { when: 2 ** 40, huge: 2n ** 60n, negative: -(2 ** 40), list: [2 ** 33] });
  });

  test('malformed CBOR is MALFORMED_BODY, not a crash', () => {
    for (const bytes of [[0xa1], [0xff], [0x01, 0x02], []]) {
      assert.throws(() => cborCodec.decode(Buffer.from(bytes)), (error: LodeError) => error.code === 'MALFORMED_BODY' && /CBOR/.test(error.message), String(bytes));
    }
  });
});

describe('content types', () => {
  test('request bodies: CBOR is read, CSV is 415', () => {
    assert.equal(codecForContentType('application/cbor'), cborCodec);
    assert.throws(() => codecForContentType('text/csv'), (error: LodeError) => error.code === 'UNSUPPORTED_MEDIA_TYPE' && /response format only/.test(error.message));
  });

  test('Accept picks CBOR and CSV; JSON stays the default for wildcards', () => {
    assert.equal(negotiate('application/cbor'), cborCodec);
    assert.equal(negotiate('text/csv'), csvFormat);
    assert.equal(negotiate('text/csv;q=0.5, application/cbor;q=0.6'), cborCodec);
    assert.equal(negotiate('application/cbor, application/json'), cborCodec);
    assert.equal(negotiate('*/*'), jsonCodec);
    assert.equal(negotiate('application/*;q=0.9, text/csv;q=0.1'), jsonCodec);
    assert.equal(negotiate('text/xml'), undefined);
  });
});

describe('URL suffixes', () => {
  test('the four known suffixes pick the format; other dots stay in the id', () => {
    assert.deepEqual(formatSuffix('/12.json'), { rest: '/12', format: jsonCodec });
    assert.deepEqual(formatSuffix('/12.msgpack'), { rest: '/12', format: msgpackCodec });
    assert.deepEqual(formatSuffix('/a/b.cbor'), { rest: '/a/b', format: cborCodec });
    assert.deepEqual(formatSuffix('/.csv'), { rest: '/', format: csvFormat });
    assert.deepEqual(formatSuffix('/x/.csv'), { rest: '/x/', format: csvFormat });
    assert.deepEqual(formatSuffix('/1.name.json'), { rest: '/1.name', format: jsonCodec });
    assert.deepEqual(formatSuffix('12.json'), { rest: '12', format: jsonCodec }, 'a remainder without a slash');
    for (const rest of ['', '/', '/12', '/v1.2', '/12.JSON', '/12.xml', '/a.csv/b', '/12%2Ecsv']) assert.equal(formatSuffix(rest), undefined, rest);
  });

  test('an attribute suffix needs a declared attribute and an id before the dot', () => {
    const attributes = [
      { name: 'id', type: 'ID' },
      { name: 'name', type: 'String' },
    ];
    assert.equal(attributeSuffix('/12.name', attributes), 'name');
    assert.equal(attributeSuffix('/a.b.name', attributes), 'name');
    assert.equal(attributeSuffix('/a/12.id', attributes), 'id');
    assert.equal(attributeSuffix('12.name', attributes), 'name');
    for (const rest of ['/12.nickname', '/.name', '.name', '/12', '/12.name/', '/12.name/x', '/a.name/12', '']) assert.equal(attributeSuffix(rest, attributes), undefined, rest);
    assert.equal(attributeSuffix('/12.name', undefined), undefined);
  });
});
