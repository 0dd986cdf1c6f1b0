import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attr, mustTable, tableDef, tempStorage } from './helpers.js';

const defs = [tableDef('Item', [attr('name', 'String')], { keyType: 'Int' })];

test('sequences are never reused, even after retention pruned the whole log and the node restarted', async () => {
  const temp = await tempStorage();
  try {
    await temp.storage.applySchema(defs);
    for (let id = 1; id <= 3; id++) await mustTable(temp.storage, 'Item').put(id, { name: `n${id}` });
    assert.equal(await temp.storage.pruneLog(Date.now() + 1), 3);
    assert.deepEqual(temp.storage.logBounds('data'), { first: 4, last: 3 });
    const reopened = await temp.reopen();
    await reopened.applySchema(defs);
    assert.deepEqual(reopened.logBounds('data'), { first: 4, last: 3 });
    await mustTable(reopened, 'Item').put(4, { name: 'after' });
    assert.deepEqual([...reopened.changes('data')].map((change) => change.seq), [4]);
  } finally {
    await temp.cleanup();
  }
});
