import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { UsageError, type RoleCommand, type UserCommand } from '../../../framework/src/cli/args.js';
import { readFirstLine, type CliIO } from '../../../framework/src/cli/password-input.js';
import { runAccountCommand } from '../../../framework/src/cli/user-commands.js';
import { UserDirectory } from '../../../framework/src/auth/index.js';
import { SystemStore } from '../../../framework/src/storage/index.js';

const roles = `
reader:
  data:
    tables:
      Product: { read: true }
clerk:
  data:
    Product:
      read: true
      insert: true
      attributes:
        name: { read: true, insert: true }
        price: { read: false }
`;

interface Terminal extends CliIO {
  stdin: PassThrough & { isTTY?: boolean };
  out(): string;
  err(): string;
}

/** Streams for one command: stdin holds `input` (a pipe) or stays open (a terminal), output is collected. */
function streams(input: string | undefined, options: { tty?: boolean } = {}): Terminal {
  const stdin: PassThrough & { isTTY?: boolean } = new PassThrough();
  if (options.tty) stdin.isTTY = true;
  else stdin.end(input ?? '');
  let out = '';
  let err = '';
  const collect = (append: (text: string) => void): Writable => new Writable({ write: (chunk: Buffer, _encoding, done) => (append(chunk.toString()), done()) });
  return { stdin, stdout: collect((text) => (out += text)), stderr: collect((text) => (err += text)), out: () => out, err: () => err };
}

describe('lode user and lode role', () => {
  let root: string;
  let app: string;
  let data: string;
  const where = (): { dir: string; dataDir: undefined } => ({ dir: app, dataDir: undefined });
  const add = (username: string, roleNames: string[] = [], passwordStdin = true): UserCommand => ({ command: 'user', action: 'add', username, roles: roleNames, passwordStdin, ...where() });
  const list: () => UserCommand = () => ({ command: 'user', action: 'list', ...where() });
  const withDirectory = async <T>(body: (users: UserDirectory) => Promise<T>): Promise<T> => {
    const store = new SystemStore(data);
    try {
      return await body(new UserDirectory(store));
    } finally {
      await store.close();
    }
  };

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'lode-cli-users-'));
    app = join(root, 'app');
    data = join(app, '.lode', 'data');
    await mkdir(app);
    await writeFile(join(app, 'roles.yaml'), roles);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  test('user add stores the user with its roles and the password from stdin, hashed', async () => {
    const io = streams('rita-password\nnot this line\n');
    await runAccountCommand(add('rita', ['reader', 'clerk']), io);
    assert.equal(io.out(), 'Added the user rita with the roles reader, clerk\n');
    await withDirectory(async (users) => {
      assert.deepEqual(await users.verify('rita', 'rita-password'), { username: 'rita', roles: ['reader', 'clerk'] });
      assert.equal(await users.verify('rita', 'not this line'), undefined);
    });
  });

  test('user add without --role gives no role; a Windows line ending is not part of the password', async () => {
    const io = streams('bob-password\r\n');
    await runAccountCommand(add('bob'), io);
    assert.equal(io.out(), 'Added the user bob without roles\n');
    await withDirectory(async (users) => assert.deepEqual(await users.verify('bob', 'bob-password'), { username: 'bob', roles: [] }));
  });

  test('the data directory is --data when given', async () => {
    const elsewhere = join(root, 'elsewhere');
    await runAccountCommand({ ...add('rita'), dataDir: elsewhere }, streams('rita-password\n'));
    assert.ok(existsSync(join(elsewhere, 'system.mdb')));
    assert.equal(existsSync(data), false);
    const io = streams(undefined);
    await runAccountCommand({ ...list(), dataDir: elsewhere }, io);
    assert.equal(io.out(), 'rita  (no roles)\n');
  });

  test('an existing user is refused before any password is asked for', async () => {
    await runAccountCommand(add('rita'), streams('rita-password\n'));
    const io = streams(undefined, { tty: true });
    await assert.rejects(runAccountCommand(add('rita', [], false), io), { code: 'CONFLICT', message: 'There is already a user rita' });
    assert.equal(io.err(), '');
  });

  test('an unknown role is refused, naming the known ones, and nothing is written', async () => {
    await assert.rejects(runAccountCommand(add('sam', ['reader', 'editor', 'admin']), streams('sam-password\n')), {
      code: 'BAD_REQUEST',
      message: 'Unknown roles editor, admin: the roles are super_user, reader, clerk',
    });
    assert.equal(existsSync(data), false);
    await runAccountCommand(add('sam', ['super_user']), streams('sam-password\n'));
    await withDirectory(async (users) => assert.deepEqual(users.get('sam'), { username: 'sam', roles: ['super_user'] }));
  });

  test('roles come from the file config.yaml names; a mistake in it fails with its path', async () => {
    await mkdir(join(app, 'security'));
    await writeFile(join(app, 'config.yaml'), 'roles:\n  files: security/access.yaml\n');
    await writeFile(join(app, 'security', 'access.yaml'), 'auditor:\n  data:\n    Order: { read: yes-please }\n');
    await assert.rejects(runAccountCommand(add('ann', ['auditor']), streams('ann-password\n')), { message: 'roles.yaml: auditor.data.Order.read must be true or false' });
    await writeFile(join(app, 'security', 'access.yaml'), 'auditor:\n  data:\n    Order: { read: true }\n');
    await assert.rejects(runAccountCommand(add('ann', ['reader']), streams('ann-password\n')), { message: 'Unknown role reader: the roles are super_user, auditor' });
    await runAccountCommand(add('ann', ['auditor']), streams('ann-password\n'));
    await writeFile(join(app, 'security', 'access.yaml'), 'auditor: [unclosed\n');
    await assert.rejects(
      runAccountCommand({ command: 'role', action: 'list', ...where() }, streams(undefined)),
      (error: { code: string; message: string }) => error.code === 'BAD_REQUEST' && error.message.startsWith(`${join(app, 'security', 'access.yaml')}: `),
    );
  });

  test('passwords the directory refuses, an empty stdin and a missing --password-stdin are errors', async () => {
    await assert.rejects(runAccountCommand(add('rita'), streams('short\n')), { code: 'BAD_REQUEST', message: 'A password has at least 8 characters' });
    await assert.rejects(runAccountCommand(add('rita'), streams('')), { message: 'No password on stdin' });
    await assert.rejects(runAccountCommand(add('rita', [], false), streams('rita-password\n')), (error: unknown) => error instanceof UsageError && /--password-stdin/.test(error.message));
    await assert.rejects(runAccountCommand(add('rita smith'), streams('rita-password\n')), { code: 'BAD_REQUEST', message: /A username is 1 to 128/ });
    await withDirectory(async (users) => assert.equal(users.size, 0));
  });

  test('at a terminal the password is asked twice and never echoed', async () => {
    const io = streams(undefined, { tty: true });
    const done = runAccountCommand(add('tina', ['reader'], false), io);
    io.stdin.write('tina-password\r');
    io.stdin.write('tina-password\r');
    await done;
    assert.equal(io.err(), 'Password for tina: \nType it again: \n');
    assert.equal(io.out(), 'Added the user tina with the role reader\n');
    await withDirectory(async (users) => assert.ok(await users.verify('tina', 'tina-password')));
  });

  test('at a terminal, two different passwords or an end of input change nothing', async () => {
    const differ = streams(undefined, { tty: true });
    const first = runAccountCommand(add('tina', [], false), differ);
    differ.stdin.write('tina-password\rtina-passw0rd\r');
    await assert.rejects(first, { message: 'The two passwords differ; nothing was changed' });
    const ended = streams(undefined, { tty: true });
    const second = runAccountCommand(add('tina', [], false), ended);
    ended.stdin.end();
    await assert.rejects(second, { message: 'No password given; nothing was changed' });
    await withDirectory(async (users) => assert.equal(users.get('tina'), undefined));
  });

  test('--password-stdin at a terminal asks once, without echo', async () => {
    const io = streams(undefined, { tty: true });
    const done = runAccountCommand(add('tina', [], true), io);
    io.stdin.write('tina-password\r');
    await done;
    assert.equal(io.err(), 'Password for tina: \n');
  });

  test('user list prints names and roles, never a hash', async () => {
    await runAccountCommand(add('admin', ['super_user']), streams('admin-password\n'));
    await runAccountCommand(add('rita', ['reader', 'clerk']), streams('rita-password\n'));
    await runAccountCommand(add('bob'), streams('bob-password\n'));
    const io = streams(undefined);
    await runAccountCommand(list(), io);
    assert.equal(io.out(), ['admin  super_user', 'bob    (no roles)', 'rita   reader, clerk', ''].join('\n'));
    assert.doesNotMatch(io.out(), /scrypt|password/);
  });

  test('user list of a data directory that does not exist says so without creating it', async () => {
    const io = streams(undefined);
    await runAccountCommand(list(), io);
    assert.equal(io.out(), `No users in ${data}\n`);
    assert.equal(existsSync(data), false);
  });

  test('user passwd replaces the password; an unknown user is an error', async () => {
    await runAccountCommand(add('rita'), streams('rita-password\n'));
    const io = streams('new-rita-password\n');
    await runAccountCommand({ command: 'user', action: 'passwd', username: 'rita', passwordStdin: true, ...where() }, io);
    assert.equal(io.out(), 'Changed the password of rita\n');
    await withDirectory(async (users) => {
      assert.ok(await users.verify('rita', 'new-rita-password'));
      assert.equal(await users.verify('rita', 'rita-password'), undefined);
    });
    await assert.rejects(runAccountCommand({ command: 'user', action: 'passwd', username: 'ghost', passwordStdin: true, ...where() }, streams('ghost-password\n')), {
      code: 'NOT_FOUND',
      message: `There is no user ghost in ${data}`,
    });
  });

  test('user remove deletes the user and warns when none is left', async () => {
    await runAccountCommand(add('rita'), streams('rita-password\n'));
    await runAccountCommand(add('bob'), streams('bob-password\n'));
    const remove = (username: string): UserCommand => ({ command: 'user', action: 'remove', username, ...where() });
    const first = streams(undefined);
    await runAccountCommand(remove('rita'), first);
    assert.equal(first.out(), 'Removed the user rita\n');
    assert.equal(first.err(), '');
    const last = streams(undefined);
    await runAccountCommand(remove('bob'), last);
    assert.match(last.err(), /No users are left: `lode run` will not start/);
    await assert.rejects(runAccountCommand(remove('bob'), streams(undefined)), { code: 'NOT_FOUND', message: `There is no user bob in ${data}` });
    await withDirectory(async (users) => assert.equal(users.size, 0));
  });

  test('user remove and passwd do not create a missing data directory', async () => {
    await assert.rejects(runAccountCommand({ command: 'user', action: 'remove', username: 'rita', ...where() }, streams(undefined)), { code: 'NOT_FOUND' });
    assert.equal(existsSync(data), false);
  });

  test('role list shows each role, what it allows and who has it', async () => {
    await runAccountCommand(add('admin', ['super_user']), streams('admin-password\n'));
    await runAccountCommand(add('rita', ['reader']), streams('rita-password\n'));
    await runAccountCommand(add('carl', ['reader', 'clerk']), streams('carl-password\n'));
    const io = streams(undefined);
    await runAccountCommand({ command: 'role', action: 'list', ...where() } satisfies RoleCommand, io);
    assert.equal(
      io.out(),
      [
        'super_user (built in)',
        '  everything (super user)',
        '  users: admin',
        '',
        'reader',
        '  data.Product: read',
        '  users: carl, rita',
        '',
        'clerk',
        '  data.Product: read, insert',
        '    name: read, insert',
        '    price: hidden',
        '  users: carl',
        '',
      ].join('\n'),
    );
  });

  test('role list without roles.yaml has only the built-in super_user', async () => {
    await rm(join(app, 'roles.yaml'));
    const io = streams(undefined);
    await runAccountCommand({ command: 'role', action: 'list', ...where() }, io);
    assert.equal(io.out(), 'super_user (built in)\n  everything (super user)\n  users: (none)\n');
  });

  test('a missing app folder is an error', async () => {
    await assert.rejects(runAccountCommand({ ...list(), dir: join(root, 'nope') }, streams(undefined)), { code: 'NOT_FOUND', message: `There is no app folder ${join(root, 'nope')}` });
  });
});

describe('readFirstLine', () => {
  test('the first line, without its ending; the last line when there is no newline; undefined when empty', async () => {
    const of = (text: string): Promise<string | undefined> => {
      const input = new PassThrough();
      input.end(text);
      return readFirstLine(input);
    };
    assert.equal(await of('one two \nthree\n'), 'one two ');
    assert.equal(await of('crlf\r\n'), 'crlf');
    assert.equal(await of('no newline'), 'no newline');
    assert.equal(await of('\nsecond'), '');
    assert.equal(await of(''), undefined);
  });
});
