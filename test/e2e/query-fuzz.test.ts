import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { startTestApp } from '../../framework/src/testing/index.js';

const schema = `
type Brand @table @export { id: ID @primaryKey  name: String @indexed }
type Product @table @export {
  id: Int @primaryKey
  name: String
  category: String @indexed
  price: Float @indexed
  tags: [String] @indexed
  brandId: ID @indexed
  brand: Brand @relationship(from: "brandId")
}`;

/** The characters the grammar gives meaning to, plus a few names and values that resolve. */
const pieces = ['=', '==', '!=', '&', '|', '(', ')', '[', ']', '<', '>', '!', '*', ',', '.', '%', '%3C', '%2', '{', '}', '-', '+', ':',
  'category', 'price', 'tags', 'brand', 'name', 'id', 'nope', 'null', 'number:', 'date:', 'lt', '=gt=', '=ct=', 'select(', 'sort(', 'limit(',
  'count()', 'explain()', '1', '20', 'home', '__proto__', 'constructor', ' ', '%00', '%FF', 'é'];

const hostile = fc.oneof(
  fc.array(fc.constantFrom(...pieces), { maxLength: 24 }).map((parts) => parts.join('')),
  fc.string({ maxLength: 40 }),
);

test('any query string answers 200 or a 400 problem within a second, never a 500 or a hang', { timeout: 120_000 }, async () => {
  const app = await startTestApp({ files: { 'schema.graphql': schema } });
  try {
    await app.request('/Brand/acme', { method: 'PUT', body: { name: 'Acme' } });
    for (let id = 1; id <= 20; id++) {
      await app.request(`/Product/${id}`, { method: 'PUT', body: { name: `p${id}`, category: id % 2 ? 'home' : 'tech', price: id * 10, tags: [`t${id % 3}`], brandId: 'acme' } });
    }
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(hostile, async (query) => {
        // Sent as the client wrote it, except what HTTP itself forbids in a request target.
        const target = `/Product/?${query.replace(/[\s#\u0000-\u001f\u007f]|[^\u0000-\u007f]/gu, (char) => encodeURIComponent(char))}`;
        const res = await fetch(app.url + target, { signal: AbortSignal.timeout(1000) });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const body = await res.text();
        assert.ok(res.status === 200 || res.status === 400, `${target} answered ${res.status}: ${body}`);
        if (res.status === 400) {
          assert.equal(res.headers.get('content-type'), 'application/problem+json', target);
          assert.equal((JSON.parse(body) as { code: string }).code, 'BAD_REQUEST', target);
        } else {
          JSON.parse(body);
        }
      }),
      { numRuns: 400 },
    );
    assert.ok((statuses.get(400) ?? 0) > 100, `most hostile queries are rejected: ${JSON.stringify([...statuses])}`);
    assert.equal((await fetch(`${app.url}/health`)).status, 200);
  } finally {
    await app.close();
  }
});
