import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadConfig, SystemStore } from '../app/index.js';
import { parseRoles, SUPER_USER_ROLE, UserDirectory, type Role } from '../auth/index.js';
import { LodeError } from '../errors/index.js';
import type { RoleCommand, UserCommand } from './args.js';
import { readNewPassword, type CliIO } from './password-input.js';

/**
 * `lode user …` and `lode role list`. They open the data directory's system store beside a running
 * server if there is one (LMDB serves several processes), so a change applies to it at once.
 * Failures are LodeErrors and usage mistakes UsageErrors; main.ts turns them into exit codes.
 */
export async function runAccountCommand(command: UserCommand | RoleCommand, io: CliIO): Promise<void> {
  const appDir = resolve(command.dir);
  if (!(await isDirectory(appDir))) throw new LodeError('NOT_FOUND', `There is no app folder ${appDir}`);
  const dataDir = resolve(command.dataDir ?? join(appDir, '.lode', 'data'));
  if (command.command === 'role') return listRoles(appDir, dataDir, io);
  switch (command.action) {
    case 'add':
      return addUser(appDir, dataDir, command.username, command.roles, command.passwordStdin, io);
    case 'list':
      return listUsers(dataDir, io);
    case 'remove':
      return removeUser(dataDir, command.username, io);
    case 'passwd':
      return changePassword(dataDir, command.username, command.passwordStdin, io);
  }
}

async function addUser(appDir: string, dataDir: string, username: string, roles: string[], passwordStdin: boolean, io: CliIO): Promise<void> {
  if (roles.length > 0) checkRoles(roles, await readRoles(appDir));
  await withUsers(dataDir, async (users) => {
    // Before the prompt: nobody should type a password twice to learn the name is taken.
    if (users.get(username)) throw new LodeError('CONFLICT', `There is already a user ${username}`);
    await users.add(username, await readNewPassword(io, username, passwordStdin), roles);
  });
  io.stdout.write(`Added the user ${username} ${roles.length > 0 ? `with the role${roles.length > 1 ? 's' : ''} ${roles.join(', ')}` : 'without roles'}\n`);
}

async function listUsers(dataDir: string, io: CliIO): Promise<void> {
  const users = (await isDirectory(dataDir)) ? await withUsers(dataDir, async (directory) => directory.list()) : [];
  if (users.length === 0) return void io.stdout.write(`No users in ${dataDir}\n`);
  const width = Math.max(...users.map((user) => user.username.length));
  for (const user of users) io.stdout.write(`${user.username.padEnd(width)}  ${user.roles.length > 0 ? user.roles.join(', ') : '(no roles)'}\n`);
}

async function removeUser(dataDir: string, username: string, io: CliIO): Promise<void> {
  const left = await withExistingUsers(dataDir, username, async (users) => {
    await users.remove(username);
    return users.size;
  });
  io.stdout.write(`Removed the user ${username}\n`);
  if (left === 0) io.stderr.write('No users are left: `lode run` will not start until one is added.\n');
}

async function changePassword(dataDir: string, username: string, passwordStdin: boolean, io: CliIO): Promise<void> {
  await withExistingUsers(dataDir, username, async (users) => users.setPassword(username, await readNewPassword(io, username, passwordStdin)));
  io.stdout.write(`Changed the password of ${username}\n`);
}

/** Each role of roles.yaml (and the built-in super_user), what it allows, and the users who have it. */
async function listRoles(appDir: string, dataDir: string, io: CliIO): Promise<void> {
  const roles = await readRoles(appDir);
  const users = (await isDirectory(dataDir)) ? await withUsers(dataDir, async (directory) => directory.list()) : [];
  const blocks = [...roles.values()].map((role) => {
    const holders = users.filter((user) => user.roles.includes(role.name)).map((user) => user.username);
    return [role === SUPER_USER_ROLE ? `${role.name} (built in)` : role.name, ...describeRole(role), `  users: ${holders.length > 0 ? holders.join(', ') : '(none)'}`].join('\n');
  });
  io.stdout.write(`${blocks.join('\n\n')}\n`);
}

/** Lines saying what a role allows, table by table (`database.Table`). */
function describeRole(role: Role): string[] {
  if (role.superUser) return ['  everything (super user)'];
  if (role.tables.size === 0) return ['  nothing'];
  return [...role.tables].flatMap(([table, permission]) => {
    const lines = [`  ${table}: ${permission.actions.size > 0 ? [...permission.actions].join(', ') : 'nothing'}`];
    for (const [attribute, actions] of permission.attributes ?? []) lines.push(`    ${attribute}: ${actions.size > 0 ? [...actions].join(', ') : 'hidden'}`);
    return lines;
  });
}

/** The app's roles as its server reads them: the file config.yaml names (default roles.yaml); none when it is absent. */
async function readRoles(appDir: string): Promise<Map<string, Role>> {
  const file = join(appDir, (await loadConfig(appDir)).roles);
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text === undefined) return parseRoles(undefined);
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new LodeError('BAD_REQUEST', `${file}: ${(error as Error).message}`);
  }
  return parseRoles(raw);
}

function checkRoles(wanted: string[], roles: ReadonlyMap<string, Role>): void {
  const unknown = wanted.filter((name) => !roles.has(name));
  if (unknown.length === 0) return;
  throw new LodeError('BAD_REQUEST', `Unknown role${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}: the roles are ${[...roles.keys()].join(', ')}`);
}

async function withUsers<T>(dataDir: string, body: (users: UserDirectory) => Promise<T>): Promise<T> {
  const store = new SystemStore(dataDir);
  try {
    return await body(new UserDirectory(store));
  } finally {
    await store.close();
  }
}

/** Like withUsers for a user that must exist; a missing data directory is not created just to say so. */
async function withExistingUsers<T>(dataDir: string, username: string, body: (users: UserDirectory) => Promise<T>): Promise<T> {
  const missing = new LodeError('NOT_FOUND', `There is no user ${username} in ${dataDir}`);
  if (!(await isDirectory(dataDir))) throw missing;
  return withUsers(dataDir, async (users) => {
    if (!users.get(username)) throw missing;
    return body(users);
  });
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() === true;
}
