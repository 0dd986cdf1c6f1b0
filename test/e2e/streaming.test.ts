import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { startTestApp } from '../../framework/src/testing/index.js';

const RECORDS = 20_000;
const PADDING = 'x'.repeat(2000);

test('a collection larger than memory budgets streams with back-pressure to a slow client', { timeout: 120000 }, async () => {
  const app = await startTestApp({ files: { 'schema.graphql': 'type Blob @table @export { id: Int @primaryKey  text: String }' } });
  try {
    const table = app.app.storage.table('Blob')!;
    for (let start = 0; start < RECORDS; start += 1000) {
      await Promise.all(Array.from({ length: 1000 }, (_, i) => table.put(start + i, { text: PADDING })));
    }
    let rowsRead = 0;
    const scan = table.scan.bind(table);
    table.scan = (options) => {
      const rows = scan(options);
      return {
        *[Symbol.iterator]() {
          for (const row of rows) {
            rowsRead++;
            yield row;
          }
        },
      };
    };
    const { port } = new URL(app.url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.pause();
    const rssBefore = process.memoryUsage().rss;
    rowsRead = 0;
    socket.write('GET /Blob/ HTTP/1.1\r\nHost: test\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const grown = process.memoryUsage().rss - rssBefore;
    const readWhileStalled = rowsRead;
    const health = await fetch(`${app.url}/health`);
    assert.equal(health.status, 200, 'the server keeps serving while one client is stalled');
    assert.ok(readWhileStalled > 0 && readWhileStalled < RECORDS / 2, `the server read ${readWhileStalled} of ${RECORDS} rows for a client that read nothing`);
    assert.ok(grown < (RECORDS * PADDING.length) / 1.2, `memory grew by ${Math.round(grown / 2 ** 20)} MiB for a ${Math.round((RECORDS * PADDING.length) / 2 ** 20)} MiB response`);

    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.resume();
    await new Promise<void>((resolve, reject) => {
      socket.on('error', reject);
      const check = setInterval(() => {
        if (Buffer.concat(chunks).toString('latin1').endsWith(']\r\n0\r\n\r\n')) {
          clearInterval(check);
          resolve();
        }
      }, 50);
    });
    socket.destroy();
    const response = Buffer.concat(chunks).toString('utf8');
    const body = response.slice(response.indexOf('\r\n\r\n') + 4).replace(/\r\n[0-9a-f]+\r\n/g, '').replace(/^[0-9a-f]+\r\n/, '').replace(/\r\n$/, '');
    const rows = JSON.parse(body) as { id: number; text: string }[];
    assert.equal(rows.length, RECORDS);
    assert.deepEqual(
      rows.slice(0, 3).map((row) => row.id),
      [0, 1, 2],
    );
    assert.ok(rows.every((row) => row.text === PADDING));
  } finally {
    await app.close();
  }
});
