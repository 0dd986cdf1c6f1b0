import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import { LodeProcess, writeApp } from '../support/lode-process.js';
import { seedDataDir } from '../support/seed-data.js';

const RECORDS = 200_000;
const BEFORE = 'type Item @table @export { id: Int @primaryKey  category: String  price: Float @indexed }';
const AFTER = 'type Item @table @export { id: Int @primaryKey  category: String @indexed  price: Float @indexed }';

test('a query on an index still being built is a 503 with Retry-After until the build finishes', { timeout: 120_000 }, async () => {
  const app = await writeApp({ 'schema.graphql': AFTER });
  const dataDir = await seedDataDir(BEFORE, 'Item', RECORDS, (id) => ({ category: `c${id % 10}`, price: id }));
  let lode: LodeProcess | undefined;
  try {
    // The new @indexed on category starts a background build of 200,000 entries as the server starts.
    lode = await LodeProcess.start(['run', app.dir, '--data', dataDir]);
    const building = await fetch(`${lode.url}/Item/?category=c3&limit(2)`);
    assert.equal(building.status, 503);
    assert.equal(building.headers.get('retry-after'), '1');
    assert.equal(building.headers.get('content-type'), 'application/problem+json');
    assert.equal(((await building.json()) as { code: string }).code, 'INDEX_BUILDING');

    const ready = await fetch(`${lode.url}/Item/?price=lt=3`);
    assert.equal(ready.status, 200, 'other indexes keep answering meanwhile');
    assert.deepEqual(((await ready.json()) as { id: number }[]).map((row) => row.id), [0, 1, 2]);

    let status = 503;
    const deadline = Date.now() + 60_000;
    while (status === 503 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      status = (await fetch(`${lode.url}/Item/?category=c3&limit(2)`)).status;
    }
    assert.equal(status, 200, 'the query answers once the index is ready');
    const rows = (await (await fetch(`${lode.url}/Item/?category=c3&count()`)).json()) as { count: number };
    assert.equal(rows.count, RECORDS / 10);
  } finally {
    lode?.child.kill('SIGTERM');
    await lode?.exited;
    await app.remove();
    await rm(dataDir, { recursive: true, force: true });
  }
});
