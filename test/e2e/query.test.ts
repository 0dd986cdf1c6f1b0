import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../../framework/src/testing/index.js';

const schema = `
type Product @table @export {
  id: Int @primaryKey
  name: String!
  category: String @indexed
  price: Float @indexed
  tags: [String] @indexed
  released: Date
  stock: Int
}
`;

const products = [
  { id: 1, name: 'Lamp', category: 'home', price: 20, tags: ['light', 'desk'], released: '2024-01-05T00:00:00Z', stock: 3 },
  { id: 2, name: 'Laptop', category: 'tech', price: 900, tags: ['work'], released: '2023-06-01T00:00:00Z', stock: 0 },
  { id: 3, name: 'Chair', category: 'home', price: 45.5, tags: ['desk'], stock: 10 },
  { id: 4, name: 'Cable', category: 'tech', price: 5, tags: [], released: '2024-03-01T00:00:00Z' },
  { id: 5, name: 'Desk', category: 'home', price: 120, stock: 2 },
  { id: 6, name: 'Lantern', price: 20, tags: ['light'] },
];

/** Query string → ids of the rows: in order when the query sorts, otherwise in any order (compared sorted). */
const cases: [string, number[]][] = [
  ['category=home', [1, 3, 5]],
  ['category==home', [1, 3, 5]],
  ['category=home&price=gt=30', [3, 5]],
  ['category=home&price>30', [3, 5]],
  ['price=gt=10&lt=100', [1, 3, 6]],
  ['price=gt=10&lt=100&price=ge=20', [1, 3, 6]],
  ['price=gt=20&lt=900', [3, 5]],
  ['price=gt=10&sort(-price)&limit(1,2)', [5]],
  ['tags=light&price=ge=0', [1, 6]],
  ['price=ge=20&le=45.5', [1, 3, 6]],
  ['price<=20', [1, 4, 6]],
  ['price=lt=number:20', [4]],
  ['category=tech|category=home&price=lt=30', [1, 2, 4]],
  ['[category=tech|category=home]&price=lt=30', [1, 4]],
  ['(category=tech|category=home)&price=lt=30', [1, 4]],
  ['category=null&price=20', [6]],
  ['category=home&stock=null', []],
  ['category=tech&stock=null', [4]],
  ['category=home&stock=ne=3', [3, 5]],
  ['category=home&stock!=3', [3, 5]],
  ['category=tech&stock=ne=0', [4]],
  ['tags=desk', [1, 3]],
  ['tags=light&category=null', [6]],
  ['category=home&name==La*', [1]],
  ['category=home&name=sw=C', [3]],
  ['category=home&name=ew=k', [5]],
  ['category=home&name=ct=ai', [3]],
  ['category=home&released=gt=date:2023-12-31T00%3A00%3A00Z', [1]],
  ['category=tech&released=lt=2024-01-01T00:00:00Z', [2]],
  ['id=3', [3]],
  ['id=3&category=tech', []],
  ['id=gt=4', [5, 6]],
  ['category=home&sort(-price)', [5, 3, 1]],
  ['price=gt=0&sort(price)', [4, 1, 6, 3, 5, 2]],
  ['price=gt=0&sort(price,-id)', [4, 6, 1, 3, 5, 2]],
  ['price=gt=0&sort(-price)&limit(2)', [2, 5]],
  ['price=gt=0&sort(price)&limit(1,3)', [1, 6]],
  ['category=home&limit(2)', [1, 3]],
  ['category=home&stock=gt=2', [1, 3]],
];

describe('REST queries', () => {
  let app: TestApp;

  before(async () => {
    app = await startTestApp({ files: { 'schema.graphql': schema } });
    for (const product of products) assert.equal((await app.request(`/Product/${product.id}`, { method: 'PUT', body: product })).status, 204);
  });

  after(() => app.close());

  for (const [query, ids] of cases) {
    test(`?${query} → ${JSON.stringify(ids)}`, async () => {
      const res = await app.request(`/Product/?${query}`);
      assert.equal(res.status, 200, res.text);
      const actual = (res.body as { id: number }[]).map((row) => row.id);
      if (query.includes('sort(')) assert.deepEqual(actual, ids);
      else assert.deepEqual(actual.sort((a, b) => a - b), ids);
    });
  }

  test('select forms', async () => {
    assert.deepEqual((await app.request('/Product/?category=tech&select(name)')).body, ['Laptop', 'Cable']);
    assert.deepEqual((await app.request('/Product/?category=tech&select(name,price)')).body, [
      { name: 'Laptop', price: 900 },
      { name: 'Cable', price: 5 },
    ]);
    assert.deepEqual((await app.request('/Product/?category=tech&select(name,)')).body, [{ name: 'Laptop' }, { name: 'Cable' }]);
    assert.deepEqual((await app.request('/Product/?category=tech&select([name,price])')).body, [
      ['Laptop', 900],
      ['Cable', 5],
    ]);
  });

  test('count() and explain()', async () => {
    assert.deepEqual((await app.request('/Product/?category=home&count()')).body, { count: 3 });
    assert.deepEqual((await app.request('/Product/?category=home&price=gt=30&explain()')).body, {
      source: { kind: 'index', attribute: 'category', value: 'home' },
      estimate: 3,
      intersect: ['price'],
      filter: true,
    });
    assert.deepEqual(((await app.request('/Product/?id=2&explain()')).body as { source: unknown }).source, { kind: 'primaryKey', key: 2 });
    assert.deepEqual((await app.request('/Product/?price=gt=10&lt=100&price=ge=20&sort(-price)&limit(2)&explain()')).body, {
      source: { kind: 'indexRange', attribute: 'price', range: { lower: 20, exclusiveLower: false, upper: 100, inclusiveUpper: false }, descending: true },
      filter: true,
      sort: { attributes: ['-price'], method: 'index' },
      limit: 2,
    });
    assert.deepEqual(((await app.request('/Product/?category=home&name=ct=a&explain()')).body as { source: unknown }).source, {
      kind: 'index',
      attribute: 'category',
      value: 'home',
    });
  });

  test('bad queries are 400s that say why', async () => {
    const cases: [string, RegExp][] = [
      ['name=Lamp', /add @indexed/],
      ['category=home|name=Lamp', /add @indexed/],
      ['price=cheap', /price expects a number/],
      ['category=home&brand.name=Acme', /Product\.brand is not a relationship/],
      ['category=(home', /position/],
      ['category=home&limit(x)', /position/],
    ];
    for (const [query, message] of cases) {
      const res = await app.request(`/Product/?${query}`);
      assert.equal(res.status, 400, query);
      assert.match((res.body as { detail: string }).detail, message, query);
    }
  });

  test('tables.X.search() from resource code answers the same', async () => {
    const inline = await startTestApp({
      files: {
        'schema.graphql': schema,
        'resources.ts': `import { Resource, tables } from 'lode';
export class Cheap extends Resource {
  static async get() {
    await tables.Product.put(1, { name: 'Lamp', category: 'home', price: 20 });
    await tables.Product.put(2, { name: 'Sofa', category: 'home', price: 700 });
    return [...(tables.Product.search('?category=home&price=lt=100&select(name)') as Iterable<unknown>)];
  }
}
`,
      },
    });
    try {
      assert.deepEqual((await inline.request('/Cheap')).body, ['Lamp']);
    } finally {
      await inline.close();
    }
  });
});
