import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgs, usage, UsageError } from '../../../framework/src/cli/args.js';

test('commands, directory and flags', () => {
  assert.deepEqual(parseArgs(['dev', 'my-app', '--port', '0', '--host=0.0.0.0', '--data', '/tmp/d']), {
    command: 'dev',
    dir: 'my-app',
    port: 0,
    host: '0.0.0.0',
    dataDir: '/tmp/d',
    authorizeLocal: false,
    replication: {},
  });
  assert.deepEqual(parseArgs(['run']), { command: 'run', dir: '.', port: 9926, host: '127.0.0.1', dataDir: undefined, authorizeLocal: false, replication: {} });
  assert.deepEqual(parseArgs(['run', '--authorize-local']), { command: 'run', dir: '.', port: 9926, host: '127.0.0.1', dataDir: undefined, authorizeLocal: true, replication: {} });
  assert.equal(parseArgs(['types', 'x']).command, 'types');
  assert.equal(parseArgs([]).command, 'help');
  assert.equal(parseArgs(['run', '--help']).command, 'help');
  assert.equal(parseArgs(['-v']).command, 'version');
});

test('mistakes are usage errors', () => {
  for (const argv of [['serve'], ['dev', '--port'], ['dev', '--port', '99999'], ['dev', '--port', 'abc'], ['dev', '--nope'], ['dev', 'a', 'b']]) {
    assert.throws(() => parseArgs(argv), UsageError, argv.join(' '));
  }
});

test('user and role commands: action, name, app folder and data directory', () => {
  assert.deepEqual(parseArgs(['user', 'add', 'rita', 'my-app', '--role', 'reader', '--role=editor', '--role', 'reader', '--password-stdin', '--data', '/tmp/d']), {
    command: 'user',
    action: 'add',
    username: 'rita',
    roles: ['reader', 'editor'],
    passwordStdin: true,
    dir: 'my-app',
    dataDir: '/tmp/d',
  });
  assert.deepEqual(parseArgs(['user', 'add', 'rita']), { command: 'user', action: 'add', username: 'rita', roles: [], passwordStdin: false, dir: '.', dataDir: undefined });
  assert.deepEqual(parseArgs(['user', 'list']), { command: 'user', action: 'list', dir: '.', dataDir: undefined });
  assert.deepEqual(parseArgs(['user', 'list', 'app', '--data=d']), { command: 'user', action: 'list', dir: 'app', dataDir: 'd' });
  assert.deepEqual(parseArgs(['user', 'remove', 'rita', 'app']), { command: 'user', action: 'remove', username: 'rita', dir: 'app', dataDir: undefined });
  assert.deepEqual(parseArgs(['user', 'passwd', 'rita', '--password-stdin']), { command: 'user', action: 'passwd', username: 'rita', passwordStdin: true, dir: '.', dataDir: undefined });
  assert.deepEqual(parseArgs(['role', 'list', 'app', '--data', 'd']), { command: 'role', action: 'list', dir: 'app', dataDir: 'd' });
  assert.equal(parseArgs(['user', 'add', '--help']).command, 'help');
});

test('user and role mistakes are usage errors that say what is wrong', () => {
  const cases: Array<[string[], RegExp]> = [
    [['user'], /needs one of add, list, remove, passwd/],
    [['user', 'rename', 'rita'], /Unknown user command "rename"/],
    [['user', 'add'], /user add needs a user name/],
    [['user', 'remove'], /user remove needs a user name/],
    [['user', 'passwd'], /user passwd needs a user name/],
    [['user', 'add', 'rita', 'app', 'extra'], /Unexpected argument extra/],
    [['user', 'list', 'app', 'extra'], /Unexpected argument extra/],
    [['user', 'add', 'rita', '--role'], /--role needs a value/],
    [['user', 'add', 'rita', '--password', 'secret'], /Unknown option --password/],
    [['user', 'list', '--role', 'reader'], /--role is not an option of lode user list/],
    [['user', 'passwd', 'rita', '--role', 'reader'], /--role is not an option of lode user passwd/],
    [['user', 'remove', 'rita', '--password-stdin'], /--password-stdin is not an option of lode user remove/],
    [['user', 'add', 'rita', '--port', '1'], /--port is not an option of lode user add/],
    [['user', 'list', '--authorize-local'], /--authorize-local is not an option/],
    [['role'], /lode role needs list/],
    [['role', 'add', 'x'], /Unknown role command "add"/],
    [['role', 'list', '--host', 'h'], /--host is not an option of lode role list/],
    [['run', '--role', 'reader'], /--role is not an option of lode run/],
    [['dev', '--password-stdin'], /--password-stdin is not an option of lode dev/],
  ];
  for (const [argv, message] of cases) assert.throws(() => parseArgs(argv), (error: unknown) => error instanceof UsageError && message.test(error.message), argv.join(' '));
});

test('replication flags on run and dev: port, node name, repeatable routes', () => {
  const command = parseArgs(['run', 'app', '--replication-port', '9933', '--replication-hostname=node-a', '--route', 'ws://127.0.0.1:9934', '--route=wss://b.example:9933', '--route', 'ws://127.0.0.1:9934']);
  assert.equal(command.command, 'run');
  assert.deepEqual(command.command === 'run' && command.replication, { port: 9933, hostname: 'node-a', routes: ['ws://127.0.0.1:9934', 'wss://b.example:9933'] });
  const dev = parseArgs(['dev', '--replication-port', '0']);
  assert.deepEqual(dev.command === 'dev' && dev.replication, { port: 0 });
  const cases: Array<[string[], RegExp]> = [
    [['run', '--replication-port', '70000'], /--replication-port must be an integer from 0 to 65535/],
    [['run', '--replication-port', ''], /--replication-port must be an integer/],
    [['run', '--replication-port'], /--replication-port needs a value/],
    [['run', '--replication-hostname', ' '], /--replication-hostname needs a name/],
    [['run', '--route', '127.0.0.1:9934'], /--route 127\.0\.0\.1:9934: a peer is a URL such as ws:\/\//],
    [['run', '--route', 'http://127.0.0.1:9934'], /a peer is a URL/],
    [['types', '--route', 'ws://h:1'], /--route is not an option of lode types/],
    [['types', '--replication-port', '1'], /--replication-port is not an option of lode types/],
    [['user', 'list', '--replication-hostname', 'a'], /--replication-hostname is not an option of lode user list/],
    [['role', 'list', '--route', 'ws://h:1'], /--route is not an option of lode role list/],
  ];
  for (const [argv, message] of cases) assert.throws(() => parseArgs(argv), (error: unknown) => error instanceof UsageError && message.test(error.message), argv.join(' '));
});

test('the usage text names every command and option the parser knows', () => {
  for (const word of [
    'user add <name>',
    'user list',
    'user remove <name>',
    'user passwd <name>',
    'role list',
    '--role <role>',
    '--password-stdin',
    '--data <path>',
    '--replication-port <n>',
    '--replication-hostname <name>',
    '--route <url>',
    'LODE_CLUSTER_SECRET',
    'LODE_REPLICATION_PORT',
    'LODE_REPLICATION_HOSTNAME',
    'LODE_REPLICATION_ROUTES',
  ]) {
    assert.ok(usage.includes(word), word);
  }
});
