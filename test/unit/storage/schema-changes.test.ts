import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { open } from 'lmdb';
import { isLodeError } from '../../../framework/src/errors/index.js';
import type { AttributeDef } from '../../../framework/src/schema/index.js';
import type { StoredTable } from '../../../framework/src/storage/index.js';
import { attr, expectedIndex, indexContents, mustTable, tableDef, tempStorage } from './helpers.js';

const color = (indexed: boolean): AttributeDef => attr('color', 'String', { indexed });
const colors = ['red', 'green', 'blue', null];

async function fill(table: StoredTable, count: number): Promise<void> {
  const writes: Promise<unknown>[] = [];
  for (let id = 1; id <= count; id++) writes.push(table.put(id, { n: id, color: colors[id % colors.length] }));
  await Promise.all(writes);
}

const paint = (indexed: boolean, extra: AttributeDef[] = []) =>
  tableDef('Paint', [attr('n', 'Int'), color(indexed), ...extra], { keyType: 'Int' });

describe('applySchema', () => {
  test('new tables and attributes go live; table identity survives; a repeat is a no-op', async () => {
    const t = await tempStorage();
    try {
      const first = await t.storage.applySchema([paint(false)]);
      assert.deepEqual(first, { createdTables: ['Paint'], addedAttributes: [], indexesBuilding: [], retired: [] });
      const table = mustTable(t.storage, 'Paint');
      await table.put(1, { n: 1, color: 'red' });

      const brush = tableDef('Brush', [attr('size', 'Int')]);
      const second = await t.storage.applySchema([paint(false, [attr('shine', 'Float')]), brush]);
      assert.deepEqual(second, {
        createdTables: ['Brush'],
        addedAttributes: ['Paint.shine'],
        indexesBuilding: [],
        retired: [],
      });
      assert.equal(t.storage.table('Paint'), table, 'the same table object');
      assert.ok(table.def.attributes.some((a) => a.name === 'shine'), 'its def is replaced');
      await mustTable(t.storage, 'Brush').put('b', { size: 2 });
      assert.deepEqual([...t.storage.tables.keys()].sort(), ['Brush', 'Paint']);

      const again = await t.storage.applySchema([paint(false, [attr('shine', 'Float')]), brush]);
      assert.deepEqual(again, { createdTables: [], addedAttributes: [], indexesBuilding: [], retired: [] });
    } finally {
      await t.cleanup();
    }
  });

  test('an index added to an empty table is ready at once', async () => {
    const t = await tempStorage();
    try {
      await t.storage.applySchema([paint(false)]);
      const changes = await t.storage.applySchema([paint(true)]);
      assert.deepEqual(changes.indexesBuilding, []);
      const table = mustTable(t.storage, 'Paint');
      assert.equal(table.indexStatus('color'), 'ready');
      await table.put(1, { n: 1, color: 'red' });
      assert.deepEqual([...table.byIndex('color', 'red')], [1]);
    } finally {
      await t.cleanup();
    }
  });

  test('an index added to a non-empty table builds in the background while writes go on', async () => {
    const t = await tempStorage();
    try {
      await t.storage.applySchema([paint(false)]);
      const table = mustTable(t.storage, 'Paint');
      await fill(table, 1600);

      const changes = await t.storage.applySchema([paint(true)]);
      assert.deepEqual(changes.indexesBuilding, ['Paint.color']);
      assert.equal(table.indexStatus('color'), 'building');
      assert.throws(
        () => table.byIndex('color', 'red'),
        (error: unknown) =>
          isLodeError(error) && error.code === 'INDEX_BUILDING' && error.headers?.['Retry-After'] === '1',
      );
      const repeat = await t.storage.applySchema([paint(true)]);
      assert.deepEqual(repeat.indexesBuilding, ['Paint.color'], 'a repeat reports the running build, starts no other');

      const writes: Promise<unknown>[] = [];
      for (let id = 1; id <= 1600; id += 7) writes.push(table.patch(id, { color: 'purple' }));
      for (let id = 3; id <= 1600; id += 11) writes.push(table.delete(id));
      for (let id = 1601; id <= 1650; id++) writes.push(table.put(id, { n: id, color: 'new' }));
      await Promise.all(writes);
      await table.whenIndexesReady();

      assert.equal(table.indexStatus('color'), 'ready');
      assert.deepEqual(indexContents(table, 'color'), expectedIndex(table, 'color'));
      assert.equal([...table.byIndex('color', 'new')].length, 50);
    } finally {
      await t.cleanup();
    }
  });

  test('a build stopped by close resumes after reopening', async () => {
    const t = await tempStorage();
    try {
      await t.storage.applySchema([paint(false)]);
      await fill(mustTable(t.storage, 'Paint'), 1800);
      const changes = await t.storage.applySchema([paint(true)]);
      assert.deepEqual(changes.indexesBuilding, ['Paint.color']);
      await t.storage.close();

      const env = open({ path: join(t.dir, 'data'), maxDbs: 2000 });
      const state = env.openDB('meta', {}).get(['index', 'Paint', 'color']) as { status: string; lastKey?: number };
      await env.close();
      assert.equal(state.status, 'building', 'closing stopped the build before it finished');
      assert.ok(typeof state.lastKey === 'number' && state.lastKey < 1800, 'progress was saved');

      const reopened = await t.reopen();
      const resumed = await reopened.applySchema([paint(true)]);
      assert.deepEqual(resumed.indexesBuilding, ['Paint.color']);
      const table = mustTable(reopened, 'Paint');
      await table.whenIndexesReady();
      assert.equal(table.indexStatus('color'), 'ready');
      assert.deepEqual(indexContents(table, 'color'), expectedIndex(table, 'color'));
    } finally {
      await t.cleanup();
    }
  });

  test('a build resumes from its saved progress marker, not from the start', async () => {
    const t = await tempStorage();
    try {
      await t.storage.applySchema([paint(true)]);
      await fill(mustTable(t.storage, 'Paint'), 1200);
      await t.storage.close();

      const env = open({ path: join(t.dir, 'data'), maxDbs: 2000 });
      const meta = env.openDB('meta', {});
      const index = env.openDB('Paint/color', { dupSort: true, encoding: 'ordered-binary' });
      await index.clearAsync();
      await meta.put(['index', 'Paint', 'color'], { dbi: 'Paint/color', generation: 0, status: 'building', lastKey: 1000 });
      await env.close();

      const reopened = await t.reopen();
      const changes = await reopened.applySchema([paint(true)]);
      assert.deepEqual(changes.indexesBuilding, ['Paint.color']);
      const table = mustTable(reopened, 'Paint');
      await table.whenIndexesReady();
      const ids = indexContents(table, 'color').map(([, id]) => Number(id));
      assert.equal(ids.length, 200);
      assert.ok(ids.every((id) => id > 1000), 'only records after the marker were indexed');
    } finally {
      await t.cleanup();
    }
  });

  test('removing tables and attributes keeps their data; re-adding finds it', async () => {
    const t = await tempStorage();
    try {
      const full = paint(true, [attr('shine', 'Float')]);
      await t.storage.applySchema([full, tableDef('Brush', [attr('size', 'Int')])]);
      const table = mustTable(t.storage, 'Paint');
      await table.put(1, { n: 1, color: 'red', shine: 0.5 });
      await mustTable(t.storage, 'Brush').put('b', { size: 3 });

      const fewer = await t.storage.applySchema([paint(true)]);
      assert.deepEqual(fewer.retired.sort(), ['Brush', 'Paint.shine']);
      assert.equal(t.storage.table('Brush'), undefined);
      assert.deepEqual(table.get(1)?.value, { id: 1, n: 1, color: 'red', shine: 0.5 }, 'the attribute value stays');

      const restored = await t.storage.applySchema([full, tableDef('Brush', [attr('size', 'Int')])]);
      assert.deepEqual(restored.createdTables, [], 'a retired table comes back with its data');
      assert.deepEqual(restored.addedAttributes, ['Paint.shine']);
      assert.deepEqual(mustTable(t.storage, 'Brush').get('b')?.value, { id: 'b', size: 3 });
    } finally {
      await t.cleanup();
    }
  });

  test('an index dropped and added again is rebuilt with the writes made in between', async () => {
    const t = await tempStorage();
    try {
      await t.storage.applySchema([paint(true)]);
      const table = mustTable(t.storage, 'Paint');
      await fill(table, 50);
      const dropped = await t.storage.applySchema([paint(false)]);
      assert.deepEqual(dropped.retired, ['Paint.color (index)']);
      assert.equal(table.indexStatus('color'), 'absent');
      assert.throws(() => table.byIndex('color', 'red'), (error: unknown) => isLodeError(error) && error.code === 'BAD_REQUEST');
      await table.put(1, { n: 1, color: 'changed' });
      await table.delete(2);

      const readded = await t.storage.applySchema([paint(true)]);
      assert.deepEqual(readded.indexesBuilding, ['Paint.color']);
      await table.whenIndexesReady();
      assert.deepEqual(indexContents(table, 'color'), expectedIndex(table, 'color'));
      assert.deepEqual([...table.byIndex('color', 'changed')], [1]);
    } finally {
      await t.cleanup();
    }
  });
});
