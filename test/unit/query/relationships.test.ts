import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isLodeError } from '../../../framework/src/errors/index.js';
import { parseQuery, runQuery } from '../../../framework/src/query/index.js';
import { compileSchema } from '../../../framework/src/schema/index.js';
import { Storage } from '../../../framework/src/storage/index.js';
import { silentLogger } from '../../../framework/src/util/index.js';

const SCHEMA = `
type Brand @table {
  id: ID @primaryKey
  name: String @indexed
  country: String
  products: [Product] @relationship(to: "brandId")
}
type Product @table {
  id: Int @primaryKey
  name: String @indexed
  price: Float @indexed
  brandId: ID @indexed
  brand: Brand @relationship(from: "brandId")
  partIds: [Int]
  parts: [Part] @relationship(from: "partIds")
}
type Part @table {
  id: Int @primaryKey
  label: String @indexed
}`;

describe('queries through relationships', () => {
  let dir: string;
  let storage: Storage;
  const rows = (table: string, query: string): unknown[] => {
    const outcome = runQuery(storage.table(table)!, parseQuery(query));
    assert.equal(outcome.kind, 'rows', query);
    return [...(outcome as { rows: Iterable<unknown> }).rows];
  };
  const ids = (table: string, query: string): unknown[] => rows(table, query).map((row) => (row as { id: unknown }).id);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lode-relationships-'));
    storage = await Storage.open({ dataDir: dir, logger: silentLogger });
    const compiled = compileSchema([{ file: 'schema.graphql', text: SCHEMA }]);
    assert.deepEqual(compiled.diagnostics, []);
    await storage.applySchema(compiled.tables);
    const brands = storage.table('Brand')!;
    const products = storage.table('Product')!;
    const parts = storage.table('Part')!;
    await brands.put('acme', { name: 'Acme', country: 'NL' });
    await brands.put('globex', { name: 'Globex', country: 'US' });
    await brands.put('empty', { name: 'Empty', country: 'US' });
    await parts.put(1, { label: 'bolt' });
    await parts.put(2, { label: 'nut' });
    await parts.put(3, { label: 'gear' });
    await products.put(1, { name: 'anvil', price: 30, brandId: 'acme', partIds: [3, 1] });
    await products.put(2, { name: 'rocket', price: 90, brandId: 'acme', partIds: [2, 99] });
    await products.put(3, { name: 'widget', price: 10, brandId: 'globex', partIds: [] });
    await products.put(4, { name: 'orphan', price: 5 });
  });

  after(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a condition on a related attribute is an inner join, read through the foreign-key index', () => {
    assert.deepEqual(ids('Product', 'brand.name=Acme'), [1, 2]);
    assert.deepEqual(ids('Product', 'brand.country=US&brand.name=Globex'), [3], 'brand.country is not indexed, but brand.name anchors');
    assert.deepEqual(ids('Product', 'brand.name=Nobody'), []);
    const plan = runQuery(storage.table('Product')!, parseQuery('brand.name=Acme&explain()'));
    assert.deepEqual((plan as { value: { source: unknown } }).value.source, { kind: 'join', path: 'brand.name', through: 'index', attribute: 'brandId', matches: 1 });
  });

  test('one-to-many conditions find the owners of matching related records', () => {
    assert.deepEqual(ids('Brand', 'products.name=rocket'), ['acme']);
    assert.deepEqual(ids('Brand', 'products.price=lt=20|name=Empty&sort(id)'), ['empty', 'globex']);
  });

  test('many-to-many conditions match when any related record does', () => {
    assert.deepEqual(ids('Product', 'name=ne=x&parts.label=bolt'), [1]);
  });

  test('nested select is a left join: null or [] when nothing is related, array order kept', () => {
    assert.deepEqual(rows('Product', 'price=gt=0&select(name,brand{name})&sort(id)'), [
      { name: 'anvil', brand: { name: 'Acme' } },
      { name: 'rocket', brand: { name: 'Acme' } },
      { name: 'widget', brand: { name: 'Globex' } },
      { name: 'orphan', brand: null },
    ]);
    assert.deepEqual(rows('Product', 'id=1|id=2|id=3&select(id,parts{label})&sort(id)'), [
      { id: 1, parts: [{ label: 'gear' }, { label: 'bolt' }] },
      { id: 2, parts: [{ label: 'nut' }] },
      { id: 3, parts: [] },
    ]);
    assert.deepEqual(rows('Brand', 'country=ne=x&name=ne=x&id=acme&select(name,products{name})'), [{ name: 'Acme', products: [{ name: 'anvil' }, { name: 'rocket' }] }]);
    assert.deepEqual(rows('Product', 'id=3&select(brand)'), [{ id: 'globex', name: 'Globex', country: 'US' }], 'a bare relationship selects the whole record');
  });

  test('sorting through a many-to-one relationship', () => {
    assert.deepEqual(ids('Product', 'price=gt=0&sort(-brand.name,price)'), [3, 1, 2, 4], 'missing brands sort last descending');
  });

  test('paths that are not relationships, or joins nothing anchors, are clear 400s', () => {
    const rejects = (table: string, query: string, pattern: RegExp): void =>
      assert.throws(() => rows(table, query), (error: unknown) => isLodeError(error) && error.status === 400 && pattern.test(error.message), query);
    rejects('Product', 'name.first=x', /Product\.name is not a relationship/);
    rejects('Product', 'parts.label=bolt', /needs a condition on an indexed attribute/);
    rejects('Product', 'brand.country=US', /A query on Brand needs a condition on an indexed attribute/);
  });
});
