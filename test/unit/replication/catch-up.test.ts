import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mustTable } from '../storage/helpers.js';
import { nodes, rows, startNode, stopNode, until } from './test-nodes.js';

describe('catch-up and stalled links', () => {
  after(async () => {
    for (const node of [...nodes.values()]) await stopNode(node);
  });

  test('a node the pruned log no longer reaches gets a full copy that merges: its own writes stay, nothing reverts', async () => {
    const a = await startNode('a');
    let b = await startNode('b', ['mem://a']);
    await mustTable(a.storage, 'Item').put(1, { name: 'one' });
    await mustTable(a.storage, 'Item').put(2, { name: 'two' });
    await until(() => rows(b).length === 2, 'the first writes');
    const temp = b.temp;
    await stopNode(b, true);
    // While b is away: a moves on and prunes its whole log; b writes things only it has.
    await mustTable(a.storage, 'Item').put(3, { name: 'three' });
    await mustTable(a.storage, 'Item').patch(1, { name: 'one, edited on a' });
    await mustTable(temp.storage, 'Item').put(100, { name: 'only on b' });
    await mustTable(temp.storage, 'Item').patch(2, { count: 22 });
    assert.ok((await a.storage.pruneLog(Date.now() + 1)) > 0);
    b = await startNode('b', ['mem://a'], undefined, temp);
    await until(() => rows(b).length === 4 && rows(a).length === 4, 'the copy one way and b\'s writes the other');
    assert.ok(a.warnings.some((warning) => warning.includes('no longer reaches')), 'the reset was logged');
    assert.deepEqual(rows(a), rows(b));
    const items = mustTable(b.storage, 'Item');
    assert.equal(items.get(1)?.value.name, 'one, edited on a');
    assert.deepEqual(items.get(2)?.value, { id: 2, name: 'two', count: 22 }, 'b\'s newer patch was not reverted by the copy');
    assert.equal(items.get(100)?.value.name, 'only on b', 'the copy did not delete what only b had');
    await stopNode(a);
    await stopNode(b);
  });

  test('a link whose peer stops confirming is closed as stalled, then resumes from the cursor', async () => {
    const b = await startNode('b', [], undefined, undefined, { stallTimeoutMs: 300, pingTimeoutMs: 60_000 });
    const a = await startNode('a', ['mem://b'], undefined, undefined, { stallTimeoutMs: 300, pingTimeoutMs: 60_000 });
    await mustTable(a.storage, 'Item').put(1, { name: 'one' });
    await until(() => rows(b).length === 1, 'the first write');
    for (const link of b.links) link.muted = true;
    await mustTable(a.storage, 'Item').put(2, { name: 'two' });
    await until(() => a.infos.some((line) => line.includes('the peer stopped confirming')), 'the stall to be detected');
    await until(() => rows(b).length === 2, 'the resumed stream');
    assert.deepEqual(rows(a), rows(b));
    await stopNode(a);
    await stopNode(b);
  });
});
