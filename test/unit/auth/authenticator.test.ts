import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { Authenticator, defaultAuthOptions, isLoopback, LOCAL_SUPER_USER, type AuthOptions, type User } from '../../../framework/src/auth/index.js';
import { SystemStore } from '../../../framework/src/storage/index.js';

const basic = (username: string, password: string): string => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
const RITA = { username: 'rita', roles: ['reader'] };
const LOOPBACK = ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1', '0000:0000:0000:0000:0000:0000:0000:0001'];
const REMOTE = ['10.0.0.1', '192.168.1.20', '128.0.0.1', '::ffff:10.0.0.1', '2001:db8::1', '::2', ''];

describe('Authenticator', () => {
  let dataDir: string;
  let store: SystemStore;

  const open = async (options: Partial<AuthOptions> = {}): Promise<Authenticator> => {
    const auth = await Authenticator.open(store, { ...defaultAuthOptions, ...options });
    if (!auth.users.get('rita')) await auth.users.add('rita', 'rita-password', ['reader']);
    return auth;
  };
  /** The error `attempt` fails with, or undefined when it succeeds. */
  const failure = async (attempt: () => unknown): Promise<{ code: string; message: string; retryAfter?: string } | undefined> => {
    try {
      await attempt();
      return undefined;
    } catch (error) {
      const { code, message, headers } = error as { code: string; message: string; headers?: Record<string, string> };
      return { code, message, ...(headers?.['Retry-After'] !== undefined && { retryAfter: headers['Retry-After'] }) };
    }
  };

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lode-authenticator-'));
    store = new SystemStore(dataDir);
  });
  afterEach(async () => {
    mock.timers.reset();
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('isLoopback: the 127/8 block and IPv6 ::1, in their usual spellings', () => {
    for (const ip of LOOPBACK) assert.equal(isLoopback(ip), true, ip);
    for (const ip of REMOTE) assert.equal(isLoopback(ip), false, ip);
  });

  test('authorizeLocal: an anonymous loopback request is the local super user, any other stays anonymous', async () => {
    const auth = await open({ authorizeLocal: true });
    for (const ip of LOOPBACK) assert.equal(auth.authenticate(undefined, () => ip), LOCAL_SUPER_USER, ip);
    for (const ip of REMOTE) assert.equal(auth.authenticate(undefined, () => ip), undefined, ip);
    assert.equal(auth.authenticate('', () => '127.0.0.1'), LOCAL_SUPER_USER);
    assert.deepEqual(LOCAL_SUPER_USER.roles, ['super_user']);
    assert.deepEqual(await auth.authenticate(basic('rita', 'rita-password'), () => '127.0.0.1'), RITA, 'credentials win over the loopback address');
  });

  test('a server listening on loopback only has only local peers: authorizeLocal does not read the address', async () => {
    const auth = await open({ authorizeLocal: true, loopbackOnly: true });
    assert.equal(auth.authenticate(undefined, () => assert.fail('the address was read')), LOCAL_SUPER_USER);
  });

  test('without authorizeLocal, loopback is anonymous like anywhere else, and the address is not even read', async () => {
    const auth = await open();
    let reads = 0;
    assert.equal(auth.authenticate(undefined, () => (reads++, '127.0.0.1')), undefined);
    assert.equal(reads, 0);
  });

  test('Basic: the user for the right password; 401 for a wrong one, an unknown user or a malformed header', async () => {
    const auth = await open();
    const ip = (): string => '10.0.0.1';
    assert.deepEqual(await auth.authenticate(basic('rita', 'rita-password'), ip), RITA);
    assert.deepEqual(await auth.authenticate(`basic   ${Buffer.from('rita:rita-password').toString('base64')}`, ip), RITA, 'the scheme is case-insensitive');
    for (const header of [basic('rita', 'wrong-password'), basic('ghost', 'rita-password')]) {
      assert.deepEqual(await failure(() => auth.authenticate(header, ip)), { code: 'UNAUTHORIZED', message: 'Wrong username or password' });
    }
    assert.deepEqual(await failure(() => auth.authenticate(`Basic ${Buffer.from('no colon').toString('base64')}`, ip)), {
      code: 'UNAUTHORIZED',
      message: 'Basic credentials must be base64 of username:password',
    });
    for (const header of ['Digest abc', 'Negotiate', 'rita:rita-password']) {
      assert.deepEqual(await failure(() => auth.authenticate(header, ip)), { code: 'UNAUTHORIZED', message: 'Authorization must be Basic or Bearer' }, header);
    }
  });

  test('Basic logins are cached: the next request answers at once, until forget() or 30 seconds', async () => {
    mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const auth = await open();
    const header = basic('rita', 'rita-password');
    const ip = (): string => '10.0.0.1';
    const first = auth.authenticate(header, ip);
    assert.ok(first instanceof Promise, 'the first check runs scrypt');
    assert.deepEqual(await first, RITA);
    assert.deepEqual(auth.authenticate(header, ip), RITA, 'a cached login is answered synchronously');
    await auth.users.setPassword('rita', 'changed-password');
    assert.deepEqual(auth.authenticate(header, ip), RITA, 'still cached after a password change');
    mock.timers.tick(29_000);
    assert.deepEqual(auth.authenticate(header, ip), RITA);
    mock.timers.tick(1_001);
    assert.deepEqual(await failure(() => auth.authenticate(header, ip)), { code: 'UNAUTHORIZED', message: 'Wrong username or password' }, 'expired after 30 s');

    const current = basic('rita', 'changed-password');
    assert.deepEqual(await auth.authenticate(current, ip), RITA);
    assert.deepEqual(auth.authenticate(current, ip), RITA);
    auth.forget();
    const checked = auth.authenticate(current, ip);
    assert.ok(checked instanceof Promise, 'forget() drops cached logins');
    assert.deepEqual(await checked, RITA);
  });

  test('requests with the same Basic credentials at the same time share one password check, from one address', async () => {
    const auth = await open();
    const header = basic('rita', 'rita-password');
    const verify = auth.users.verify.bind(auth.users);
    let checks = 0;
    auth.users.verify = (username, password) => {
      checks++;
      return verify(username, password);
    };
    const here = (): string => '10.0.0.1';
    const together = [auth.authenticate(header, here), auth.authenticate(header, here), auth.authenticate(header, here)];
    assert.ok(together.every((answer) => answer instanceof Promise));
    assert.deepEqual(await Promise.all(together), [RITA, RITA, RITA]);
    assert.equal(checks, 1, 'one scrypt for three requests');
    auth.forget();
    const elsewhere = [auth.authenticate(header, here), auth.authenticate(header, () => '10.0.0.2')];
    assert.deepEqual(await Promise.all(elsewhere), [RITA, RITA]);
    assert.equal(checks, 3, 'another address is checked on its own (failures back off per address)');

    const wrong = basic('rita', 'wrong-password');
    const refused = await Promise.all([failure(() => auth.authenticate(wrong, here)), failure(() => auth.authenticate(wrong, here))]);
    assert.deepEqual(refused.map((error) => error?.code), ['UNAUTHORIZED', 'UNAUTHORIZED'], 'a shared failed check fails every request waiting on it');
    const retried = auth.authenticate(wrong, here);
    assert.ok(retried instanceof Promise, 'a finished check is not reused');
    assert.equal((await failure(() => retried))?.code, 'UNAUTHORIZED');
    assert.equal(checks, 5);
  });

  test('a failed Basic login is never cached', async () => {
    const auth = await open();
    const ip = (): string => '10.0.0.1';
    await failure(() => auth.authenticate(basic('rita', 'wrong-password'), ip));
    const again = auth.authenticate(basic('rita', 'wrong-password'), ip);
    assert.ok(again instanceof Promise, 'the password is checked again');
    assert.equal((await failure(() => again))?.code, 'UNAUTHORIZED');
  });

  test('backoff: five free failures, then waits doubling from 1 s up to 15 minutes, per name and address', async () => {
    mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const auth = await open();
    await auth.users.add('sam', 'sam-password', []);
    const wrong = (): Promise<unknown> => auth.login('rita', 'wrong-password', '10.0.0.1');
    for (let i = 0; i < 5; i++) assert.equal((await failure(wrong))?.code, 'UNAUTHORIZED', `free failure ${i + 1}`);
    const waits: string[] = [];
    let waitMs = 0;
    for (let i = 0; i < 12; i++) {
      mock.timers.tick(waitMs);
      assert.equal((await failure(wrong))?.code, 'UNAUTHORIZED', 'after the wait, the password is checked again');
      const held = await failure(() => auth.login('rita', 'rita-password', '10.0.0.1'));
      assert.equal(held?.code, 'TOO_MANY_ATTEMPTS', 'meanwhile even the right password waits');
      assert.equal(held.message, 'Too many failed logins for rita; try again later');
      waits.push(held.retryAfter!);
      waitMs = Number(held.retryAfter) * 1000;
    }
    assert.deepEqual(waits, ['1', '2', '4', '8', '16', '32', '64', '128', '256', '512', '900', '900']);
    assert.equal(await failure(() => auth.login('rita', 'rita-password', '10.0.0.2')), undefined, 'another address is not held back');
    assert.equal(await failure(() => auth.login('sam', 'sam-password', '10.0.0.1')), undefined, 'another user is not held back');
    mock.timers.tick(899_000);
    assert.equal((await failure(() => auth.login('rita', 'rita-password', '10.0.0.1')))?.retryAfter, '1');
    mock.timers.tick(1_000);
    assert.equal(await failure(() => auth.login('rita', 'rita-password', '10.0.0.1')), undefined, 'the right password after the wait');
    for (let i = 0; i < 5; i++) assert.equal((await failure(wrong))?.code, 'UNAUTHORIZED', 'a success starts the count again');
    assert.equal((await failure(wrong))?.code, 'UNAUTHORIZED');
    assert.equal((await failure(wrong))?.retryAfter, '1');
  });

  test('Basic requests share the backoff of their name and address', async () => {
    mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const auth = await open();
    for (let i = 0; i < 6; i++) await failure(() => auth.authenticate(basic('rita', 'wrong-password'), () => '10.0.0.9'));
    assert.deepEqual(await failure(() => auth.authenticate(basic('rita', 'rita-password'), () => '10.0.0.9')), {
      code: 'TOO_MANY_ATTEMPTS',
      message: 'Too many failed logins for rita; try again later',
      retryAfter: '1',
    });
  });

  test('login gives an access token for Bearer and a refresh token for /refresh', async () => {
    const auth = await open();
    const { operation_token: access, refresh_token: refresh } = await auth.login('rita', 'rita-password', '10.0.0.1');
    assert.deepEqual(await auth.authenticate(`Bearer ${access}`, () => '10.0.0.1'), RITA);
    await assert.rejects(async () => auth.authenticate(`Bearer ${refresh}`, () => '10.0.0.1'), { code: 'UNAUTHORIZED', message: 'Not an access token' });
    const renewed = await auth.refresh(`Bearer ${refresh}`);
    assert.deepEqual(await auth.authenticate(`Bearer ${renewed.operation_token}`, () => '10.0.0.1'), RITA);
    await assert.rejects(auth.refresh(`Bearer ${access}`), { code: 'UNAUTHORIZED' });
    await assert.rejects(auth.refresh(undefined), { code: 'UNAUTHORIZED', message: 'Send the refresh token as Authorization: Bearer <token>' });
    await assert.rejects(auth.login('rita', 42, '10.0.0.1'), (error: { code: string; errors: unknown }) => error.code === 'BAD_REQUEST' && JSON.stringify(error.errors) === '[{"path":"password","message":"must be a string"}]');
    await assert.rejects(auth.login(undefined, 'x', '10.0.0.1'), (error: { errors: unknown }) => JSON.stringify(error.errors) === '[{"path":"username","message":"must be a string"}]');
  });

  test('the tokens of a removed user stop working at once', async () => {
    const auth = await open();
    const { operation_token: access, refresh_token: refresh } = await auth.login('rita', 'rita-password', '10.0.0.1');
    await auth.users.remove('rita');
    await assert.rejects(async () => auth.authenticate(`Bearer ${access}`, () => '10.0.0.1'), { code: 'UNAUTHORIZED', message: 'The user of this token no longer exists' });
    await assert.rejects(auth.refresh(`Bearer ${refresh}`), { code: 'UNAUTHORIZED', message: 'The user of this token no longer exists' });
  });

  test('a Bearer token sees role changes at once', async () => {
    const auth = await open();
    const { operation_token: access } = await auth.login('rita', 'rita-password', '10.0.0.1');
    await auth.users.setRoles('rita', ['editor']);
    assert.deepEqual(await auth.authenticate(`Bearer ${access}`, () => '10.0.0.1'), { username: 'rita', roles: ['editor'] } satisfies User);
  });
});
