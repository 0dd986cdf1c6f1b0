import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LodeError } from '../../../framework/src/errors/index.js';
import { parseQuery } from '../../../framework/src/query/index.js';

function parseError(input: string): LodeError {
  try {
    parseQuery(input);
  } catch (error) {
    assert.ok(error instanceof LodeError, `expected a LodeError, got ${String(error)}`);
    return error;
  }
  assert.fail(`${JSON.stringify(input)} parsed without error`);
}

/** [input, position, what is wrong] */
const malformed: [string, number, string][] = [
  ['a=1&', 4, 'expected a condition after "&"'],
  ['a=1|', 4, 'expected a condition after "|"'],
  ['&a=1', 0, 'expected a condition'],
  ['a=1&&b=2', 4, 'expected a condition after "&"'],
  ['a=1||b=2', 4, 'expected a condition after "|"'],
  ['=1', 0, 'empty attribute'],
  ['==1', 0, 'empty attribute'],
  ['a.=1', 2, 'empty attribute name'],
  ['.a=1', 0, 'empty attribute name'],
  ['a..b=1', 2, 'empty attribute name'],
  ['a', 1, 'expected an operator'],
  ['a&b=1', 1, 'expected an operator'],
  ['a!1', 1, 'expected "!=" or "!=="'],
  ['a=xx=1', 1, 'unknown operator "=xx="'],
  ['a=LT=1', 1, 'unknown operator "=LT="'],
  ['a=b=c', 1, 'unknown operator "=b="'],
  ['a=1=', 3, 'unexpected "=" in a value (percent-encode it)'],
  ['a=x(y', 3, 'unexpected "(" in a value (percent-encode it)'],
  ['a=x[y', 3, 'unexpected "[" in a value (percent-encode it)'],
  ['a=x<y', 3, 'unexpected "<" in a value (percent-encode it)'],
  ['a====1', 4, 'unexpected "=" in a value (percent-encode it)'],
  ['a=number:abc', 9, 'invalid number "abc"'],
  ['a=number:', 9, 'invalid number ""'],
  ['a=number:1e999', 9, 'invalid number "1e999"'],
  ['a=number:0x10', 9, 'invalid number "0x10"'],
  ['a=boolean:yes', 10, 'invalid boolean "yes"'],
  ['a=date:notadate', 7, 'invalid date "notadate"'],
  ['a=date:2024-13-45', 7, 'invalid date "2024-13-45"'],
  ['a==ab*c', 5, 'wildcard "*" is only allowed at the end of a "==" value'],
  ['a==*b*', 3, 'wildcard "*" is only allowed at the end of a "==" value'],
  ['a=ab*', 4, 'wildcard "*" is only allowed at the end of a "==" value'],
  ['a=sw=ab*', 7, 'wildcard "*" is only allowed at the end of a "==" value'],
  ['a==number:1*', 3, 'a "*" wildcard needs a text value'],
  ['a=%', 2, 'malformed percent-encoding'],
  ['a=%2', 2, 'malformed percent-encoding'],
  ['a=%zz', 2, 'malformed percent-encoding'],
  ['a=x%2&b=1', 3, 'malformed percent-encoding'],
  ['a%=1', 1, 'malformed percent-encoding'],
  ['a=%C3', 2, 'percent-encoding is not valid UTF-8'],
  ['(a=1', 0, 'unbalanced "("'],
  ['a=1&[b=2', 4, 'unbalanced "["'],
  ['a=1)', 3, 'unbalanced ")"'],
  ['a=1]', 3, 'unbalanced "]"'],
  ['(a=1]', 4, 'expected ")" to close the group at position 0'],
  ['[a=1)', 4, 'expected "]" to close the group at position 0'],
  ['()', 0, 'empty group'],
  ['a=1&[]', 4, 'empty group'],
  ['(a=1)b=2', 5, 'unexpected "b" after a group'],
  [`${'('.repeat(33)}a=1${')'.repeat(33)}`, 32, 'groups are nested too deeply'],
  ['frobnicate(a)', 0, 'unknown function "frobnicate"'],
  ['a=1&Select(a)', 4, 'unknown function "Select"'],
  ['(limit(1))', 1, 'limit() is only allowed at the top level'],
  ['limit(1)a=1', 8, 'unexpected "a" after limit()'],
  ['select()', 7, 'select() needs at least one field'],
  ['select(a,,b)', 9, 'expected a field name'],
  ['select(a&b)', 8, 'expected "," or ")" in select('],
  ['select([a,b)', 11, 'expected "]" to close the select array'],
  ['select([a,b],c)', 12, 'expected ")" to close select('],
  ['select([])', 8, 'expected a field name'],
  ['select(a{})', 9, 'expected a field name'],
  ['select(a{b)', 10, 'expected "," or "}" in a nested select'],
  ['select(a', 8, 'expected "," or ")" in select('],
  [`select(${'a{'.repeat(33)}b${'}'.repeat(33)})`, 72, 'select is nested too deeply'],
  ['select(a)&select(b)', 10, 'duplicate select()'],
  ['limit(-1)', 6, 'limit expects a non-negative integer'],
  ['limit(a)', 6, 'limit expects a non-negative integer'],
  ['limit()', 6, 'limit expects a non-negative integer'],
  ['limit(1.5)', 7, 'expected ")" to close limit('],
  ['limit(1,)', 8, 'limit expects a non-negative integer'],
  ['limit(30,10)', 9, 'limit end is before its start'],
  ['limit(1,2,3)', 9, 'expected ")" to close limit('],
  ['limit(1234567890123456)', 6, 'limit is too large'],
  ['limit(1)&limit(2)', 9, 'duplicate limit()'],
  ['limit(0,5)&limit(1)', 11, 'duplicate limit()'],
  ['sort()', 5, 'expected a sort attribute'],
  ['sort(-)', 6, 'expected a sort attribute'],
  ['sort(a,)', 7, 'expected a sort attribute'],
  ['sort(a..b)', 7, 'empty attribute name'],
  ['sort(a)&sort(b)', 8, 'duplicate sort()'],
  ['sort(a', 6, 'expected "," or ")" in sort('],
  ['count(1)', 6, 'count() takes no arguments'],
  ['explain(x)', 8, 'explain() takes no arguments'],
  ['count()&count()', 8, 'duplicate count()'],
];

describe('malformed queries', () => {
  for (const [input, position, what] of malformed) {
    test(`${JSON.stringify(input)} → position ${position}: ${what}`, () => {
      const error = parseError(input);
      assert.equal(error.code, 'BAD_REQUEST');
      assert.equal(error.status, 400);
      assert.ok(
        error.message.startsWith(`Unable to parse query at position ${position}: ${what} near "`),
        `message was: ${error.message}`,
      );
      assert.deepEqual(error.errors, [{ path: 'query', message: `${what} at position ${position}` }]);
    });
  }
});

describe('error message', () => {
  test('quotes the text from the offending position', () => {
    assert.equal(
      parseError('name=Ada&price=zz=100&more=text-that-goes-on').message,
      'Unable to parse query at position 14: unknown operator "=zz=" near "=zz=100&more=text-th"',
    );
  });

  test('quotes the end of the query when the problem is at its end', () => {
    assert.equal(
      parseError('a=1&').message,
      'Unable to parse query at position 4: expected a condition after "&" near "a=1&"',
    );
  });
});
