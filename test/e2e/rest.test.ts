import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pack, unpack, unpackMultiple } from 'msgpackr';
import { LodeProcess, writeApp } from '../support/lode-process.js';

const schema = `
type Product @table @export {
  id: ID @primaryKey
  name: String!
  price: Float
  category: String @indexed
  tags: [String]
  createdAt: Date @createdTime
  updatedAt: Long @updatedTime
}

type Counter @table @export {
  id: Int @primaryKey
  count: Int!
}

type Shelf @table {
  id: ID @primaryKey
  label: String
}

type Note @table @export @sealed {
  id: ID @primaryKey
  text: String!
}
`;

const resources = `
import { Resource, tables, databases, getContext, LodeError } from 'lode';

export class Greeting extends Resource {
  static get(target: { id?: string }) {
    return { greeting: 'hello', id: target.id ?? null, method: getContext()?.method, tables: Object.keys(databases.data).length };
  }
}

export class Failing extends Resource {
  static get(target: { id?: string }) {
    if (target.id === 'teapot') throw Object.assign(new Error('short and stout'), { statusCode: 418 });
    if (target.id === 'typed') throw new LodeError('BAD_REQUEST', 'typed failure');
    throw new Error('internal details that must not leak');
  }
}

export class Shelf extends tables.Shelf {
  static override async get(target: Parameters<typeof tables.Shelf.get>[0], context?: Parameters<typeof tables.Shelf.get>[1]) {
    const record = await super.get(target, context);
    if (record === undefined || Symbol.iterator in record) return record;
    return { ...record, label: String(record.label).toUpperCase(), decorated: true };
  }
}

export class ProductCount extends Resource {
  static get() {
    const scanned = [...(tables.Product.get({ isCollection: true, path: '', search: '' }) as Iterable<unknown>)].length;
    return { count: tables.Product.count(), scanned };
  }
}
`;

describe('REST over a real lode dev process', { timeout: 60000 }, () => {
  let lode: LodeProcess;
  let app: Awaited<ReturnType<typeof writeApp>>;
  const url = (path: string): string => lode.url + path;
  const json = (method: string, body: unknown): RequestInit => ({ method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  before(async () => {
    app = await writeApp({ 'schema.graphql': schema, 'resources.ts': resources });
    lode = await LodeProcess.start(['dev', app.dir]);
  });

  after(async () => {
    assert.equal(await lode.stop(), 0, lode.output);
    await app.remove();
  });

  test('PUT, GET, PATCH, DELETE a record with the right status codes', async () => {
    let res = await fetch(url('/Product/p1'), json('PUT', { name: 'Lamp', price: 20, category: 'home', tags: ['a', 'b'] }));
    assert.equal(res.status, 204);
    res = await fetch(url('/Product/p1'));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /application\/json/);
    const lamp = (await res.json()) as Record<string, unknown>;
    assert.equal(lamp.id, 'p1');
    assert.equal(lamp.name, 'Lamp');
    assert.deepEqual(lamp.tags, ['a', 'b']);
    assert.equal(typeof lamp.createdAt, 'string');
    assert.equal(typeof lamp.updatedAt, 'number');

    res = await fetch(url('/Product/p1'), json('PATCH', { price: 25 }));
    assert.equal(res.status, 204);
    const patched = (await (await fetch(url('/Product/p1'))).json()) as Record<string, unknown>;
    assert.equal(patched.price, 25);
    assert.equal(patched.name, 'Lamp');
    assert.equal(patched.createdAt, lamp.createdAt);

    assert.equal((await fetch(url('/Product/absent'), json('PATCH', { price: 1 }))).status, 404);
    assert.equal((await fetch(url('/Product/p1'), { method: 'DELETE' })).status, 204);
    assert.equal((await fetch(url('/Product/p1'))).status, 404);
    assert.equal((await fetch(url('/Product/p1'), { method: 'DELETE' })).status, 404);
  });

  test('POST creates with a generated id, 201 and Location', async () => {
    const res = await fetch(url('/Product/'), json('POST', { name: 'Chair', price: 40 }));
    assert.equal(res.status, 201);
    const location = res.headers.get('location')!;
    assert.match(location, /^\/Product\/[0-9a-f-]{36}$/);
    const created = (await res.json()) as { id: string };
    assert.equal(location, `/Product/${created.id}`);
    const fetched = (await (await fetch(url(location))).json()) as { name: string };
    assert.equal(fetched.name, 'Chair');

    const counter = await fetch(url('/Counter/'), json('POST', { count: 1 }));
    assert.equal(counter.status, 201);
    const second = await fetch(url('/Counter/'), json('POST', { count: 2 }));
    assert.equal(Number(second.headers.get('location')!.split('/').pop()), Number(counter.headers.get('location')!.split('/').pop()) + 1);
  });

  test('ids are coerced by the primary key type', async () => {
    assert.equal((await fetch(url('/Counter/12'), json('PUT', { count: 5 }))).status, 204);
    const body = (await (await fetch(url('/Counter/12'))).json()) as { id: unknown };
    assert.equal(body.id, 12);
    const bad = await fetch(url('/Counter/twelve'));
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { code: string }).code, 'INVALID_ID');
  });

  test('ETag and If-None-Match give 304; HEAD has headers and no body', async () => {
    await fetch(url('/Product/etag'), json('PUT', { name: 'Tagged' }));
    const first = await fetch(url('/Product/etag'));
    const etag = first.headers.get('etag');
    assert.ok(etag, 'an ETag header');
    const cached = await fetch(url('/Product/etag'), { headers: { 'if-none-match': etag } });
    assert.equal(cached.status, 304);
    for (const header of [`"other", ${etag}`, `W/${etag}`, '*']) {
      assert.equal((await fetch(url('/Product/etag'), { headers: { 'if-none-match': header } })).status, 304, header);
    }
    assert.equal((await fetch(url('/Product/etag'), { headers: { 'if-none-match': '"other"' } })).status, 200);
    await fetch(url('/Product/etag'), json('PATCH', { name: 'Changed' }));
    const changed = await fetch(url('/Product/etag'), { headers: { 'if-none-match': etag } });
    assert.equal(changed.status, 200);
    assert.notEqual(changed.headers.get('etag'), etag);
    const head = await fetch(url('/Product/etag'), { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
    assert.equal(Number(head.headers.get('content-length')), Buffer.byteLength(await changed.text()));
  });

  test('OPTIONS lists methods; an unsupported method is 405 with Allow; an unknown one 501', async () => {
    const options = await fetch(url('/Greeting/x'), { method: 'OPTIONS' });
    assert.equal(options.status, 204);
    assert.equal(options.headers.get('allow'), 'GET, HEAD, OPTIONS');
    const put = await fetch(url('/Greeting/x'), json('PUT', {}));
    assert.equal(put.status, 405);
    assert.equal(put.headers.get('allow'), 'GET, HEAD, OPTIONS');
    assert.equal(put.headers.get('content-type'), 'application/problem+json');
    assert.equal((await fetch(url('/Product/x'), { method: 'BREW' })).status, 501);
  });

  test('MessagePack both ways; 406 and 415', async () => {
    const put = await fetch(url('/Product/mp'), { method: 'PUT', headers: { 'content-type': 'application/x-msgpack' }, body: pack({ name: 'Packed', price: 1.5 }) });
    assert.equal(put.status, 204);
    const res = await fetch(url('/Product/mp'), { headers: { accept: 'application/x-msgpack' } });
    assert.equal(res.headers.get('content-type'), 'application/x-msgpack');
    const value = unpack(Buffer.from(await res.arrayBuffer())) as { name: string; price: number };
    assert.equal(value.name, 'Packed');
    assert.equal(value.price, 1.5);
    assert.equal((await fetch(url('/Product/mp'), { headers: { accept: 'text/html' } })).status, 406);
    const xml = await fetch(url('/Product/mp'), { method: 'PUT', headers: { 'content-type': 'application/xml' }, body: '<a/>' });
    assert.equal(xml.status, 415);
    assert.equal(((await xml.json()) as { code: string }).code, 'UNSUPPORTED_MEDIA_TYPE');
  });

  test('bad input is a problem+json error and writes nothing', async () => {
    await fetch(url('/Product/safe'), json('PUT', { name: 'Original', price: 1 }));
    const before = await (await fetch(url('/Product/safe'))).text();

    const malformed = await fetch(url('/Product/safe'), { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"name": "x",' });
    assert.equal(malformed.status, 400);
    const malformedBody = (await malformed.json()) as { code: string; detail: string };
    assert.equal(malformedBody.code, 'MALFORMED_BODY');

    const wrong = await fetch(url('/Product/safe'), json('PUT', { name: 5, price: 'cheap', tags: ['ok', 3] }));
    assert.equal(wrong.status, 400);
    const problem = (await wrong.json()) as { code: string; errors: { path: string }[] };
    assert.equal(problem.code, 'VALIDATION_FAILED');
    assert.deepEqual(problem.errors.map((error) => error.path).sort(), ['name', 'price', 'tags[1]']);

    const polluting = await fetch(url('/Product/safe'), { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"name":"x","__proto__":{"polluted":true}}' });
    assert.equal(polluting.status, 400);
    assert.equal(((await polluting.json()) as { errors: { path: string }[] }).errors[0]!.path, '__proto__');

    const sealed = await fetch(url('/Note/n'), json('PUT', { text: 'hi', extra: 1 }));
    assert.equal(sealed.status, 400);

    const huge = await fetch(url('/Product/safe'), json('PUT', { name: 'x'.repeat(11 * 1024 * 1024) }));
    assert.equal(huge.status, 413);
    assert.equal(((await huge.json()) as { code: string }).code, 'PAYLOAD_TOO_LARGE');

    assert.equal(await (await fetch(url('/Product/safe'))).text(), before);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('errors thrown by resources: statusCode, LodeError, and 500 without internals', async () => {
    const teapot = await fetch(url('/Failing/teapot'));
    assert.equal(teapot.status, 418);
    assert.equal(((await teapot.json()) as { detail: string }).detail, 'short and stout');
    const typed = await fetch(url('/Failing/typed'));
    assert.equal(typed.status, 400);
    const crash = await fetch(url('/Failing/crash'));
    assert.equal(crash.status, 500);
    assert.doesNotMatch(await crash.text(), /internal details/);
    assert.match(lode.output, /internal details that must not leak\n\s+at \S*get \(\S*resources\.ts:\d+:\d+\)/, 'the log has the stack, source-mapped to resources.ts');
    assert.equal((await fetch(url('/health'))).status, 200, 'the server survives');
  });

  test('custom resources, GET /, /health and unknown paths', async () => {
    const greeting = (await (await fetch(url('/Greeting/bob'))).json()) as Record<string, unknown>;
    assert.deepEqual(greeting, { greeting: 'hello', id: 'bob', method: 'GET', tables: 4 });
    const index = (await (await fetch(url('/'))).json()) as { resources: { name: string; attributes?: unknown[] }[] };
    const names = index.resources.map((resource) => resource.name).sort();
    assert.deepEqual(names, ['Counter', 'Failing', 'Greeting', 'Note', 'Product', 'ProductCount', 'Shelf']);
    assert.equal((await fetch(url('/Shelf/s1'), json('PUT', { label: 'top' }))).status, 204);
    assert.deepEqual(await (await fetch(url('/Shelf/s1'))).json(), { id: 's1', label: 'TOP', decorated: true });
    assert.ok(index.resources.find((resource) => resource.name === 'Product')!.attributes!.length >= 6);
    assert.deepEqual(index.resources.find((resource) => resource.name === 'Shelf')!.attributes!.map((attribute) => (attribute as { name: string }).name), ['id', 'label']);
    assert.equal((await fetch(url('/health'))).status, 200);
    const missing = await fetch(url('/Nope/1'));
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { code: string }).code, 'ROUTE_NOT_FOUND');
  });

  test('a whole-collection GET streams every record as one JSON array', async () => {
    for (let batch = 0; batch < 30; batch++) {
      const writes = Array.from({ length: 100 }, (_, i) => {
        const n = batch * 100 + i;
        return fetch(url(`/Note/bulk-${String(n).padStart(5, '0')}`), json('PUT', { text: `note ${n} ${'x'.repeat(100)}` }));
      });
      const statuses = await Promise.all(writes.map(async (write) => (await write).status));
      assert.deepEqual(new Set(statuses), new Set([204]));
    }
    const res = await fetch(url('/Note/'));
    assert.equal(res.status, 200);
    const notes = (await res.json()) as { id: string }[];
    assert.equal(notes.filter((note) => note.id.startsWith('bulk-')).length, 3000);
    const packed = await fetch(url('/Note/'), { headers: { accept: 'application/x-msgpack' } });
    assert.equal(packed.headers.get('content-type'), 'application/x-msgpack');
    const values = unpackMultiple(Buffer.from(await packed.arrayBuffer())) as { id: string }[];
    assert.deepEqual(values.map((note) => note.id), notes.map((note) => note.id), 'MessagePack streams the same records as concatenated values');
    const count = (await (await fetch(url('/ProductCount'))).json()) as { count: number; scanned: number };
    assert.ok(count.count >= 1);
    assert.equal(count.count, count.scanned);
    const filtered = await fetch(url('/Note/?text=x'));
    assert.equal(filtered.status, 400, 'a query on an attribute without an index is refused, never a silent full scan');
    assert.match(((await filtered.json()) as { detail: string }).detail, /add @indexed/);
  });
});
