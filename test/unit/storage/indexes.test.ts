import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isLodeError } from '../../../framework/src/errors/index.js';
import type { StoredTable } from '../../../framework/src/storage/index.js';
import {
  attr,
  expectedIndex,
  indexContents,
  list,
  mustTable,
  object,
  scalar,
  tableDef,
  tempStorage,
  type TempStorage,
} from './helpers.js';

const indexed = ['name', 'tags', 'size', 'born', 'flag', 'extra'];

const productDef = tableDef('Product', [
  attr('name', 'String', { indexed: true }),
  attr('tags', list(scalar('String')), { indexed: true }),
  attr('size', 'Int', { indexed: true }),
  attr('born', 'Date', { indexed: true }),
  attr('flag', 'Boolean', { indexed: true }),
  attr('extra', 'Any', { indexed: true }),
  attr('meta', object('Meta', [attr('a', 'Int')])),
  attr('plain', 'String'),
]);

function assertIndexesConsistent(table: StoredTable): void {
  for (const attribute of indexed) {
    assert.deepEqual(indexContents(table, attribute), expectedIndex(table, attribute), `index ${attribute}`);
  }
}

/** A small deterministic PRNG so a failure is reproducible. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('secondary indexes', () => {
  let t: TempStorage;
  let products: StoredTable;
  before(async () => {
    t = await tempStorage();
    await t.storage.applySchema([productDef]);
    products = mustTable(t.storage, 'Product');
  });
  after(() => t.cleanup());

  test('put, patch, delete keep every index equal to a full recompute', async () => {
    await products.put('p1', { name: 'chair', tags: ['wood', 'home', 'wood'], size: 3, born: '2024-01-01T00:00:00Z', flag: true });
    await products.put('p2', { name: 'table', tags: [], size: null });
    await products.put('p3', { name: 'lamp', extra: { nested: true }, tags: ['home', null] });
    assertIndexesConsistent(products);
    assert.deepEqual(
      indexContents(products, 'tags').filter(([, id]) => id === 'p1'),
      [
        ['home', 'p1'],
        ['wood', 'p1'],
      ],
      'array elements are indexed once each',
    );
    assert.deepEqual(
      indexContents(products, 'born').filter(([, id]) => id === 'p1'),
      [[Date.UTC(2024, 0, 1), 'p1']],
      'dates are indexed as epoch ms',
    );
    assert.deepEqual(
      indexContents(products, 'extra').filter(([, id]) => id === 'p3'),
      [],
      'objects are not indexed',
    );

    await products.patch('p1', { name: 'armchair', tags: ['home'] });
    await products.put('p2', { name: 'desk', size: 4 });
    await products.patch('p3', { extra: 'text', tags: null });
    assertIndexesConsistent(products);
    await products.delete('p2');
    assertIndexesConsistent(products);
    assert.ok(!indexContents(products, 'name').some(([, id]) => id === 'p2'), 'a delete removes every entry');
  });

  test('random concurrent writes keep every index consistent (oracle)', async () => {
    const next = random(42);
    const pick = <T>(values: T[]): T => values[Math.floor(next() * values.length)]!;
    const names = ['a', 'b', 'c', null, undefined];
    const tagSets = [[], ['x'], ['x', 'y'], ['y', 'z', 'y'], null, undefined];
    for (let round = 0; round < 20; round++) {
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 15; i++) {
        const id = `r${Math.floor(next() * 12)}`;
        const record = {
          name: pick(names),
          tags: pick(tagSets),
          size: pick([1, 2, 3, null]),
          flag: pick([true, false, undefined]),
          extra: pick([1, 'one', { o: 1 }, [1, 'two'], null]),
        };
        const op = next();
        if (op < 0.45) writes.push(products.put(id, record));
        else if (op < 0.75) writes.push(products.patch(id, { name: record.name, extra: record.extra }));
        else if (op < 0.9) writes.push(products.delete(id));
        else writes.push(products.create({ id, ...record }).catch(() => undefined));
      }
      await Promise.all(writes);
      assertIndexesConsistent(products);
    }
  });

  test('byIndex finds primary keys by value, coercing the lookup to the attribute type', async () => {
    await products.put('q1', { name: 'mug', tags: ['kitchen', 'gift'], size: 7, born: 86_400_000, flag: false });
    await products.put('q2', { name: 'mug', tags: ['kitchen'], size: 8 });
    assert.deepEqual([...products.byIndex('name', 'mug')].sort(), ['q1', 'q2']);
    assert.deepEqual([...products.byIndex('tags', 'gift')], ['q1']);
    assert.deepEqual([...products.byIndex('size', 7)], ['q1']);
    assert.deepEqual([...products.byIndex('size', '7')], ['q1'], "'7' is coerced for an Int attribute");
    assert.deepEqual([...products.byIndex('born', new Date(86_400_000))], ['q1']);
    assert.deepEqual([...products.byIndex('born', '1970-01-02T00:00:00.000Z')], ['q1']);
    assert.deepEqual(
      [...products.byIndex('flag', 'false')].filter((id) => String(id).startsWith('q')),
      ['q1'],
    );
    assert.ok([...products.byIndex('born', null)].includes('q2'), 'absent values are found as null');
    assert.deepEqual([...products.byIndex('size', 'seven')], []);
  });

  test('long strings are truncated in the index and re-checked on lookup', async () => {
    const prefix = 'é'.repeat(400);
    const first = `${prefix}-first`;
    const second = `${prefix}-second`;
    await products.put('long1', { name: first });
    await products.put('long2', { name: second, tags: [second] });
    const keys = indexContents(products, 'name').filter(([, id]) => String(id).startsWith('long'));
    assert.equal(keys.length, 2);
    for (const [key] of keys) assert.ok(Buffer.byteLength(String(key)) <= 500, 'index key is at most 500 bytes');
    assert.equal(keys[0]![0], keys[1]![0], 'both share one truncated key');
    assert.deepEqual([...products.byIndex('name', first)], ['long1']);
    assert.deepEqual([...products.byIndex('name', second)], ['long2']);
    assert.deepEqual([...products.byIndex('tags', second)], ['long2']);
    await products.patch('long1', { name: 'short' });
    assert.deepEqual([...products.byIndex('name', first)], []);
    assert.deepEqual([...products.byIndex('name', 'short')], ['long1']);
  });

  test('lookups on a non-indexed attribute are BAD_REQUEST; status is reported', () => {
    assert.throws(
      () => products.byIndex('plain', 'x'),
      (error: unknown) => isLodeError(error) && error.code === 'BAD_REQUEST',
    );
    assert.equal(products.indexStatus('name'), 'ready');
    assert.equal(products.indexStatus('plain'), 'absent');
    assert.equal(products.indexStatus('nothing'), 'absent');
  });

  test('a write rejected inside its transaction (CONFLICT) changes no index and no log', async () => {
    await products.put('dup', { name: 'original', tags: ['t'] });
    const before = [...t.storage.changes('data')].length;
    await assert.rejects(products.create({ id: 'dup', name: 'copy', tags: ['u'] }));
    assert.equal([...t.storage.changes('data')].length, before);
    assert.deepEqual([...products.byIndex('name', 'copy')], []);
    assertIndexesConsistent(products);
  });
});
