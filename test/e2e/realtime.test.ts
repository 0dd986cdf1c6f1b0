import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../../framework/src/testing/index.js';
import { SseClient, WsClient } from '../support/live-clients.js';

const schema = 'type Item @table @export { id: ID @primaryKey  category: String @indexed  price: Float  note: String }';

const config = `
rest: true
graphqlSchema:
  files: '*.graphql'
jsResource:
  files: 'resources.ts'
realtime:
  maxQueuedEvents: 200
  maxBufferedBytes: 262144
`;

const resources = `
import { tables } from 'lode';
export const version = 1;
export class Room extends tables.Item {
  static async *connect(target, incoming) {
    const stream = super.connect(target, incoming);
    void (async () => {
      for await (const message of incoming) await tables.Item.publish(target.id, message);
    })();
    yield* stream;
  }
}
`;

interface Envelope {
  type: string;
  id?: string;
  seq: number;
  value?: Record<string, unknown>;
}

const wsUrl = (app: TestApp, path: string): string => `${app.url.replace('http', 'ws')}${path}`;

async function put(app: TestApp, id: string, body: Record<string, unknown>): Promise<void> {
  const res = await app.request(`/Item/${encodeURIComponent(id)}`, { method: 'PUT', body });
  assert.equal(res.status, 204, res.text);
}

/** `writers` concurrent writers, each writing `each` records in sequence over HTTP. */
async function writeMany(app: TestApp, writers: number, each: number, prefix: string, extra: Record<string, unknown> = {}): Promise<void> {
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      for (let i = 0; i < each; i++) await put(app, `${prefix}${writer}-${i}`, { category: `w${writer}`, price: i, ...extra });
    }),
  );
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('real-time subscriptions over WebSocket and SSE', () => {
  let app: TestApp;

  before(async () => {
    app = await startTestApp({ files: { 'schema.graphql': schema, 'config.yaml': config, 'resources.ts': resources } });
  });

  after(() => app.close());

  test('10,000 rapid writes from 4 writers reach WS and SSE subscribers complete and in order', { timeout: 120_000 }, async () => {
    const ws = await WsClient.open(wsUrl(app, '/Item/?omitCurrent'));
    const sse = await SseClient.open(`${app.url}/Item/?omitCurrent`);
    await ws.waitFor(1);
    await sse.waitFor(1);
    const start = (ws.messages[0] as Envelope).seq;
    await writeMany(app, 4, 2500, 'bulk');
    const wsEvents = (await ws.waitFor(10_001, 60_000)).slice(1) as Envelope[];
    const sseEvents = (await sse.waitFor(10_001, 60_000)).slice(1);
    const expected = Array.from({ length: 10_000 }, (_, i) => start + i + 1);
    assert.deepEqual(wsEvents.map((event) => event.seq), expected);
    assert.deepEqual(sseEvents.map((event) => Number(event.id)), expected);
    assert.ok(sseEvents.every((event) => event.event === 'put'));
    ws.close();
    sse.close();
    await until(() => app.app.realtime.size === 0);
  });

  test('resume after a forced disconnect mid-stream: nothing lost, nothing twice', { timeout: 60_000 }, async () => {
    const first = await WsClient.open(wsUrl(app, '/Item/?omitCurrent'));
    await first.waitFor(1);
    const from = (first.messages[0] as Envelope).seq;
    const writing = writeMany(app, 2, 1000, 'resume');
    await first.waitFor(300, 30_000);
    first.socket.terminate();
    await first.closed;
    const received = (first.messages.slice(1) as Envelope[]).map((event) => event.seq);
    const last = received[received.length - 1]!;
    const second = await WsClient.open(wsUrl(app, `/Item/?resume=${last}`));
    const sse = await SseClient.open(`${app.url}/Item/`, { 'last-event-id': String(received[99]) });
    await writing;
    const total = 2000;
    await until(() => (second.messages as Envelope[]).filter((event) => event.type === 'put').length >= from + total - last, 30_000);
    const rest = (second.messages as Envelope[]).filter((event) => event.type === 'put').map((event) => event.seq);
    const all = [...received, ...rest];
    assert.deepEqual(all, Array.from({ length: total }, (_, i) => from + i + 1), 'each change exactly once, in order');
    await until(() => sse.events.filter((event) => event.event === 'put').length >= from + total - received[99]!, 30_000);
    assert.deepEqual(
      sse.events.filter((event) => event.event === 'put').map((event) => Number(event.id)),
      Array.from({ length: from + total - received[99]! }, (_, i) => received[99]! + i + 1),
      'Last-Event-ID resumes SSE the same way',
    );
    second.close();
    sse.close();
  });

  test('a slow consumer is disconnected with 1013 while another stays live', { timeout: 60_000 }, async () => {
    const slow = await WsClient.open(wsUrl(app, '/Item/?omitCurrent'));
    const fast = await WsClient.open(wsUrl(app, '/Item/?omitCurrent'));
    await slow.waitFor(1);
    await fast.waitFor(1);
    (slow.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    await writeMany(app, 2, 400, 'slow', { note: 'x'.repeat(20_000) });
    await fast.waitFor(801, 30_000);
    (slow.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    await slow.closed;
    assert.equal(slow.closeCode, 1013);
    assert.match(slow.closeReason, /resume=\d+/);
    assert.equal(fast.socket.readyState, fast.socket.OPEN, 'the other subscriber is still connected');
    fast.close();
  });

  test('published messages and client frames through a custom connect', async () => {
    await put(app, 'room1', { category: 'room' });
    const alice = await WsClient.open(wsUrl(app, '/Room/room1'));
    const bob = await WsClient.open(wsUrl(app, '/Room/room1'));
    await alice.waitFor(2);
    await bob.waitFor(2);
    alice.socket.send(JSON.stringify({ text: 'hi bob' }));
    const [, , message] = (await bob.waitFor(3)) as Envelope[];
    assert.equal(message!.type, 'message');
    assert.deepEqual(message!.value, { text: 'hi bob' });
    alice.socket.send('{not json');
    await until(() => alice.messages.some((frame) => (frame as { type?: string }).type === 'error'));
    alice.socket.send(JSON.stringify({ text: 'still here' }));
    await bob.waitFor(4);
    assert.deepEqual((bob.messages[3] as Envelope).value, { text: 'still here' }, 'a malformed frame does not end the connection');
    alice.close();
    bob.close();
  });

  test('subscriptions keep flowing across a hot reload of schema and code', async () => {
    const ws = await WsClient.open(wsUrl(app, '/Item/reload1'));
    await ws.waitFor(1);
    await writeFile(join(app.app.dir, 'schema.graphql'), `${schema.slice(0, -1)} added: Int }`);
    await writeFile(join(app.app.dir, 'resources.ts'), resources.replace('version = 1', 'version = 2'));
    const reloaded = await app.app.reload();
    assert.equal(reloaded.ok, true, JSON.stringify(reloaded.diagnostics));
    await put(app, 'reload1', { category: 'after', added: 7 });
    const [, event] = (await ws.waitFor(2)) as Envelope[];
    assert.equal(event!.value!.added, 7);
    ws.close();
  });

  test('bad input closes cleanly with a reason, or answers a 400 problem', async () => {
    const unknown = await WsClient.open(wsUrl(app, '/Nowhere/1'));
    await unknown.closed;
    assert.equal(unknown.closeCode, 1011);
    assert.match(unknown.closeReason, /No resource/);
    const badOption = await WsClient.open(wsUrl(app, '/Item/?resume=abc'));
    await badOption.closed;
    assert.equal(badOption.closeCode, 4400);
    assert.match(badOption.closeReason, /resume/);
    const sse = await fetch(`${app.url}/Item/?previousCount=5000`, { headers: { accept: 'text/event-stream' } });
    assert.equal(sse.status, 400);
    assert.equal(((await sse.json()) as { code: string }).code, 'BAD_REQUEST');
    assert.equal((await fetch(`${app.url}/health`)).status, 200);
  });

  test('closing connections frees their subscriptions', async () => {
    const clients = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? WsClient.open(wsUrl(app, `/Item/c${i}`)) : SseClient.open(`${app.url}/Item/c${i}`))));
    await until(() => app.app.realtime.size === 50);
    for (const client of clients) client.close();
    await until(() => app.app.realtime.size === 0);
  });
});
