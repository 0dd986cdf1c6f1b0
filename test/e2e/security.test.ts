import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import type { Logger } from '../../framework/src/util/index.js';
import { startTestApp, type TestApp } from '../../framework/src/testing/index.js';

const schema = `
type Product @table @export { id: ID @primaryKey  name: String @indexed  price: Float @indexed }
type Secret @table @export { id: ID @primaryKey  value: String }
`;

const roles = `
reader:
  data:
    tables:
      Product: { read: true }
editor:
  data:
    Product: { read: true, insert: true, update: true, delete: true }
clerk:
  data:
    tables:
      Product:
        read: true
        insert: true
        update: true
        attributes:
          name: { read: true, insert: true, update: true }
          price: { read: false }
`;

const resources = `
import { Resource } from 'lode';

export class Public extends Resource {
  static allowRead() {
    return true;
  }
  static get() {
    return { hello: 'world' };
  }
}

export class Internal extends Resource {
  static get() {
    return { internal: true };
  }
}
`;

const ADMIN_PASSWORD = 'correct horse battery staple';
const basic = (username: string, password: string): string => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
const people = {
  anonymous: undefined,
  reader: basic('rita', 'rita-password'),
  editor: basic('eddie', 'eddie-password'),
  admin: basic('admin', ADMIN_PASSWORD),
} as const;
type Who = keyof typeof people;

describe('authentication and authorization, secure by default', () => {
  let app: TestApp;
  const logged: string[] = [];
  const logger: Logger = { info: (message) => logged.push(message), warn: (message) => logged.push(message), error: (message, error) => logged.push(`${message} ${String(error)}`) };
  const as = (who: Who, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): { method?: string; body?: unknown; headers: Record<string, string> } => ({
    ...init,
    headers: { ...init.headers, ...(people[who] && { authorization: people[who] }) },
  });

  before(async () => {
    process.env.LODE_ADMIN_USERNAME = 'admin';
    process.env.LODE_ADMIN_PASSWORD = ADMIN_PASSWORD;
    app = await startTestApp({ files: { 'schema.graphql': schema, 'roles.yaml': roles, 'resources.ts': resources }, authorizeLocal: false, logger });
    delete process.env.LODE_ADMIN_PASSWORD;
    await app.app.auth.users.add('rita', 'rita-password', ['reader']);
    await app.app.auth.users.add('eddie', 'eddie-password', ['editor']);
    await app.app.auth.users.add('carl', 'carl-password', ['clerk']);
    for (const [path, body] of [['/Product/p1', { name: 'Lamp', price: 20 }], ['/Secret/s1', { value: 'hidden' }]] as const) {
      assert.equal((await app.request(path, as('admin', { method: 'PUT', body }))).status, 204);
    }
  });
  after(() => app.close());

  // Every route × method × role: the status each gets.
  const matrix: Array<[string, string, unknown, Record<Who, number>]> = [
    ['GET', '/Product/p1', undefined, { anonymous: 401, reader: 200, editor: 200, admin: 200 }],
    ['GET', '/Product/?price=gt=1', undefined, { anonymous: 401, reader: 200, editor: 200, admin: 200 }],
    ['PUT', '/Product/p2', { name: 'Desk' }, { anonymous: 401, reader: 403, editor: 204, admin: 204 }],
    ['PATCH', '/Product/p2', { price: 5 }, { anonymous: 401, reader: 403, editor: 204, admin: 204 }],
    ['POST', '/Product/', { name: 'Chair' }, { anonymous: 401, reader: 403, editor: 201, admin: 201 }],
    ['DELETE', '/Product/p2', undefined, { anonymous: 401, reader: 403, editor: 204, admin: 404 }],
    ['GET', '/Secret/s1', undefined, { anonymous: 401, reader: 403, editor: 403, admin: 200 }],
    ['PUT', '/Secret/s2', { value: 'x' }, { anonymous: 401, reader: 403, editor: 403, admin: 204 }],
    ['GET', '/Public', undefined, { anonymous: 200, reader: 200, editor: 200, admin: 200 }],
    ['GET', '/Internal', undefined, { anonymous: 401, reader: 403, editor: 403, admin: 200 }],
    ['GET', '/', undefined, { anonymous: 401, reader: 200, editor: 200, admin: 200 }],
    ['GET', '/health', undefined, { anonymous: 200, reader: 200, editor: 200, admin: 200 }],
  ];

  test('every route, method and role gets the status its rights give', async () => {
    for (const [method, path, body, expected] of matrix) {
      for (const who of Object.keys(people) as Who[]) {
        const response = await app.request(path, as(who, { method, ...(body !== undefined && { body }) }));
        assert.equal(response.status, expected[who], `${who} ${method} ${path}: ${response.text}`);
        if (response.status === 401) {
          assert.match(response.headers.get('www-authenticate') ?? '', /Basic realm="lode"/);
          assert.equal((response.body as { code: string }).code, 'UNAUTHORIZED');
        }
        if (response.status === 403) assert.equal((response.body as { code: string }).code, 'FORBIDDEN');
      }
    }
  });

  test('attributes a role may not read are left out of records, lists, CSV and events, and cannot be queried', async () => {
    const clerk = { authorization: basic('carl', 'carl-password') };
    assert.deepEqual((await app.request('/Product/p1', { headers: clerk })).body, { id: 'p1', name: 'Lamp' });
    assert.deepEqual((await app.request('/Product/?name=Lamp', { headers: clerk })).body, [{ id: 'p1', name: 'Lamp' }]);
    const csv = await app.request('/Product/?name=Lamp', { headers: { ...clerk, accept: 'text/csv' } });
    assert.equal(csv.text.split('\r\n')[0], 'id,name');
    for (const query of ['price=gt=1', 'name=Lamp&sort(price)', 'name=Lamp&select(name,price)', '(price=1|name=Lamp)']) {
      const refused = await app.request(`/Product/?${query}`, { headers: clerk });
      assert.equal(refused.status, 403, query);
      assert.deepEqual((refused.body as { errors: unknown[] }).errors, [{ path: 'price', message: 'may not be read' }], query);
    }
    assert.equal((await app.request('/Product/p1', { method: 'PATCH', body: { price: 1 }, headers: clerk })).status, 403);
    assert.equal((await app.request('/Product/', { method: 'POST', body: { name: 'Cheap', price: 1 }, headers: clerk })).status, 403);
    assert.equal((await app.request('/Product/p1', { method: 'PATCH', body: { name: 'Lamp' }, headers: clerk })).status, 204);
    assert.equal(((await app.request('/Product/p1', as('admin'))).body as { price: number }).price, 20, 'the refused writes wrote nothing');

    const events = await new Promise<unknown[]>((resolve, reject) => {
      const socket = new WebSocket(`${app.url.replace('http', 'ws')}/Product/p1`, { headers: clerk });
      const received: unknown[] = [];
      socket.on('message', (data) => {
        received.push(JSON.parse(String(data)));
        if (received.length === 2) void app.request('/Product/p1', as('admin', { method: 'PATCH', body: { price: 21 } }));
        if (received.length === 3) {
          socket.close();
          resolve(received);
        }
      });
      socket.once('error', reject);
    });
    for (const event of events as Array<{ type: string; value?: Record<string, unknown> }>) {
      if (event.type === 'put') assert.deepEqual(Object.keys(event.value!).sort(), ['id', 'name']);
    }
    assert.equal((events as Array<{ type: string }>).filter((event) => event.type === 'put').length, 2, 'the current record and the change');
    const queried = await new Promise<number>((resolve) => {
      const socket = new WebSocket(`${app.url.replace('http', 'ws')}/Product/?price=gt=1`, { headers: clerk });
      socket.once('close', (code) => resolve(code));
    });
    assert.equal(queried, 4403);
  });

  test('a denied write writes nothing', async () => {
    await app.request('/Product/p1', as('reader', { method: 'PUT', body: { name: 'Stolen' } }));
    assert.equal(((await app.request('/Product/p1', as('admin'))).body as { name: string }).name, 'Lamp');
  });

  test('login gives tokens: the access token authenticates, the refresh token renews it, neither does the other', async () => {
    const login = await app.request('/login', { method: 'POST', body: { username: 'rita', password: 'rita-password' } });
    assert.equal(login.status, 200);
    assert.equal(login.headers.get('cache-control'), 'no-store');
    const { operation_token: access, refresh_token: refresh } = login.body as { operation_token: string; refresh_token: string };
    assert.equal((await app.request('/Product/p1', { headers: { authorization: `Bearer ${access}` } })).status, 200);
    assert.equal((await app.request('/Product/p1', { headers: { authorization: `Bearer ${refresh}` } })).status, 401, 'a refresh token is not an access token');
    const renewed = await app.request('/refresh', { method: 'POST', headers: { authorization: `Bearer ${refresh}` } });
    assert.equal(renewed.status, 200);
    const fresh = (renewed.body as { operation_token: string }).operation_token;
    assert.equal((await app.request('/Product/p1', { headers: { authorization: `Bearer ${fresh}` } })).status, 200);
    assert.equal((await app.request('/refresh', { method: 'POST', headers: { authorization: `Bearer ${access}` } })).status, 401, 'an access token does not refresh');
  });

  test('tampered tokens, tokens of a rotated-out key and expired tokens are refused', async () => {
    const { operation_token: token } = (await app.request('/login', { method: 'POST', body: { username: 'rita', password: 'rita-password' } })).body as { operation_token: string };
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'admin' })).toString('base64url');
    const tampered = await app.request('/Secret/s1', { headers: { authorization: `Bearer ${header}.${forged}.${signature}` } });
    assert.equal(tampered.status, 401);
    const unknownKey = Buffer.from(JSON.stringify({ alg: 'HS256', kid: 'not-a-key' })).toString('base64url');
    assert.equal((await app.request('/Product/p1', { headers: { authorization: `Bearer ${unknownKey}.${payload}.${signature}` } })).status, 401);
    const expired = await app.app.auth.tokens.sign('rita', 'access', -10);
    const response = await app.request('/Product/p1', { headers: { authorization: `Bearer ${expired}` } });
    assert.equal(response.status, 401);
    assert.match((response.body as { detail: string }).detail, /expired/);
    await app.app.auth.tokens.rotate();
    assert.equal((await app.request('/Product/p1', { headers: { authorization: `Bearer ${token}` } })).status, 200, 'tokens of the previous key stay valid');
  });

  test('repeated failed logins back off (429 with Retry-After), even for the right password', async () => {
    const wrong = { method: 'POST', body: { username: 'eddie', password: 'guess' } };
    for (let attempt = 1; attempt <= 6; attempt++) assert.equal((await app.request('/login', wrong)).status, 401, `attempt ${attempt}`);
    const blocked = await app.request('/login', { method: 'POST', body: { username: 'eddie', password: 'eddie-password' } });
    assert.equal(blocked.status, 429);
    assert.equal((blocked.body as { code: string }).code, 'TOO_MANY_ATTEMPTS');
    assert.match(blocked.headers.get('retry-after') ?? '', /^\d+$/);
    assert.equal((await app.request('/login', { method: 'POST', body: { username: 'rita', password: 'rita-password' } })).status, 200, 'other users are not held back');
  });

  test('bad credentials and hostile bodies are clear 4xx, never echoing a password', async () => {
    for (const authorization of ['Basic !!!', 'Basic ' + Buffer.from('no-colon').toString('base64'), 'Digest abc', basic('rita', 'wrong-password'), 'Bearer not.a.jwt']) {
      const response = await app.request('/Product/p1', { headers: { authorization } });
      assert.equal(response.status, 401, authorization);
      assert.ok(!response.text.includes('wrong-password'));
    }
    for (const body of ['{"__proto__": {"admin": true}, "username": "rita"}', '[1,2]', '{"username": 5, "password": "x"}', '{bad json']) {
      const response = await app.request('/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.equal(response.status, 400, body);
    }
    const injected = await app.request('/Product/p1', { headers: { authorization: basic('rita\r\nSet-Cookie: admin=1', 'x') } });
    assert.equal(injected.status, 401);
    assert.equal(injected.headers.get('set-cookie'), null, 'credentials never reach a response header');
    const polluted = await app.request('/Product/p9', as('editor', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"name": "x", "__proto__": {"roles": ["super_user"]}}' }));
    assert.equal(polluted.status, 400);
    assert.equal(({} as Record<string, unknown>).roles, undefined);
    assert.ok(!logged.some((line) => line.includes(ADMIN_PASSWORD) || line.includes('rita-password')), 'no password in the log');
  });

  test('WebSocket and SSE check the same rights (close code 4401/4403, or 401/403)', async () => {
    const close = (headers: Record<string, string>, path = '/Product/'): Promise<number | 'open'> =>
      new Promise((resolve) => {
        const socket = new WebSocket(`${app.url.replace('http', 'ws')}${path}`, { headers });
        socket.once('message', () => {
          socket.close();
          resolve('open');
        });
        socket.once('close', (code) => resolve(code));
      });
    assert.equal(await close({}), 4401);
    assert.equal(await close({ authorization: people.reader }, '/Secret/'), 4403);
    assert.equal(await close({ authorization: people.reader }), 'open');
    const sse = (who: Who): Promise<Response> => fetch(`${app.url}/Product/`, { headers: { accept: 'text/event-stream', ...(people[who] && { authorization: people[who] }) } });
    assert.equal((await sse('anonymous')).status, 401);
    const allowed = await sse('reader');
    assert.equal(allowed.status, 200);
    await allowed.body?.cancel();
  });

  test('open streams are closed when their rights go: roles.yaml reloaded (4403), user removed (4401)', async () => {
    const open = (authorization: string): Promise<{ closed: Promise<number> }> =>
      new Promise((resolve, reject) => {
        const socket = new WebSocket(`${app.url.replace('http', 'ws')}/Product/`, { headers: { authorization } });
        const closed = new Promise<number>((done) => socket.once('close', (code) => done(code)));
        socket.once('message', () => resolve({ closed }));
        socket.once('error', reject);
      });
    await app.app.auth.users.add('tess', 'tess-password', ['editor']);
    const reader = await open(people.reader);
    const editor = await open(basic('tess', 'tess-password'));
    await writeFile(join(app.app.dir, 'roles.yaml'), roles.replace('Product: { read: true }', 'Product: { read: false }'));
    assert.equal((await app.app.reload()).ok, true);
    assert.equal(await reader.closed, 4403);
    assert.equal((await app.request('/Product/p1', as('reader'))).status, 403, 'and the next request is refused too');
    await app.app.auth.users.remove('tess');
    app.app.auth.forget();
    app.app.server.recheckLiveConnections();
    assert.equal(await editor.closed, 4401);
    await writeFile(join(app.app.dir, 'roles.yaml'), roles);
    await app.app.reload();
  });
});

test('lode run refuses to start with no users (and no dev mode), saying how to add one', async () => {
  delete process.env.LODE_ADMIN_USERNAME;
  delete process.env.LODE_ADMIN_PASSWORD;
  await assert.rejects(startTestApp({ files: { 'schema.graphql': schema }, authorizeLocal: false }), /LODE_ADMIN_USERNAME/);
});
