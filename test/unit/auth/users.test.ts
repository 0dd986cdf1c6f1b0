import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { UserDirectory } from '../../../framework/src/auth/index.js';
import { SystemStore } from '../../../framework/src/storage/index.js';

describe('UserDirectory', () => {
  let dataDir: string;
  let store: SystemStore;
  let users: UserDirectory;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lode-users-'));
    store = new SystemStore(dataDir);
    users = new UserDirectory(store);
  });
  afterEach(async () => {
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('add, get, list and size; nothing but the name and roles comes back', async () => {
    assert.equal(users.size, 0);
    assert.deepEqual(await users.add('rita', 'rita-password', ['reader']), { username: 'rita', roles: ['reader'] });
    await users.add('admin', 'admin-password', ['super_user']);
    assert.equal(users.size, 2);
    assert.deepEqual(users.get('rita'), { username: 'rita', roles: ['reader'] });
    assert.equal(users.get('nobody'), undefined);
    assert.deepEqual(users.list(), [
      { username: 'admin', roles: ['super_user'] },
      { username: 'rita', roles: ['reader'] },
    ]);
    assert.doesNotMatch(JSON.stringify([users.list(), users.get('rita')]), /scrypt|password/);
  });

  test('the password is stored as a scrypt hash, never as given', async () => {
    await users.add('rita', 'rita-password', []);
    const stored = store.get<{ passwordHash: string }>('user', 'rita');
    assert.match(stored!.passwordHash, /^scrypt\$/);
    assert.doesNotMatch(JSON.stringify(stored), /rita-password/);
  });

  test('verify: the user for the right password, undefined for a wrong one or an unknown name', async () => {
    await users.add('rita', 'rita-password', ['reader']);
    assert.deepEqual(await users.verify('rita', 'rita-password'), { username: 'rita', roles: ['reader'] });
    assert.equal(await users.verify('rita', 'Rita-password'), undefined);
    assert.equal(await users.verify('rita', ''), undefined);
    assert.equal(await users.verify('ghost', 'rita-password'), undefined);
  });

  test('an unknown name costs about as much as a wrong password (scrypt runs either way)', async () => {
    await users.add('rita', 'rita-password', []);
    const median = async (check: () => Promise<unknown>): Promise<number> => {
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const started = performance.now();
        await check();
        times.push(performance.now() - started);
      }
      return times.sort((a, b) => a - b)[1]!;
    };
    const known = await median(() => users.verify('rita', 'wrong-password'));
    const unknown = await median(() => users.verify('ghost', 'wrong-password'));
    assert.ok(unknown > known / 4, `unknown user ${unknown.toFixed(1)} ms, known user ${known.toFixed(1)} ms`);
  });

  test('setPassword replaces the password; setRoles the roles', async () => {
    await users.add('rita', 'rita-password', ['reader']);
    await users.setPassword('rita', 'new-password');
    assert.equal(await users.verify('rita', 'rita-password'), undefined);
    assert.ok(await users.verify('rita', 'new-password'));
    await users.setRoles('rita', ['editor', 'reader']);
    assert.deepEqual(users.get('rita'), { username: 'rita', roles: ['editor', 'reader'] });
    assert.ok(await users.verify('rita', 'new-password'), 'setRoles keeps the password');
    await assert.rejects(users.setPassword('ghost', 'new-password'), { code: 'NOT_FOUND', message: 'There is no user ghost' });
    await assert.rejects(users.setRoles('ghost', []), { code: 'NOT_FOUND' });
    await assert.rejects(users.setPassword('rita', 'short'), { code: 'BAD_REQUEST', message: 'A password has at least 8 characters' });
    assert.ok(await users.verify('rita', 'new-password'), 'a refused password changes nothing');
  });

  test('remove: the user and their password are gone', async () => {
    await users.add('rita', 'rita-password', []);
    await users.add('sam', 'sam-password', []);
    assert.equal(await users.remove('rita'), true);
    assert.equal(users.get('rita'), undefined);
    assert.equal(await users.verify('rita', 'rita-password'), undefined);
    assert.deepEqual(users.list(), [{ username: 'sam', roles: [] }]);
  });

  test('a name taken already is a conflict and keeps the first password', async () => {
    await users.add('rita', 'rita-password', ['reader']);
    await assert.rejects(users.add('rita', 'other-password', ['super_user']), { code: 'CONFLICT', message: 'There is already a user rita' });
    assert.deepEqual(await users.verify('rita', 'rita-password'), { username: 'rita', roles: ['reader'] });
  });

  test('username rules: 1 to 128 of letters, digits and . _ @ -', async () => {
    for (const good of ['a', 'A9', 'rita.smith', 'r_s', 'rita@example.com', 'x-y', 'a'.repeat(128)]) {
      await users.add(good, 'long-enough', []);
    }
    for (const bad of ['', 'a'.repeat(129), 'rita smith', 'rita/smith', 'rita:x', 'ríta', '../etc', 'a\nb', 'tab\t']) {
      await assert.rejects(users.add(bad, 'long-enough', []), { code: 'BAD_REQUEST', message: 'A username is 1 to 128 letters, digits, or . _ @ -' }, JSON.stringify(bad));
    }
    assert.equal(users.size, 7);
  });

  test('a password has at least 8 characters', async () => {
    await assert.rejects(users.add('rita', '1234567', []), { code: 'BAD_REQUEST', message: 'A password has at least 8 characters' });
    await users.add('rita', '12345678', []);
    assert.equal(users.size, 1);
  });

  test('users persist in the data directory, and another store on it sees changes at once', async () => {
    await users.add('rita', 'rita-password', ['reader']);
    const other = new SystemStore(dataDir);
    try {
      const seen = new UserDirectory(other);
      assert.deepEqual(seen.get('rita'), { username: 'rita', roles: ['reader'] });
      await seen.add('sam', 'sam-password', []);
      assert.deepEqual(users.get('sam'), { username: 'sam', roles: [] });
    } finally {
      await other.close();
    }
  });
});
