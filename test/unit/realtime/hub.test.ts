import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import fc from 'fast-check';
import { isLodeError } from '../../../framework/src/errors/index.js';
import { parseQuery, runQuery } from '../../../framework/src/query/index.js';
import { RealtimeHub, subscribeRequest, type LiveEvent, type Subscription } from '../../../framework/src/realtime/index.js';
import { compileSchema } from '../../../framework/src/schema/index.js';
import { Storage, type StoredTable } from '../../../framework/src/storage/index.js';
import { silentLogger } from '../../../framework/src/util/index.js';

const SCHEMA = `
type Item @table { id: ID @primaryKey  category: String @indexed  price: Float @indexed  name: String }
type Other @table { id: ID @primaryKey }`;

type Envelope = ReturnType<LiveEvent['toJSON']>;

/** Reads `count` events, or fails after `ms`. */
async function take(subscription: Subscription, count: number, ms = 5000): Promise<Envelope[]> {
  const events: Envelope[] = [];
  const deadline = setTimeout(() => void subscription.return(), ms);
  try {
    while (events.length < count) {
      const step = await subscription.next();
      if (step.done) throw new Error(`the subscription ended after ${events.length} of ${count} events: ${JSON.stringify(events.slice(-3))}`);
      events.push(step.value.toJSON());
    }
  } finally {
    clearTimeout(deadline);
  }
  return events;
}

const target = (search: string, id?: string, path = id ?? '') => ({ id, path, search, isCollection: id === undefined });

describe('the realtime hub', () => {
  let dir: string;
  let storage: Storage;
  let hub: RealtimeHub;
  let items: StoredTable;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lode-hub-'));
    storage = await Storage.open({ dataDir: dir, logger: silentLogger });
    await storage.applySchema(compileSchema([{ file: 'schema.graphql', text: SCHEMA }]).tables);
    hub = new RealtimeHub(storage, { maxQueuedEvents: 50_000 });
    items = storage.table('Item')!;
  });

  afterEach(async () => {
    hub.close();
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const subscribe = (search: string, id?: string, path?: string): Subscription => hub.subscribe(items, subscribeRequest(target(search, id, path)));

  test('a record: its current value, ready, then each change, delete and message', async () => {
    await items.put('a', { category: 'x', price: 1 });
    const subscription = subscribe('', 'a');
    const initial = await take(subscription, 2);
    await items.put('b', { category: 'x', price: 2 });
    await items.put('a', { category: 'y', price: 3 });
    await items.publish('a', { hello: 'world' });
    await items.delete('a');
    const events = [...initial, ...(await take(subscription, 3))];
    assert.deepEqual(
      events.map(({ type, id, value }) => ({ type, id, value })),
      [
        { type: 'put', id: 'a', value: { id: 'a', category: 'x', price: 1 } },
        { type: 'ready', id: undefined, value: undefined },
        { type: 'put', id: 'a', value: { id: 'a', category: 'y', price: 3 } },
        { type: 'message', id: 'a', value: { hello: 'world' } },
        { type: 'delete', id: 'a', value: undefined },
      ],
    );
    assert.equal(events[1]!.seq, 1, 'ready carries the sequence the snapshot was read at');
    assert.deepEqual(events.slice(2).map((event) => event.seq), [3, 4, 5]);
    await subscription.return();
    assert.equal(hub.size, 0, 'closing frees the subscription');
  });

  test('a collection sees every change of concurrent writers, once, in commit order', async () => {
    const subscription = subscribe('');
    const writers = 4;
    const perWriter = 2500;
    const writing = Promise.all(
      Array.from({ length: writers }, async (_, writer) => {
        for (let i = 0; i < perWriter; i++) await items.put(`w${writer}-${i % 50}`, { category: `c${writer}`, price: i });
      }),
    );
    const events = await take(subscription, writers * perWriter + 1, 60_000);
    await writing;
    assert.equal(events[0]!.type, 'ready');
    const seqs = events.slice(1).map((event) => event.seq);
    assert.deepEqual(seqs, Array.from({ length: writers * perWriter }, (_, i) => i + 1), 'every sequence, in order, none twice');
    await items.delete('w0-0');
    await storage.table('Other')!.put('o', {});
    assert.equal((await take(subscription, 1))[0]!.type, 'delete', "another table's changes are not delivered");
  });

  test('resume continues exactly after the token while writes keep coming', async () => {
    for (let i = 0; i < 20; i++) await items.put(`r${i}`, { price: i });
    const resumed = subscribe('resume=5');
    const writing = (async () => {
      for (let i = 20; i < 40; i++) await items.put(`r${i}`, { price: i });
    })();
    const events = await take(resumed, 36);
    await writing;
    const changes = events.filter((event) => event.type === 'put').map((event) => event.seq);
    assert.deepEqual(changes, Array.from({ length: 35 }, (_, i) => i + 6), 'after 5: nothing lost, nothing twice');
    const ready = events.find((event) => event.type === 'ready')!;
    assert.ok(ready.seq >= 20 && ready.seq <= 40, `ready at ${ready.seq}`);
  });

  test('startTime and previousCount replay history first', async () => {
    await items.put('h1', { price: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const since = Date.now();
    await items.put('h2', { price: 2 });
    await items.put('h1', { price: 3 });
    const fromTime = await take(subscribe(`startTime=${since}`), 3);
    assert.deepEqual(fromTime.map((event) => [event.type, event.id]), [['put', 'h2'], ['put', 'h1'], ['ready', undefined]]);
    const iso = await take(subscribe(`startTime=${encodeURIComponent(new Date(since).toISOString())}`), 1);
    assert.equal(iso[0]!.id, 'h2');
    const lastTwoOfH1 = await take(subscribe('previousCount=2', 'h1'), 3);
    assert.deepEqual(lastTwoOfH1.map((event) => [event.type, event.value && (event.value as { price: number }).price]), [['put', 1], ['put', 3], ['ready', undefined]]);
  });

  test('a resume point older than the change log gets reset, then the current state', async () => {
    await items.put('p1', { price: 1 });
    await items.put('p2', { price: 2 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    await storage.pruneLog(Date.now());
    await items.put('p1', { price: 10 });
    const events = await take(subscribe('resume=1'), 4);
    assert.deepEqual(events.map((event) => [event.type, event.id]), [['reset', undefined], ['put', 'p1'], ['put', 'p2'], ['ready', undefined]]);
    assert.equal((events[1]!.value as { price: number }).price, 10);
    const future = await take(subscribe('resume=999'), 1);
    assert.equal(future[0]!.type, 'reset', 'a token from another log is not trusted either');
  });

  test('a prefix collection sees only ids under its path', async () => {
    await items.put('a/1', { price: 1 });
    await items.put('b/1', { price: 2 });
    const subscription = subscribe('', undefined, 'a/');
    const initial = await take(subscription, 2);
    await items.put('b/2', { price: 3 });
    await items.put('a/2', { price: 4 });
    assert.deepEqual([...initial, ...(await take(subscription, 1))].map((event) => event.id), ['a/1', undefined, 'a/2']);
  });

  test('a subscriber that falls too far behind is cut off with SLOW_CONSUMER', async () => {
    const small = new RealtimeHub(storage, { maxQueuedEvents: 10 });
    const subscription = small.subscribe(items, subscribeRequest(target('omitCurrent')));
    assert.equal((await subscription.next()).value?.type, 'ready');
    for (let i = 0; i < 12; i++) await items.put(`s${i}`, { price: i });
    await assert.rejects(async () => {
      for (;;) await subscription.next();
    }, (error: unknown) => isLodeError(error) && error.code === 'SLOW_CONSUMER');
    assert.equal(small.size, 0);
    small.close();
  });

  test('an attached sink gets live events in order until it declines, then they queue for next()', async () => {
    const subscription = subscribe('omitCurrent');
    assert.equal(subscription.attach(() => true), undefined, 'not before the initial part (ready) has been read');
    assert.equal((await subscription.next()).value?.type, 'ready');
    const pushed: number[] = [];
    const detached = subscription.attach((event) => pushed.push(event.seq) < 3);
    assert.ok(detached);
    for (let i = 0; i < 5; i++) await items.put(`k${i}`, { price: i });
    await detached;
    assert.deepEqual(pushed, [1, 2, 3], 'pushed synchronously until the sink said stop');
    assert.deepEqual((await take(subscription, 2)).map((event) => event.seq), [4, 5], 'the rest waited in the queue');
    const failing = subscription.attach(() => {
      throw new Error('socket gone');
    });
    await items.put('k9', { price: 9 });
    await failing;
    await assert.rejects(subscription.next(), (error: unknown) => isLodeError(error) && error.code === 'INTERNAL', 'a failing sink fails the subscription, never skips an event');
    assert.equal(hub.size, 0);
  });

  test('bad subscription options are 400s naming the option', () => {
    for (const [search, path] of [
      ['resume=abc', 'query.resume'],
      ['startTime=yesterday', 'query.startTime'],
      ['previousCount=5000', 'query.previousCount'],
      ['resume=1&previousCount=2', 'query.resume'],
      ['category=a&limit(2)', 'query.query'],
    ] as const) {
      assert.throws(() => subscribe(search), (error: unknown) => isLodeError(error) && error.status === 400 && error.errors?.[0]?.path === path, search);
    }
  });

  test('a query subscription keeps a view equal to re-running the query', async () => {
    const write = fc.oneof(
      fc.record({ op: fc.constant('put' as const), id: fc.constantFrom('q1', 'q2', 'q3', 'q4', 'q5'), category: fc.constantFrom('a', 'b'), price: fc.integer({ min: 0, max: 100 }) }),
      fc.record({ op: fc.constant('delete' as const), id: fc.constantFrom('q1', 'q2', 'q3', 'q4', 'q5') }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(write, { maxLength: 6 }), fc.array(write, { minLength: 1, maxLength: 12 }), async (before, after) => {
        const apply = async (writes: typeof before): Promise<void> => {
          for (const w of writes) {
            if (w.op === 'put') await items.put(w.id, { category: w.category, price: w.price });
            else await items.delete(w.id);
          }
        };
        await apply(before);
        const query = 'category=a&price=lt=50';
        const subscription = subscribe(query);
        const view = new Map<unknown, unknown>();
        const seqBefore = storage.logBounds('data').last;
        await apply(after);
        const changes = storage.logBounds('data').last - seqBefore;
        const snapshot = runQuery(items, parseQuery(query));
        const expected = new Map([...(snapshot.kind === 'rows' ? (snapshot.rows as Iterable<{ id: string }>) : [])].map((row) => [row.id, row]));
        // Read until ready, then until the last change has been seen (a change may produce no event).
        let ready = false;
        let lastSeq = 0;
        while (!ready || lastSeq < seqBefore + changes) {
          const timeout = new Promise<'idle'>((resolve) => setTimeout(() => resolve('idle'), 200));
          const step = await Promise.race([subscription.next(), timeout]);
          if (step === 'idle') break;
          if (step.done) break;
          const event = step.value;
          if (event.type === 'ready') ready = true;
          else if (event.type === 'put') view.set(event.id, event.value);
          else if (event.type === 'delete') view.delete(event.id);
          if (ready && event.type !== 'ready') lastSeq = event.seq;
        }
        await subscription.return();
        assert.deepEqual(view, expected);
        await Promise.all(['q1', 'q2', 'q3', 'q4', 'q5'].map((id) => items.delete(id)));
      }),
      { numRuns: 40 },
    );
    assert.equal(hub.size, 0);
  });
});
