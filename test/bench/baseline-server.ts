// The raw baseline: bare uWebSockets.js + lmdb-js doing the same work as Lode's REST layer for
// one table (JSON in and out, one LMDB write per PUT/POST), with none of the framework.
import { randomUUID } from 'node:crypto';
import { open } from 'lmdb';
import { App, us_socket_local_port, type HttpResponse } from 'uWebSockets.js';

const [dataDir] = process.argv.slice(2);
const db = open<Record<string, unknown>, string>({ path: dataDir!, useVersions: true });
let version = Date.now() * 1024;

interface Pending {
  aborted: boolean;
}

function readJson(res: HttpResponse, done: (value: Record<string, unknown>, pending: Pending) => void): void {
  let body = Buffer.alloc(0);
  const pending = { aborted: false };
  res.onAborted(() => (pending.aborted = true));
  res.onData((chunk, last) => {
    body = Buffer.concat([body, Buffer.from(chunk)]);
    if (last) done(JSON.parse(body.toString()) as Record<string, unknown>, pending);
  });
}

App()
  .get('/Item/:id', (res, req) => {
    const entry = db.getEntry(req.getParameter(0)!);
    res.cork(() => {
      if (!entry) res.writeStatus('404 Not Found').end();
      else res.writeHeader('Content-Type', 'application/json').writeHeader('ETag', `"${entry.version!.toString(36)}"`).end(JSON.stringify(entry.value));
    });
  })
  .put('/Item/:id', (res, req) => {
    const id = req.getParameter(0)!;
    readJson(res, (value, pending) => {
      value.id = id;
      void db.put(id, value, ++version).then(() => pending.aborted || res.cork(() => res.writeStatus('204 No Content').end()));
    });
  })
  .post('/Item/', (res) => {
    readJson(res, (value, pending) => {
      const id = randomUUID();
      value.id = id;
      void db.put(id, value, ++version).then(
        () =>
          pending.aborted ||
          res.cork(() => res.writeStatus('201 Created').writeHeader('Location', `/Item/${id}`).writeHeader('Content-Type', 'application/json').end(JSON.stringify(value))),
      );
    });
  })
  .listen('127.0.0.1', 0, (socket) => {
    if (!socket) throw new Error('baseline could not listen');
    console.log(`baseline listening on http://127.0.0.1:${us_socket_local_port(socket as never)}`);
  });
