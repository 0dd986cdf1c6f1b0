import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestApp } from '../../framework/src/testing/index.js';

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
