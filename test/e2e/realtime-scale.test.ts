import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import WebSocket from 'ws';
import { LodeProcess, writeApp } from '../support/lode-process.js';

const SUBSCRIPTIONS = 10_000;

function anonymousKiB(pid: number): number {
  return Number(/RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

test('10,000 open subscriptions keep the server memory bounded, and one write reaches all that watch it', { timeout: 180_000 }, async () => {
  const app = await writeApp({ 'schema.graphql': 'type Item @table @export { id: ID @primaryKey  n: Int }' });
  const lode = await LodeProcess.start(['run', app.dir, '--data', `${app.dir}/data`]);
  const sockets: WebSocket[] = [];
  try {
    const pid = lode.child.pid!;
    const base = lode.url.replace('http', 'ws');
    const before = anonymousKiB(pid);
    let received = 0;
    for (let start = 0; start < SUBSCRIPTIONS; start += 500) {
      await Promise.all(
        Array.from({ length: 500 }, async (_, offset) => {
          const i = start + offset;
          // Every tenth watches one shared record; the rest watch records of their own.
          const socket = new WebSocket(`${base}/Item/${i % 10 === 0 ? 'shared' : `own${i}`}?omitCurrent`);
          sockets.push(socket);
          await new Promise<void>((resolve, reject) => {
            socket.once('message', () => resolve());
            socket.once('error', reject);
          });
          socket.on('message', () => received++);
        }),
      );
    }
    const grownKiB = anonymousKiB(pid) - before;
    const perSubscription = (grownKiB * 1024) / SUBSCRIPTIONS;
    assert.ok(perSubscription < 16 * 1024, `${Math.round(perSubscription)} bytes per idle subscription`);

    const res = await fetch(`${lode.url}/Item/shared`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"n": 1}' });
    assert.equal(res.status, 204);
    const deadline = Date.now() + 20_000;
    while (received < SUBSCRIPTIONS / 10 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(received, SUBSCRIPTIONS / 10, 'every watcher of the record got the change, and nobody else');

    for (const socket of sockets) socket.terminate();
    assert.equal((await fetch(`${lode.url}/health`)).status, 200);
  } finally {
    for (const socket of sockets) socket.terminate();
    lode.child.kill('SIGTERM');
    await lode.exited;
    await app.remove();
  }
});
