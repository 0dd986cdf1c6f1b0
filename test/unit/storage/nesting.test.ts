import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LodeError } from '../../../framework/src/errors/index.js';
import type { TableDef } from '../../../framework/src/schema/index.js';
import { validateRecord } from '../../../framework/src/storage/index.js';
import { MAX_NESTING } from '../../../framework/src/storage/validate.js';

const location = { file: 'schema.graphql', line: 1, column: 1 };
const def: TableDef = {
  name: 'Doc',
  table: 'Doc',
  database: 'data',
  primaryKey: 'id',
  sealed: false,
  replicate: true,
  audit: true,
  location,
  attributes: [
    { name: 'id', type: { kind: 'scalar', name: 'ID', nonNull: true }, primaryKey: true, indexed: false, createdTime: false, updatedTime: false, location },
    { name: 'body', type: { kind: 'scalar', name: 'Any', nonNull: false }, primaryKey: false, indexed: false, createdTime: false, updatedTime: false, location },
  ],
};

const nested = (depth: number): unknown => {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { inner: value };
  return value;
};

test('untyped values may nest up to the limit', () => {
  assert.deepEqual(validateRecord(def, { id: 'a', body: nested(MAX_NESTING) }, 'full').body, nested(MAX_NESTING));
});

test('deeper values are a validation error at the depth where they cross the limit, not a stack overflow', () => {
  for (const depth of [MAX_NESTING + 1, 200_000]) {
    assert.throws(
      () => validateRecord(def, { id: 'a', body: nested(depth) }, 'full'),
      (error: LodeError) => error.code === 'VALIDATION_FAILED' && /nested more than 100 levels deep/.test(error.errors![0]!.message),
    );
  }
  assert.throws(() => validateRecord(def, { id: 'a', extra: nested(MAX_NESTING + 1) }, 'full'), (error: LodeError) => error.code === 'VALIDATION_FAILED');
});
