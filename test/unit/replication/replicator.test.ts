import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Transaction } from '../../../framework/src/storage/index.js';
import { mustTable } from '../storage/helpers.js';
import { nodes, rows, startNode, stopNode, until } from './test-nodes.js';

describe('Replicator over in-memory links', () => {
  after(async () => {
    for (const node of [...nodes.values()]) await stopNode(node);
  });

  test('writes on either end reach the other over one link, and subscribers hear them', async () => {
    const b = await startNode('b');
    const a = await startNode('a', ['mem://b']);
    const heard: unknown[] = [];
    b.storage.onCommit((changes) => heard.push(...changes.filter((change) => change.table === 'Item').map((change) => change.id)));
    await mustTable(a.storage, 'Item').put(1, { name: 'from a' });
    await mustTable(b.storage, 'Item').put(2, { name: 'from b' });
    await mustTable(a.storage, 'Local').put(1, { name: 'a only' });
    await until(() => rows(a).length === 2 && rows(b).length === 2, 'both records on both nodes');
    // A replicated row can be read a moment before its apply resolves and announces it.
    await b.replicator.idle();
    assert.deepEqual(rows(a), rows(b));
    assert.ok(heard.includes(1), 'a subscriber on b heard the write made on a');
    assert.equal(mustTable(b.storage, 'Local').count(), 0);
    assert.equal(a.replicator.status().length, 1);
    assert.equal(b.replicator.status()[0]?.name, 'a');
    await stopNode(a);
    await stopNode(b);
  });

  test('a new node gets a full copy, then the live log without a gap', async () => {
    const a = await startNode('a');
    const bulk = new Transaction();
    for (let id = 1; id <= 1200; id++) bulk.put(mustTable(a.storage, 'Item'), id, { name: `n${id}` });
    await bulk.commit();
    await mustTable(a.storage, 'Item').delete(7);
    const c = await startNode('c', ['mem://a']);
    await mustTable(a.storage, 'Item').put(5000, { name: 'during or after the copy' });
    await until(() => rows(c).length === 1200, 'the copy and the live write');
    assert.deepEqual(rows(c), rows(a));
    await stopNode(a);
    await stopNode(c);
  });

  test('a reconnect resumes from the cursor: nothing lost, nothing applied twice', async () => {
    const b = await startNode('b');
    const a = await startNode('a', ['mem://b']);
    await mustTable(a.storage, 'Item').put(1, { name: 'one' });
    await until(() => rows(b).length === 1, 'the first write');
    const logged = b.storage.replica('data')!.bounds.last;
    for (const link of a.links) link.close(1006, 'dropped');
    await mustTable(a.storage, 'Item').put(2, { name: 'two' });
    await until(() => rows(b).length === 2, 'the write made while disconnected', 5000);
    assert.equal(b.storage.replica('data')!.bounds.last, logged + 1, 'only the new write was applied after reconnecting');
    await stopNode(a);
    await stopNode(b);
  });

  test('a peer with the wrong secret is refused and logged, and nothing replicates', async () => {
    const b = await startNode('b');
    const a = await startNode('a', ['mem://b'], 'wrong-secret');
    await mustTable(a.storage, 'Item').put(1, { name: 'secret' });
    await until(() => b.warnings.some((warning) => warning.includes('secret')), 'the refusal in the log');
    assert.equal(mustTable(b.storage, 'Item').count(), 0);
    assert.equal(b.replicator.status().length, 0);
    await stopNode(a);
    await stopNode(b);
  });

  test('when both ends have a route to each other, one link is kept', async () => {
    const a = await startNode('a', ['mem://b']);
    const b = await startNode('b', ['mem://a']);
    await mustTable(a.storage, 'Item').put(1, { name: 'x' });
    await until(() => rows(b).length === 1, 'replication');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(a.replicator.status().length, 1);
    assert.equal(b.replicator.status().length, 1);
    assert.equal(a.replicator.status()[0]!.role === 'initiator', b.replicator.status()[0]!.role === 'acceptor');
    assert.deepEqual([...a.warnings, ...b.warnings], [], 'the link not kept is not reported as a refusal');
    await stopNode(a);
    await stopNode(b);
  });
});
