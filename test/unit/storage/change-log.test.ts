import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { ChangeEntry } from '../../../framework/src/storage/index.js';
import { attr, mustTable, scalar, tableDef, tempStorage } from './helpers.js';

const schema = [
  tableDef('Item', [attr('name', scalar('String', true)), attr('n', 'Int', { indexed: true })]),
  tableDef('Other', [attr('n', 'Int')]),
  tableDef('Elsewhere', [attr('n', 'Int')], { database: 'second' }),
];

describe('change log', () => {
  test('one entry per write with the right fields, in commit order, seen by onCommit and changes()', async () => {
    const t = await tempStorage({ nodeId: 77 });
    try {
      await t.storage.applySchema(schema);
      const seen: ChangeEntry[][] = [];
      const unsubscribe = t.storage.onCommit((entries) => seen.push(entries));
      const items = mustTable(t.storage, 'Item');
      const other = mustTable(t.storage, 'Other');

      const put = await items.put('a', { name: 'A', n: 1 });
      const patched = await items.patch('a', { n: 2 });
      const created = await other.create({ n: 3 });
      await items.delete('a');
      await items.delete('a');
      assert.equal(await items.patch('zzz', { n: 1 }), undefined);
      await assert.rejects(items.put('b', { n: 'bad' }));

      const log = [...t.storage.changes('data')];
      assert.deepEqual(
        log.map((e) => [e.seq, e.table, e.op, e.id]),
        [
          [1, 'Item', 'put', 'a'],
          [2, 'Item', 'put', 'a'],
          [3, 'Other', 'put', created.id],
          [4, 'Item', 'delete', 'a'],
        ],
        'no entry for a failed validation, a no-op delete or a patch of nothing',
      );
      assert.deepEqual(log[0], {
        seq: 1,
        database: 'data',
        table: 'Item',
        op: 'put',
        id: 'a',
        version: put.version,
        origin: 77,
        value: { id: 'a', name: 'A', n: 1 },
      });
      assert.equal(log[1]?.version, patched?.version);
      assert.deepEqual(log[1]?.value, { id: 'a', name: 'A', n: 2 });
      assert.equal(log[3]?.value, undefined);
      assert.ok(log[3]!.version > log[1]!.version);

      assert.deepEqual(seen.flat(), log, 'onCommit delivered the same entries, in order');
      assert.ok(seen.every((entries) => entries.length === 1));
      assert.deepEqual(
        [...t.storage.changes('data', 2)].map((e) => e.seq),
        [3, 4],
      );
      assert.deepEqual([...t.storage.changes('nowhere')], []);

      unsubscribe();
      await items.put('c', { name: 'C' });
      assert.equal(seen.length, 4, 'no delivery after unsubscribing');
    } finally {
      await t.cleanup();
    }
  });

  test('each database has its own log and sequence', async () => {
    const t = await tempStorage();
    try {
      await t.storage.applySchema(schema);
      await mustTable(t.storage, 'Item').put('a', { name: 'A' });
      await mustTable(t.storage, 'Elsewhere').put('x', { n: 1 });
      assert.deepEqual(
        [...t.storage.changes('second')].map((e) => [e.seq, e.database, e.table]),
        [[1, 'second', 'Elsewhere']],
      );
      assert.equal([...t.storage.changes('data')].length, 1);
    } finally {
      await t.cleanup();
    }
  });

  test('changes() is lazy: a partially consumed iteration can stop early', async () => {
    const t = await tempStorage();
    try {
      await t.storage.applySchema(schema);
      const items = mustTable(t.storage, 'Item');
      await Promise.all(Array.from({ length: 100 }, (_, n) => items.put(`k${n}`, { name: 'x', n })));
      let read = 0;
      for (const entry of t.storage.changes('data', 10)) {
        read++;
        assert.equal(entry.seq, 10 + read);
        if (read === 3) break;
      }
      assert.equal(read, 3);
      assert.equal([...t.storage.changes('data')].length, 100);
    } finally {
      await t.cleanup();
    }
  });

  test('a throwing commit listener does not break writes or other listeners', async () => {
    const t = await tempStorage();
    try {
      await t.storage.applySchema(schema);
      let delivered = 0;
      t.storage.onCommit(() => {
        throw new Error('listener bug');
      });
      t.storage.onCommit(() => delivered++);
      await mustTable(t.storage, 'Item').put('a', { name: 'A' });
      assert.equal(delivered, 1);
    } finally {
      await t.cleanup();
    }
  });
});

describe('restart', () => {
  test('sequence, clock high-water mark and node id survive close and reopen', async () => {
    const future = Date.UTC(2030, 0, 1);
    const t = await tempStorage({ now: () => future });
    try {
      await t.storage.applySchema(schema);
      const nodeId = t.storage.nodeId;
      assert.ok(Number.isInteger(nodeId) && nodeId > 0 && nodeId < 2 ** 32);
      assert.equal(readFileSync(join(t.dir, 'node-id'), 'utf8').trim(), String(nodeId));
      const items = mustTable(t.storage, 'Item');
      let last = 0;
      for (let n = 0; n < 3; n++) last = (await items.put(`k${n}`, { name: 'x', n })).version;

      const reopened = await t.reopen({ now: () => Date.UTC(2020, 0, 1) });
      assert.equal(reopened.nodeId, nodeId, 'the node id is kept for the data directory');
      await reopened.applySchema(schema);
      const again = mustTable(reopened, 'Item');
      assert.deepEqual(again.get('k1')?.value, { id: 'k1', name: 'x', n: 1 });
      const next = await again.put('k9', { name: 'after restart' });
      assert.ok(next.version > last, 'versions continue above the persisted high-water mark');
      const log = [...reopened.changes('data')];
      assert.deepEqual(
        log.map((e) => e.seq),
        [1, 2, 3, 4],
      );
      assert.equal(log[3]?.origin, nodeId);
    } finally {
      await t.cleanup();
    }
  });

  test('a node id given in options wins', async () => {
    const t = await tempStorage({ nodeId: 1234 });
    try {
      assert.equal(t.storage.nodeId, 1234);
    } finally {
      await t.cleanup();
    }
  });

  test('close waits for pending writes and is safe to call twice', async () => {
    const t = await tempStorage();
    try {
      await t.storage.applySchema(schema);
      const items = mustTable(t.storage, 'Item');
      const writes = Array.from({ length: 20 }, (_, n) => items.put(`w${n}`, { name: 'w', n }));
      await Promise.all([t.storage.close(), t.storage.close()]);
      await Promise.all(writes);
      const reopened = await t.reopen();
      await reopened.applySchema(schema);
      assert.equal(mustTable(reopened, 'Item').count(), 20);
    } finally {
      await t.cleanup();
    }
  });
});
