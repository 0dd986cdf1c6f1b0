import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeLogEntry } from '../../../framework/src/storage/log-entry.js';
import { logHeader, Transaction, type ReplicatedCommit, type Storage } from '../../../framework/src/storage/index.js';
import { attr, mustReplica, mustTable, storagePair, tableDef, tempStorage, type TempStorage } from './helpers.js';

const defs = [tableDef('Item', [attr('name', 'String'), attr('tag', 'String', { indexed: true }), attr('count', 'Int')], { keyType: 'Int' }), tableDef('Local', [attr('name', 'String')], { replicate: false, keyType: 'Int' })];

/** Everything in `from`'s log after `after`, as the commits a peer receives. */
function commitsOf(from: Storage, after = 0): ReplicatedCommit[] {
  const commits: ReplicatedCommit[] = [];
  let open: { txn: number | undefined; commit: ReplicatedCommit } | undefined;
  for (const { seq, bytes } of mustReplica(from).logAfter(after)) {
    const entry = logHeader(bytes);
    if (open !== undefined && entry.txn !== undefined && entry.txn === open.txn) {
      open.commit.entries.push(bytes);
      open.commit.seq = seq;
      continue;
    }
    open = { txn: entry.txn, commit: { seq, entries: [bytes] } };
    commits.push(open.commit);
  }
  return commits;
}

async function ship(from: Storage, to: Storage, after = 0): Promise<void> {
  const commits = commitsOf(from, after);
  await mustReplica(to).apply(from.nodeId, { commits, cursors: new Map([[from.nodeId, commits.at(-1)?.seq ?? after]]) });
}

function contents(storage: Storage, table = 'Item'): unknown[] {
  return [...mustTable(storage, table).scan()].map(({ id, value, version }) => ({ id, value, version }));
}

describe('DatabaseReplica', () => {
  let a: TempStorage;
  let b: TempStorage;
  before(async () => ([a, b] = await storagePair(defs)));
  after(async () => {
    await a.cleanup();
    await b.cleanup();
  });

  test('commits from a peer apply with their versions, indexes and cursor, and subscribers hear them', async () => {
    const items = mustTable(a.storage, 'Item');
    await items.put(1, { name: 'one', tag: 'x', count: 1 });
    await items.put(2, { name: 'two', tag: 'y' });
    await items.patch(1, { name: 'uno' });
    const txn = new Transaction();
    txn.increment(items, 1, 'count', 5);
    txn.put(items, 3, { name: 'three', tag: 'x' });
    await txn.commit();
    await items.delete(2);
    await mustTable(a.storage, 'Local').put(1, { name: 'stays here' });

    const heard: string[] = [];
    const stop = b.storage.onCommit((changes) => heard.push(...changes.map((change) => `${change.op}:${change.id}`)));
    await ship(a.storage, b.storage);
    stop();
    assert.deepEqual(contents(b.storage), contents(a.storage));
    assert.deepEqual([...mustTable(b.storage, 'Item').byIndex('tag', 'x')].sort(), [1, 3]);
    assert.equal(mustTable(b.storage, 'Local').count(), 0, 'a replicate: false table is never applied');
    assert.deepEqual(heard, ['put:1', 'put:2', 'put:1', 'put:1', 'put:3', 'delete:2']);
    assert.equal(mustReplica(b.storage).cursors(1).get(1), mustReplica(a.storage).bounds.last);
    assert.equal(mustTable(b.storage, 'Item').get(1)?.value.count, 6);
  });

  test('applying the same commits again changes nothing', async () => {
    const before = contents(b.storage);
    const lastSeq = mustReplica(b.storage).bounds.last;
    await ship(a.storage, b.storage);
    assert.deepEqual(contents(b.storage), before);
    assert.equal(mustReplica(b.storage).bounds.last, lastSeq, 'nothing was logged');
  });

  test('concurrent writes on two nodes converge once each has the other\'s', async () => {
    const fromA = mustReplica(a.storage).bounds.last;
    const fromB = mustReplica(b.storage).bounds.last;
    await mustTable(a.storage, 'Item').patch(1, { name: 'from a' });
    await mustTable(b.storage, 'Item').patch(1, { tag: 'from b' });
    const txnA = new Transaction();
    txnA.increment(mustTable(a.storage, 'Item'), 3, 'count', 2);
    await txnA.commit();
    const txnB = new Transaction();
    txnB.increment(mustTable(b.storage, 'Item'), 3, 'count', 3);
    await txnB.commit();
    await mustTable(b.storage, 'Item').put(4, { name: 'b only' });
    await ship(a.storage, b.storage, fromA);
    await ship(b.storage, a.storage, fromB);
    assert.deepEqual(contents(a.storage), contents(b.storage));
    const one = mustTable(a.storage, 'Item').get(1)?.value;
    assert.equal(one?.name, 'from a');
    assert.equal(one?.tag, 'from b');
    assert.equal(mustTable(a.storage, 'Item').get(3)?.value.count, 5);
  });

  test('a full copy rebuilds a new node, and reconciling with it never deletes or reverts', async () => {
    const c = await tempStorage({ nodeId: 3 });
    try {
      await c.storage.applySchema(defs);
      await mustTable(c.storage, 'Item').put(99, { name: 'only on c' });
      const source = mustReplica(a.storage);
      for (const table of source.tableNames()) {
        let next: { phase: 'records' | 'tombstones' | 'pending'; after?: string | number } | undefined = { phase: 'records' };
        while (next !== undefined) {
          const batch = source.copyBatch(table, next.phase, next.after, 2);
          await mustReplica(c.storage).apply(a.storage.nodeId, { copied: { table, records: batch.records } });
          next = batch.next;
        }
      }
      assert.deepEqual(source.tableNames(), ['Item']);
      const copied = contents(c.storage).filter((row) => (row as { id: number }).id !== 99);
      assert.deepEqual(copied, contents(a.storage));
      assert.equal(mustTable(c.storage, 'Item').get(99)?.value.name, 'only on c');
      assert.equal(mustTable(c.storage, 'Item').get(2), undefined, 'the tombstone came along');
      // An older copy of record 1 (before its patches) must not revert it.
      const newer = mustTable(c.storage, 'Item').get(1);
      await mustReplica(c.storage).apply(1, { copied: { table: 'Item', records: [{ id: 1, writes: [{ op: 'put', stamp: [1, 1], value: { id: 1, name: 'ancient' } }] }] } });
      assert.deepEqual(mustTable(c.storage, 'Item').get(1), newer);
    } finally {
      await c.cleanup();
    }
  });

  test('a version from a peer ahead of this clock moves the clock, so the next local write wins', async () => {
    const ahead = Date.now() * 1024 + 10_000_000;
    await mustReplica(b.storage).apply(1, { commits: [{ seq: 1, entries: [encodeLogEntry({ op: 'put', table: 'Item', id: 50, version: ahead, origin: 1, at: 0, value: { id: 50, name: 'future' } })] }] });
    const local = await mustTable(b.storage, 'Item').put(50, { name: 'local' });
    assert.ok(local.version > ahead);
    const reopened = await b.reopen();
    await reopened.applySchema(defs);
    const later = await mustTable(reopened, 'Item').put(51, { name: 'after restart' });
    assert.ok(later.version > ahead, 'the clock high-water mark was kept');
  });
});
