import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeProtectedHeader, SignJWT, UnsecuredJWT } from 'jose';
import { TokenSigner } from '../../../framework/src/auth/index.js';
import { SystemStore } from '../../../framework/src/storage/index.js';

describe('TokenSigner', () => {
  let root: string;
  const stores: SystemStore[] = [];
  const storeAt = (name: string): SystemStore => {
    const store = new SystemStore(join(root, name));
    stores.push(store);
    return store;
  };
  const unauthorized = (message: string) => ({ code: 'UNAUTHORIZED', message });

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'lode-tokens-'));
  });
  after(async () => {
    for (const store of stores) await store.close();
    await rm(root, { recursive: true, force: true });
  });

  test('a signed token verifies to its username, as HS256 naming its key', async () => {
    const signer = await TokenSigner.open(storeAt('sign'));
    const token = await signer.sign('rita', 'access', 60);
    assert.equal(await signer.verify(token, 'access'), 'rita');
    const header = decodeProtectedHeader(token);
    assert.equal(header.alg, 'HS256');
    assert.equal(typeof header.kid, 'string');
    assert.equal(await signer.verify(await signer.sign('rita', 'refresh', 60), 'refresh'), 'rita');
  });

  test('a token of the other kind is refused', async () => {
    const signer = await TokenSigner.open(storeAt('kinds'));
    await assert.rejects(signer.verify(await signer.sign('rita', 'refresh', 60), 'access'), unauthorized('Not an access token'));
    await assert.rejects(signer.verify(await signer.sign('rita', 'access', 60), 'refresh'), { code: 'UNAUTHORIZED', message: /refresh token/ });
  });

  test('a token signed with a key this store does not have is refused', async () => {
    const ours = await TokenSigner.open(storeAt('ours'));
    const theirs = await TokenSigner.open(storeAt('theirs'));
    await assert.rejects(ours.verify(await theirs.sign('rita', 'access', 60), 'access'), unauthorized('The token was signed with an unknown key'));
    const withoutKid = await new SignJWT({ kind: 'access' }).setProtectedHeader({ alg: 'HS256' }).setSubject('rita').setExpirationTime('1h').sign(new Uint8Array(32));
    await assert.rejects(ours.verify(withoutKid, 'access'), unauthorized('The token was signed with an unknown key'));
  });

  test('an expired token is refused as expired', async () => {
    const signer = await TokenSigner.open(storeAt('expiry'));
    await assert.rejects(signer.verify(await signer.sign('rita', 'access', 0), 'access'), unauthorized('The token has expired'));
  });

  test('tampered, unsigned and malformed tokens are refused as not valid', async () => {
    const signer = await TokenSigner.open(storeAt('tamper'));
    const [header, payload, signature] = (await signer.sign('rita', 'access', 60)).split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'admin' })).toString('base64url');
    const unsigned = new UnsecuredJWT({ kind: 'access' }).setSubject('admin').setExpirationTime('1h').encode();
    for (const token of [`${header}.${forged}.${signature}`, `${header}.${payload}.${signature.slice(0, -4)}AAAA`, unsigned, 'not.a.token', '']) {
      await assert.rejects(signer.verify(token, 'access'), unauthorized('The token is not valid'), token);
    }
  });

  test('rotation signs with a new key and keeps tokens signed with the old one valid, across restarts', async () => {
    const store = storeAt('rotate');
    const signer = await TokenSigner.open(store);
    const before = await signer.sign('rita', 'access', 60);
    const kid = await signer.rotate();
    const afterwards = await signer.sign('rita', 'access', 60);
    assert.notEqual(decodeProtectedHeader(before).kid, kid);
    assert.equal(decodeProtectedHeader(afterwards).kid, kid);
    assert.equal(await signer.verify(before, 'access'), 'rita');
    assert.equal(await signer.verify(afterwards, 'access'), 'rita');
    const reopened = await TokenSigner.open(store);
    assert.equal(decodeProtectedHeader(await reopened.sign('sam', 'access', 60)).kid, kid);
    assert.equal(await reopened.verify(before, 'access'), 'rita');
  });

  test('the key survives closing and reopening the data directory', async () => {
    const first = new SystemStore(join(root, 'persist'));
    const token = await (await TokenSigner.open(first)).sign('rita', 'access', 60);
    await first.close();
    const again = await TokenSigner.open(storeAt('persist'));
    assert.equal(await again.verify(token, 'access'), 'rita');
  });
});
