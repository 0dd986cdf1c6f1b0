import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pack } from 'msgpackr';
import type { LodeError } from '../../../framework/src/errors/index.js';
import { encodeJson, jsonCodec, msgpackCodec, negotiate } from '../../../framework/src/transport/index.js';
import { codecForContentType } from '../../../framework/src/transport/codecs.js';

describe('negotiate', () => {
  test('JSON by default and for wildcards', () => {
    for (const accept of [undefined, '', '*/*', 'application/json', 'application/*', 'text/html, */*;q=0.1']) assert.equal(negotiate(accept), jsonCodec, String(accept));
  });

  test('MessagePack when preferred, by q-value', () => {
    assert.equal(negotiate('application/x-msgpack'), msgpackCodec);
    assert.equal(negotiate('application/json;q=0.5, application/x-msgpack'), msgpackCodec);
    assert.equal(negotiate('application/x-msgpack;q=0.4, application/json;q=0.9'), jsonCodec);
  });

  test('nothing acceptable → undefined (406); q=0 excludes', () => {
    assert.equal(negotiate('text/html'), undefined);
    assert.equal(negotiate('application/json;q=0'), undefined);
  });
});

describe('request bodies', () => {
  test('content types pick the codec; unknown ones are 415', () => {
    assert.equal(codecForContentType(undefined), jsonCodec);
    assert.equal(codecForContentType('application/json; charset=utf-8'), jsonCodec);
    assert.equal(codecForContentType('application/merge-patch+json'), jsonCodec);
    assert.equal(codecForContentType('application/msgpack'), msgpackCodec);
    assert.throws(() => codecForContentType('text/plain'), (error: LodeError) => error.code === 'UNSUPPORTED_MEDIA_TYPE');
  });

  test('malformed JSON names the position', () => {
    assert.throws(
      () => jsonCodec.decode(Buffer.from('{"a": 1,}')),
      (error: LodeError) => error.code === 'MALFORMED_BODY' && /position 8/.test(error.errors![0]!.path),
    );
  });

  test('malformed MessagePack is a 400, not a crash', () => {
    assert.throws(() => msgpackCodec.decode(Buffer.from([0x92, 0x01])), (error: LodeError) => error.code === 'MALFORMED_BODY');
    assert.deepEqual(msgpackCodec.decode(pack({ a: [1, 2] })), { a: [1, 2] });
  });
});

describe('encodeJson', () => {
  test('plain values take the fast path', () => {
    assert.equal(encodeJson({ a: 1, d: new Date(0) }), '{"a":1,"d":"1970-01-01T00:00:00.000Z"}');
  });

  test('bigints become numbers (or strings past 2^53) and bytes base64', () => {
    assert.equal(encodeJson({ n: 5n, big: 2n ** 60n }), `{"n":5,"big":"${2n ** 60n}"}`);
    assert.equal(encodeJson({ b: Buffer.from('hi') }), '{"b":"aGk="}');
    assert.equal(encodeJson({ empty: Buffer.alloc(0), nested: [{ b: Buffer.from([1]) }] }), '{"empty":"","nested":[{"b":"AQ=="}]}');
    assert.equal(encodeJson(Buffer.from('hi')), '"aGk="');
  });

  test('text that only looks like a serialized Buffer stays as it is', () => {
    const text = 'Buffer","data":[1]';
    assert.equal(encodeJson({ text, also: '{"type":"Buffer","data":[1]}' }), JSON.stringify({ text, also: '{"type":"Buffer","data":[1]}' }));
  });
});
