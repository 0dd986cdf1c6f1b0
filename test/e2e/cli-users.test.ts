import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LodeProcess, lodeBin, writeApp } from '../support/lode-process.js';

const files = {
  'schema.graphql': 'type Product @table @export { id: ID @primaryKey  name: String }\n',
  'roles.yaml': 'reader:\n  data:\n    tables:\n      Product: { read: true }\n',
};

/** The environment without an admin to create, so only the CLI adds users. */
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('LODE_ADMIN_')));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** One `lode …` process to its end; `stdin` is piped in (a pipe, not a terminal), then closed. */
function lode(args: string[], options: { stdin?: string; cwd?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [lodeBin, ...args], { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`lode ${args.join(' ')} did not finish:\n${stdout}${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

describe('lode user and lode role, as real processes beside a running server', () => {
  let app: Awaited<ReturnType<typeof writeApp>>;
  let server: LodeProcess | undefined;

  const basic = (username: string, password: string): string => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  const login = async (username: string, password: string): Promise<{ status: number; token?: string }> => {
    const response = await fetch(`${server!.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    const body = (await response.json()) as { operation_token?: string };
    return { status: response.status, ...(body.operation_token !== undefined && { token: body.operation_token }) };
  };
  const get = async (path: string, authorization: string): Promise<number> => (await fetch(`${server!.url}${path}`, { headers: { authorization } })).status;

  before(async () => {
    app = await writeApp(files);
  });
  after(async () => {
    await server?.stop();
    await app.remove();
  });

  test('with no users, lode run refuses to start and says to use lode user add', async () => {
    const run = await lode(['run', app.dir, '--port', '0']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /will not serve without users/);
    assert.match(run.stderr, /lode user add <name> --role super_user/);
  });

  test('user add creates the first admin from stdin, after which lode run starts', async () => {
    const added = await lode(['user', 'add', 'admin', app.dir, '--role', 'super_user', '--password-stdin'], { stdin: 'admin-password\n' });
    assert.deepEqual(added, { code: 0, stdout: 'Added the user admin with the role super_user\n', stderr: '' });
    assert.ok(existsSync(join(app.dir, '.lode', 'data', 'system.mdb')));
    server = await LodeProcess.start(['run', app.dir], { secure: true, env });
    assert.equal((await login('admin', 'admin-password')).status, 200);
  });

  test('exit codes: 1 with a message for a failure, 2 for a usage mistake', async () => {
    const taken = await lode(['user', 'add', 'admin', app.dir, '--password-stdin'], { stdin: 'other-password\n' });
    assert.deepEqual(taken, { code: 1, stdout: '', stderr: 'There is already a user admin\n' });
    const unknownRole = await lode(['user', 'add', 'sam', app.dir, '--role', 'editor', '--password-stdin'], { stdin: 'sam-password\n' });
    assert.deepEqual(unknownRole, { code: 1, stdout: '', stderr: 'Unknown role editor: the roles are super_user, reader\n' });
    const noPassword = await lode(['user', 'add', 'sam', app.dir]);
    assert.equal(noPassword.code, 2);
    assert.match(noPassword.stderr, /stdin is not a terminal: pass --password-stdin/);
    const passwordArgument = await lode(['user', 'add', 'sam', app.dir, '--password', 'sam-password']);
    assert.equal(passwordArgument.code, 2);
    assert.match(passwordArgument.stderr, /Unknown option --password/);
    assert.equal((await lode(['user', 'add'])).code, 2);
    const ghost = await lode(['user', 'remove', 'ghost', app.dir]);
    assert.equal(ghost.code, 1);
    assert.match(ghost.stderr, /^There is no user ghost/);
  });

  test('a user added while the server runs can log in at once, with the rights of its role', async () => {
    const added = await lode(['user', 'add', 'rita', app.dir, '--role', 'reader', '--password-stdin'], { stdin: 'rita-password\n' });
    assert.equal(added.code, 0, added.stderr);
    const { status, token } = await login('rita', 'rita-password');
    assert.equal(status, 200);
    assert.equal(await get('/Product/', `Bearer ${token!}`), 200);
    assert.equal(await get('/Product/', basic('rita', 'rita-password')), 200);
    const write = await fetch(`${server!.url}/Product/p1`, { method: 'PUT', headers: { authorization: `Bearer ${token!}`, 'content-type': 'application/json' }, body: '{"name":"Lamp"}' });
    assert.equal(write.status, 403, 'a reader may not write');
  });

  test('user list and role list read the data directory the server is using', async () => {
    const users = await lode(['user', 'list'], { cwd: app.dir });
    assert.deepEqual(users, { code: 0, stdout: 'admin  super_user\nrita   reader\n', stderr: '' });
    const roles = await lode(['role', 'list', app.dir]);
    assert.equal(roles.code, 0);
    assert.equal(roles.stdout, 'super_user (built in)\n  everything (super user)\n  users: admin\n\nreader\n  data.Product: read\n  users: rita\n');
  });

  test('user passwd applies to the running server at once', async () => {
    const changed = await lode(['user', 'passwd', 'rita', app.dir, '--password-stdin'], { stdin: 'new-rita-password\n' });
    assert.deepEqual(changed, { code: 0, stdout: 'Changed the password of rita\n', stderr: '' });
    assert.equal((await login('rita', 'new-rita-password')).status, 200);
    assert.equal((await login('rita', 'rita-password')).status, 401);
  });

  test('user remove ends the tokens of the user at once', async () => {
    const { token } = await login('rita', 'new-rita-password');
    assert.equal(await get('/Product/', `Bearer ${token!}`), 200);
    const removed = await lode(['user', 'remove', 'rita', app.dir]);
    assert.deepEqual(removed, { code: 0, stdout: 'Removed the user rita\n', stderr: '' });
    assert.equal(await get('/Product/', `Bearer ${token!}`), 401);
    assert.equal((await login('rita', 'new-rita-password')).status, 401);
  });
});
