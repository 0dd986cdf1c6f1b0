// The catch-up benchmark's raw baseline: the least any node must do to take in a log it missed,
// with bare uWebSockets.js, ws and lmdb-js and nothing else.
//   send <dataDir> <count>: fills a log of <count> entries (self-contained msgpack puts of the
//     benchmark's records), then streams it to whoever connects, in frames of about 256 KiB (as a
//     Lode sender batches), waiting for drain.
//   receive <dataDir> <url>: connects, and for each run of frames that arrived, in one durable
//     LMDB transaction: decodes each entry, reads the record it replaces, stores the record (with
//     shared structures, as a table does) and the entry in its own log. It pauses reading while
//     its queue is long. Prints `caught up <entries> <ms>`, timed from its connect to the last commit.
// No conflict rules, cursors, merge state, subscriptions or checks: the ceiling a replica works under.
import { open } from 'lmdb';
import { Packr } from 'msgpackr';
import { App, us_socket_local_port, type WebSocket as ServerSocket } from 'uWebSockets.js';
import WebSocket from 'ws';
import { benchRecord } from './replication-record.js';

const FRAME_BYTES = 256 * 1024;
const PAUSE_AT = 32;
const RESUME_AT = 8;

const packr = new Packr({ useRecords: false });
const [mode, dataDir, arg] = process.argv.slice(2);
const root = open({ path: dataDir!, maxDbs: 4 });
const log = root.openDB<Buffer, number>({ name: 'log', encoding: 'binary', keyEncoding: 'uint32' });

if (mode === 'send') await send(Number(arg));
else if (mode === 'receive') await receive(arg!);
else throw new Error('usage: replication-baseline.ts send <dataDir> <count> | receive <dataDir> <url>');

async function send(count: number): Promise<void> {
  await root.transaction(() => {
    for (let i = 0; i < count; i++) log.putSync(i + 1, packr.pack({ op: 'put', id: `catch-${String(i).padStart(10, '0')}`, version: Date.now() * 1000 + i, value: benchRecord(i) }));
  });
  const frames = function* (): Generator<Buffer> {
    let frame: Buffer[] = [];
    let bytes = 0;
    for (const { value } of log.getRange({})) {
      frame.push(value);
      bytes += value.length;
      if (bytes >= FRAME_BYTES) {
        yield packr.pack(frame);
        frame = [];
        bytes = 0;
      }
    }
    if (frame.length > 0) yield packr.pack(frame);
  };
  const streams = new Map<ServerSocket<unknown>, Generator<Buffer>>();
  const pump = (ws: ServerSocket<unknown>): void => {
    const stream = streams.get(ws)!;
    while (ws.getBufferedAmount() < FRAME_BYTES) {
      const next = stream.next();
      if (next.done) return void ws.end(1000);
      ws.send(next.value, true);
    }
  };
  App()
    .ws('/*', {
      maxPayloadLength: 64 * 1024 * 1024,
      maxBackpressure: 0,
      open: (ws) => {
        streams.set(ws, frames());
        pump(ws);
      },
      drain: pump,
      close: (ws) => void streams.delete(ws),
    })
    .listen('127.0.0.1', 0, (socket) => {
      if (!socket) throw new Error('the catch-up baseline could not listen');
      console.log(`catch-up baseline sending on ws://127.0.0.1:${us_socket_local_port(socket as never)}`);
    });
}

async function receive(url: string): Promise<void> {
  const records = root.openDB<Record<string, unknown>, string>({ name: 'records', sharedStructuresKey: Symbol.for('structures') });
  const queue: Buffer[] = [];
  let applied = 0;
  let paused = false;
  let draining: Promise<void> | undefined;
  const started = performance.now();
  const socket = new WebSocket(url, { maxPayload: 64 * 1024 * 1024 });
  const drain = async (): Promise<void> => {
    while (queue.length > 0) {
      const frames = queue.splice(0);
      await root.transaction(() => {
        for (const frame of frames) {
          for (const bytes of packr.unpack(frame) as Buffer[]) {
            const entry = packr.unpack(bytes) as { id: string; version: number; value: Record<string, unknown> };
            records.get(entry.id);
            records.putSync(entry.id, entry.value, entry.version);
            log.putSync(++applied, bytes);
          }
        }
      });
      if (paused && queue.length <= RESUME_AT) {
        paused = false;
        socket.resume();
      }
    }
  };
  socket.on('message', (data: Buffer) => {
    queue.push(data);
    if (!paused && queue.length >= PAUSE_AT) {
      paused = true;
      socket.pause();
    }
    draining ??= drain().finally(() => (draining = undefined));
  });
  await new Promise((resolve, reject) => {
    socket.once('close', resolve);
    socket.once('error', reject);
  });
  while (draining !== undefined) await draining;
  console.log(`caught up ${applied} ${(performance.now() - started).toFixed(1)}`);
  await root.close();
}
