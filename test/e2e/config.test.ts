import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestApp } from '../../framework/src/testing/index.js';
import { LodeProcess, writeApp } from '../support/lode-process.js';

const schema = 'type Item @table @export { id: ID @primaryKey  name: String }';

test('config.yaml without `rest` serves no resources (a config.yaml replaces the defaults)', async () => {
  const app = await startTestApp({ files: { 'schema.graphql': schema, 'config.yaml': "graphqlSchema: '*.graphql'\n" } });
  try {
    assert.equal((await app.request('/Item/')).status, 404);
    assert.equal((await app.request('/health')).status, 200);
  } finally {
    await app.close();
  }
});

test('rest.maxBodySize from config.yaml bounds request bodies', async () => {
  const config = "rest:\n  maxBodySize: 100\ngraphqlSchema:\n  files: '*.graphql'\n";
  const app = await startTestApp({ files: { 'schema.graphql': schema, 'config.yaml': config } });
  try {
    assert.equal((await app.request('/Item/a', { method: 'PUT', body: { name: 'short' } })).status, 204);
    const large = await app.request('/Item/b', { method: 'PUT', body: { name: 'x'.repeat(200) } });
    assert.equal(large.status, 413);
    assert.equal((large.body as { code: string }).code, 'PAYLOAD_TOO_LARGE');
    assert.equal((await app.request('/Item/b')).status, 404);
  } finally {
    await app.close();
  }
});

test('storage.writeAsync: acknowledged writes survive the process being killed', async () => {
  const config = "rest: true\ngraphqlSchema: '*.graphql'\nstorage:\n  writeAsync: true\n  flushInterval: 1h\n";
  const app = await writeApp({ 'schema.graphql': schema, 'config.yaml': config });
  try {
    const first = await LodeProcess.start(['run', app.dir]);
    const writes = Array.from({ length: 50 }, (_, i) =>
      fetch(`${first.url}/Item/${i}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `n${i}` }) }),
    );
    assert.deepEqual(new Set((await Promise.all(writes)).map((response) => response.status)), new Set([204]));
    // No flush has run (the interval is an hour) and SIGKILL skips the one on close.
    await first.stop('SIGKILL');
    const second = await LodeProcess.start(['run', app.dir]);
    try {
      const items = (await (await fetch(`${second.url}/Item/?sort(id)`)).json()) as Array<{ id: string; name: string }>;
      assert.equal(items.length, 50);
      assert.ok(items.every((item) => item.name === `n${item.id}`));
    } finally {
      await second.stop();
    }
  } finally {
    await app.remove();
  }
});
