// The raw baseline: bare uWebSockets.js + lmdb-js doing the same work as Lode's REST layer for
// one table (JSON in and out, one LMDB write per PUT/POST), with none of the framework.
import { randomUUID } from 'node:crypto';
import { open } from 'lmdb';
import { App, us_socket_local_port, type HttpResponse } from 'uWebSockets.js';

const [dataDir] = process.argv.slice(2);
const root = open<Record<string, unknown>, string>({ path: dataDir!, useVersions: true });
// One DBI per table, as Lode has; the baseline keeps no secondary index and no change log.
const tables = new Map(['Item', 'IndexedItem'].map((name) => [name, root.openDB<Record<string, unknown>, string>(name, { useVersions: true })]));
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
  .get('/:table/:id', (res, req) => {
    const entry = tables.get(req.getParameter(0)!)?.getEntry(req.getParameter(1)!);
    res.cork(() => {
      if (!entry) res.writeStatus('404 Not Found').end();
      else res.writeHeader('Content-Type', 'application/json').writeHeader('ETag', `"${entry.version!.toString(36)}"`).end(JSON.stringify(entry.value));
    });
  })
  .put('/:table/:id', (res, req) => {
    const db = tables.get(req.getParameter(0)!)!;
    const id = req.getParameter(1)!;
    readJson(res, (value, pending) => {
      value.id = id;
      void db.put(id, value, ++version).then(() => pending.aborted || res.cork(() => res.writeStatus('204 No Content').end()));
    });
  })
  .post('/:table/', (res, req) => {
    const table = req.getParameter(0)!;
    const db = tables.get(table)!;
    readJson(res, (value, pending) => {
      const id = randomUUID();
      value.id = id;
      void db.put(id, value, ++version).then(
        () =>
          pending.aborted ||
          res.cork(() => res.writeStatus('201 Created').writeHeader('Location', `/${table}/${id}`).writeHeader('Content-Type', 'application/json').end(JSON.stringify(value))),
      );
    });
  })
  .listen('127.0.0.1', 0, (socket) => {
    if (!socket) throw new Error('baseline could not listen');
    console.log(`baseline listening on http://127.0.0.1:${us_socket_local_port(socket as never)}`);
  });
