import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { csvColumns, csvField, csvFormat, csvHeader, csvRow, encodeCsv } from '../../../framework/src/transport/csv.js';

describe('csvField', () => {
  test('RFC 4180 quoting: comma, quote, CR and LF quote the field, quotes are doubled', () => {
    assert.equal(csvField('plain text'), 'plain text');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField('cr\rhere'), '"cr\rhere"');
    assert.equal(csvField('"'), '""""');
    assert.equal(csvField(' padded '), ' padded ');
    assert.equal(csvField(''), '');
  });

  test('null and undefined are empty; numbers, bigints and booleans as written', () => {
    assert.equal(csvField(null), '');
    assert.equal(csvField(undefined), '');
    assert.equal(csvField(-1.5), '-1.5');
    assert.equal(csvField(2n ** 70n), '1180591620717411303424');
    assert.equal(csvField(false), 'false');
  });

  test('dates are ISO-8601, bytes base64, objects and arrays JSON text (quoted)', () => {
    assert.equal(csvField(new Date('2024-01-05T10:00:00Z')), '2024-01-05T10:00:00.000Z');
    assert.equal(csvField(new Date(Number.NaN)), '');
    assert.equal(csvField(Buffer.from('hi')), 'aGk=');
    assert.equal(csvField(new Uint8Array([1, 2, 3])), 'AQID');
    assert.equal(csvField(['a', 'b']), '"[""a"",""b""]"');
    assert.equal(csvField({ n: 1, m: 2 }), '"{""n"":1,""m"":2}"');
    assert.equal(csvField({ big: 5n }), '"{""big"":5}"');
  });

  test('formula-looking text is written as it is', () => {
    for (const text of ['=1+1', '+33 1 23', '-5', '@SUM(A1)']) assert.equal(csvField(text), text);
    assert.equal(csvField('=HYPERLINK("x")'), '"=HYPERLINK(""x"")"');
  });

  test('functions and symbols have no CSV form', () => {
    assert.equal(csvField(Symbol('s')), '');
    assert.equal(csvField(() => 1), '');
  });
});

describe('csvColumns', () => {
  test('the union of keys in first-seen order without declared attributes', () => {
    assert.deepEqual(csvColumns([{ b: 1, a: 2 }, { c: 3, a: 4 }]), ['b', 'a', 'c']);
  });

  test('declared attributes first in schema order, only those present, then the other keys', () => {
    assert.deepEqual(csvColumns([{ extra: 1, price: 2, id: 3 }, { name: 'x', id: 4 }], ['id', 'name', 'price', 'category']), ['id', 'name', 'price', 'extra']);
  });

  test('rows that are not objects are a `value` column; arrays are columns by position', () => {
    assert.deepEqual(csvColumns(['a', 'b']), ['value']);
    assert.deepEqual(csvColumns([new Date(0), Buffer.from('x'), null]), ['value']);
    assert.deepEqual(csvColumns([['x', 1]]), ['0', '1']);
    assert.deepEqual(csvColumns([]), []);
  });
});

describe('rows and whole documents', () => {
  test('a row follows the columns: missing keys empty, other keys left out, CRLF ends it', () => {
    assert.equal(csvRow({ a: 1, z: 'ignored', c: 'x,y' }, ['a', 'b', 'c']), '1,,"x,y"\r\n');
    assert.equal(csvRow('bare', ['value']), 'bare\r\n');
    assert.equal(csvRow('bare', ['a', 'value']), ',bare\r\n');
    assert.equal(csvRow({ a: 1 }, []), '');
  });

  test('header names are quoted like fields', () => {
    assert.equal(csvHeader(['id', 'a,b', 'say "x"']), 'id,"a,b","say ""x"""\r\n');
    assert.equal(csvHeader([]), '');
  });

  test('one value is a header and one row; an array is a list of rows', () => {
    assert.equal(encodeCsv({ name: 'Lamp', id: 'l1' }, { attributes: ['id', 'name'] }), 'id,name\r\nl1,Lamp\r\n');
    assert.equal(encodeCsv([{ a: 1 }, { a: 2, b: true }]), 'a,b\r\n1,\r\n2,true\r\n');
    assert.equal(encodeCsv('text'), 'value\r\ntext\r\n');
    assert.equal(encodeCsv(null), 'value\r\n\r\n');
    assert.equal(encodeCsv([]), '');
  });

  test('a streamed framing takes its columns from the sample and keeps them', () => {
    const framing = csvFormat.frame({ attributes: ['id', 'name'] });
    framing.prepare!([{ name: 'a', id: 1 }, { id: 2, note: 'n' }]);
    assert.equal(framing.open(), 'id,name,note\r\n');
    assert.equal(framing.encode({ id: 3, name: 'c', later: 'dropped' }), '3,c,\r\n');
    assert.equal(framing.separator, '');
    assert.equal(framing.close, '');
  });

  test('the format sets a download name and is output only', () => {
    assert.equal(csvFormat.headers['Content-Disposition'], 'attachment; filename="data.csv"');
    assert.match(csvFormat.headers['Content-Type']!, /^text\/csv/);
    assert.equal('decode' in csvFormat, false);
  });
});
