import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultReplicationTuning, realTimers, type ReplicationOptions } from '../../../framework/src/replication/index.js';
import { LogSender } from '../../../framework/src/replication/log-sender.js';
import type { Message } from '../../../framework/src/replication/messages.js';
import { encodeLogEntry } from '../../../framework/src/storage/log-entry.js';
import { Table } from '../../../framework/src/storage/stored-table.js';
import { silentLogger } from '../../../framework/src/util/index.js';
import { NodeClock, Scheduler } from '../../cluster/sim-scheduler.js';
import { attr, mustTable, tableDef, tempStorage, type TempStorage } from '../storage/helpers.js';

const defs = [tableDef('Item', [attr('name', 'String')], { keyType: 'Int' })];
const options: ReplicationOptions = { ...defaultReplicationTuning, hostname: 'a', secret: 's', routes: [], databases: '*', batchBytes: 1, maxUnconfirmed: 100, copyBatchRecords: 100, sendIntervalMs: 0 };
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('LogSender', () => {
  const temps: TempStorage[] = [];
  after(async () => {
    for (const temp of temps) await temp.cleanup();
  });

  test('when retention prunes the log past a peer that is behind, the peer gets a full copy, not a gap', async () => {
    let clock = 1_000;
    const temp = await tempStorage({ nodeId: 1, now: () => clock });
    temps.push(temp);
    await temp.storage.applySchema(defs);
    const items = mustTable(temp.storage, 'Item');
    for (let id = 1; id <= 5; id++) await items.put(id, { name: `n${id}` });
    const replica = temp.storage.replica('data')!;
    const sent: Message[] = [];
    let full = true;
    const link = {
      // The first message fills the link's buffer: the sender waits for it to drain.
      send: (message: Message): boolean => {
        sent.push(message);
        const wasFull = full;
        full = false;
        return !wasFull;
      },
      timers: { ...realTimers, now: () => clock },
    };
    const sender = new LogSender(replica, link, options, silentLogger, 'b');
    const running = sender.run({ origins: [1], cursor: 2 });
    await turn();
    assert.deepEqual(sent.map((message) => message.t === 'commits' && message.commits.map((commit) => commit.seq)), [[3]]);

    clock = 2_000;
    await items.put(6, { name: 'n6' });
    clock = 3_000;
    await items.put(7, { name: 'n7' });
    assert.equal(await temp.storage.pruneLog(2_500), 6);
    sender.drained();
    await turn();
    sender.stop();
    await running;

    const after = sent.slice(1);
    const copied = after.findIndex((message) => message.t === 'copied');
    assert.ok(copied >= 0, `a full copy follows the gap, got ${after.map((message) => message.t).join(', ')}`);
    assert.ok(after.slice(0, copied).every((message) => message.t === 'copy'), 'no log entries were sent across the gap');
    assert.equal((after[copied] as Message & { t: 'copied' }).start, 7);
    const ids = after.flatMap((message) => (message.t === 'copy' ? message.records.map((record) => record.id) : []));
    assert.deepEqual(ids, [1, 2, 3, 4, 5, 6, 7]);
  });

  test('a full copy that starts while a write is committing includes that write or streams it after', async () => {
    const temp = await tempStorage({ nodeId: 1 });
    temps.push(temp);
    await temp.storage.applySchema(defs);
    const items = mustTable(temp.storage, 'Item');
    assert.ok(items instanceof Table);
    assert.equal(items.get(1), undefined);
    const sent: Message[] = [];
    const sender = new LogSender(temp.storage.replica('data')!, { send: (message) => sent.push(message) > 0, timers: realTimers }, options, silentLogger, 'b');
    let running: Promise<void> | undefined;
    // The put's commit has taken its log sequence but is not readable yet when the copy starts.
    const writing = items.put(1, { name: 'committing' });
    const starting = items.stores.env.transaction(() => queueMicrotask(() => (running = sender.run({ origins: [1] }))));
    await writing;
    await starting;
    for (let i = 0; i < 5; i++) await turn();
    sender.stop();
    await running;
    const copied = sent.flatMap((message) => (message.t === 'copy' ? message.records.map((record) => record.id) : []));
    const streamed = sent.flatMap((message) => (message.t === 'commits' ? message.commits.map((commit) => commit.seq) : []));
    assert.ok(copied.includes(1) || streamed.includes(1), `the write is in the copy or the stream: ${JSON.stringify(sent.map((message) => message.t))}`);
  });

  test('progress alone (entries the peer did not ask for) is held back until the delay passes, then sent once', async () => {
    const temp = await tempStorage({ nodeId: 1 });
    temps.push(temp);
    await temp.storage.applySchema(defs);
    const replica = temp.storage.replica('data')!;
    const scheduler = new Scheduler(0);
    const timers = new NodeClock(scheduler, 'a', () => 0);
    const sent: Message[] = [];
    const sender = new LogSender(replica, { send: (message) => sent.push(message) > 0, timers }, options, silentLogger, 'b');
    const running = sender.run({ origins: [1], cursor: 0 });
    const fromPeer = (seq: number, id: number): Promise<unknown> =>
      replica.apply(2, { commits: [{ seq, entries: [encodeLogEntry({ op: 'put', table: 'Item', id, version: seq, origin: 2, at: 0, value: { id, name: `from 2: ${id}` } })] }], cursors: new Map([[2, seq]]) });
    for (let seq = 1; seq <= 3; seq++) await fromPeer(seq, seq);
    await turn();
    assert.deepEqual(sent, [], 'nothing is sent while only entries of other origins were read');
    assert.equal(scheduler.pending, 1, 'one timer for the held-back progress');

    await scheduler.next()!.action();
    await turn();
    assert.deepEqual(sent, [{ t: 'commits', n: 1, commits: [], last: 3 }]);

    await fromPeer(4, 4);
    await mustTable(temp.storage, 'Item').put(10, { name: 'local' });
    await turn();
    assert.equal(sent.length, 2, 'a commit the peer asked for goes at once, with the progress before it');
    const message = sent[1]! as Message & { t: 'commits' };
    assert.deepEqual([message.commits.map((commit) => commit.seq), message.last], [[5], 5]);
    sender.stop();
    await running;
  });

  test('while the log trickles in, messages are spaced by sendIntervalMs and what commits meanwhile goes together', async () => {
    const temp = await tempStorage({ nodeId: 1 });
    temps.push(temp);
    await temp.storage.applySchema(defs);
    const items = mustTable(temp.storage, 'Item');
    const scheduler = new Scheduler(0);
    const timers = new NodeClock(scheduler, 'a', () => 0);
    const sent: Message[] = [];
    const spaced = { ...options, batchBytes: 1 << 20, sendIntervalMs: 5 };
    const sender = new LogSender(temp.storage.replica('data')!, { send: (message) => sent.push(message) > 0, timers }, spaced, silentLogger, 'b');
    const running = sender.run({ origins: [1], cursor: 0 });
    const seqs = (): number[][] => sent.map((message) => (message.t === 'commits' ? message.commits.map((commit) => commit.seq) : []));

    await items.put(1, { name: 'one' });
    await turn();
    assert.deepEqual(seqs(), [[1]], 'the first commit goes at once');
    await items.put(2, { name: 'two' });
    await items.put(3, { name: 'three' });
    await turn();
    assert.deepEqual(seqs(), [[1]], 'the next waits for the interval');

    const due = scheduler.next()!;
    assert.equal(due.time, 5);
    await due.action();
    await turn();
    assert.deepEqual(seqs(), [[1], [2, 3]]);
    sender.stop();
    await running;
  });
});
