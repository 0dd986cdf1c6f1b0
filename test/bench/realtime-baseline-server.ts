// The real-time benchmark's baseline: bare uWebSockets.js + lmdb-js. A PUT writes the record, then
// publishes it with uWS's own pub/sub to the table's and the record's topic; WebSocket clients
// subscribe to the topic of their URL, SSE clients are written to directly.
import { open } from 'lmdb';
import { App, us_socket_local_port, type HttpResponse } from 'uWebSockets.js';

const [dataDir, mode] = process.argv.slice(2);
// `write-async`: LMDB's noSync, as Lode's `storage.writeAsync` opens it.
const db = open<Record<string, unknown>, string>({ path: dataDir!, noSync: mode === 'write-async' });
const sse = new Map<string, Set<HttpResponse>>();
let seq = 0;

const topicOf = (url: string): string => url.replace(/^\//, '').replace(/\/$/, '');

const app = App()
  .ws<{ topic: string }>('/*', {
    upgrade: (res, req, context) => {
      res.upgrade({ topic: topicOf(req.getUrl()) }, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
    },
    open: (ws) => {
      ws.subscribe(ws.getUserData().topic);
      ws.send(JSON.stringify({ type: 'ready', seq }));
    },
  })
  .get('/*', (res, req) => {
    const topic = topicOf(req.getUrl());
    let streams = sse.get(topic);
    if (!streams) sse.set(topic, (streams = new Set()));
    const set = streams;
    res.onAborted(() => set.delete(res));
    res.cork(() => {
      res.writeHeader('Content-Type', 'text/event-stream').write(`event: ready\ndata: {"type":"ready","seq":${seq}}\n\n`);
    });
    set.add(res);
  })
  .put('/Item/:id', (res, req) => {
    const id = req.getParameter(0)!;
    let aborted = false;
    res.onAborted(() => (aborted = true));
    const chunks: Buffer[] = [];
    res.onData((chunk, last) => {
      chunks.push(Buffer.from(chunk.slice(0)));
      if (!last) return;
      const value = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
      void db.put(id, value).then(() => {
        const event = JSON.stringify({ type: 'put', id, value: { id, ...value }, seq: ++seq });
        for (const topic of ['Item', `Item/${id}`]) {
          app.publish(topic, event);
          for (const stream of sse.get(topic) ?? []) stream.cork(() => stream.write(`event: put\nid: ${seq}\ndata: ${event}\n\n`));
        }
        if (!aborted) res.cork(() => res.writeStatus('204 No Content').end());
      });
    });
  })
  .listen('127.0.0.1', 0, (socket) => {
    if (!socket) throw new Error('real-time baseline could not listen');
    console.log(`realtime baseline listening on http://127.0.0.1:${us_socket_local_port(socket as never)}`);
  });
