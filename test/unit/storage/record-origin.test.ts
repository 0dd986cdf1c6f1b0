import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readRecord } from '../../../framework/src/storage/stored-record.js';
import { Table } from '../../../framework/src/storage/stored-table.js';
import type { Storage } from '../../../framework/src/storage/index.js';
import { attr, expectedIndex, indexContents, mustReplica, mustTable, tableDef, tempStorage, type TempStorage } from './helpers.js';

const item = (nameIndexed: boolean) => tableDef('Item', [attr('name', 'String', { indexed: nameIndexed }), attr('tag', 'String', { indexed: true })], { keyType: 'Int' });
const defs = [item(false)];

function itemsOf(storage: Storage): Table {
  const table = mustTable(storage, 'Item');
  if (!(table instanceof Table)) throw new Error('Item is not a storage table');
  return table;
}

/** A whole-record write made on `origin`, applied on `storage` as a peer's. */
function applyPeerPut(storage: Storage, id: number, stamp: [number, number], value: Record<string, unknown>): Promise<unknown> {
  const items = itemsOf(storage);
  return items.stores.env.transaction(() => items.applyReplicated({ op: 'put', stamp, value: { id, ...value } }, id, undefined));
}

describe('the origin of a record written on another node', () => {
  let a: TempStorage;
  let b: TempStorage;
  before(async () => {
    a = await tempStorage({ nodeId: 5 });
    b = await tempStorage({ nodeId: 9 });
    for (const { storage } of [a, b]) await storage.applySchema(defs);
  });
  after(async () => {
    await a.cleanup();
    await b.cleanup();
  });

  test('is kept with the record, with no merge-state entry, and breaks ties after a restart', async () => {
    const written = await itemsOf(a.storage).put(1, { name: 'from a', tag: 'x' });
    const replica = mustReplica(b.storage);
    const commits = [...mustReplica(a.storage).logAfter(0)].map(({ seq, bytes }) => ({ seq, entries: [bytes] }));
    await replica.apply(a.storage.nodeId, { commits, cursors: new Map([[a.storage.nodeId, commits.at(-1)!.seq]]) });

    let items = itemsOf(b.storage);
    assert.equal(items.stores.versions.get(1), undefined);
    assert.deepEqual(readRecord(items.stores.records, 1, b.storage.nodeId), { value: written.value, version: written.version, origin: 5 });
    assert.deepEqual(items.get(1), written);
    assert.deepEqual([...items.scan()], [written]);
    assert.deepEqual([...items.index('tag').ids('x')], [1]);

    await b.reopen();
    await b.storage.applySchema(defs);
    // Same version, lower origin: the record's write wins; higher origin: it loses.
    assert.equal(await applyPeerPut(b.storage, 1, [written.version, 3], { name: 'from 3' }), undefined);
    assert.equal(itemsOf(b.storage).get(1)?.value.name, 'from a');
    await applyPeerPut(b.storage, 1, [written.version, 7], { name: 'from 7' });
    items = itemsOf(b.storage);
    assert.deepEqual(readRecord(items.stores.records, 1, b.storage.nodeId), { value: { id: 1, name: 'from 7' }, version: written.version, origin: 7 });
    assert.equal(items.stores.versions.get(1), undefined);
  });

  test('is this node once it writes the record itself', async () => {
    await applyPeerPut(b.storage, 2, [1_000, 5], { name: 'from a' });
    const items = itemsOf(b.storage);
    const local = await items.put(2, { name: 'from b' });
    assert.deepEqual(items.stores.records.get(2), local.value);
    assert.equal(readRecord(items.stores.records, 2, b.storage.nodeId)?.origin, 9);
  });

  test('is read through by an index built over the records later', async () => {
    await b.storage.applySchema([item(true)]);
    const items = itemsOf(b.storage);
    await items.whenIndexesReady();
    assert.deepEqual(indexContents(items, 'name'), expectedIndex(items, 'name'));
    assert.deepEqual([...items.index('name').ids('from 7')], [1]);
  });
});
