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
