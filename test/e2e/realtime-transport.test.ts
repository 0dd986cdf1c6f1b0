import assert from 'node:assert/strict';
import { connect as tcpConnect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { decode as decodeCbor } from 'cbor-x';
import { pack, unpack } from 'msgpackr';
import WebSocket from 'ws';
import { HttpServer } from '../../framework/src/transport/index.js';
import { startTestApp, type TestApp } from '../../framework/src/testing/index.js';
import { silentLogger } from '../../framework/src/util/index.js';

// The app's resources import LiveEvent by file URL, which the bundler leaves to Node: the very
// module instance the transport checks `instanceof` against.
const realtimeUrl = new URL('../../framework/src/realtime/index.js', import.meta.url).href;

const resources = `
import { LodeError, Resource, getContext } from 'lode';
import { LiveEvent } from ${JSON.stringify(realtimeUrl)};

const released = [];
let pulled = 0;
const chatMembers = new Set();

export class Probe extends Resource {
  static get() {
    return { released, pulled, chatMembers: chatMembers.size };
  }
}

export class Counter extends Resource {
  static get() {
    return { counter: true };
  }
  static async *connect(target) {
    const count = Number(new URLSearchParams(target.search).get('count') ?? '3');
    for (let n = 1; n <= count; n++) yield { n, id: target.id ?? null, resume: target.resume ?? null, url: getContext()?.url };
  }
}

export class Ticker extends Resource {
  static get() {
    return {};
  }
  static async *connect(target) {
    try {
      for (let tick = 0; ; tick++) {
        yield { tick };
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      released.push('Ticker/' + target.id);
    }
  }
}

export class Echo extends Resource {
  static get() {
    return {};
  }
  static async *connect(target, incoming) {
    yield { type: 'welcome' };
    for await (const message of incoming) yield { echo: message };
  }
}

/** A hand-written stream (not a generator): idle until someone talks, and its return() frees the member. */
export class Chat extends Resource {
  static get() {
    return { members: chatMembers.size };
  }
  static connect(target, incoming) {
    const queue = [];
    let wake;
    let closed = false;
    const deliver = (message) => {
      queue.push(message);
      wake?.();
    };
    chatMembers.add(deliver);
    if (incoming) {
      (async () => {
        for await (const message of incoming) for (const member of chatMembers) member({ from: target.id, text: message.text });
      })();
    }
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      async next() {
        while (!closed && queue.length === 0) await new Promise((resolve) => (wake = resolve));
        return closed ? { done: true, value: undefined } : { done: false, value: queue.shift() };
      },
      async return() {
        closed = true;
        chatMembers.delete(deliver);
        released.push('Chat/' + target.id);
        wake?.();
        return { done: true, value: undefined };
      },
    };
  }
}

export class Events extends Resource {
  static get() {
    return {};
  }
  static async *connect() {
    yield new LiveEvent({ type: 'put', id: 1, value: { name: 'a' }, version: 5, seq: 7 });
    yield new LiveEvent({ type: 'put', id: 2, value: { name: 'b' }, version: 6, seq: 8 }, false);
    yield new LiveEvent({ type: 'ready', seq: 8 });
    yield { event: 'custom', data: 'line1\\nline2', id: 'x1', retry: 5000 };
    yield 'plain';
  }
}

export class Fails extends Resource {
  static get() {
    return {};
  }
  static connect(target) {
    if (target.id === 'early') throw new LodeError('NOT_FOUND', 'Nothing to watch at early');
    if (target.id === 'long') throw new LodeError('BAD_REQUEST', 'é'.repeat(200));
    return (async function* () {
      if (target.id === 'first') throw new LodeError('BAD_REQUEST', 'bad first pull');
      yield new LiveEvent({ type: 'put', id: 1, value: {}, version: 1, seq: 41 });
      if (target.id === 'crash') throw new Error('boom');
      if (target.id === 'slow') throw new LodeError('SLOW_CONSUMER', 'fell behind');
      yield { ok: 2 };
    })();
  }
}

/** Events of the size in the URL, as fast as they are pulled: ?mb= of them in all (20 MiB by default). */
export class Big extends Resource {
  static get() {
    return {};
  }
  static async *connect(target) {
    const size = Number(target.id);
    const total = Number(new URLSearchParams(target.search).get('mb') ?? '20') * 2 ** 20;
    const value = 'x'.repeat(size);
    try {
      for (let seq = 1; seq * size <= total; seq++) {
        pulled++;
        yield new LiveEvent({ type: 'put', id: seq, value, version: seq, seq });
      }
    } finally {
      released.push('Big/' + size);
    }
  }
}

export class Plain extends Resource {
  static get() {
    return { plain: true };
  }
}
`;

const files = {
  'schema.graphql': 'type Item @table @export { id: Int @primaryKey  name: String }',
  'resources.ts': resources,
};

interface Closed {
  code: number;
  reason: string;
}

/** A `ws` client whose frames are decoded (JSON text, or binary with `decode`) into a queue. */
class Client {
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<Closed>;
  readonly #frames: unknown[] = [];
  #wake: (() => void) | undefined;

  constructor(url: string, headers: Record<string, string> = {}, decode: (data: Buffer) => unknown = (data) => JSON.parse(data.toString())) {
    this.ws = new WebSocket(url, { headers });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on('message', (data: Buffer, isBinary) => {
      this.#frames.push(isBinary ? { binary: decode(data) } : JSON.parse(data.toString()));
      this.#wake?.();
    });
  }

  async next(timeoutMs = 5000): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    while (this.#frames.length === 0) {
      if (Date.now() > deadline) throw new Error('no frame arrived');
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, 50);
      });
    }
    return this.#frames.shift();
  }

  /** Every frame until the server closes, and how it closed. */
  async rest(): Promise<{ frames: unknown[]; closed: Closed }> {
    const closed = await this.closed;
    return { frames: this.#frames.splice(0), closed };
  }
}

interface SseEvent {
  event?: string;
  id?: string;
  retry?: number;
  data?: string;
}

/** A Server-Sent Events client over fetch: parses `event:`/`id:`/`retry:`/`data:` fields, counts comments. */
class SseClient {
  comments = 0;
  ended = false;
  readonly #events: SseEvent[] = [];
  readonly #abort = new AbortController();
  #buffer = '';
  #wake: (() => void) | undefined;
  response!: Response;

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = new SseClient();
    client.response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: client.#abort.signal });
    if (client.response.status === 200) void client.#read();
    return client;
  }

  async #read(): Promise<void> {
    const reader = this.response.body!.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        this.#buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = this.#buffer.indexOf('\n\n')) !== -1) {
          this.#parse(this.#buffer.slice(0, end));
          this.#buffer = this.#buffer.slice(end + 2);
        }
      }
    } catch {
      // Aborted by close().
    }
    this.ended = true;
    this.#wake?.();
  }

  #parse(block: string): void {
    const event: SseEvent = {};
    let fields = 0;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const name = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      fields++;
      if (name === 'data') event.data = event.data === undefined ? value : `${event.data}\n${value}`;
      else if (name === 'event') event.event = value;
      else if (name === 'id') event.id = value;
      else if (name === 'retry') event.retry = Number(value);
    }
    if (fields === 0) this.comments++;
    else this.#events.push(event);
    this.#wake?.();
  }

  /** The next event, or undefined once the stream ended. */
  async next(timeoutMs = 5000): Promise<SseEvent | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.#events.length === 0 && !this.ended) {
      if (Date.now() > deadline) throw new Error('no event arrived');
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, 50);
      });
    }
    return this.#events.shift();
  }

  close(): void {
    this.#abort.abort();
  }
}

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A WebSocket client that never reads: a raw TCP socket that sends the handshake, then pauses. */
async function stalledWebSocket(port: number, path: string): Promise<{ socket: Socket; received: Buffer[] }> {
  const socket = tcpConnect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  socket.write(`GET ${path} HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  await eventually(async () => Buffer.concat(received).includes('\r\n\r\n'), 'the handshake is answered');
  socket.pause();
  return { socket, received };
}

/** The close frame at the end of raw WebSocket output (unmasked, short payload), if it is there. */
function closeFrameAtEnd(bytes: Buffer): Closed | undefined {
  for (let start = Math.max(0, bytes.length - 127); start < bytes.length - 3; start++) {
    if (bytes[start] === 0x88 && bytes[start + 1] === bytes.length - start - 2) {
      return { code: bytes.readUInt16BE(start + 2), reason: bytes.subarray(start + 4).toString() };
    }
  }
  return undefined;
}

describe('real-time transports', { timeout: 120000 }, () => {
  let app: TestApp;
  let ws: string;

  const probe = async (): Promise<{ released: string[]; pulled: number; chatMembers: number }> =>
    (await app.request('/Probe')).body as { released: string[]; pulled: number; chatMembers: number };

  before(async () => {
    app = await startTestApp({ files });
    ws = app.url.replace('http://', 'ws://');
  });

  after(() => app.close());

  describe('WebSocket', () => {
    test('each value connect yields is one JSON text frame; the stream ending closes normally', async () => {
      const client = new Client(`${ws}/Counter/5?count=3`);
      const { frames, closed } = await client.rest();
      assert.deepEqual(frames, [1, 2, 3].map((n) => ({ n, id: '5', resume: null, url: '/Counter/5' })));
      assert.equal(closed.code, 1000);
    });

    test('a .msgpack suffix sends binary MessagePack frames; Accept can ask for CBOR', async () => {
      const msgpack = new Client(`${ws}/Counter/5.msgpack?count=2`, {}, (data) => unpack(data));
      const packed = await msgpack.rest();
      assert.deepEqual(packed.frames, [1, 2].map((n) => ({ binary: { n, id: '5', resume: null, url: '/Counter/5.msgpack' } })));
      const cbor = new Client(`${ws}/Counter/?count=1`, { accept: 'application/cbor' }, (data) => decodeCbor(data));
      assert.deepEqual((await cbor.rest()).frames, [{ binary: { n: 1, id: null, resume: null, url: '/Counter/' } }]);
    });

    test('?resume= reaches connect as target.resume', async () => {
      const client = new Client(`${ws}/Counter/?count=1&resume=42`);
      assert.deepEqual((await client.rest()).frames, [{ n: 1, id: null, resume: '42', url: '/Counter/' }]);
    });

    test('frames the client sends arrive in incoming; a malformed one gets an error frame and the socket stays open', async () => {
      const client = new Client(`${ws}/Echo`);
      await client.opened;
      assert.deepEqual(await client.next(), { type: 'welcome' });
      client.ws.send(JSON.stringify({ hello: 1 }));
      assert.deepEqual(await client.next(), { echo: { hello: 1 } });
      client.ws.send('{not json');
      const error = (await client.next()) as { type: string; code: string; detail: string };
      assert.equal(error.type, 'error');
      assert.equal(error.code, 'MALFORMED_BODY');
      assert.match(error.detail, /Malformed JSON/);
      client.ws.send(JSON.stringify(['still', 'here']));
      assert.deepEqual(await client.next(), { echo: ['still', 'here'] });
      client.ws.close();
      assert.equal((await client.closed).code, 1005);
    });

    test('incoming frames use the output codec, or the Content-Type of the upgrade request', async () => {
      const binary = new Client(`${ws}/Echo/room.msgpack`, {}, (data) => unpack(data));
      await binary.opened;
      assert.deepEqual(await binary.next(), { binary: { type: 'welcome' } });
      binary.ws.send(pack({ n: 1 }));
      assert.deepEqual(await binary.next(), { binary: { echo: { n: 1 } } });
      binary.ws.close();
      const mixed = new Client(`${ws}/Echo`, { 'content-type': 'application/x-msgpack' });
      await mixed.opened;
      assert.deepEqual(await mixed.next(), { type: 'welcome' });
      mixed.ws.send(pack({ n: 2 }));
      assert.deepEqual(await mixed.next(), { echo: { n: 2 } });
      mixed.ws.close();
    });

    test('chat: what one member sends reaches every member; leaving frees the member', async () => {
      const alice = new Client(`${ws}/Chat/alice`);
      const bob = new Client(`${ws}/Chat/bob`);
      await Promise.all([alice.opened, bob.opened]);
      await eventually(async () => (await probe()).chatMembers === 2, 'both joined');
      alice.ws.send(JSON.stringify({ text: 'hi' }));
      assert.deepEqual(await alice.next(), { from: 'alice', text: 'hi' });
      assert.deepEqual(await bob.next(), { from: 'alice', text: 'hi' });
      alice.ws.close();
      await eventually(async () => (await probe()).released.includes('Chat/alice'), "alice's stream is returned");
      assert.equal((await probe()).chatMembers, 1);
      bob.ws.send(JSON.stringify({ text: 'alone' }));
      assert.deepEqual(await bob.next(), { from: 'bob', text: 'alone' });
      bob.ws.terminate();
      await eventually(async () => (await probe()).chatMembers === 0, 'a vanished client is released too');
    });

    test('closing the client returns the iterator (a generator runs its finally)', async () => {
      const client = new Client(`${ws}/Ticker/1`);
      assert.deepEqual(await client.next(), { tick: 0 });
      client.ws.close();
      await eventually(async () => (await probe()).released.includes('Ticker/1'), 'the generator is returned');
    });

    test('an unknown path, and a resource without connect, are upgraded and closed with 1011', async () => {
      const unknown = await new Client(`${ws}/Nope/1`).rest();
      assert.deepEqual(unknown, { frames: [], closed: { code: 1011, reason: 'No resource was found at /Nope/1' } });
      const plain = await new Client(`${ws}/Plain/1`).rest();
      assert.deepEqual(plain, { frames: [], closed: { code: 1011, reason: '/Plain/1 does not support real-time connections' } });
    });

    test('errors close with 4000 + their status and the detail; unexpected ones with 1011', async () => {
      assert.deepEqual((await new Client(`${ws}/Fails/early`).rest()).closed, { code: 4404, reason: 'Nothing to watch at early' });
      assert.deepEqual((await new Client(`${ws}/Fails/first`).rest()).closed, { code: 4400, reason: 'bad first pull' });
      const crash = await new Client(`${ws}/Fails/crash`).rest();
      assert.equal(crash.frames.length, 1);
      assert.equal(crash.closed.code, 1011);
      const long = (await new Client(`${ws}/Fails/long`).rest()).closed;
      assert.equal(long.code, 4400);
      assert.ok(Buffer.byteLength(long.reason) <= 123 && long.reason.endsWith('…'), `reason of ${Buffer.byteLength(long.reason)} bytes`);
      assert.equal((await new Client(`${ws}/Counter/1.csv`).rest()).closed.code, 4406);
    });

    test('a SLOW_CONSUMER error closes with 1013 and the sequence to resume from', async () => {
      const { frames, closed } = await new Client(`${ws}/Fails/slow`).rest();
      assert.deepEqual(frames, [{ type: 'put', seq: 41, id: 1, value: {}, version: 1 }]);
      assert.deepEqual(closed, { code: 1013, reason: 'slow consumer; reconnect with resume=41' });
    });

    test('LiveEvents are sent as their envelope', async () => {
      const { frames } = await new Client(`${ws}/Events`).rest();
      assert.deepEqual(frames.slice(0, 3), [
        { type: 'put', seq: 7, id: 1, value: { name: 'a' }, version: 5 },
        { type: 'put', seq: 8, id: 2, value: { name: 'b' }, version: 6 },
        { type: 'ready', seq: 8 },
      ]);
    });

    test('a client that stops reading holds back the source, not server memory; others stay live', async () => {
      const before = (await probe()).pulled;
      const rss = process.memoryUsage().rss;
      // 64 MiB: well past what the kernel's socket buffers take in before the server sees back-pressure.
      const stalled = await stalledWebSocket(Number(new URL(app.url).port), '/Big/65536?mb=64');
      let pulled = -1;
      await eventually(async () => {
        const previous = pulled;
        await new Promise((resolve) => setTimeout(resolve, 300));
        pulled = (await probe()).pulled - before;
        return pulled === previous;
      }, 'the source stops being pulled');
      assert.ok(pulled > 0 && pulled < 512, `pulled ${pulled} of 1024 events of 64 KiB for a client that reads nothing`);
      const grown = process.memoryUsage().rss - rss;
      assert.ok(grown < 100 * 2 ** 20, `memory grew by ${Math.round(grown / 2 ** 20)} MiB`);
      const other = new Client(`${ws}/Counter?count=2`);
      assert.equal((await other.rest()).frames.length, 2, 'another client is served meanwhile');
      stalled.socket.destroy();
      await eventually(async () => (await probe()).released.includes('Big/65536'), 'the stalled stream is released when its client goes');
    });
  });

  describe('Server-Sent Events', () => {
    test('GET with Accept: text/event-stream streams each value as an event, unbuffered and uncompressed', async () => {
      const sse = await SseClient.open(`${app.url}/Counter/7?count=2`);
      assert.equal(sse.response.status, 200);
      assert.equal(sse.response.headers.get('content-type'), 'text/event-stream');
      assert.equal(sse.response.headers.get('cache-control'), 'no-cache');
      assert.equal(sse.response.headers.get('x-accel-buffering'), 'no');
      assert.equal(sse.response.headers.get('content-encoding'), null);
      assert.deepEqual(await sse.next(), { data: JSON.stringify({ n: 1, id: '7', resume: null, url: '/Counter/7' }) });
      assert.deepEqual(await sse.next(), { data: JSON.stringify({ n: 2, id: '7', resume: null, url: '/Counter/7' }) });
      assert.equal(await sse.next(), undefined, 'the stream ends with the source');
      assert.deepEqual((await app.request('/Counter')).body, { counter: true }, 'plain GET is still REST');
    });

    test('LiveEvents carry event: <type>, id: <seq> when resumable, data: <envelope>; objects may give the fields', async () => {
      const sse = await SseClient.open(`${app.url}/Events`);
      assert.deepEqual(await sse.next(), { event: 'put', id: '7', data: '{"type":"put","seq":7,"id":1,"value":{"name":"a"},"version":5}' });
      assert.deepEqual(await sse.next(), { event: 'put', data: '{"type":"put","seq":8,"id":2,"value":{"name":"b"},"version":6}' });
      assert.deepEqual(await sse.next(), { event: 'ready', id: '8', data: '{"type":"ready","seq":8}' });
      assert.deepEqual(await sse.next(), { event: 'custom', id: 'x1', retry: 5000, data: 'line1\nline2' });
      assert.deepEqual(await sse.next(), { data: '"plain"' });
    });

    test('Last-Event-ID is passed as target.resume', async () => {
      const sse = await SseClient.open(`${app.url}/Counter/?count=1`, { 'last-event-id': '99' });
      assert.equal(JSON.parse((await sse.next())!.data!).resume, '99');
    });

    test('errors before the first event are problem+json; a resource without connect answers 405', async () => {
      const plain = await SseClient.open(`${app.url}/Plain/1`);
      assert.equal(plain.response.status, 405);
      assert.equal(plain.response.headers.get('allow'), 'GET, HEAD, OPTIONS');
      assert.equal(((await plain.response.json()) as { code: string }).code, 'METHOD_NOT_ALLOWED');
      const early = await SseClient.open(`${app.url}/Fails/early`);
      assert.equal(early.response.status, 404);
      assert.equal(early.response.headers.get('content-type'), 'application/problem+json');
      assert.equal(((await early.response.json()) as { detail: string }).detail, 'Nothing to watch at early');
      const first = await SseClient.open(`${app.url}/Fails/first`);
      assert.equal(first.response.status, 400);
      assert.equal((await SseClient.open(`${app.url}/Nope`)).response.status, 404);
    });

    test('an error after the first event ends the stream; SLOW_CONSUMER says how to resume', async () => {
      const crash = await SseClient.open(`${app.url}/Fails/crash`);
      assert.equal((await crash.next())?.id, '41');
      assert.equal(await crash.next(), undefined);
      const slow = await SseClient.open(`${app.url}/Fails/slow`);
      assert.equal((await slow.next())?.id, '41');
      assert.equal(await slow.next(), undefined);
      assert.equal(slow.comments, 1, 'the slow-consumer comment');
    });

    test('a client disconnecting returns the iterator', async () => {
      const sse = await SseClient.open(`${app.url}/Ticker/sse`);
      assert.equal((await sse.next())?.data, '{"tick":0}');
      sse.close();
      await eventually(async () => (await probe()).released.includes('Ticker/sse'), 'the generator is returned');
    });
  });

  describe('with realtime options', () => {
    let server: HttpServer;
    let port: number;

    before(async () => {
      server = new HttpServer({
        host: '127.0.0.1',
        port: 0,
        maxBodySize: 1024 * 1024,
        routes: () => app.app.generation,
        logger: silentLogger,
        realtime: { heartbeatMs: 100, maxBufferedBytes: 64 * 1024 },
      });
      port = await server.listen();
    });

    after(() => server.close());

    test('an idle event stream gets a heartbeat comment every heartbeatMs', async () => {
      const sse = await SseClient.open(`http://127.0.0.1:${port}/Chat/quiet`);
      await new Promise((resolve) => setTimeout(resolve, 650));
      assert.ok(sse.comments >= 4 && sse.comments <= 9, `${sse.comments} comments in 650 ms (one opens the stream)`);
      sse.close();
      await eventually(async () => (await probe()).released.includes('Chat/quiet'), 'the stream is released');
    });

    test('a WebSocket client past maxBufferedBytes is closed with 1013 and the sequence to resume from', async () => {
      const rss = process.memoryUsage().rss;
      const stalled = await stalledWebSocket(port, '/Big/32768');
      await eventually(async () => (await probe()).released.includes('Big/32768'), 'the server gives up on the client');
      const grown = process.memoryUsage().rss - rss;
      assert.ok(grown < 100 * 2 ** 20, `memory grew by ${Math.round(grown / 2 ** 20)} MiB`);
      const other = new Client(`ws://127.0.0.1:${port}/Counter?count=2`);
      assert.equal((await other.rest()).frames.length, 2, 'another client is served meanwhile');
      stalled.socket.resume();
      let closed: Closed | undefined;
      await eventually(async () => (closed = closeFrameAtEnd(Buffer.concat(stalled.received))) !== undefined, 'the close frame arrives');
      stalled.socket.destroy();
      assert.equal(closed!.code, 1013);
      const seq = Number(/^slow consumer; reconnect with resume=(\d+)$/.exec(closed!.reason)?.[1]);
      const received = Buffer.concat(stalled.received).toString('latin1');
      assert.ok(received.includes(`"seq":${seq},`), `event ${seq}, the resume point, was delivered`);
      assert.ok(!received.includes(`"seq":${seq + 1},`), `nothing after ${seq} was`);
    });

    test('an event stream client past maxBufferedBytes is disconnected', async () => {
      const socket = tcpConnect(port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      const ended = new Promise((resolve) => socket.once('close', resolve));
      socket.write('GET /Big/1048576 HTTP/1.1\r\nHost: test\r\nAccept: text/event-stream\r\n\r\n');
      socket.pause();
      await eventually(async () => (await probe()).released.includes('Big/1048576'), 'the server gives up on the client');
      socket.resume();
      await ended;
    });
  });

  test('closing the server ends WebSockets and event streams', async () => {
    const server = new HttpServer({ host: '127.0.0.1', port: 0, maxBodySize: 1024 * 1024, routes: () => app.app.generation, logger: silentLogger });
    const port = await server.listen();
    const client = new Client(`ws://127.0.0.1:${port}/Chat/shutdown-ws`);
    await client.opened;
    const sse = await SseClient.open(`http://127.0.0.1:${port}/Chat/shutdown-sse`);
    await eventually(async () => (await probe()).chatMembers === 2, 'both joined');
    const started = Date.now();
    await server.close();
    assert.ok(Date.now() - started < 1000, `close took ${Date.now() - started} ms`);
    assert.deepEqual(await client.closed, { code: 1001, reason: 'The server is shutting down' });
    assert.equal(await sse.next(), undefined);
    assert.equal((await probe()).chatMembers, 0, 'both streams were returned');
  });
});
