import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgs, UsageError } from '../../../framework/src/cli/args.js';

test('commands, directory and flags', () => {
  assert.deepEqual(parseArgs(['dev', 'my-app', '--port', '0', '--host=0.0.0.0', '--data', '/tmp/d']), {
    command: 'dev',
    dir: 'my-app',
    port: 0,
    host: '0.0.0.0',
    dataDir: '/tmp/d',
    authorizeLocal: false,
  });
  assert.deepEqual(parseArgs(['run']), { command: 'run', dir: '.', port: 9926, host: '127.0.0.1', dataDir: undefined, authorizeLocal: false });
  assert.equal(parseArgs(['run', '--authorize-local']).authorizeLocal, true);
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
