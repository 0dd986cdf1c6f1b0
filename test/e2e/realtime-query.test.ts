import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { startTestApp } from '../../framework/src/testing/index.js';
import { WsClient } from '../support/live-clients.js';

interface Envelope {
  type: string;
  id?: string;
  seq: number;
  value?: Record<string, unknown>;
}

const schema = 'type Item @table @export { id: ID @primaryKey  category: String @indexed  price: Int @indexed  tags: [String] }';
const ids = ['i1', 'i2', 'i3', 'i4', 'i5', 'i6'];
/** Each query with a record it matches: written last, its event shows the stream has caught up. */
const queries: [string, Record<string, unknown>][] = [
  ['category=a', { category: 'a', price: 1 }],
  ['category=a&price=lt=50', { category: 'a', price: 1 }],
  ['price=ge=20&price=lt=80', { category: 'c', price: 50 }],
  ['category=b|price=gt=90', { category: 'b', price: 1 }],
  ['category=a&tags=x', { category: 'a', price: 1, tags: ['x'] }],
];

const write: fc.Arbitrary<Write> = fc.oneof(
  fc.record({
    op: fc.constant('put' as const),
    id: fc.constantFrom(...ids),
    category: fc.constantFrom('a', 'b', 'c'),
    price: fc.integer({ min: 0, max: 100 }),
    tags: fc.subarray(['x', 'y']),
  }),
  fc.record({ op: fc.constant('delete' as const), id: fc.constantFrom(...ids) }),
);

type Write = { op: 'put'; id: string; category: string; price: number; tags: string[] } | { op: 'delete'; id: string };

test('a WebSocket query subscription keeps a view equal to re-running the query over HTTP', { timeout: 120_000 }, async () => {
  const app = await startTestApp({ files: { 'schema.graphql': schema } });
  try {
    const apply = async (writes: Write[]): Promise<void> => {
      for (const w of writes) {
        if (w.op === 'put') await app.request(`/Item/${w.id}`, { method: 'PUT', body: { category: w.category, price: w.price, tags: w.tags } });
        else await app.request(`/Item/${w.id}`, { method: 'DELETE' });
      }
    };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...queries), fc.array(write, { maxLength: 8 }), fc.array(write, { minLength: 1, maxLength: 15 }), async ([query, sentinel], before, after) => {
        await apply(before);
        const client = await WsClient.open(`${app.url.replace('http', 'ws')}/Item/?${query}`);
        await apply(after);
        await app.request('/Item/sentinel', { method: 'PUT', body: sentinel });
        const caughtUp = (): boolean => (client.messages as Envelope[]).some((event) => event.type === 'put' && event.id === 'sentinel');
        const deadline = Date.now() + 5000;
        while (!caughtUp() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
        client.close();
        const expected = (await app.request(`/Item/?${query}`)).body as Record<string, unknown>[];
        const view = new Map<string, unknown>();
        for (const event of client.messages as Envelope[]) {
          if (event.type === 'put') view.set(event.id!, event.value);
          else if (event.type === 'delete') view.delete(event.id!);
        }
        assert.deepEqual(
          [...view.keys()].sort(),
          expected.map((row) => row.id as string).sort(),
          `${query} after ${JSON.stringify(after)}`,
        );
        for (const row of expected) assert.deepEqual(view.get(row.id as string), row);
        await Promise.all([...ids, 'sentinel'].map((id) => app.request(`/Item/${id}`, { method: 'DELETE' })));
      }),
      { numRuns: 25 },
    );
  } finally {
    await app.close();
  }
});
