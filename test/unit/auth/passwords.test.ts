import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hashPassword, verifyPassword } from '../../../framework/src/auth/index.js';

describe('scrypt passwords', () => {
  test('a hash is scrypt$N$r$p$salt$hash with a 16-byte salt and a 32-byte key, in base64', async () => {
    const stored = await hashPassword('correct horse');
    const [scheme, n, r, p, salt, hash, ...rest] = stored.split('$');
    assert.deepEqual([scheme, n, r, p, rest], ['scrypt', '32768', '8', '1', []]);
    assert.equal(Buffer.from(salt!, 'base64').length, 16);
    assert.equal(Buffer.from(hash!, 'base64').length, 32);
    assert.doesNotMatch(stored, /correct horse/);
  });

  test('the same password hashes differently each time (a random salt)', async () => {
    const [first, second] = await Promise.all([hashPassword('same password'), hashPassword('same password')]);
    assert.notEqual(first, second);
    assert.ok(await verifyPassword('same password', first));
    assert.ok(await verifyPassword('same password', second));
  });

  test('verify accepts the right password and refuses others', async () => {
    const stored = await hashPassword('pässwörd with ünïcode');
    assert.equal(await verifyPassword('pässwörd with ünïcode', stored), true);
    for (const wrong of ['', 'pässwörd with ünïcod', 'pässwörd with ünïcode ', 'PÄSSWÖRD WITH ÜNÏCODE', 'passwoerd with unicode']) {
      assert.equal(await verifyPassword(wrong, stored), false, JSON.stringify(wrong));
    }
  });

  test('a tampered or foreign hash does not match the password', async () => {
    const stored = await hashPassword('right password');
    const [scheme, n, r, p, salt, hash] = stored.split('$') as [string, string, string, string, string, string];
    const flipped = Buffer.from(hash, 'base64');
    flipped[0] = flipped[0]! ^ 1;
    const otherSalt = Buffer.alloc(16, 7).toString('base64');
    const tampered = {
      'another scheme': ['bcrypt', n, r, p, salt, hash].join('$'),
      'one bit of the hash': [scheme, n, r, p, salt, flipped.toString('base64')].join('$'),
      'another salt': [scheme, n, r, p, otherSalt, hash].join('$'),
      'a smaller cost': [scheme, '16384', r, p, salt, hash].join('$'),
      'no salt': [scheme, n, r, p, '', hash].join('$'),
      'no hash': [scheme, n, r, p, salt].join('$'),
      'an empty string': '',
      'plain text': 'right password',
      'a hash that decodes to nothing': [scheme, n, r, p, salt, '!!!!'].join('$'),
      'a cost scrypt refuses (not a power of two)': [scheme, '3', r, p, salt, hash].join('$'),
      'a cost that is not a number': [scheme, 'x', r, p, salt, hash].join('$'),
      'a cost past the memory limit': [scheme, '16777216', r, p, salt, hash].join('$'),
    };
    for (const [what, value] of Object.entries(tampered)) assert.equal(await verifyPassword('right password', value), false, what);
  });

  test('a shortened hash still refuses a wrong password', async () => {
    const stored = await hashPassword('right password');
    const parts = stored.split('$');
    const shortened = [...parts.slice(0, 5), parts[5]!.slice(0, 12)].join('$');
    assert.equal(await verifyPassword('wrong password', shortened), false);
  });
});
