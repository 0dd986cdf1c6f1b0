import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TableResource } from '../../framework/src/resources/index.js';
import { startTestApp, type TestApp } from '../../framework/src/testing/index.js';

const schema = `
type Account @table @export { id: ID @primaryKey  balance: Float  owner: String @indexed }
type Ledger @table @export { id: ID @primaryKey  account: String @indexed  amount: Float @indexed }
type Counter @table @export { id: ID @primaryKey  count: Int }
`;

const resources = `
import { Resource, tables, transaction } from 'lode';

export class Transfer extends Resource {
  static async post(_target, data) {
    const from = tables.Account.update(data.from);
    const to = tables.Account.update(data.to);
    if (from.balance < data.amount) throw Object.assign(new Error('Insufficient funds'), { statusCode: 422 });
    from.subtractFrom('balance', data.amount);
    to.addTo('balance', data.amount);
    await tables.Ledger.create({ account: data.from, amount: -data.amount });
    await tables.Ledger.create({ account: data.to, amount: data.amount });
    if (data.fail) throw new Error('failed after writing');
    return { ok: true };
  }
}

export class OwnWrites extends Resource {
  static async post(_target, data) {
    await tables.Ledger.put(data.id, { account: data.account, amount: data.amount });
    await tables.Ledger.delete(data.gone);
    return {
      get: await tables.Ledger.get(data.id),
      deleted: (await tables.Ledger.get(data.gone)) ?? null,
      search: [...tables.Ledger.search('account=' + data.account + '&sort(amount)')].map((row) => row.id),
      range: [...tables.Ledger.search('amount=gt=100&sort(-amount)')].map((row) => row.id),
      count: tables.Ledger.search('account=' + data.account + '&count()'),
    };
  }
}

export class Hit extends Resource {
  static post(target) {
    tables.Counter.update(target.id).addTo('count', 1);
  }
}

export class Bump extends Resource {
  static post(target) {
    const counter = tables.Counter.update(target.id);
    counter.count = (counter.count ?? 0) + 1;
  }
}

export class Nested extends Resource {
  static async post(_target, data) {
    await tables.Ledger.put(data.id, { account: 'nested', amount: 1 });
    return transaction(async () => ({ seen: (await tables.Ledger.get(data.id)) !== undefined }));
  }
}
`;

describe('transactions over HTTP', () => {
  let app: TestApp;
  const tables = (): Record<string, typeof TableResource> => app.app.generation.tables as Record<string, typeof TableResource>;
  const balances = async (): Promise<unknown[]> => [(await app.request('/Account/a')).body, (await app.request('/Account/b')).body];
  const ledgerSize = async (): Promise<number> => ((await app.request('/Ledger/?count()')).body as { count: number }).count;

  before(async () => {
    app = await startTestApp({ files: { 'schema.graphql': schema, 'resources.ts': resources } });
    await app.request('/Account/a', { method: 'PUT', body: { balance: 100, owner: 'ann' } });
    await app.request('/Account/b', { method: 'PUT', body: { balance: 10, owner: 'bob' } });
  });
  after(() => app.close());

  test('writes across tables commit together when the handler returns', async () => {
    const response = await app.request('/Transfer/', { method: 'POST', body: { from: 'a', to: 'b', amount: 30 } });
    assert.equal(response.status, 200);
    assert.deepEqual(await balances(), [
      { id: 'a', balance: 70, owner: 'ann' },
      { id: 'b', balance: 40, owner: 'bob' },
    ]);
    assert.equal(await ledgerSize(), 2);
  });

  test('a handler that throws after writing writes nothing', async () => {
    const before = [await balances(), await ledgerSize()];
    const failed = await app.request('/Transfer/', { method: 'POST', body: { from: 'a', to: 'b', amount: 5, fail: true } });
    assert.equal(failed.status, 500);
    const refused = await app.request('/Transfer/', { method: 'POST', body: { from: 'b', to: 'a', amount: 1000 } });
    assert.equal(refused.status, 422);
    assert.deepEqual([await balances(), await ledgerSize()], before);
  });

  test('reads inside the transaction see its own writes: get, search, ranges and counts', async () => {
    await app.request('/Ledger/old', { method: 'PUT', body: { account: 'ryw', amount: 500 } });
    await app.request('/Ledger/gone', { method: 'PUT', body: { account: 'ryw', amount: 200 } });
    const response = await app.request('/OwnWrites/', { method: 'POST', body: { id: 'new', account: 'ryw', amount: 300, gone: 'gone' } });
    assert.equal(response.status, 200);
    const seen = response.body as Record<string, unknown>;
    assert.deepEqual(seen.get, { id: 'new', account: 'ryw', amount: 300 });
    assert.equal(seen.deleted, null);
    assert.deepEqual(seen.search, ['new', 'old'], 'the pending record is found through the index and the deleted one is not');
    assert.deepEqual((seen.range as string[]).slice(0, 2), ['old', 'new'], 'merged into index order, descending');
    assert.ok(!(seen.range as string[]).includes('gone'));
    assert.deepEqual(seen.count, { count: 2 });
    assert.equal((await app.request('/Ledger/gone')).status, 404);
  });

  test('a record created with a taken id is a 409, and nothing else of the request is written', async () => {
    const response = await app.request('/Account/', { method: 'POST', body: { id: 'a', balance: 1 } });
    assert.equal(response.status, 409);
    assert.equal((response.body as { code: string }).code, 'CONFLICT');
    assert.equal(((await app.request('/Account/a')).body as { balance: number }).balance, 70);
  });

  test('addTo never loses an increment: 20 concurrent clients × 500 increments', async () => {
    const client = async (): Promise<void> => {
      for (let i = 0; i < 500; i++) {
        const response = await fetch(`${app.url}/Hit/views`, { method: 'POST' });
        assert.equal(response.status, 204);
        await response.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: 20 }, client));
    assert.deepEqual((await app.request('/Counter/views')).body, { id: 'views', count: 10_000 });
  });

  test('a read-modify-write that races another is retried, never silently dropped', async () => {
    let succeeded = 0;
    const client = async (): Promise<void> => {
      for (let i = 0; i < 40; i++) {
        const response = await fetch(`${app.url}/Bump/races`, { method: 'POST' });
        if (response.status === 204) succeeded++;
        else assert.equal(((await response.json()) as { code: string }).code, 'WRITE_CONFLICT');
        if (response.bodyUsed === false) await response.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: 10 }, client));
    assert.ok(succeeded > 0);
    assert.equal(((await app.request('/Counter/races')).body as { count: number }).count, succeeded);
  });

  test('transaction() inside a request joins the request transaction', async () => {
    const response = await app.request('/Nested/', { method: 'POST', body: { id: 'nested-1' } });
    assert.deepEqual(response.body, { seen: true });
    assert.equal((await app.request('/Ledger/nested-1')).status, 200);
  });

  test('app.transaction() commits on return, aborts on throw, and reads its own writes', async () => {
    const { Ledger } = tables();
    const seen = await app.app.transaction(async () => {
      await Ledger!.put('script-1', { account: 'script', amount: 1 });
      return [...(Ledger!.search('account=script') as Iterable<{ id: string }>)].map((row) => row.id);
    });
    assert.deepEqual(seen, ['script-1']);
    assert.equal((await app.request('/Ledger/script-1')).status, 200);
    await assert.rejects(
      app.app.transaction(async () => {
        await Ledger!.put('script-2', { account: 'script', amount: 2 });
        throw new Error('changed my mind');
      }),
      /changed my mind/,
    );
    assert.equal((await app.request('/Ledger/script-2')).status, 404);
  });

  test('outside any transaction, each write commits at once', async () => {
    const { Ledger } = tables();
    await Ledger!.put('direct', { account: 'direct', amount: 3 });
    assert.equal((await app.request('/Ledger/direct')).status, 200);
    const byQuery = Ledger!.get({ conditions: [{ attribute: 'account', value: 'direct' }] }) as Iterable<{ id: string }>;
    assert.deepEqual([...byQuery].map((row) => row.id), ['direct'], 'get() with a query object searches');
  });
});
