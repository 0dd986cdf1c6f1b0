import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../../framework/src/testing/index.js';
import { Upstream } from '../support/upstream.js';

const schema = `
type Post @table @export { id: ID @primaryKey  title: String }
type Strict @table { id: ID @primaryKey  title: String }
type Session @table(expiration: 1) @export { id: ID @primaryKey  user: String }
`;

const resources = `
import { Resource, tables } from 'lode';

const upstream = () => process.env.LODE_TEST_UPSTREAM;

export class PostAPI extends Resource {
  static async get(id) {
    const response = await fetch(upstream() + '/posts/' + id);
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error('upstream answered ' + response.status);
    return response.json();
  }
  static async put(id, record) {
    const response = await fetch(upstream() + '/posts/' + id, { method: 'PUT', body: JSON.stringify(record) });
    if (!response.ok) throw new Error('upstream refused the write: ' + response.status);
  }
  static async delete(id) {
    await fetch(upstream() + '/posts/' + id, { method: 'DELETE' });
  }
  static async *subscribe() {
    const response = await fetch(upstream() + '/events');
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk, { stream: true });
      let end;
      while ((end = buffer.indexOf('\\n')) >= 0) {
        yield JSON.parse(buffer.slice(0, end));
        buffer = buffer.slice(end + 1);
      }
    }
  }
}

tables.Post.sourcedFrom(PostAPI, { expiration: 0.3, eviction: 60 });

export class Strict extends tables.Strict {
  static allowStaleWhileRevalidate() {
    return false;
  }
}
Strict.sourcedFrom({ get: PostAPI.get }, { expiration: 0.3, eviction: 60 });

export class Invalidate extends Resource {
  static async post(target) {
    await tables.Post.invalidate(target.id);
  }
}
`;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The title the cache serves once `expected` arrives (background work has no completion signal), or the last one seen. */
async function titleEventually(app: TestApp, path: string, expected: string): Promise<string> {
  let title = '';
  for (let waited = 0; waited < 5000; waited += 50) {
    title = ((await app.request(path)).body as { title: string }).title;
    if (title === expected) break;
    await sleep(50);
  }
  return title;
}

describe('caching a slow upstream API (sourcedFrom)', () => {
  let upstream: Upstream;
  let app: TestApp;

  before(async () => {
    upstream = await Upstream.start();
    process.env.LODE_TEST_UPSTREAM = upstream.url;
    for (let id = 1; id <= 20; id++) upstream.records.set(String(id), { id: String(id), title: `post ${id}` });
    app = await startTestApp({ files: { 'schema.graphql': schema, 'resources.ts': resources } });
  });
  after(async () => {
    await app.close();
    await upstream.close();
  });

  test('a miss loads from the source and stores; the next read is a hit with an Age', async () => {
    const miss = await app.request('/Post/1');
    assert.equal(miss.status, 200);
    assert.deepEqual(miss.body, { id: '1', title: 'post 1' });
    assert.equal(miss.headers.get('cache-status'), 'lode; fwd=miss; stored');
    const hit = await app.request('/Post/1');
    assert.equal(hit.headers.get('cache-status'), 'lode; hit');
    assert.match(hit.headers.get('age') ?? '', /^\d+$/);
    assert.deepEqual(hit.body, miss.body);
    assert.equal(upstream.getsOf('1'), 1);
  });

  test('100 concurrent requests for one missing id make exactly one upstream call', async () => {
    upstream.delayMs = 200;
    const responses = await Promise.all(Array.from({ length: 100 }, () => app.request('/Post/2')));
    upstream.delayMs = 50;
    assert.deepEqual(new Set(responses.map((response) => response.status)), new Set([200]));
    assert.ok(responses.every((response) => (response.body as { title: string }).title === 'post 2'));
    assert.equal(upstream.getsOf('2'), 1);
  });

  test('an id the source does not have is a 404 and is not stored', async () => {
    assert.equal((await app.request('/Post/nope')).status, 404);
    assert.equal(app.app.storage.table('Post')!.get('nope'), undefined);
  });

  test('stale-while-revalidate: an expired record is served at once and refreshed in the background', async () => {
    await app.request('/Post/3');
    upstream.records.set('3', { id: '3', title: 'post 3, edited' });
    await sleep(350);
    const stale = await app.request('/Post/3');
    assert.equal((stale.body as { title: string }).title, 'post 3');
    assert.equal(stale.headers.get('cache-status'), 'lode; hit; fwd=stale; detail=revalidating');
    assert.equal(await titleEventually(app, '/Post/3', 'post 3, edited'), 'post 3, edited');
    assert.equal(upstream.getsOf('3'), 2);
  });

  test('allowStaleWhileRevalidate() returning false waits for the source', async () => {
    await app.request('/Strict/4');
    upstream.records.set('4', { id: '4', title: 'post 4, edited' });
    await sleep(350);
    const reloaded = await app.request('/Strict/4');
    assert.equal((reloaded.body as { title: string }).title, 'post 4, edited');
    assert.equal(reloaded.headers.get('cache-status'), 'lode; fwd=stale; stored');
  });

  test('Cache-Control: no-cache reloads a fresh record; only-if-cached never calls the source', async () => {
    await app.request('/Post/5');
    const reloaded = await app.request('/Post/5', { headers: { 'cache-control': 'no-cache' } });
    assert.equal(reloaded.headers.get('cache-status'), 'lode; fwd=request; stored');
    assert.equal(upstream.getsOf('5'), 2);
    const cached = await app.request('/Post/5', { headers: { 'cache-control': 'only-if-cached' } });
    assert.equal(cached.status, 200);
    const absent = await app.request('/Post/6', { headers: { 'cache-control': 'only-if-cached' } });
    assert.equal(absent.status, 504);
    assert.equal((absent.body as { code: string }).code, 'NOT_CACHED');
    assert.equal(upstream.getsOf('6'), 0);
  });

  test('stale-if-error: with the source down a stale copy is served with a Warning; must-revalidate refuses it', async () => {
    await app.request('/Post/7');
    upstream.failing = true;
    try {
      const stale = await app.request('/Post/7', { headers: { 'cache-control': 'no-cache' } });
      assert.equal(stale.status, 200);
      assert.equal(stale.headers.get('warning'), '111 - "Revalidation Failed"');
      assert.equal(stale.headers.get('cache-status'), 'lode; hit; fwd=stale; detail=source-failed');
      const refused = await app.request('/Post/7', { headers: { 'cache-control': 'no-cache, must-revalidate' } });
      assert.equal(refused.status, 502);
      assert.equal((refused.body as { code: string }).code, 'SOURCE_FAILED');
      assert.equal((await app.request('/Post/8')).status, 502, 'nothing cached and the source down');
    } finally {
      upstream.failing = false;
    }
  });

  test('invalidate(id) makes the next read reload', async () => {
    await app.request('/Post/9');
    upstream.records.set('9', { id: '9', title: 'post 9, edited' });
    assert.equal((await app.request('/Invalidate/9', { method: 'POST' })).status, 204);
    const reloading = await app.request('/Post/9');
    assert.equal(reloading.headers.get('cache-status'), 'lode; hit; fwd=stale; detail=revalidating');
    assert.equal(await titleEventually(app, '/Post/9', 'post 9, edited'), 'post 9, edited');
  });

  test('writes go through to the source first, and nowhere when it refuses', async () => {
    assert.equal((await app.request('/Post/10', { method: 'PUT', body: { title: 'written' } })).status, 204);
    assert.deepEqual(upstream.records.get('10'), { id: '10', title: 'written' });
    assert.equal((await app.request('/Post/10')).headers.get('cache-status'), 'lode; hit');
    upstream.failing = true;
    try {
      const refused = await app.request('/Post/11', { method: 'PUT', body: { title: 'refused' } });
      assert.equal(refused.status, 502);
    } finally {
      upstream.failing = false;
    }
    assert.equal(app.app.storage.table('Post')!.get('11'), undefined);
    assert.equal((await app.request('/Post/10', { method: 'DELETE' })).status, 204);
    assert.equal(upstream.records.has('10'), false);
    assert.equal((await app.request('/Post/15', { method: 'DELETE' })).status, 204, 'deleted at the source though never cached');
    assert.equal(upstream.records.has('15'), false);
  });

  test("active caching: the source's pushed changes update the cache without a load", async () => {
    upstream.push({ type: 'put', id: '12', value: { id: '12', title: 'pushed' } });
    const posts = app.app.storage.table('Post')!;
    for (let waited = 0; posts.get('12') === undefined && waited < 5000; waited += 50) await sleep(50);
    const pushed = await app.request('/Post/12');
    assert.deepEqual(pushed.body, { id: '12', title: 'pushed' });
    assert.equal(pushed.headers.get('cache-status'), 'lode; hit');
    assert.equal(upstream.getsOf('12'), 0);
    upstream.push({ type: 'delete', id: '12' });
    for (let waited = 0; posts.get('12') !== undefined && waited < 5000; waited += 50) await sleep(50);
    assert.equal(posts.get('12'), undefined);
  });

  test('Cache-Control: max-age on a write sets when the record expires', async () => {
    const before = Date.now();
    await app.request('/Post/13', { method: 'PUT', body: { title: 'short-lived' }, headers: { 'cache-control': 'max-age=30' } });
    const expiresAt = app.app.storage.table('Post')!.expiresAt('13')!;
    assert.ok(expiresAt >= before + 30_000 && expiresAt <= Date.now() + 30_000, String(expiresAt - before));
  });

  test('a table with an expiration and no source: expired records are gone, and evicted on schedule', async () => {
    await app.request('/Session/s1', { method: 'PUT', body: { user: 'ann' } });
    assert.equal((await app.request('/Session/s1')).status, 200);
    await sleep(1100);
    assert.equal((await app.request('/Session/s1')).status, 404);
    const sessions = app.app.storage.table('Session')!;
    for (let waited = 0; sessions.get('s1') !== undefined && waited < 3000; waited += 100) await sleep(100);
    assert.equal(sessions.get('s1'), undefined);
  });
});
