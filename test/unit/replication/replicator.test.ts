import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultReplicationTuning, Replicator, type LinkEvents, type ReplicationOptions } from '../../../framework/src/replication/index.js';
import type { Storage } from '../../../framework/src/storage/index.js';
import type { Logger } from '../../../framework/src/util/index.js';
import { attr, mustTable, tableDef, tempStorage, type TempStorage } from '../storage/helpers.js';
import { linkPair, type MemoryLink } from './memory-link.js';

const defs = [
  tableDef('Item', [attr('name', 'String'), attr('count', 'Int')], { keyType: 'Int' }),
  tableDef('Local', [attr('name', 'String')], { replicate: false, keyType: 'Int' }),
];

interface TestNode {
  name: string;
  temp: TempStorage;
  storage: Storage;
  replicator: Replicator;
  warnings: string[];
  links: MemoryLink[];
}

const nodes = new Map<string, TestNode>();

function options(name: string, routes: string[], secret = 'cluster-secret'): ReplicationOptions {
  return { ...defaultReplicationTuning, hostname: name, secret, routes: routes.map((url) => ({ url })), databases: '*', pingIntervalMs: 200, pingTimeoutMs: 1000 };
}

async function startNode(name: string, routes: string[] = [], secret?: string, temp?: TempStorage): Promise<TestNode> {
  temp ??= await tempStorage();
  await temp.storage.applySchema(defs);
  const warnings: string[] = [];
  const logger: Logger = { info: () => undefined, warn: (message) => warnings.push(message), error: (message) => warnings.push(message) };
  const node: TestNode = { name, temp, storage: temp.storage, warnings, links: [], replicator: undefined as unknown as Replicator };
  node.replicator = new Replicator({
    storage: temp.storage,
    options: options(name, routes, secret),
    logger,
    connect: (url: string, _database: string, events: LinkEvents) => {
      const target = nodes.get(url.replace('mem://', ''));
      const { a, b } = linkPair(name, url);
      a.events = events;
      node.links.push(a);
      if (target === undefined) {
        setImmediate(() => a.remoteClosed(1006, 'unreachable'));
        return a;
      }
      target.links.push(b);
      setImmediate(() => {
        events.open();
        b.events = target.replicator.accept(b);
      });
      return a;
    },
  });
  nodes.set(name, node);
  node.replicator.refresh();
  return node;
}

async function stopNode(node: TestNode, keepData = false): Promise<void> {
  await node.replicator.close();
  nodes.delete(node.name);
  if (!keepData) await node.temp.cleanup();
}

function rows(node: TestNode, table = 'Item'): unknown[] {
  return [...mustTable(node.storage, table).scan()].map(({ id, value, version }) => ({ id, value, version }));
}

async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

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
    for (let id = 1; id <= 1200; id++) await mustTable(a.storage, 'Item').put(id, { name: `n${id}` });
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
    await stopNode(a);
    await stopNode(b);
  });
});
