import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { startTestApp, type TestApp, type TestRequest } from '../../framework/src/testing/index.js';

const schema = `
type Product @table @export { id: ID @primaryKey  name: String  price: Float }
type Secret @table @export { id: ID @primaryKey  value: String }
`;

const roles = `
reader:
  data:
    Product: { read: true }
editor:
  data:
    Product: { read: true, insert: true, update: true, delete: true }
`;

// A login page of the app's own, through getContext().login()/logout() (Harper's request.login).
const resources = `
import { Resource, getContext } from 'lode';

export class SignIn extends Resource {
  static allowCreate() {
    return true;
  }
  static async post(_target, data) {
    const context = getContext();
    await context.login(data.username, data.password);
    return { username: context.user.username };
  }
}

export class SignOut extends Resource {
  static allowCreate() {
    return true;
  }
  static async post() {
    await getContext().logout();
    return { user: getContext().user ?? null };
  }
}

export class Whoami extends Resource {
  static allowRead() {
    return true;
  }
  static get() {
    return { username: getContext().user?.username ?? null };
  }
}
`;

const config = (sessions: unknown): string => `graphqlSchema: '*.graphql'
jsResource: 'resources.ts'
rest: true
authentication:
  enableSessions: ${String(sessions)}
`;

const ADMIN_PASSWORD = 'correct horse battery staple';
const COOKIE = /^lode-session=([A-Za-z0-9_-]{43}); HttpOnly; SameSite=Lax; Path=\/$/;
const basic = (username: string, password: string): string => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

async function startApp(sessions: unknown): Promise<TestApp> {
  process.env.LODE_ADMIN_USERNAME = 'admin';
  process.env.LODE_ADMIN_PASSWORD = ADMIN_PASSWORD;
  try {
    const app = await startTestApp({ files: { 'schema.graphql': schema, 'roles.yaml': roles, 'resources.ts': resources, 'config.yaml': config(sessions) }, authorizeLocal: false });
    await app.app.auth.users.add('rita', 'rita-password', ['reader']);
    await app.app.auth.users.add('eddie', 'eddie-password', ['editor']);
    return app;
  } finally {
    delete process.env.LODE_ADMIN_USERNAME;
    delete process.env.LODE_ADMIN_PASSWORD;
  }
}

/** The value of the `lode-session` cookie a response sets (asserting its attributes), or undefined. */
function sessionFrom(setCookie: string | null): string | undefined {
  if (setCookie === null) return undefined;
  const match = COOKIE.exec(setCookie);
  assert.ok(match, `unexpected Set-Cookie: ${setCookie}`);
  return match[1];
}

describe('cookie sessions (authentication.enableSessions: true)', () => {
  let app: TestApp;
  let origin: string;
  const withCookie = (id: string, init: TestRequest = {}): TestRequest => ({ ...init, headers: { ...init.headers, cookie: `theme=dark; lode-session=${id}; other=1` } });
  const login = async (username: string, password: string, query = '', body: Record<string, unknown> = { session: true }): Promise<string> => {
    const response = await app.request(`/login${query}`, { method: 'POST', body: { username, password, ...body } });
    assert.equal(response.status, 200, response.text);
    const id = sessionFrom(response.headers.get('set-cookie'));
    assert.ok(id, 'login set no session cookie');
    return id;
  };

  before(async () => {
    app = await startApp(true);
    origin = app.url;
    assert.equal((await app.request('/Product/p1', { method: 'PUT', headers: { authorization: basic('admin', ADMIN_PASSWORD) }, body: { name: 'Lamp', price: 20 } })).status, 204);
    assert.equal((await app.request('/Secret/s1', { method: 'PUT', headers: { authorization: basic('admin', ADMIN_PASSWORD) }, body: { value: 'hidden' } })).status, 204);
  });
  after(() => app.close());

  test('login with "session": true sets an HttpOnly, SameSite=Lax cookie beside the tokens; Secure behind a TLS proxy', async () => {
    const response = await app.request('/login', { method: 'POST', body: { username: 'rita', password: 'rita-password', session: true } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.ok(sessionFrom(response.headers.get('set-cookie')));
    assert.equal(typeof (response.body as { operation_token: unknown }).operation_token, 'string');
    assert.ok(!response.text.includes(sessionFrom(response.headers.get('set-cookie'))!), 'the session id is only in the cookie');

    assert.ok(await login('rita', 'rita-password', '?session'), '?session asks for a cookie too');
    const plain = await app.request('/login', { method: 'POST', body: { username: 'rita', password: 'rita-password' } });
    assert.equal(plain.status, 200);
    assert.equal(plain.headers.get('set-cookie'), null, 'no cookie unless asked for');

    const proxied = await app.request('/login', { method: 'POST', headers: { 'x-forwarded-proto': 'https' }, body: { username: 'rita', password: 'rita-password', session: true } });
    assert.match(proxied.headers.get('set-cookie') ?? '', /^lode-session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Lax; Path=\/; Secure$/);

    const wrong = await app.request('/login', { method: 'POST', body: { username: 'rita', password: 'not-her-password', session: true } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('set-cookie'), null);
  });

  test('the cookie is the user over REST, with that user’s rights', async () => {
    const id = await login('rita', 'rita-password');
    assert.equal((await app.request('/Product/p1')).status, 401, 'without the cookie');
    const read = await app.request('/Product/p1', withCookie(id));
    assert.equal(read.status, 200, read.text);
    assert.equal((read.body as { name: string }).name, 'Lamp');
    assert.equal((await app.request('/Secret/s1', withCookie(id))).status, 403, 'a reader may not read Secret');
    assert.deepEqual((await app.request('/Whoami', withCookie(id))).body, { username: 'rita' });
    // An Authorization header wins over the cookie.
    assert.deepEqual((await app.request('/Whoami', withCookie(id, { headers: { authorization: basic('eddie', 'eddie-password') } }))).body, { username: 'eddie' });
  });

  test('the cookie authenticates SSE and WebSocket; a WebSocket also needs this origin', async () => {
    const id = await login('rita', 'rita-password');
    const cookie = `lode-session=${id}`;
    const sse = await fetch(`${app.url}/Product/`, { headers: { accept: 'text/event-stream', cookie } });
    assert.equal(sse.status, 200);
    assert.match(sse.headers.get('content-type') ?? '', /text\/event-stream/);
    await sse.body?.cancel();
    const deniedSse = await fetch(`${app.url}/Secret/`, { headers: { accept: 'text/event-stream', cookie } });
    assert.equal(deniedSse.status, 403);
    await deniedSse.body?.cancel();

    const socket = (path: string, options: { headers?: Record<string, string>; origin?: string }): Promise<number | 'open'> =>
      new Promise((resolve) => {
        const ws = new WebSocket(`${app.url.replace('http', 'ws')}${path}`, options);
        ws.once('message', () => {
          ws.close();
          resolve('open');
        });
        ws.once('close', (code) => resolve(code));
      });
    assert.equal(await socket('/Product/', { headers: { cookie }, origin }), 'open');
    assert.equal(await socket('/Product/', {}), 4401, 'no cookie');
    assert.equal(await socket('/Secret/', { headers: { cookie }, origin }), 4403, 'the user’s rights apply');
    assert.equal(await socket('/Product/', { headers: { cookie }, origin: 'http://evil.example' }), 4403, 'another origin');
    assert.equal(await socket('/Product/', { headers: { cookie } }), 4403, 'no origin');
  });

  test('a write on the strength of the cookie must come from this origin (CSRF)', async () => {
    const id = await login('eddie', 'eddie-password');
    const write = (headers: Record<string, string>, price: number): Promise<number> =>
      app.request('/Product/p1', withCookie(id, { method: 'PATCH', headers, body: { price } })).then((response) => response.status);
    assert.equal(await write({}, 1), 403, 'no Origin');
    assert.equal(await write({ origin: 'http://evil.example' }, 2), 403, 'another origin');
    assert.equal(await write({ origin: 'null' }, 3), 403, 'an opaque origin');
    assert.equal(await write({ 'sec-fetch-site': 'same-site' }, 4), 403, 'a sibling site');
    assert.equal(await write({ origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' }, 5), 403);
    const forbidden = await app.request('/Product/', withCookie(id, { method: 'POST', headers: { origin: 'http://evil.example' }, body: { name: 'Forged' } }));
    assert.equal(forbidden.status, 403);
    assert.equal((forbidden.body as { code: string }).code, 'FORBIDDEN');
    assert.equal(((await app.request('/Product/p1', withCookie(id))).body as { price: number }).price, 20, 'nothing was written');
    assert.equal(await write({ origin }, 6), 204, 'same Origin');
    assert.equal(await write({ 'sec-fetch-site': 'same-origin' }, 7), 204, 'Sec-Fetch-Site: same-origin');
    assert.equal(((await app.request('/Product/p1', withCookie(id))).body as { price: number }).price, 7);
    // Credentials a page elsewhere cannot send on its own are not subject to the origin rule.
    assert.equal((await app.request('/Product/p1', withCookie(id, { method: 'PATCH', headers: { origin: 'http://evil.example', authorization: basic('eddie', 'eddie-password') }, body: { price: 20 } }))).status, 204);
    assert.equal((await app.request('/login', { method: 'POST', headers: { origin: 'http://evil.example' }, body: { username: 'rita', password: 'rita-password', session: true } })).status, 403, 'no login CSRF');
  });

  test('logout ends the session and drops the cookie; the old cookie is then a 401', async () => {
    const id = await login('rita', 'rita-password');
    const other = await login('rita', 'rita-password');
    assert.equal((await app.request('/logout', withCookie(id, { method: 'POST', headers: { origin: 'http://evil.example' } }))).status, 403, 'a logout from elsewhere');
    assert.equal((await app.request('/Product/p1', withCookie(id))).status, 200, 'still logged in');
    const logout = await app.request('/logout', withCookie(id, { method: 'POST', headers: { origin } }));
    assert.equal(logout.status, 204);
    assert.match(logout.headers.get('set-cookie') ?? '', /^lode-session=; .*Max-Age=0/);
    const stale = await app.request('/Product/p1', withCookie(id));
    assert.equal(stale.status, 401);
    assert.equal((stale.body as { code: string }).code, 'UNAUTHORIZED');
    assert.match(stale.headers.get('www-authenticate') ?? '', /Basic realm="lode"/);
    assert.match(stale.headers.get('set-cookie') ?? '', /Max-Age=0/, 'a dead cookie is dropped');
    assert.equal((await app.request('/Whoami', withCookie(id))).status, 401, 'even where anonymous users may read');
    assert.equal((await app.request('/Product/p1', withCookie(other))).status, 200, 'other sessions of the user live on');
    assert.equal((await app.request('/logout', { method: 'POST' })).status, 204, 'logging out without a session is harmless');
  });

  test('an expired session, a forged cookie and a removed user are 401', async () => {
    const expired = await app.app.auth.sessions!.create('rita', -1);
    assert.equal((await app.request('/Product/p1', withCookie(expired))).status, 401);
    assert.ok((await app.app.auth.sessions!.removeExpired()) >= 1, 'expired sessions are swept');
    for (const forged of ['A'.repeat(43), 'short', '../../etc', '']) {
      assert.equal((await app.request('/Product/p1', withCookie(forged))).status, 401, `forged cookie ${JSON.stringify(forged)}`);
    }
    await app.app.auth.users.add('temp', 'temp-password', ['reader']);
    const id = await login('temp', 'temp-password');
    assert.equal((await app.request('/Product/p1', withCookie(id))).status, 200);
    await app.app.auth.users.remove('temp');
    assert.equal((await app.request('/Product/p1', withCookie(id))).status, 401);
  });

  test('getContext().login()/logout() let the app’s own resources open and end sessions', async () => {
    const wrong = await app.request('/SignIn', { method: 'POST', body: { username: 'rita', password: 'wrong-password' } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('set-cookie'), null);
    const signIn = await app.request('/SignIn', { method: 'POST', headers: { origin }, body: { username: 'rita', password: 'rita-password' } });
    assert.equal(signIn.status, 200, signIn.text);
    assert.deepEqual(signIn.body, { username: 'rita' });
    const id = sessionFrom(signIn.headers.get('set-cookie'))!;
    assert.ok(id);
    assert.equal((await app.request('/Product/p1', withCookie(id))).status, 200);
    const signOut = await app.request('/SignOut', withCookie(id, { method: 'POST', headers: { origin } }));
    assert.equal(signOut.status, 200, signOut.text);
    assert.deepEqual(signOut.body, { user: null });
    assert.match(signOut.headers.get('set-cookie') ?? '', /^lode-session=; .*Max-Age=0/);
    assert.equal((await app.request('/Product/p1', withCookie(id))).status, 401);
  });
});

describe('without sessions (the default)', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp(false);
  });
  after(() => app.close());

  test('login sets no cookie, a session cookie is ignored, and getContext().login() says sessions are off', async () => {
    const response = await app.request('/login?session', { method: 'POST', body: { username: 'rita', password: 'rita-password', session: true } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('set-cookie'), null);
    assert.equal(app.app.auth.sessions, undefined);
    const forged = { headers: { cookie: `lode-session=${'A'.repeat(43)}` } };
    assert.equal((await app.request('/Product/', forged)).status, 401);
    assert.deepEqual((await app.request('/Whoami', forged)).body, { username: null }, 'the cookie is not a credential at all');
    const signIn = await app.request('/SignIn', { method: 'POST', body: { username: 'rita', password: 'rita-password' } });
    assert.equal(signIn.status, 500);
    assert.match((signIn.body as { detail: string }).detail, /enableSessions/);
    assert.equal(signIn.headers.get('set-cookie'), null);
    const logout = await app.request('/logout', { method: 'POST', ...forged });
    assert.equal(logout.status, 204);
    assert.equal(logout.headers.get('set-cookie'), null);
  });
});

test('authentication.enableSessions must be a boolean', async () => {
  await assert.rejects(startApp('yes'), /authentication\.enableSessions must be true or false/);
});
