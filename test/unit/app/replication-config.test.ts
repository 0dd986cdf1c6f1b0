import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { describe, test } from 'node:test';
import { parseConfig, replicationSettings } from '../../../framework/src/app/index.js';
import type { LodeError } from '../../../framework/src/errors/index.js';
import { defaultReplicationTuning } from '../../../framework/src/replication/index.js';

const noEnv = {};

describe('the replication section of config.yaml', () => {
  test("Harper's keys: hostname, port, routes in three forms, databases, secret and the tuning durations", () => {
    const { replication } = parseConfig(`
replication:
  hostname: node-a
  port: 9933
  routes:
    - ws://127.0.0.1:9934
    - { url: ws://127.0.0.1:9935, startTime: 2026-01-01T00:00:00Z }
    - { url: 'wss://c.example:9933', startTime: 1767225600000 }
    - { hostname: 10.0.0.4, port: 9933 }
    - { hostname: d.example, port: '9936', startTime: '2026-01-02T00:00:00.000Z' }
  databases: [data, { name: orders }]
  secret: s3cret
  pingInterval: 500ms
  pingTimeout: 2s
  stallTimeout: 1m
`);
    assert.deepEqual(replication, {
      hostname: 'node-a',
      port: 9933,
      routes: [
        { url: 'ws://127.0.0.1:9934' },
        { url: 'ws://127.0.0.1:9935', startTime: Date.UTC(2026, 0, 1) },
        { url: 'wss://c.example:9933', startTime: Date.UTC(2026, 0, 1) },
        { url: 'ws://10.0.0.4:9933' },
        { url: 'ws://d.example:9936', startTime: Date.UTC(2026, 0, 2) },
      ],
      databases: ['data', 'orders'],
      secret: 's3cret',
      pingIntervalMs: 500,
      pingTimeoutMs: 2000,
      stallTimeoutMs: 60_000,
    });
  });

  test('absent, it is off; databases default to every one', () => {
    assert.deepEqual(parseConfig('rest: true\n').replication, { routes: [], databases: '*' });
    assert.deepEqual(parseConfig('replication:\n  databases: "*"\n').replication, { routes: [], databases: '*' });
    assert.equal(replicationSettings(parseConfig('rest: true\n').replication, {}, { LODE_CLUSTER_SECRET: 'x' }), undefined, 'a secret alone does not turn it on');
    assert.equal(replicationSettings(parseConfig('replication:\n  hostname: a\n  secret: x\n').replication, {}, noEnv), undefined);
  });

  test('a mistake names its key', () => {
    for (const [text, key] of [
      ['replication: 5\n', 'replication must be a mapping'],
      ['replication:\n  port: 99999\n', 'replication.port must be a port number'],
      ['replication:\n  port: nine\n', 'replication.port'],
      ['replication:\n  hostname: ""\n', 'replication.hostname'],
      ['replication:\n  routes: ws://a:1\n', 'replication.routes must be a list'],
      ['replication:\n  routes: [127.0.0.1:9934]\n', 'replication.routes[0] must be a URL'],
      ['replication:\n  routes: [ws://a:1, http://b:2]\n', 'replication.routes[1] must be a URL'],
      ['replication:\n  routes: [{ startTime: 5 }]\n', 'replication.routes[0] needs a url, or a hostname and a port'],
      ['replication:\n  routes: [{ hostname: h }]\n', 'replication.routes[0] needs a url'],
      ['replication:\n  routes: [{ hostname: h, port: -1 }]\n', 'replication.routes[0].port'],
      ['replication:\n  routes: [{ url: ws://a:1, startTime: yesterday }]\n', 'replication.routes[0].startTime must be an ISO time'],
      ['replication:\n  routes: [5]\n', 'replication.routes[0] must be a ws:// URL'],
      ['replication:\n  databases: [data, 5]\n', 'replication.databases[1]'],
      ['replication:\n  secret: 42\n', 'replication.secret'],
      ['replication:\n  pingInterval: often\n', 'replication.pingInterval'],
      ['replication:\n  pingTimeout: 0\n', 'replication.pingTimeout'],
      ['replication:\n  stallTimeout: -5s\n', 'replication.stallTimeout'],
      ['replication:\n  pingInterval: 10s\n  pingTimeout: 5s\n', 'replication.pingTimeout (5000 ms) must be longer than replication.pingInterval'],
    ] as const) {
      assert.throws(() => parseConfig(text), (error: LodeError) => error.code === 'BAD_REQUEST' && error.message.includes(key), `${text} → ${key}`);
    }
  });
});

describe('replication settings: config.yaml, then the environment, then the flags', () => {
  const config = parseConfig(`
replication:
  hostname: from-file
  port: 9933
  routes: [ws://127.0.0.1:9934]
  databases: [data]
  secret: file-secret
  pingInterval: 1s
  pingTimeout: 3s
`).replication;

  test('the file alone, mapped to the replicator options with the default tuning for what it does not set', () => {
    const settings = replicationSettings(config, {}, noEnv);
    assert.deepEqual(settings, {
      port: 9933,
      options: { ...defaultReplicationTuning, hostname: 'from-file', secret: 'file-secret', routes: [{ url: 'ws://127.0.0.1:9934' }], databases: ['data'], pingIntervalMs: 1000, pingTimeoutMs: 3000 },
    });
  });

  test('the environment overrides the file; routes are comma-separated', () => {
    const settings = replicationSettings(config, {}, {
      LODE_REPLICATION_HOSTNAME: 'from-env',
      LODE_REPLICATION_PORT: '9940',
      LODE_REPLICATION_ROUTES: 'ws://127.0.0.1:9941, ws://127.0.0.1:9942,',
      LODE_CLUSTER_SECRET: 'env-secret',
    });
    assert.equal(settings?.port, 9940);
    assert.equal(settings?.options.hostname, 'from-env');
    assert.equal(settings?.options.secret, 'env-secret');
    assert.deepEqual(settings?.options.routes, [{ url: 'ws://127.0.0.1:9941' }, { url: 'ws://127.0.0.1:9942' }]);
  });

  test('the flags override both', () => {
    const env = { LODE_REPLICATION_HOSTNAME: 'from-env', LODE_REPLICATION_PORT: '9940', LODE_REPLICATION_ROUTES: 'ws://127.0.0.1:9941' };
    const settings = replicationSettings(config, { hostname: 'from-flag', port: 0, routes: ['ws://127.0.0.1:9950'] }, env);
    assert.equal(settings?.port, 0);
    assert.equal(settings?.options.hostname, 'from-flag');
    assert.deepEqual(settings?.options.routes, [{ url: 'ws://127.0.0.1:9950' }]);
    assert.equal(settings?.options.secret, 'file-secret');
  });

  test('the environment or a flag alone turns replication on; the host name is the default node name', () => {
    const none = parseConfig('rest: true\n').replication;
    const byEnv = replicationSettings(none, {}, { LODE_REPLICATION_PORT: '9933', LODE_CLUSTER_SECRET: 'x' });
    assert.equal(byEnv?.port, 9933);
    assert.equal(byEnv?.options.hostname, hostname());
    assert.deepEqual(byEnv?.options.routes, []);
    assert.equal(byEnv?.options.databases, '*');
    const byFlag = replicationSettings(none, { routes: ['ws://127.0.0.1:1'] }, { LODE_CLUSTER_SECRET: 'x' });
    assert.equal(byFlag?.port, undefined, 'routes without a port: this node only connects out');
    assert.deepEqual(byFlag?.options.routes, [{ url: 'ws://127.0.0.1:1' }]);
  });

  test('on without a secret is refused with a message that says how to set one', () => {
    const unsecured = parseConfig('replication:\n  port: 9933\n').replication;
    assert.throws(
      () => replicationSettings(unsecured, {}, noEnv),
      (error: LodeError) => error.code === 'BAD_REQUEST' && /no cluster secret/.test(error.message) && /LODE_CLUSTER_SECRET/.test(error.message) && /replication\.secret/.test(error.message),
    );
    assert.throws(() => replicationSettings(parseConfig('rest: true\n').replication, { port: 1 }, noEnv), /no cluster secret/);
    assert.throws(() => replicationSettings(unsecured, {}, { LODE_CLUSTER_SECRET: '' }), /no cluster secret/, 'an empty secret is no secret');
  });

  test('bad environment values name the variable', () => {
    assert.throws(() => replicationSettings(config, {}, { LODE_REPLICATION_PORT: 'abc' }), /LODE_REPLICATION_PORT must be a port number/);
    assert.throws(() => replicationSettings(config, {}, { LODE_REPLICATION_ROUTES: 'ws://ok:1,nope' }), /LODE_REPLICATION_ROUTES \(nope\) must be a URL/);
  });
});
