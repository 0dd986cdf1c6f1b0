import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReplicatedCommit, Storage } from '../../../framework/src/storage/index.js';
import { attr, mustReplica, mustTable, storagePair, tableDef, type TempStorage } from './helpers.js';

const defs = [tableDef('Item', [attr('name', 'String')], { keyType: 'Int' })];

/** `from`'s log after `after`, one commit per entry (these writes are single-record commits). */
function commitsOf(from: Storage, after = 0): ReplicatedCommit[] {
  return [...mustReplica(from).logAfter(after)].map(({ seq, bytes }) => ({ seq, entries: [bytes] }));
}

const messagesIn = (storage: Storage): number => [...storage.changes('data')].filter((change) => change.op === 'message').length;

describe('DatabaseReplica cursors', () => {
  let a: TempStorage;
  let b: TempStorage;
  before(async () => ([a, b] = await storagePair(defs)));
  after(async () => {
    await a.cleanup();
    await b.cleanup();
  });

  test('commits the stored cursor already covers are skipped, so two overlapping links never apply one twice', async () => {
    const items = mustTable(a.storage, 'Item');
    await items.put(1, { name: 'one' });
    await items.publish(1, { text: 'hello' });
    await items.put(2, { name: 'two' });
    const commits = commitsOf(a.storage);
    const last = commits.at(-1)!.seq;
    const heard: string[] = [];
    b.storage.onCommit((changes) => heard.push(...changes.map((change) => `${change.op}:${change.id}`)));

    await mustReplica(b.storage).apply(1, { commits, cursors: new Map([[1, last]]) });
    // A replaced link that had the same commits queued applies them after the new link did.
    await mustReplica(b.storage).apply(1, { commits, cursors: new Map([[1, last]]) });
    assert.deepEqual(heard, ['put:1', 'message:1', 'put:2']);
    assert.equal(messagesIn(b.storage), 1, 'the message was logged once');

    await mustReplica(b.storage).apply(1, { commits: commits.slice(0, 1), cursors: new Map([[1, commits[0]!.seq]]) });
    assert.equal(mustReplica(b.storage).cursors(1).get(1), last, 'an older cursor does not move the stored one back');

    await items.publish(2, { text: 'later' });
    const more = commitsOf(a.storage, last);
    await mustReplica(b.storage).apply(1, { commits: more, cursors: new Map([[1, more.at(-1)!.seq]]) });
    assert.deepEqual(heard.slice(3), ['message:2'], 'what follows the cursor still applies');
    assert.equal(messagesIn(b.storage), 2);
  });
});
