import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isLodeError, type ErrorDetail } from '../../../framework/src/errors/index.js';
import type { TableDef } from '../../../framework/src/schema/index.js';
import { validateRecord } from '../../../framework/src/storage/index.js';
import { attr, enumType, list, object, scalar, tableDef } from './helpers.js';

/** The errors a validation throws (fails the test if it does not throw VALIDATION_FAILED). */
function errorsOf(def: TableDef, input: unknown, mode: 'full' | 'partial' = 'full'): ErrorDetail[] {
  try {
    validateRecord(def, input, mode);
  } catch (error) {
    assert.ok(isLodeError(error), 'throws a LodeError');
    assert.equal(error.code, 'VALIDATION_FAILED');
    assert.equal(error.message, error.errors?.length === 1 ? "1 attribute is invalid" : `${error.errors?.length} attributes are invalid`);
    return error.errors ?? [];
  }
  assert.fail('validation passed but should have failed');
}

const scalars = tableDef('Scalars', [
  attr('s', 'String'),
  attr('i', 'Int'),
  attr('l', 'Long'),
  attr('f', 'Float'),
  attr('b', 'BigInt'),
  attr('t', 'Boolean'),
  attr('d', 'Date'),
  attr('bytes', 'Bytes'),
  attr('any', 'Any'),
  attr('e', enumType('Color', ['RED', 'GREEN'])),
]);

describe('validateRecord: scalar types', () => {
  test('accepts and coerces valid values', () => {
    const out = validateRecord(
      scalars,
      {
        s: 'x',
        i: -2147483648,
        l: 2 ** 53 - 1,
        f: 1.5,
        b: '123456789012345678901234567890',
        t: false,
        d: '2024-05-06T07:08:09.123Z',
        bytes: Buffer.from('hello').toString('base64'),
        any: { nested: [1, 'two'] },
        e: 'GREEN',
      },
      'full',
    );
    assert.equal(out.s, 'x');
    assert.equal(out.i, -2147483648);
    assert.equal(out.l, 2 ** 53 - 1);
    assert.equal(out.b, 123456789012345678901234567890n);
    assert.equal(out.t, false);
    assert.deepEqual(out.d, new Date('2024-05-06T07:08:09.123Z'));
    assert.ok(Buffer.isBuffer(out.bytes));
    assert.equal((out.bytes as Buffer).toString(), 'hello');
    assert.deepEqual(out.any, { nested: [1, 'two'] });
    assert.equal(out.e, 'GREEN');
  });

  test('other accepted forms: bigint from number and bigint, Date from epoch ms and Date, Bytes from Uint8Array', () => {
    const out = validateRecord(
      scalars,
      { b: 42, d: 86_400_000, bytes: new Uint8Array([1, 2, 3]) },
      'full',
    );
    assert.equal(out.b, 42n);
    assert.deepEqual(out.d, new Date(86_400_000));
    assert.deepEqual([...(out.bytes as Buffer)], [1, 2, 3]);
    assert.equal(validateRecord(scalars, { b: 7n }, 'full').b, 7n);
    const date = new Date('2020-01-01T00:00:00Z');
    assert.equal((validateRecord(scalars, { d: date }, 'full').d as Date).getTime(), date.getTime());
    assert.deepEqual(validateRecord(scalars, { d: '2020-01-02' }, 'full').d, new Date('2020-01-02'));
  });

  test('every wrong value is reported at its path, all together', () => {
    const errors = errorsOf(scalars, {
      s: 5,
      i: 2 ** 31,
      l: 2 ** 53,
      f: Infinity,
      b: 1.5,
      t: 'true',
      d: 'not a date',
      bytes: 'not base64!',
      e: 'BLUE',
    });
    assert.deepEqual(
      errors.map((e) => e.path),
      ['s', 'i', 'l', 'f', 'b', 't', 'd', 'bytes', 'e'],
    );
    const message = (path: string): string | undefined => errors.find((e) => e.path === path)?.message;
    assert.equal(message('s'), 'must be a string');
    assert.equal(message('i'), 'must be a 32-bit integer');
    assert.equal(message('e'), 'must be one of: RED, GREEN');
  });

  test('more invalid forms', () => {
    assert.deepEqual(errorsOf(scalars, { i: 1.5, f: '1', b: '12a', d: NaN, bytes: 12 }).map((e) => e.path), [
      'i',
      'f',
      'b',
      'd',
      'bytes',
    ]);
    assert.deepEqual(errorsOf(scalars, { d: '2024-13-45T99:00:00Z' }).map((e) => e.path), ['d']);
    assert.deepEqual(errorsOf(scalars, { d: new Date(NaN) }).map((e) => e.path), ['d']);
    assert.deepEqual(errorsOf(scalars, { i: 2147483648 }).map((e) => e.path), ['i']);
  });

  test('nullable attributes accept null and absence', () => {
    const out = validateRecord(scalars, { s: null, i: undefined }, 'full');
    assert.deepEqual(out, { s: null });
  });
});

describe('validateRecord: structure', () => {
  const address = object('Address', [attr('city', scalar('String', true)), attr('zip', 'Int')], true);
  const person = tableDef(
    'Person',
    [
      attr('name', scalar('String', true)),
      attr('tags', list(scalar('String', true))),
      attr('address', address),
      attr('loose', object('Loose', [attr('n', 'Int')], false)),
      attr('friends', list({ kind: 'table', name: 'Person', nonNull: false }), {
        relationship: { from: 'friendIds', target: 'Person' },
      }),
      attr('created', 'Date', { createdTime: true }),
      attr('updated', 'Long', { updatedTime: true }),
    ],
    { sealed: true },
  );

  test('a valid nested record passes and timestamps from the client are dropped', () => {
    const out = validateRecord(
      person,
      { id: 'p1', name: 'Ann', tags: ['a'], address: { city: 'Oslo' }, loose: { n: 1, extra: true }, created: 5, updated: 6 },
      'full',
    );
    assert.deepEqual(out, { id: 'p1', name: 'Ann', tags: ['a'], address: { city: 'Oslo' }, loose: { n: 1, extra: true } });
  });

  test('lists, nested objects, sealed types, required and relationships report paths', () => {
    const errors = errorsOf(person, {
      tags: ['ok', 3, null],
      address: { zip: 'x', country: 'NO' },
      loose: { n: 'one' },
      friends: [],
      nickname: 'An',
    });
    assert.deepEqual(
      errors.map((e) => `${e.path}: ${e.message}`).sort(),
      [
        'address.city: is required',
        'address.country: is not allowed',
        'address.zip: must be a 32-bit integer',
        'friends: is a relationship and cannot be written',
        'loose.n: must be a 32-bit integer',
        'name: is required',
        'nickname: is not allowed',
        'tags[1]: must be a string',
        'tags[2]: is required',
      ],
    );
  });

  test('non-list and non-object values for structured types', () => {
    const errors = errorsOf(person, { name: 'A', tags: 'a', address: [1] });
    assert.deepEqual(
      errors.map((e) => `${e.path}: ${e.message}`),
      ['tags: must be an array', 'address: must be an object'],
    );
  });

  test('partial mode skips required attributes but still rejects null for non-null ones', () => {
    assert.deepEqual(validateRecord(person, { tags: ['x'] }, 'partial'), { tags: ['x'] });
    assert.deepEqual(errorsOf(person, { name: null }, 'partial'), [{ path: 'name', message: 'is required' }]);
  });

  test('the record must be a plain object', () => {
    for (const input of [[], 'text', 5, null, undefined, new Date(), new Map()]) {
      assert.deepEqual(errorsOf(person, input), [{ path: '', message: 'must be an object' }]);
    }
  });

  test('open tables keep undeclared attributes as sent', () => {
    const open = tableDef('Open', [attr('name', 'String')]);
    const out = validateRecord(open, { name: 'a', extra: { deep: [1, { x: 2 }] }, constructor: 'c' }, 'full');
    assert.deepEqual(out.extra, { deep: [1, { x: 2 }] });
    assert.equal(Object.getOwnPropertyDescriptor(out, 'constructor')?.value, 'c');
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
  });
});

describe('validateRecord: reserved keys', () => {
  const open = tableDef('Open', [attr('any', 'Any'), attr('nested', object('N', [attr('a', 'Int')]))]);

  test('__proto__ anywhere is rejected at its path and pollutes nothing', () => {
    const input = JSON.parse(
      '{"__proto__": {"polluted": 1}, "extra": {"__proto__": {"polluted": 2}}, "any": [{"__proto__": {"polluted": 3}}],' +
        ' "nested": {"__proto__": {"polluted": 4}}}',
    ) as unknown;
    const errors = errorsOf(open, input);
    assert.deepEqual(errors.map((e) => e.path).sort(), ['__proto__', 'any[0].__proto__', 'extra.__proto__', 'nested.__proto__']);
    assert.ok(errors.every((e) => e.message === 'is a reserved key'));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('constructor and prototype keys are plain data', () => {
    const out = validateRecord(open, JSON.parse('{"any": {"constructor": {"prototype": {"x": 1}}}}') as unknown, 'full');
    assert.deepEqual(out.any, { constructor: { prototype: { x: 1 } } });
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });
});
