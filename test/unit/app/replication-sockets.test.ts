import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import WebSocket from 'ws';
import { webSocketConnect } from '../../../framework/src/app/replication-client.js';
import { ReplicationServer, type LinkAcceptor } from '../../../framework/src/app/replication-server.js';
import { defaultReplicationTuning, Replicator, type LinkEvents, type PeerLink } from '../../../framework/src/replication/index.js';
import type { Logger } from '../../../framework/src/util/index.js';
import { attr, mustTable, tableDef, tempStorage, type TempStorage } from '../storage/helpers.js';

/** Takes inbound links and records what each one reports. */
class RecordingAcceptor implements LinkAcceptor {
  readonly links: Array<{ link: PeerLink; messages: string[]; closed?: { code: number; reason: string }; drains: number }> = [];
  onAccept: (link: PeerLink) => void = () => undefined;

  accept(link: PeerLink): LinkEvents {
    const record: (typeof this.links)[number] = { link, messages: [], drains: 0 };
    this.links.push(record);
    this.onAccept(link);
    return {
      open: () => undefined,
      message: (bytes) => record.messages.push(Buffer.from(bytes).toString()),
      drain: () => record.drains++,
      close: (code, reason) => (record.closed = { code, reason }),
    };
  }
}

function recordingEvents(): LinkEvents & { opened: number; messages: string[]; drains: number; closed?: { code: number; reason: string } } {
  const events = {
    opened: 0,
    messages: [] as string[],
    drains: 0,
    closed: undefined as { code: number; reason: string } | undefined,
    open: () => void events.opened++,
    message: (bytes: Uint8Array) => void events.messages.push(Buffer.from(bytes).toString()),
    drain: () => void events.drains++,
    close: (code: number, reason: string) => void (events.closed = { code, reason }),
  };
  return events;
}

async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const servers: ReplicationServer[] = [];
async function listen(acceptor: LinkAcceptor): Promise<{ server: ReplicationServer; url: string }> {
  const server = new ReplicationServer(acceptor);
  servers.push(server);
  const port = await server.listen('127.0.0.1', 0);
  return { server, url: `ws://127.0.0.1:${port}` };
}

const opened = (socket: WebSocket): Promise<void> => new Promise((resolve, reject) => socket.once('open', () => resolve()).once('error', reject));

describe('the replication port (uWS) and the outbound client (ws)', () => {
  after(() => {
    for (const server of servers) server.close();
  });

  test('inbound: a paused link holds the peer\'s messages and delivers them in order on resume', async () => {
    const acceptor = new RecordingAcceptor();
    acceptor.onAccept = (link) => link.pause();
    const { url } = await listen(acceptor);
    const client = new WebSocket(url);
    await opened(client);
    for (const text of ['one', 'two', 'three']) client.send(Buffer.from(text));
    await until(() => acceptor.links.length === 1, 'the accepted link');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const inbound = acceptor.links[0]!;
    assert.deepEqual(inbound.messages, [], 'nothing is delivered while paused');
    inbound.link.resume();
    assert.deepEqual(inbound.messages, ['one', 'two', 'three']);
    client.send(Buffer.from('four'));
    await until(() => inbound.messages.length === 4, 'a message after resuming');
    assert.equal(inbound.messages[3], 'four');
    client.close();
  });

  test('inbound: sends are binary, a close carries its code and reason, and the peer closing is reported', async () => {
    const acceptor = new RecordingAcceptor();
    const { url } = await listen(acceptor);
    const client = new WebSocket(url);
    const received: Array<{ data: string; binary: boolean }> = [];
    client.on('message', (data: Buffer, binary) => received.push({ data: data.toString(), binary }));
    const closed = new Promise<{ code: number; reason: string }>((resolve) => client.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    await opened(client);
    await until(() => acceptor.links.length === 1, 'the accepted link');
    const inbound = acceptor.links[0]!;
    assert.equal(inbound.link.send(Buffer.from('hello')), true);
    await until(() => received.length === 1, 'the message');
    assert.deepEqual(received, [{ data: 'hello', binary: true }]);
    assert.match(inbound.link.remote, /127\.0\.0\.1/);
    inbound.link.close(4401, 'the cluster secret does not match');
    assert.deepEqual(await closed, { code: 4401, reason: 'the cluster secret does not match' });
    assert.equal(inbound.link.send(Buffer.from('after close')), true, 'a closed link ignores sends instead of throwing');

    const second = new WebSocket(url);
    await opened(second);
    await until(() => acceptor.links.length === 2, 'the second link');
    second.close(4000, 'bye');
    await until(() => acceptor.links[1]!.closed !== undefined, 'the close to reach the session');
    assert.deepEqual(acceptor.links[1]!.closed, { code: 4000, reason: 'bye' });
  });

  test('outbound: open, messages both ways, back-pressure with a drain, close', async () => {
    const acceptor = new RecordingAcceptor();
    const { url } = await listen(acceptor);
    const warnings: string[] = [];
    const connect = webSocketConnect({ info: () => undefined, warn: (message) => warnings.push(message), error: (message) => warnings.push(message) });
    const events = recordingEvents();
    const link = connect(url, 'data', events);
    assert.equal(link.remote, url);
    await until(() => events.opened === 1 && acceptor.links.length === 1, 'the connection');
    const inbound = acceptor.links[0]!;
    assert.equal(link.send(Buffer.from('to the acceptor')), true);
    inbound.link.send(Buffer.from('to the initiator'));
    await until(() => inbound.messages.length === 1 && events.messages.length === 1, 'both messages');
    assert.deepEqual([inbound.messages[0], events.messages[0]], ['to the acceptor', 'to the initiator']);

    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    let sends = 0;
    while (link.send(big)) sends++;
    assert.ok(sends < 3, 'send says wait once the unsent data passes the high-water mark');
    await until(() => events.drains === 1, 'the drain', 10_000);
    await until(() => inbound.messages.length === sends + 2, 'every large message to arrive', 10_000);
    assert.equal(inbound.messages[1]!.length, big.length);

    link.close(1000, 'done');
    await until(() => events.closed !== undefined && inbound.closed !== undefined, 'both ends to close');
    assert.equal(events.closed!.code, 1000);
    assert.equal(inbound.closed!.code, 1000);
    assert.deepEqual(warnings, []);
  });

  test('outbound: an unreachable peer is logged once, not at every retry', async () => {
    const { server, url } = await listen(new RecordingAcceptor());
    server.close();
    const warnings: string[] = [];
    const connect = webSocketConnect({ info: () => undefined, warn: (message) => warnings.push(message), error: (message) => warnings.push(message) });
    for (let attempt = 0; attempt < 3; attempt++) {
      const events = recordingEvents();
      connect(url, 'data', events);
      await until(() => events.closed !== undefined, 'the failed connection to close');
      assert.equal(events.closed!.code, 1006);
      assert.equal(events.opened, 0);
    }
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, new RegExp(`cannot reach ${url}.*ECONNREFUSED`));
  });
});

describe('two replicators over real sockets', () => {
  const temps: TempStorage[] = [];
  after(async () => {
    for (const temp of temps) await temp.cleanup();
  });

  test('writes on either node reach the other; replicate:false stays local; closing ends the links', async () => {
    const defs = [tableDef('Item', [attr('name', 'String')], { keyType: 'Int' }), tableDef('Local', [attr('name', 'String')], { replicate: false, keyType: 'Int' })];
    const logs: string[] = [];
    const logger: Logger = { info: (message) => logs.push(message), warn: (message) => logs.push(message), error: (message) => logs.push(message) };
    const start = async (name: string, routes: string[]): Promise<{ temp: TempStorage; replicator: Replicator }> => {
      const temp = await tempStorage();
      temps.push(temp);
      await temp.storage.applySchema(defs);
      const options = { ...defaultReplicationTuning, hostname: name, secret: 's3cret', routes: routes.map((url) => ({ url })), databases: '*' as const, pingIntervalMs: 200, pingTimeoutMs: 1000 };
      const replicator = new Replicator({ storage: temp.storage, options, connect: webSocketConnect(logger), logger });
      return { temp, replicator };
    };
    const a = await start('a', []);
    const { server, url } = await listen(a.replicator);
    const b = await start('b', [url]);
    a.replicator.refresh();
    b.replicator.refresh();
    await until(() => a.replicator.status().length === 1 && b.replicator.status().length === 1, 'the link', 15_000);
    await mustTable(a.temp.storage, 'Item').put(1, { name: 'from a' });
    await mustTable(b.temp.storage, 'Item').put(2, { name: 'from b' });
    await mustTable(b.temp.storage, 'Local').put(1, { name: 'b only' });
    const names = (temp: TempStorage): unknown[] => [...mustTable(temp.storage, 'Item').scan()].map(({ id, value, version }) => ({ id, value, version }));
    await until(() => names(a.temp).length === 2 && names(b.temp).length === 2, 'both records on both nodes', 15_000);
    assert.deepEqual(names(a.temp), names(b.temp));
    assert.equal(mustTable(a.temp.storage, 'Local').count(), 0);
    assert.equal(a.replicator.status()[0]?.name, 'b');
    assert.equal(b.replicator.status()[0]?.name, 'a');
    await b.replicator.close();
    await a.replicator.close();
    server.close();
    assert.ok(logs.some((line) => line.includes('connected to a')), logs.join('\n'));
  });
});
