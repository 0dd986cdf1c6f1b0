import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LodeError } from '../../../framework/src/errors/index.js';
import { defaultConfig, parseConfig } from '../../../framework/src/app/index.js';

test("Harper's config.yaml keys, with { files } or plain globs", () => {
  const config = parseConfig(`
rest: true
graphqlSchema:
  files: 'schemas/*.graphql'
jsResource:
  files: ['resources/*.ts', 'extra.js']
static:
  files: 'public/**'
`);
  assert.deepEqual(config.graphqlSchema, ['schemas/*.graphql']);
  assert.deepEqual(config.jsResource, ['resources/*.ts', 'extra.js']);
  assert.equal(config.rest.enabled, true);
  assert.equal(config.static, 'public');
});

test('a config.yaml replaces the defaults: absent keys are off', () => {
  const config = parseConfig('graphqlSchema: "*.graphql"\n');
  assert.deepEqual(config.jsResource, []);
  assert.equal(config.rest.enabled, false);
  assert.equal(config.static, undefined);
});

test('rest.maxBodySize and an empty file', () => {
  assert.equal(parseConfig('rest:\n  maxBodySize: 1024\n').rest.maxBodySize, 1024);
  assert.equal(parseConfig(''), defaultConfig);
});

test('bad config is a clear error', () => {
  assert.throws(() => parseConfig('rest: [unclosed'), (error: LodeError) => /config\.yaml/.test(error.message));
  assert.throws(() => parseConfig('- a\n- b\n'), /mapping/);
  assert.throws(() => parseConfig('graphqlSchema: 5\n'), /graphqlSchema/);
  assert.throws(() => parseConfig('rest:\n  maxBodySize: -1\n'), /maxBodySize/);
});

test('realtime settings and the change-log retention, with their defaults', () => {
  const config = parseConfig(`
realtime:
  heartbeat: 30s
  maxQueuedEvents: 500
  maxBufferedBytes: 65536
logging:
  auditRetention: 12h
`);
  assert.deepEqual(config.realtime, { heartbeatMs: 30_000, maxQueuedEvents: 500, maxBufferedBytes: 65_536 });
  assert.equal(config.logRetentionMs, 12 * 3_600_000);
  assert.equal(parseConfig('realtime:\n  heartbeat: 2500\n').realtime.heartbeatMs, 2500, 'a number is milliseconds');
  assert.deepEqual(parseConfig('rest: true\n').realtime, defaultConfig.realtime, 'absent realtime settings keep their defaults');
  assert.equal(parseConfig('rest: true\n').logRetentionMs, 3 * 86_400_000);
  for (const [text, key] of [
    ['realtime:\n  heartbeat: soon\n', 'realtime.heartbeat'],
    ['realtime:\n  maxQueuedEvents: -1\n', 'realtime.maxQueuedEvents'],
    ['realtime:\n  maxBufferedBytes: 1.5\n', 'realtime.maxBufferedBytes'],
    ['realtime: [1]\n', 'realtime'],
    ['logging:\n  auditRetention: 0d\n', 'logging.auditRetention'],
  ] as const) {
    assert.throws(() => parseConfig(text), (error: LodeError) => error.code === 'BAD_REQUEST' && error.message.includes(key), text);
  }
});

test("storage.writeAsync and storage.flushInterval (Harper's key), off by default", () => {
  assert.deepEqual(parseConfig('storage:\n  writeAsync: true\n  flushInterval: 250ms\n').storage, { writeAsync: true, flushIntervalMs: 250 });
  assert.deepEqual(parseConfig('rest: true\n').storage, { writeAsync: false, flushIntervalMs: 1000 });
  for (const [text, key] of [
    ['storage:\n  writeAsync: yes please\n', 'storage.writeAsync'],
    ['storage:\n  flushInterval: never\n', 'storage.flushInterval'],
  ] as const) {
    assert.throws(() => parseConfig(text), (error: LodeError) => error.code === 'BAD_REQUEST' && error.message.includes(key), text);
  }
});
