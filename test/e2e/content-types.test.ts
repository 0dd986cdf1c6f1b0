import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decode, encode } from 'cbor-x';
import { unpack } from 'msgpackr';
import { startTestApp, type TestApp } from '../../framework/src/testing/index.js';
import { replayDocExamples } from '../support/doc-examples.js';
import { assertSubset } from '../support/subset.js';

const schema = `
type Product @table @export {
  id: ID @primaryKey
  name: String!
  price: Float
  category: String @indexed
  tags: [String]
  stock: BigInt
  released: Date
  image: Bytes
}

type Order @table @export {
  id: Int @primaryKey
  quantity: Int
}

type Blob @table @export {
  id: Int @primaryKey
  text: String
}
`;

const resources = `
import { Resource } from 'lode';

export class Feed extends Resource {
  static async *get(target: { search: string }) {
    const count = Number(new URLSearchParams(target.search).get('n') ?? 3);
    for (let i = 0; i < count; i++) {
      await Promise.resolve();
      yield i < 300 ? { i, text: 'row ' + i } : { i, text: 'row ' + i, late: true };
    }
  }
}

export class Echo extends Resource {
  static get(target: { id?: unknown; path: string; isCollection: boolean }) {
    return { id: target.id ?? null, path: target.path, isCollection: target.isCollection };
  }
  static post(_target: unknown, data: unknown, context: { url: string }) {
    return { received: data, url: context.url };
  }
}
`;

const BLOBS = 300;
const PADDING = 'x'.repeat(500);

const lamp = {
  name: 'Lamp, "deluxe"\nedition',
  price: 24.5,
  category: 'home',
  tags: ['desk', 'led'],
  stock: '12345678901234567890',
  released: '2024-01-05T10:00:00.000Z',
  image: Buffer.from('png!').toString('base64'),
};

describe('content types and URL suffixes', { timeout: 60000 }, () => {
  let app: TestApp;
  const get = (path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Response> => fetch(app.url + path, { method, headers });
  const bytes = async (res: Response): Promise<Buffer> => Buffer.from(await res.arrayBuffer());

  before(async () => {
    app = await startTestApp({ files: { 'schema.graphql': schema, 'resources.ts': resources } });
    assert.equal((await app.request('/Product/lamp', { method: 'PUT', body: lamp })).status, 204);
    assert.equal((await app.request('/Product/chair', { method: 'PUT', body: { name: '=1+1', price: -5, category: 'home' } })).status, 204);
    assert.equal((await app.request('/Product/cable', { method: 'PUT', body: { name: 'Cable', price: 5, category: 'tech' } })).status, 204);
    const blobs = app.app.storage.table('Blob')!;
    await Promise.all(Array.from({ length: BLOBS }, (_, id) => blobs.put(id, { text: PADDING })));
  });

  after(() => app.close());

  describe('CBOR', () => {
    test('a record keeps its bigints, dates and bytes', async () => {
      const res = await get('/Product/lamp', { accept: 'application/cbor' });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/cbor');
      assert.equal(res.headers.get('vary'), 'Accept');
      assert.ok(res.headers.get('etag'));
      const record = decode(await bytes(res)) as Record<string, unknown>;
      assert.equal(record.stock, 12345678901234567890n);
      assert.deepEqual(record.released, new Date(lamp.released));
      assert.deepEqual(record.image, Buffer.from('png!'));
      assert.equal(record.name, lamp.name);
      assert.deepEqual(record.tags, ['desk', 'led']);
    });

    test('a CBOR request body is stored with its native types', async () => {
      const body = encode({ name: 'Packed', stock: 2n ** 70n, released: new Date('2023-03-04T05:06:07.089Z'), image: Buffer.from([0, 255]), price: 2 ** 40 });
      const put = await fetch(`${app.url}/Product/packed`, { method: 'PUT', headers: { 'content-type': 'application/cbor' }, body });
      assert.equal(put.status, 204, await put.text());
      const json = (await app.request('/Product/packed')).body as Record<string, unknown>;
      assert.deepEqual(json, { id: 'packed', name: 'Packed', stock: String(2n ** 70n), released: '2023-03-04T05:06:07.089Z', image: 'AP8=', price: 2 ** 40 });
      const record = decode(await bytes(await get('/Product/packed.cbor'))) as Record<string, unknown>;
      assert.equal(record.stock, 2n ** 70n);
      assert.deepEqual(record.released, new Date('2023-03-04T05:06:07.089Z'));
      assert.equal((await app.request('/Product/packed', { method: 'DELETE' })).status, 204);
    });

    test('a malformed CBOR body is a 400 problem', async () => {
      const res = await fetch(`${app.url}/Product/bad`, { method: 'PUT', headers: { 'content-type': 'application/cbor' }, body: Buffer.from([0xa2, 0x61]) });
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('content-type'), 'application/problem+json');
      assert.equal(((await res.json()) as { code: string }).code, 'MALFORMED_BODY');
      assert.equal((await get('/Product/bad')).status, 404);
    });

    test('a small collection is one indefinite-length array, sent whole', async () => {
      const res = await get('/Product/?category=home', { accept: 'application/cbor' });
      const body = await bytes(res);
      assert.equal(res.headers.get('content-length'), String(body.length));
      assert.equal(body[0], 0x9f);
      assert.equal(body.at(-1), 0xff);
      assert.deepEqual((decode(body) as { id: string }[]).map((row) => row.id).sort(), ['chair', 'lamp']);
    });

    test('an empty collection is an empty array', async () => {
      const body = await bytes(await get('/Product/?category=none', { accept: 'application/cbor' }));
      assert.deepEqual([...body], [0x9f, 0xff]);
    });

    test('a collection over 64 KiB streams and still decodes as one array', async () => {
      const res = await get('/Blob/', { accept: 'application/cbor' });
      assert.equal(res.headers.get('content-length'), null, 'chunked, not sent whole');
      const rows = decode(await bytes(res)) as { id: number; text: string }[];
      assert.equal(rows.length, BLOBS);
      assert.deepEqual(
        rows.map((row) => row.id),
        Array.from({ length: BLOBS }, (_, id) => id),
      );
      assert.ok(rows.every((row) => row.text === PADDING));
    });

    test('an asynchronous source streams as one array', async () => {
      const rows = decode(await bytes(await get('/Feed/?n=3', { accept: 'application/cbor' })));
      assert.deepEqual(rows, [
        { i: 0, text: 'row 0' },
        { i: 1, text: 'row 1' },
        { i: 2, text: 'row 2' },
      ]);
    });
  });

  describe('CSV', () => {
    test('a query with select: the selected columns in select order, a download name', async () => {
      const res = await get('/Product/?category=home&select(price,name)&sort(price)', { accept: 'text/csv' });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8');
      assert.equal(res.headers.get('content-disposition'), 'attachment; filename="data.csv"');
      assert.equal(await res.text(), 'price,name\r\n-5,=1+1\r\n24.5,"Lamp, ""deluxe""\nedition"\r\n');
    });

    test('whole records: declared attributes in schema order, every type as text', async () => {
      const text = await (await get('/Product/.csv?category=home&sort(price)')).text();
      assert.equal(
        text,
        'id,name,price,category,tags,stock,released,image\r\n' +
          'chair,=1+1,-5,home,,,,\r\n' +
          `lamp,"Lamp, ""deluxe""\nedition",24.5,home,"[""desk"",""led""]",12345678901234567890,2024-01-05T10:00:00.000Z,${lamp.image}\r\n`,
      );
    });

    test('one record is a header and one line; select(a) bare values are a value column', async () => {
      assert.equal(await (await get('/Product/cable.csv')).text(), 'id,name,price,category\r\ncable,Cable,5,tech\r\n');
      assert.equal(await (await get('/Product/.csv?category=home&select(name)&sort(name)')).text(), 'value\r\n=1+1\r\n"Lamp, ""deluxe""\nedition"\r\n');
      assert.equal(await (await get('/Product/.csv?category=none')).text(), '');
    });

    test('a collection over 64 KiB streams with its header first', async () => {
      const res = await get('/Blob/.csv');
      assert.equal(res.headers.get('content-length'), null);
      const lines = (await res.text()).split('\r\n');
      assert.equal(lines[0], 'id,text');
      assert.equal(lines[1], `0,${PADDING}`);
      assert.equal(lines.length, BLOBS + 2, 'header, rows, and the empty string after the last CRLF');
      assert.equal(lines.at(-1), '');
    });

    test('an asynchronous source: columns from the first rows, later keys left out', async () => {
      const lines = (await (await get('/Feed/.csv?n=400')).text()).split('\r\n');
      assert.equal(lines[0], 'i,text');
      assert.equal(lines[1], '0,row 0');
      assert.equal(lines[400], '399,row 399');
      assert.equal(lines.length, 402);
    });

    test('a CSV request body is 415', async () => {
      const res = await fetch(`${app.url}/Product/lamp`, { method: 'PUT', headers: { 'content-type': 'text/csv' }, body: 'name\nx' });
      assert.equal(res.status, 415);
      assert.equal(res.headers.get('content-type'), 'application/problem+json');
    });
  });

  describe('URL suffixes', () => {
    test('each suffix picks the format over Accept', async () => {
      const asJson = await get('/Product/cable.json', { accept: 'text/csv' });
      assert.equal(asJson.headers.get('content-type'), 'application/json');
      assert.equal(asJson.headers.get('vary'), null);
      assert.deepEqual(await asJson.json(), { id: 'cable', name: 'Cable', price: 5, category: 'tech' });
      const packed = await get('/Product/cable.msgpack', { accept: 'application/json' });
      assert.equal(packed.headers.get('content-type'), 'application/x-msgpack');
      assert.equal((unpack(await bytes(packed)) as { name: string }).name, 'Cable');
      const cbor = await get('/Product/cable.cbor', { accept: 'text/xml' });
      assert.equal(cbor.status, 200, 'an unacceptable Accept does not matter with a suffix');
      assert.equal((decode(await bytes(cbor)) as { name: string }).name, 'Cable');
      assert.equal(await (await get('/Product/cable.csv', { accept: 'application/json' })).text(), 'id,name,price,category\r\ncable,Cable,5,tech\r\n');
    });

    test('collections take the suffix after their slash', async () => {
      const res = await get('/Product/.cbor?category=tech');
      assert.deepEqual(decode(await bytes(res)), [{ id: 'cable', name: 'Cable', price: 5, category: 'tech' }]);
      assert.equal((await (await get('/Product/.json?category=tech')).json() as unknown[]).length, 1);
    });

    test('ids are coerced after the suffix is taken off', async () => {
      assert.equal((await app.request('/Order/7', { method: 'PUT', body: { quantity: 2 } })).status, 204);
      assert.deepEqual(await (await get('/Order/7.json')).json(), { id: 7, quantity: 2 });
    });

    test('other dots, and an encoded dot, stay in the id', async () => {
      assert.equal((await app.request('/Product/v1.2', { method: 'PUT', body: { name: 'Versioned' } })).status, 204);
      assert.equal(((await app.request('/Product/v1.2')).body as { id: string }).id, 'v1.2');
      assert.equal((await app.request('/Product/report%2Ecsv', { method: 'PUT', body: { name: 'Report' } })).status, 204);
      assert.equal(((await app.request('/Product/report%2Ecsv')).body as { id: string }).id, 'report.csv');
      assert.equal((await get('/Product/report.csv')).status, 404);
      assert.equal(((await app.request('/Echo/a.b.c')).body as { id: string }).id, 'a.b.c');
      assert.deepEqual((await app.request('/Echo/a.name.json')).body, { id: 'a.name', path: 'a.name', isCollection: false });
    });

    test('resources see the URL without the suffix; POST answers in the suffix format', async () => {
      const res = await fetch(`${app.url}/Echo/.cbor`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x":1}' });
      assert.deepEqual(decode(await bytes(res)), { received: { x: 1 }, url: '/Echo/' });
      const created = await fetch(`${app.url}/Product/.json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"New"}' });
      assert.equal(created.status, 201);
      assert.match(created.headers.get('location')!, /^\/Product\/[^/.]+$/);
      assert.equal((await fetch(app.url + created.headers.get('location')!, { method: 'DELETE' })).status, 204);
    });

    test('HEAD with a suffix: the headers and length of the GET, no body', async () => {
      const body = await (await get('/Product/cable.csv')).text();
      const head = await get('/Product/cable.csv', {}, 'HEAD');
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-type'), 'text/csv; charset=utf-8');
      assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(body)));
      assert.equal(await head.text(), '');
      const collection = await get('/Product/.cbor', {}, 'HEAD');
      assert.equal(collection.headers.get('content-type'), 'application/cbor');
      assert.equal(await collection.text(), '');
    });

    test('errors stay problem+json whatever the suffix; an unknown Accept is still 406', async () => {
      for (const path of ['/Product/missing.csv', '/Product/missing.cbor', '/Product/missing.msgpack']) {
        const res = await get(path);
        assert.equal(res.status, 404, path);
        assert.equal(res.headers.get('content-type'), 'application/problem+json', path);
        assert.equal(((await res.json()) as { code: string }).code, 'NOT_FOUND', path);
      }
      const res = await get('/Product/cable', { accept: 'text/xml' });
      assert.equal(res.status, 406);
      assert.equal(res.headers.get('content-type'), 'application/problem+json');
    });
  });

  describe('attribute URLs', () => {
    test('a declared attribute reads one value in the negotiated or suffix format', async () => {
      const res = await get('/Product/cable.name');
      assert.equal(res.headers.get('content-type'), 'application/json');
      assert.equal(await res.text(), '"Cable"');
      assert.equal(await (await get('/Product/cable.price')).text(), '5');
      assert.equal(decode(await bytes(await get('/Product/cable.name', { accept: 'application/cbor' }))), 'Cable');
      assert.equal(decode(await bytes(await get('/Product/lamp.stock.cbor'))), 12345678901234567890n);
      assert.equal(await (await get('/Product/cable.name.csv')).text(), 'value\r\nCable\r\n');
      assert.equal(await (await get('/Product/lamp.tags.json')).text(), '["desk","led"]');
    });

    test('an attribute the record lacks is null; a missing record is 404', async () => {
      assert.equal(await (await get('/Product/cable.tags')).text(), 'null');
      const missing = await get('/Product/nothing.name');
      assert.equal(missing.status, 404);
      assert.match(((await missing.json()) as { detail: string }).detail, /No record "nothing" to read name from/);
    });

    test('an undeclared name leaves the dot in the id', async () => {
      assert.equal((await get('/Product/cable.nickname')).status, 404);
      assert.equal((await app.request('/Product/cable.nickname', { method: 'PUT', body: { name: 'Dotted' } })).status, 204);
      assert.equal(((await app.request('/Product/cable.nickname')).body as { id: string }).id, 'cable.nickname');
    });

    test('the record ETag validates the attribute', async () => {
      const record = await get('/Product/cable');
      const etag = record.headers.get('etag')!;
      const attribute = await get('/Product/cable.name');
      assert.equal(attribute.headers.get('etag'), etag);
      const again = await get('/Product/cable.name', { 'if-none-match': etag });
      assert.equal(again.status, 304);
    });

    test('attribute URLs are read-only', async () => {
      const res = await fetch(`${app.url}/Product/cable.name`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '"x"' });
      assert.equal(res.status, 405);
      assert.equal(res.headers.get('allow'), 'GET, HEAD, OPTIONS');
      assert.equal((await get('/Product/cable.name', {}, 'HEAD')).status, 200);
    });
  });
});

test('every example in docs/content-types.md gives the documented response', () =>
  replayDocExamples('content-types.md', (res, body, documented, label) => {
    const type = res.headers.get('content-type') ?? '';
    if (type.startsWith('text/csv')) assert.equal(body.toString(), `${documented.replaceAll('\n', '\r\n')}\r\n`, label);
    else if (type === 'application/cbor') assertSubset(decode(body), JSON.parse(documented), label);
    else assertSubset(JSON.parse(body.toString()), JSON.parse(documented), label);
  }));
