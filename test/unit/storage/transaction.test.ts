import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isLodeError } from '../../../framework/src/errors/index.js';
import { parseQuery, runQuery } from '../../../framework/src/query/index.js';
import { Transaction, type ChangeEntry, type ReadableTable } from '../../../framework/src/storage/index.js';
import { attr, mustTable, tableDef, tempStorage, type TempStorage } from './helpers.js';

function rows(table: ReadableTable, query: string): unknown[] {
  const outcome = runQuery(table, parseQuery(query));
  return outcome.kind === 'rows' ? [...(outcome.rows as Iterable<{ id: unknown }>)].map((row) => row.id) : [outcome.value];
}

describe('Transaction', () => {
  let t: TempStorage;
  before(async () => {
    t = await tempStorage();
    await t.storage.applySchema([
      tableDef('Item', [attr('kind', 'String', { indexed: true }), attr('price', 'Float', { indexed: true }), attr('n', 'Int')]),
      tableDef('Serial', [attr('name', 'String')], { keyType: 'Int' }),
    ]);
    const items = mustTable(t.storage, 'Item');
    for (const [id, kind, price] of [['a', 'x', 10], ['c', 'x', 30], ['e', 'y', 50]] as const) await items.put(id, { kind, price });
  });
  after(() => t.cleanup());

  test('nothing is stored or announced before commit; everything is, together, after', async () => {
    const items = mustTable(t.storage, 'Item');
    const heard: ChangeEntry[][] = [];
    const stop = t.storage.onCommit((changes) => heard.push(changes));
    const txn = new Transaction();
    txn.put(items, 'b', { kind: 'x', price: 20 });
    txn.patch(items, 'e', { price: 55 });
    txn.publish(items, 'a', { hello: 1 });
    assert.equal(items.get('b'), undefined);
    assert.equal(heard.length, 0);
    const changes = await txn.commit();
    stop();
    assert.deepEqual(changes.map((change) => [change.op, change.id]), [['put', 'b'], ['put', 'e'], ['message', 'a']]);
    assert.deepEqual(heard, [changes], 'one notification for the whole commit');
    assert.equal(items.get('e')?.value.price, 55);
    await items.delete('b');
    await items.patch('e', { price: 50 });
  });

  test('its view merges pending writes into scans, index lookups, ranges in both directions and counts', () => {
    const items = mustTable(t.storage, 'Item');
    const txn = new Transaction();
    txn.put(items, 'b', { kind: 'x', price: 20 });
    txn.put(items, 'd', { kind: 'y', price: 40 });
    txn.delete(items, 'c');
    txn.patch(items, 'a', { kind: 'y' });
    const view = txn.view(items);
    assert.deepEqual([...view.scan()].map((entry) => entry.id), ['a', 'b', 'd', 'e']);
    assert.deepEqual([...view.scan({ start: 'b', end: 'e', reverse: true })].map((entry) => entry.id), ['d', 'b']);
    assert.deepEqual([...view.scan({ limit: 2 })].map((entry) => entry.id), ['a', 'b']);
    assert.deepEqual(rows(view, 'kind=x'), ['b']);
    assert.deepEqual(rows(view, 'kind=y&sort(price)'), ['a', 'd', 'e']);
    assert.deepEqual(rows(view, 'price=gt=5&sort(-price)'), ['e', 'd', 'b', 'a']);
    assert.deepEqual(rows(view, 'price=ge=20&price=lt=50&count()'), [{ count: 2 }]);
    assert.equal(view.count(), 4);
    assert.deepEqual(rows(items, 'kind=x&sort(price)'), ['a', 'c'], 'the stored table is untouched');
    txn.abort();
  });

  test('a record read and then written must be unchanged at commit; blind writes and increments need not be', async () => {
    const items = mustTable(t.storage, 'Item');
    const reader = new Transaction();
    const price = reader.get(items, 'a')!.value.price as number;
    reader.put(items, 'a', { kind: 'x', price: price + 1 });
    const blind = new Transaction();
    blind.put(items, 'c', { kind: 'x', price: 31 });
    const counter = new Transaction();
    counter.get(items, 'e');
    counter.increment(items, 'e', 'n', 2);
    await items.patch('a', { price: 11 });
    await items.patch('c', { price: 32 });
    await items.patch('e', { price: 51 });
    await assert.rejects(reader.commit(), (error) => isLodeError(error) && error.code === 'WRITE_CONFLICT');
    await blind.commit();
    await counter.commit();
    assert.equal(items.get('a')?.value.price, 11, 'the conflicting write did not land');
    assert.equal(items.get('c')?.value.price, 31);
    assert.deepEqual(items.get('e')?.value, { id: 'e', kind: 'y', price: 51, n: 2 });
  });

  test('reads see one snapshot across awaits, through lookups, indexes and scans alike', async () => {
    const items = mustTable(t.storage, 'Item');
    const txn = new Transaction();
    assert.equal(txn.get(items, 'a')?.value.price, 11);
    await items.patch('a', { price: 12 });
    await items.put('late', { kind: 'x', price: 99 });
    assert.equal(txn.get(items, 'a')?.value.price, 11);
    const view = txn.view(items);
    assert.ok(![...view.scan()].some((entry) => entry.id === 'late'));
    assert.deepEqual(rows(view, 'price=gt=90'), []);
    assert.ok(!rows(view, 'kind=x').includes('late'));
    txn.abort();
    assert.equal(txn.view(items).get('a')?.value.price, 12, 'after it ends, reads see the latest data');
    await items.delete('late');
  });

  test('increments accumulate in the transaction and apply onto the value at commit', async () => {
    const items = mustTable(t.storage, 'Item');
    const first = new Transaction();
    const second = new Transaction();
    first.increment(items, 'counted', 'n', 5);
    first.increment(items, 'counted', 'n', -2);
    second.increment(items, 'counted', 'n', 10);
    assert.equal(first.view(items).get('counted')?.value.n, 3);
    await Promise.all([first.commit(), second.commit()]);
    assert.equal(items.get('counted')?.value.n, 13);
  });

  test('generated integer ids are reserved, so concurrent creates never collide', async () => {
    const serial = mustTable(t.storage, 'Serial');
    const transactions = Array.from({ length: 5 }, () => new Transaction());
    const ids = transactions.map((txn) => txn.create(serial, { name: 'n' }).id);
    assert.deepEqual(ids, [1, 2, 3, 4, 5]);
    await Promise.all(transactions.map((txn) => txn.commit()));
    assert.equal(serial.count(), 5);
  });

  test('a create whose id is taken is a CONFLICT and the whole commit is refused', async () => {
    const items = mustTable(t.storage, 'Item');
    const txn = new Transaction();
    txn.put(items, 'z', { kind: 'z' });
    txn.create(items, { id: 'late', kind: 'z' });
    await items.put('late', { kind: 'first' });
    await assert.rejects(txn.commit(), (error) => isLodeError(error) && error.code === 'CONFLICT');
    assert.equal(items.get('z'), undefined);
    assert.throws(() => txn.put(items, 'z', {}), /already been committed or aborted/);
  });

  test('every record read counts for the conflict check, at the version of its first read, in any table', async () => {
    const items = mustTable(t.storage, 'Item');
    const serial = mustTable(t.storage, 'Serial');
    const conflict = (error: unknown): boolean => isLodeError(error) && error.code === 'WRITE_CONFLICT';

    const secondRead = new Transaction();
    secondRead.get(items, 'a');
    secondRead.get(items, 'c');
    secondRead.put(items, 'c', { kind: 'x', price: 1 });
    await items.patch('c', { price: 33 });
    await assert.rejects(secondRead.commit(), conflict, 'a record read after the first one');

    const reread = new Transaction({ lazySnapshot: true });
    reread.get(items, 'e');
    await items.patch('e', { price: 52 });
    assert.equal(reread.get(items, 'e')?.value.price, 52, 'not pinned: the second read sees the change');
    reread.put(items, 'e', { kind: 'y', price: 1 });
    await assert.rejects(reread.commit(), conflict, 'the first read of a record is the one that counts');

    const otherTable = new Transaction();
    otherTable.get(items, 'a');
    otherTable.get(serial, 1);
    otherTable.put(serial, 1, { name: 'mine' });
    await serial.put(1, { name: 'theirs' });
    await assert.rejects(otherTable.commit(), conflict, 'a record of another table');

    const unread = new Transaction();
    unread.get(items, 'a');
    unread.put(items, 'c', { kind: 'x', price: 2 });
    await items.patch('c', { price: 34 });
    await unread.commit();
    assert.equal(items.get('c')?.value.price, 2, 'a record written without being read is a blind write');
  });
});
