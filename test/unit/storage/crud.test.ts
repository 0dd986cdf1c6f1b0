import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isLodeError } from '../../../framework/src/errors/index.js';
import { attr, mustTable, scalar, tableDef, tempStorage, type TempStorage } from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function rejectsWith(code: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(isLodeError(error), `expected a LodeError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  };
}

describe('records', () => {
  let t: TempStorage;
  before(async () => {
    t = await tempStorage();
    await t.storage.applySchema([
      tableDef('Item', [attr('name', scalar('String', true)), attr('price', 'Float'), attr('tags', 'Any')]),
      tableDef('Counter', [attr('n', 'Int')], { keyType: 'Int' }),
    ]);
  });
  after(() => t.cleanup());

  test('put, get, patch, delete', async () => {
    const items = mustTable(t.storage, 'Item');
    const put = await items.put('a', { name: 'Apple', price: 1.5 });
    assert.deepEqual(put.value, { id: 'a', name: 'Apple', price: 1.5 });
    assert.equal(put.id, 'a');
    const got = items.get('a');
    assert.deepEqual(got, put);
    assert.notEqual(items.get('a')?.value, got?.value, 'get returns a fresh object each time');

    const replaced = await items.put('a', { name: 'Apricot' });
    assert.deepEqual(replaced.value, { id: 'a', name: 'Apricot' }, 'put replaces the whole record');

    const patched = await items.patch('a', { price: 2 });
    assert.deepEqual(patched?.value, { id: 'a', name: 'Apricot', price: 2 });
    assert.deepEqual(items.get('a')?.value, { id: 'a', name: 'Apricot', price: 2 });
    assert.equal(await items.patch('missing', { price: 1 }), undefined);
    assert.equal(items.get('missing'), undefined);

    assert.equal(await items.delete('a'), true);
    assert.equal(items.get('a'), undefined);
    assert.equal(await items.delete('a'), false);
  });

  test('a caller mutating what get returned does not change the stored record', async () => {
    const items = mustTable(t.storage, 'Item');
    await items.put('m', { name: 'Mutable', tags: ['x'] });
    const entry = items.get('m');
    assert.ok(entry);
    entry.value.name = 'changed';
    (entry.value.tags as string[]).push('y');
    assert.deepEqual(items.get('m')?.value, { id: 'm', name: 'Mutable', tags: ['x'] });
  });

  test('invalid writes are rejected and write nothing', async () => {
    const items = mustTable(t.storage, 'Item');
    await assert.rejects(items.put('v', { price: 'cheap' }), rejectsWith('VALIDATION_FAILED'));
    assert.equal(items.get('v'), undefined);
    await items.put('v', { name: 'Valid' });
    await assert.rejects(items.patch('v', { name: null }), rejectsWith('VALIDATION_FAILED'));
    await assert.rejects(items.put('v', { id: 'other', name: 'x' }), rejectsWith('VALIDATION_FAILED'));
    assert.deepEqual(items.get('v')?.value, { id: 'v', name: 'Valid' });
  });

  test('ids must match the key type', async () => {
    const items = mustTable(t.storage, 'Item');
    const counters = mustTable(t.storage, 'Counter');
    await assert.rejects(items.put(12, { name: 'x' }), rejectsWith('INVALID_ID'));
    await assert.rejects(counters.put('12', { n: 1 }), rejectsWith('INVALID_ID'));
    await assert.rejects(counters.delete(1.5), rejectsWith('INVALID_ID'));
  });

  test('coerceKey turns URL segments into keys', () => {
    const items = mustTable(t.storage, 'Item');
    const counters = mustTable(t.storage, 'Counter');
    assert.equal(items.coerceKey('12'), '12');
    assert.equal(counters.coerceKey('12'), 12);
    assert.equal(counters.coerceKey('-3'), -3);
    for (const bad of ['1.5', 'abc', '', '12abc', '99999999999999999999']) {
      assert.throws(() => counters.coerceKey(bad), rejectsWith('INVALID_ID'), bad);
    }
  });

  test('create generates UUIDs for string keys and rejects existing ids with CONFLICT', async () => {
    const items = mustTable(t.storage, 'Item');
    const created = await items.create({ name: 'Generated' });
    assert.match(String(created.id), UUID);
    assert.equal(created.value.id, created.id);
    assert.deepEqual(items.get(created.id)?.value, created.value);

    const explicit = await items.create({ id: 'explicit', name: 'E' });
    assert.equal(explicit.id, 'explicit');
    await assert.rejects(items.create({ id: 'explicit', name: 'again' }), rejectsWith('CONFLICT'));
    assert.equal(items.get('explicit')?.value.name, 'E');
  });

  test('create auto-increments integer keys, distinct under concurrency', async () => {
    const counters = mustTable(t.storage, 'Counter');
    const first = await counters.create({ n: 0 });
    assert.equal(first.id, 1);
    await counters.put(10, { n: 10 });
    const many = await Promise.all(Array.from({ length: 20 }, (_, n) => counters.create({ n })));
    const ids = many.map((entry) => entry.id);
    assert.equal(new Set(ids).size, 20);
    assert.deepEqual([...ids].sort((a, b) => Number(a) - Number(b)), Array.from({ length: 20 }, (_, i) => 11 + i));
    const last = await counters.create({ n: 99 });
    assert.equal(last.id, 31);
    assert.equal(await counters.delete(31), true);
    assert.equal((await counters.create({ n: 100 })).id, 32, 'a deleted id is not handed out again');
  });

  test('concurrent creates of the same id: exactly one wins', async () => {
    const items = mustTable(t.storage, 'Item');
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => items.create({ id: 'race', name: 'r' })));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) if (r.status === 'rejected') rejectsWith('CONFLICT')(r.reason);
  });

  test('createdTime is kept across writes, updatedTime moves, each in its declared type', async () => {
    let clock = Date.UTC(2024, 0, 1);
    const local = await tempStorage({ now: () => clock });
    try {
      await local.storage.applySchema([
        tableDef('Stamped', [
          attr('created', 'Date', { createdTime: true }),
          attr('createdText', 'String', { createdTime: true }),
          attr('updated', 'Long', { updatedTime: true }),
          attr('note', 'String'),
        ]),
      ]);
      const stamped = mustTable(local.storage, 'Stamped');
      const first = await stamped.put('s', { note: 'one', created: '1999-01-01T00:00:00Z', updated: 1 });
      assert.deepEqual(first.value.created, new Date(clock));
      assert.equal(first.value.createdText, new Date(clock).toISOString());
      assert.equal(first.value.updated, clock);
      const createdAt = clock;
      clock += 60_000;
      await stamped.put('s', { note: 'two', created: '2030-01-01T00:00:00Z' });
      clock += 60_000;
      const patched = await stamped.patch('s', { note: 'three' });
      const stored = stamped.get('s')?.value;
      assert.deepEqual(stored, patched?.value);
      assert.deepEqual(stored?.created, new Date(createdAt));
      assert.equal(stored?.createdText, new Date(createdAt).toISOString());
      assert.equal(stored?.updated, clock);
      const made = await stamped.create({ note: 'new' });
      assert.deepEqual(made.value.created, new Date(clock));
    } finally {
      await local.cleanup();
    }
  });

  test('scan is lazy, in key order, with bounds, limit and reverse, and skips deleted records', async () => {
    const counters = mustTable(t.storage, 'Counter');
    for (const id of [100, 101, 102, 103, 104]) await counters.put(id, { n: id });
    await counters.delete(102);
    const ids = (options = {}): number[] =>
      [...counters.scan({ start: 100, end: 105, ...options })].map((entry) => Number(entry.id));
    assert.deepEqual(ids(), [100, 101, 103, 104]);
    assert.deepEqual(ids({ reverse: true }), [104, 103, 101, 100]);
    assert.deepEqual(ids({ limit: 2 }), [100, 101]);
    assert.deepEqual(ids({ reverse: true, limit: 2 }), [104, 103]);
    assert.deepEqual(ids({ start: 101, end: 104 }), [101, 103]);
    assert.deepEqual(ids({ start: 101, end: 104, reverse: true }), [103, 101]);
    const entry = [...counters.scan({ start: 103, limit: 1 })][0];
    assert.deepEqual(entry, counters.get(103));
    const all = [...counters.scan()].map((e) => e.id);
    assert.deepEqual([...counters.scan({ reverse: true })].map((e) => e.id), [...all].reverse());
    assert.ok(all.every((id) => typeof id === 'number'), 'only records, never internal rows');
    assert.equal(all.length, counters.count());
  });

  test('count excludes deleted records', async () => {
    const local = await tempStorage();
    try {
      await local.storage.applySchema([tableDef('Thing', [attr('n', 'Int')])]);
      const things = mustTable(local.storage, 'Thing');
      assert.equal(things.count(), 0);
      await Promise.all(['a', 'b', 'c', 'd'].map((id, n) => things.put(id, { n })));
      assert.equal(things.count(), 4);
      await things.delete('b');
      assert.equal(things.count(), 3);
      await things.put('b', { n: 9 });
      assert.equal(things.count(), 4);
    } finally {
      await local.cleanup();
    }
  });

  test('records with __proto__ are rejected; constructor/prototype keys stay plain data', async () => {
    const items = mustTable(t.storage, 'Item');
    const hostile = JSON.parse('{"name": "x", "__proto__": {"polluted": true}, "tags": {"__proto__": {"polluted": 1}}}');
    await assert.rejects(items.put('hostile', hostile), rejectsWith('VALIDATION_FAILED'));
    await assert.rejects(items.create(hostile), rejectsWith('VALIDATION_FAILED'));
    await items.put('p', { name: 'p' });
    await assert.rejects(items.patch('p', JSON.parse('{"__proto__": {"polluted": 2}}')), rejectsWith('VALIDATION_FAILED'));
    assert.equal(items.get('hostile'), undefined);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);

    const plain = JSON.parse('{"name": "c", "constructor": {"prototype": {"polluted": 3}}, "prototype": 1}');
    await items.put('ctor', plain);
    const stored = items.get('ctor')?.value;
    assert.deepEqual(stored?.constructor, { prototype: { polluted: 3 } });
    assert.equal(stored?.prototype, 1);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf(stored), Object.prototype);
  });
});

describe('versions and tombstones', () => {
  test('versions strictly increase, even when the clock goes backwards', async () => {
    let clock = Date.UTC(2024, 5, 1);
    const t = await tempStorage({ now: () => clock });
    try {
      await t.storage.applySchema([tableDef('Item', [attr('n', 'Int')])]);
      const items = mustTable(t.storage, 'Item');
      const versions: number[] = [];
      for (let n = 0; n < 5; n++) {
        versions.push((await items.put('a', { n })).version);
        clock -= 3_600_000;
      }
      versions.push((await items.put('b', { n: 0 })).version);
      const concurrent = await Promise.all(Array.from({ length: 50 }, (_, n) => items.put(`c${n}`, { n })));
      versions.push(...concurrent.map((entry) => entry.version));
      for (let i = 1; i < versions.length; i++) assert.ok(versions[i]! > versions[i - 1]!, `version ${i} increases`);
      assert.equal(items.get('a')?.version, versions[4]);
    } finally {
      await t.cleanup();
    }
  });

  test('a delete leaves a tombstone; a later write gets a version above it', async () => {
    let clock = Date.UTC(2024, 5, 1);
    const t = await tempStorage({ now: () => clock });
    try {
      await t.storage.applySchema([tableDef('Item', [attr('n', 'Int')])]);
      const items = mustTable(t.storage, 'Item') as ReturnType<typeof mustTable> & {
        tombstoneVersion(id: string): number | undefined;
      };
      const written = await items.put('a', { n: 1 });
      let deleteVersion = 0;
      t.storage.onCommit((entries) => (deleteVersion = entries[0]?.op === 'delete' ? entries[0].version : deleteVersion));
      await items.delete('a');
      assert.ok(deleteVersion > written.version);
      assert.equal(items.tombstoneVersion('a'), deleteVersion);
      assert.equal(items.get('a'), undefined);
      assert.deepEqual([...items.scan()], []);
      assert.equal(items.count(), 0);
      clock -= 86_400_000;
      const again = await items.put('a', { n: 2 });
      assert.ok(again.version > deleteVersion, 'recreated record beats the tombstone');
      assert.equal(items.tombstoneVersion('a'), undefined);
    } finally {
      await t.cleanup();
    }
  });
});

describe('expiration', () => {
  test('expiresAt is recorded per write when the table expires records', async () => {
    let clock = 1_000_000;
    const t = await tempStorage({ now: () => clock });
    try {
      await t.storage.applySchema([
        tableDef('Cached', [attr('n', 'Int')], { expiration: 60 }),
        tableDef('Kept', [attr('n', 'Int')]),
      ]);
      const cached = mustTable(t.storage, 'Cached');
      await cached.put('a', { n: 1 });
      assert.equal(cached.expiresAt('a'), 1_000_000 + 60_000);
      clock += 5000;
      await cached.patch('a', { n: 2 });
      assert.equal(cached.expiresAt('a'), 1_005_000 + 60_000);
      const made = await cached.create({ n: 3 });
      assert.equal(cached.expiresAt(made.id), 1_005_000 + 60_000);
      await cached.delete('a');
      assert.equal(cached.expiresAt('a'), undefined);
      const kept = mustTable(t.storage, 'Kept');
      await kept.put('a', { n: 1 });
      assert.equal(kept.expiresAt('a'), undefined);
    } finally {
      await t.cleanup();
    }
  });
});
