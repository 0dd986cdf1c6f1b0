import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp, type TestResponse } from '../../framework/src/testing/index.js';
import { Upstream } from '../support/upstream.js';

const exampleDir = fileURLToPath(new URL('../../examples/cache-proxy/', import.meta.url));

/** Seconds a post stays fresh in this run: short, so expiry can be watched, long enough for a stampede to end first. */
const EXPIRATION_SECONDS = 1;

// A type alias, not an interface, so that it fits the upstream helper's Record<string, unknown>.
type Post = { id: number; userId: number; title: string; body: string };

const post = (id: number, title = `Post number ${id}`): Post => ({ id, userId: 1, title, body: `The text of post ${id}.` });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads until `done` holds (background work has no completion signal) or `timeoutMs` passes; the last read either way. */
async function readUntil(read: () => Promise<TestResponse>, done: (response: TestResponse) => boolean, timeoutMs = 4000): Promise<TestResponse> {
  const deadline = Date.now() + timeoutMs;
  let response = await read();
  while (!done(response) && Date.now() < deadline) {
    await sleep(25);
    response = await read();
  }
  return response;
}

const titleOf = (response: TestResponse): string => (response.body as Post).title;
const cacheStatus = (response: TestResponse): string | null => response.headers.get('cache-status');

describe('examples/cache-proxy in front of a slow upstream', () => {
  let upstream: Upstream;
  let app: TestApp;

  before(async () => {
    upstream = await Upstream.start();
    upstream.delayMs = 150;
    for (let id = 1; id <= 20; id++) upstream.records.set(String(id), post(id));
    process.env.UPSTREAM_URL = upstream.url;
    process.env.CACHE_EXPIRATION = String(EXPIRATION_SECONDS);
    app = await startTestApp({ dir: exampleDir });
  });

  after(async () => {
    await app.close();
    await upstream.close();
  });

  test('the first read is a miss loaded from the upstream, the second a hit it never sees', async () => {
    const miss = await app.request('/Post/1');
    assert.equal(miss.status, 200, miss.text);
    assert.deepEqual(miss.body, post(1));
    assert.equal(cacheStatus(miss), 'lode; fwd=miss; stored');

    const hit = await app.request('/Post/1');
    assert.equal(hit.status, 200);
    assert.deepEqual(hit.body, post(1));
    assert.equal(cacheStatus(hit), 'lode; hit');
    assert.match(hit.headers.get('age') ?? '', /^\d+$/);
    assert.equal(upstream.getsOf('1'), 1);
  });

  test('100 concurrent reads of a post not cached yet make exactly one upstream request', async () => {
    // Slow enough that the reads arrive while the one load is under way.
    upstream.delayMs = 300;
    const responses = await Promise.all(Array.from({ length: 100 }, () => app.request('/Post/2'))).finally(() => (upstream.delayMs = 150));
    assert.deepEqual(new Set(responses.map((response) => response.status)), new Set([200]));
    assert.ok(responses.every((response) => titleOf(response) === 'Post number 2'));
    const statuses = new Set(responses.map(cacheStatus));
    assert.ok(statuses.has('lode; fwd=miss; stored'), [...statuses].join(' | '));
    assert.deepEqual([...statuses].filter((status) => status !== 'lode; fwd=miss; stored' && status !== 'lode; hit'), []);
    assert.equal(upstream.getsOf('2'), 1);
  });

  test('a post the upstream does not have is a 404, and nothing is stored', async () => {
    const missing = await app.request('/Post/999');
    assert.equal(missing.status, 404);
    assert.equal((missing.body as { code: string }).code, 'NOT_FOUND');
    assert.equal(app.app.storage.table('Post')!.get(999), undefined);
    assert.equal((await app.request('/Post/999')).status, 404);
    assert.equal(upstream.getsOf('999'), 2, 'a 404 is not cached: each read asks the upstream again');
  });

  test('POST /Invalidate/{id} makes the next read reload the post', async () => {
    await app.request('/Post/3');
    upstream.records.set('3', post(3, 'Edited upstream'));
    assert.equal(titleOf(await app.request('/Post/3')), 'Post number 3', 'the cache does not know of the edit yet');

    const invalidated = await app.request('/Invalidate/3', { method: 'POST' });
    assert.equal(invalidated.status, 204, invalidated.text);
    const reloading = await app.request('/Post/3');
    assert.equal(cacheStatus(reloading), 'lode; hit; fwd=stale; detail=revalidating');
    assert.equal(titleOf(reloading), 'Post number 3', 'the old copy is served while the new one loads');

    const reloaded = await readUntil(() => app.request('/Post/3'), (response) => titleOf(response) === 'Edited upstream');
    assert.equal(titleOf(reloaded), 'Edited upstream');
    assert.equal(cacheStatus(reloaded), 'lode; hit');
    assert.equal(upstream.getsOf('3'), 2);
  });

  test('/Invalidate needs a post id', async () => {
    const withoutId = await app.request('/Invalidate/', { method: 'POST' });
    assert.equal(withoutId.status, 400);
    assert.equal((withoutId.body as { code: string }).code, 'BAD_REQUEST');
    assert.equal((await app.request('/Invalidate/abc', { method: 'POST' })).status, 400);
  });

  test('an expired post is served stale once while it reloads in the background', async () => {
    await app.request('/Post/4');
    upstream.records.set('4', post(4, 'Edited upstream'));
    const stale = await readUntil(() => app.request('/Post/4'), (response) => cacheStatus(response) !== 'lode; hit');
    assert.equal(cacheStatus(stale), 'lode; hit; fwd=stale; detail=revalidating');
    assert.equal(titleOf(stale), 'Post number 4');
    assert.match(stale.headers.get('age') ?? '', /^\d+$/);

    const fresh = await readUntil(() => app.request('/Post/4'), (response) => titleOf(response) === 'Edited upstream');
    assert.equal(titleOf(fresh), 'Edited upstream');
    assert.equal(cacheStatus(fresh), 'lode; hit');
    assert.equal(upstream.getsOf('4'), 2);
  });

  test('with the upstream down, a cached post is still served and an uncached one is a 502', async () => {
    await app.request('/Post/5');
    upstream.failing = true;
    try {
      const stale = await app.request('/Post/5', { headers: { 'cache-control': 'no-cache' } });
      assert.equal(stale.status, 200);
      assert.deepEqual(stale.body, post(5));
      assert.equal(cacheStatus(stale), 'lode; hit; fwd=stale; detail=source-failed');
      assert.equal(stale.headers.get('warning'), '111 - "Revalidation Failed"');
      const uncached = await app.request('/Post/6');
      assert.equal(uncached.status, 502);
      assert.equal((uncached.body as { code: string }).code, 'SOURCE_FAILED');
    } finally {
      upstream.failing = false;
    }
  });

  test('/Stats counts the stored posts and the upstream calls', async () => {
    type Stats = { posts: { stored: number; expiration: number }; upstream: { url: string; loads: number; notFound: number } };
    const before = (await app.request('/Stats')).body as Stats;
    await app.request('/Post/7');
    await app.request('/Post/7');
    await app.request('/Post/998');
    const now = (await app.request('/Stats')).body as Stats;
    assert.equal(now.upstream.url, upstream.url);
    assert.equal(now.posts.expiration, EXPIRATION_SECONDS);
    assert.equal(now.posts.stored, before.posts.stored + 1);
    assert.equal(now.upstream.loads, before.upstream.loads + 2);
    assert.equal(now.upstream.notFound, before.upstream.notFound + 1);
  });
});

describe("examples/cache-proxy's slow upstream script", () => {
  test('serves posts slowly, takes edits, and prints each request with a count', async () => {
    const child = spawn(process.execPath, [`${exampleDir}upstream.mjs`], {
      env: { ...process.env, PORT: '0', DELAY_MS: '20' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    try {
      for (let waited = 0; !/listening on http/.test(output) && waited < 5000; waited += 25) await sleep(25);
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      assert.ok(url, `the script prints its address: ${output}`);

      const read = await fetch(`${url}/posts/1`);
      assert.equal(read.status, 200);
      assert.deepEqual(await read.json(), { id: 1, userId: 1, title: 'Post number 1', body: 'The text of post 1.' });
      const edited = await fetch(`${url}/posts/1`, { method: 'PATCH', body: JSON.stringify({ title: 'Edited' }) });
      assert.equal(edited.status, 200);
      assert.equal(((await (await fetch(`${url}/posts/1`)).json()) as Post).title, 'Edited');
      assert.equal((await fetch(`${url}/posts/101`)).status, 404);

      for (let waited = 0; !/#4 /.test(output) && waited < 2000; waited += 25) await sleep(25);
      assert.match(output, /#1 GET \/posts\/1 -> 200 \(\d+ ms\)/);
      assert.match(output, /#2 PATCH \/posts\/1 -> 200/);
      assert.match(output, /#4 GET \/posts\/101 -> 404/);
    } finally {
      child.kill();
      await exited;
    }
  });
});
