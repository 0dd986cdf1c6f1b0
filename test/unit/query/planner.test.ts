import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isLodeError } from '../../../framework/src/errors/index.js';
import { parseQuery, runQuery, type QueryPlan } from '../../../framework/src/query/index.js';
import { compileSchema } from '../../../framework/src/schema/index.js';
import { Storage, type StoredTable } from '../../../framework/src/storage/index.js';
import { silentLogger } from '../../../framework/src/util/index.js';

const SCHEMA = `
type Item @table {
  id: Int @primaryKey
  category: String @indexed
  flag: Boolean @indexed
  price: Float @indexed
  tags: [String] @indexed
  stock: Int
}`;

const ITEMS = 2000;
const item = (i: number) => ({ category: `c${i % 100}`, flag: i % 2 === 0, price: (i * 37) % 1000, tags: [`t${i % 3}`, `u${i % 5}`], stock: i % 7 });

describe('the planner picks sources from index estimates', () => {
  let dir: string;
  let storage: Storage;
  let table: StoredTable;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lode-planner-'));
    storage = await Storage.open({ dataDir: dir, logger: silentLogger });
    await storage.applySchema(compileSchema([{ file: 'schema.graphql', text: SCHEMA }]).tables);
    table = storage.table('Item')!;
    await Promise.all(Array.from({ length: ITEMS }, (_, i) => table.put(i, item(i))));
  });

  after(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const explain = (query: string): QueryPlan => {
    const outcome = runQuery(table, parseQuery(`${query}&explain()`));
    assert.equal(outcome.kind, 'value');
    return (outcome as { value: QueryPlan }).value;
  };
  const ids = (query: string): number[] => {
    const outcome = runQuery(table, parseQuery(query));
    assert.equal(outcome.kind, 'rows', query);
    return [...(outcome as { rows: Iterable<{ id: number }> }).rows].map((row) => row.id);
  };
  const expected = (test: (row: ReturnType<typeof item> & { id: number }) => boolean): number[] =>
    Array.from({ length: ITEMS }, (_, id) => ({ id, ...item(id) })).filter(test).map((row) => row.id);

  test('the most selective equality drives, whichever comes first', () => {
    const plan = explain('flag=true&category=c4');
    assert.deepEqual(plan.source, { kind: 'index', attribute: 'category', value: 'c4' });
    assert.equal(plan.estimate, 20);
    assert.deepEqual(plan.intersect, ['flag']);
    assert.deepEqual(ids('flag=true&category=c4'), expected((row) => row.flag && row.category === 'c4'));
  });

  test('a narrow range beats a broad equality, and bounds on one attribute merge', () => {
    const plan = explain('flag=true&price=ge=100&price=lt=110');
    assert.deepEqual(plan.source, { kind: 'indexRange', attribute: 'price', range: { lower: 100, exclusiveLower: false, upper: 110, inclusiveUpper: false } });
    assert.deepEqual(
      ids('flag=true&price=ge=100&price=lt=110').sort((a, b) => a - b),
      expected((row) => row.flag && row.price >= 100 && row.price < 110),
    );
  });

  test('OR branches are read from their own indexes, without duplicates', () => {
    const plan = explain('category=c1|tags=u1');
    assert.deepEqual(plan.source, {
      kind: 'union',
      branches: [
        { kind: 'index', attribute: 'category', value: 'c1' },
        { kind: 'index', attribute: 'tags', value: 'u1' },
      ],
    });
    const found = ids('category=c1|tags=u1');
    assert.equal(new Set(found).size, found.length, 'no row twice');
    assert.deepEqual(found.sort((a, b) => a - b), expected((row) => row.category === 'c1' || row.tags.includes('u1')));
  });

  test('a range sorted on its own attribute is read in index order, backwards for descending', () => {
    const plan = explain('price=gt=100&price=lt=200&sort(-price)&limit(5)');
    assert.deepEqual(plan.sort, { attributes: ['-price'], method: 'index' });
    assert.equal(plan.source.kind === 'indexRange' && plan.source.descending, true);
    const byPrice = expected((row) => row.price > 100 && row.price < 200).sort((a, b) => item(b).price - item(a).price || a - b);
    assert.deepEqual(ids('price=gt=100&price=lt=200&sort(-price)&limit(5)'), byPrice.slice(0, 5));
  });

  test('a sort with a limit and no conditions reads the index in order and stops early', () => {
    assert.deepEqual(explain('sort(price,-id)&limit(3)').source, { kind: 'indexOrder', attribute: 'price', descending: false });
    const byPrice = expected(() => true).sort((a, b) => item(a).price - item(b).price || b - a);
    assert.deepEqual(ids('sort(price,-id)&limit(3)'), byPrice.slice(0, 3), 'ties on price are broken by the second key');
  });

  test('a broad condition with a small limit prefers the sort index over sorting every match', () => {
    const plan = explain('flag=true&sort(-price)&limit(3)');
    assert.equal(plan.source.kind, 'indexOrder');
    assert.deepEqual(plan.intersect, ['flag']);
    const top = expected((row) => row.flag).sort((a, b) => item(b).price - item(a).price || a - b);
    assert.deepEqual(ids('flag=true&sort(-price)&limit(3)'), top.slice(0, 3));
    assert.equal(explain('category=c5&sort(-price)&limit(3)').sort?.method, 'top-k', 'a narrow driver still wins');
  });

  test('count() is read from the indexes when they answer every condition exactly', () => {
    assert.equal(explain('category=c7&count()').count, 'index');
    assert.equal(explain('category=c7&stock=3&count()').count, 'rows', 'stock is not indexed');
    assert.deepEqual(runQuery(table, parseQuery('category=c7&count()')), { kind: 'value', value: { count: 20 } });
    assert.deepEqual(runQuery(table, parseQuery('price=lt=100&count()')), { kind: 'value', value: { count: expected((row) => row.price < 100).length } });
    assert.deepEqual(runQuery(table, parseQuery('count()')), { kind: 'value', value: { count: ITEMS } });
    assert.deepEqual(runQuery(table, parseQuery('tags=t1&flag=false&count()')), { kind: 'value', value: { count: expected((row) => row.tags.includes('t1') && !row.flag).length } });
  });

  test('sort without a condition needs an indexed attribute, as in Harper', () => {
    assert.throws(
      () => runQuery(table, parseQuery('sort(stock)&limit(2)')),
      (error: unknown) => isLodeError(error) && error.status === 400 && /needs @indexed on stock/.test(error.message),
    );
    assert.equal(ids('category=c1&sort(stock)').length, 20, 'a condition bounds the scan, so any attribute sorts');
    assert.deepEqual(ids('sort(-id)&limit(2)'), [ITEMS - 1, ITEMS - 2], 'the primary key is read in order');
  });
});
