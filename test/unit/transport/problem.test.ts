import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LodeError } from '../../../framework/src/errors/index.js';
import { toProblem } from '../../../framework/src/transport/index.js';

test('a LodeError keeps its code, status, field errors and headers', () => {
  const { problem, headers, unexpected } = toProblem(
    new LodeError('VALIDATION_FAILED', '1 attribute is invalid', { errors: [{ path: 'price', message: 'must be a number' }], headers: { 'X-A': '1' } }),
  );
  assert.deepEqual(problem, {
    type: 'urn:lode:error:VALIDATION_FAILED',
    title: 'The record does not match the schema',
    status: 400,
    detail: '1 attribute is invalid',
    code: 'VALIDATION_FAILED',
    errors: [{ path: 'price', message: 'must be a number' }],
  });
  assert.deepEqual(headers, { 'X-A': '1' });
  assert.equal(unexpected, false);
  assert.equal(toProblem(new LodeError('INDEX_BUILDING')).unexpected, false, 'an expected 503 is not logged as a failure');
  assert.equal(toProblem(new LodeError('INTERNAL')).unexpected, true);
});

test('errors with statusCode or status become HANDLER_ERROR with that status', () => {
  assert.equal(toProblem(Object.assign(new Error('nope'), { statusCode: 403 })).problem.status, 403);
  assert.equal(toProblem({ status: 409, message: 'taken' }).problem.detail, 'taken');
  assert.equal(toProblem(Object.assign(new Error('x'), { statusCode: 503 })).unexpected, true);
  assert.equal(toProblem(Object.assign(new Error('x'), { statusCode: 200 })).problem.status, 500, 'a success status is not an error status');
});

test('anything else is a 500 that hides its message', () => {
  const { problem, unexpected } = toProblem(new Error('database password is hunter2'));
  assert.equal(problem.status, 500);
  assert.equal(problem.code, 'INTERNAL');
  assert.doesNotMatch(JSON.stringify(problem), /hunter2/);
  assert.equal(unexpected, true);
  assert.equal(toProblem('a string').problem.status, 500);
});
