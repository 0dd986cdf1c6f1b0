import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LodeError } from '../../../framework/src/errors/index.js';
import { parseQueryObject, type Comparator, type Condition, type Expression, type ParsedQuery, type QueryValue } from '../../../framework/src/query/index.js';

const cond = (attribute: string | string[], comparator: Comparator, value: QueryValue, position = 0): Condition => ({
  kind: 'condition',
  attribute: typeof attribute === 'string' ? [attribute] : attribute,
  comparator,
  value,
  strict: true,
  position,
});
const text = (raw: string): QueryValue => ({ type: 'untyped', raw });
const num = (value: number): QueryValue => ({ type: 'number', value });
const where = (input: unknown): Expression | undefined => parseQueryObject(input).where;

function conversionError(input: unknown): LodeError {
  try {
    parseQueryObject(input);
  } catch (error) {
    assert.ok(error instanceof LodeError, `expected a LodeError, got ${String(error)}`);
    assert.equal(error.code, 'BAD_REQUEST');
    assert.equal(error.status, 400);
    return error;
  }
  assert.fail('converted without error');
}
const errorPaths = (input: unknown): string[] => (conversionError(input).errors ?? []).map((error) => error.path);

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

describe('parseQueryObject: comparators', () => {
  const names: [string, Comparator][] = [
    ['equals', 'eq'], ['not_equal', 'ne'], ['greater_than', 'gt'], ['greater_than_equal', 'ge'], ['less_than', 'lt'],
    ['less_than_equal', 'le'], ['starts_with', 'sw'], ['contains', 'ct'], ['ends_with', 'ew'],
    ['notEqual', 'ne'], ['greaterThan', 'gt'], ['greaterThanEqual', 'ge'], ['lessThan', 'lt'], ['lessThanEqual', 'le'],
    ['startsWith', 'sw'], ['endsWith', 'ew'],
    ['eq', 'eq'], ['ne', 'ne'], ['gt', 'gt'], ['ge', 'ge'], ['lt', 'lt'], ['le', 'le'], ['sw', 'sw'], ['ct', 'ct'], ['ew', 'ew'],
  ];
  for (const [name, comparator] of names) {
    test(`${name} → ${comparator}`, () => {
      assert.deepEqual(where({ conditions: [{ attribute: 'a', comparator: name, value: 'x' }] }), cond('a', comparator, text('x')));
    });
  }

  test('the comparator defaults to equals; a bare query has no clauses', () => {
    assert.deepEqual(parseQueryObject({ conditions: [{ attribute: 'a', value: 1 }] }), { where: cond('a', 'eq', num(1)), count: false, explain: false });
    assert.deepEqual(parseQueryObject({}), { count: false, explain: false });
    assert.deepEqual(parseQueryObject({ conditions: [] }), { count: false, explain: false });
  });

  test('between is an inclusive range, merged into the top-level AND', () => {
    assert.deepEqual(where({ conditions: [{ attribute: 'price', comparator: 'between', value: [10, 20] }] }), {
      kind: 'and',
      children: [cond('price', 'ge', num(10)), cond('price', 'le', num(20))],
    });
    assert.deepEqual(where({ conditions: [{ attribute: 'c', value: 'home' }, { attribute: 'price', comparator: 'between', value: ['1', '5'] }] }), {
      kind: 'and',
      children: [cond('c', 'eq', text('home')), cond('price', 'ge', text('1'), 1), cond('price', 'le', text('5'), 1)],
    });
    assert.deepEqual(where({ operator: 'or', conditions: [{ attribute: 'c', value: 'x' }, { attribute: 'p', comparator: 'between', value: [1, 2] }] }), {
      kind: 'or',
      children: [cond('c', 'eq', text('x')), { kind: 'and', children: [cond('p', 'ge', num(1), 1), cond('p', 'le', num(2), 1)] }],
    });
  });
});

describe('parseQueryObject: values and attributes', () => {
  test('values keep their JavaScript type; strings are decoded later by the schema', () => {
    const date = new Date('2024-01-05T00:00:00Z');
    const values: [unknown, QueryValue][] = [
      ['home', text('home')],
      ['', text('')],
      [12.5, num(12.5)],
      [-0, num(-0)],
      [true, { type: 'boolean', value: true }],
      [false, { type: 'boolean', value: false }],
      [null, { type: 'null' }],
      [date, { type: 'date', value: date }],
      [12345678901234567890n, text('12345678901234567890')],
    ];
    for (const [value, expected] of values) {
      assert.deepEqual(where({ conditions: [{ attribute: 'a', value }] }), cond('a', 'eq', expected), String(value));
    }
  });

  test('a Date value is copied, so changing the caller\'s Date later does not change the query', () => {
    const date = new Date('2024-01-05T00:00:00Z');
    const condition = where({ conditions: [{ attribute: 'a', comparator: 'gt', value: date }] }) as Condition;
    date.setFullYear(2000);
    assert.deepEqual(condition.value, { type: 'date', value: new Date('2024-01-05T00:00:00Z') });
  });

  test('an array attribute is a relationship path; a string is one name, dots included', () => {
    assert.deepEqual(where({ conditions: [{ attribute: ['brand', 'name'], value: 'Acme' }] }), cond(['brand', 'name'], 'eq', text('Acme')));
    assert.deepEqual(where({ conditions: [{ attribute: 'brand.name', value: 'Acme' }] }), cond(['brand.name'], 'eq', text('Acme')));
  });

  test('the AST shares no arrays with the input', () => {
    const path = ['brand', 'name'];
    const condition = where({ conditions: [{ attribute: path, value: 'x' }] }) as Condition;
    path.push('extra');
    assert.deepEqual(condition.attribute, ['brand', 'name']);
  });
});

describe('parseQueryObject: groups', () => {
  test('top-level operator or', () => {
    assert.deepEqual(where({ operator: 'or', conditions: [{ attribute: 'a', value: 1 }, { attribute: 'b', value: 2 }] }), {
      kind: 'or',
      children: [cond('a', 'eq', num(1)), cond('b', 'eq', num(2), 1)],
    });
  });

  test('nested groups, positions counted depth-first', () => {
    const query = {
      conditions: [
        { attribute: 'a', value: 1 },
        { operator: 'or', conditions: [{ attribute: 'b', value: 2 }, { operator: 'and', conditions: [{ attribute: 'c', value: 3 }, { attribute: 'd', value: 4 }] }] },
        { attribute: 'e', value: 5 },
      ],
    };
    assert.deepEqual(where(query), {
      kind: 'and',
      children: [
        cond('a', 'eq', num(1)),
        { kind: 'or', children: [cond('b', 'eq', num(2), 1), { kind: 'and', children: [cond('c', 'eq', num(3), 2), cond('d', 'eq', num(4), 3)] }] },
        cond('e', 'eq', num(5), 4),
      ],
    });
  });

  test('a group operator defaults to and; one-element groups collapse and same-kind groups merge', () => {
    assert.deepEqual(where({ conditions: [{ conditions: [{ attribute: 'a', value: 1 }] }] }), cond('a', 'eq', num(1)));
    assert.deepEqual(where({ conditions: [{ attribute: 'a', value: 1 }, { conditions: [{ attribute: 'b', value: 2 }, { attribute: 'c', value: 3 }] }] }), {
      kind: 'and',
      children: [cond('a', 'eq', num(1)), cond('b', 'eq', num(2), 1), cond('c', 'eq', num(3), 2)],
    });
    assert.deepEqual(where({ operator: 'or', conditions: [{ operator: 'or', conditions: [{ attribute: 'a', value: 1 }, { attribute: 'b', value: 2 }] }] }), {
      kind: 'or',
      children: [cond('a', 'eq', num(1)), cond('b', 'eq', num(2), 1)],
    });
  });

  test('32 levels of groups are accepted, 33 are refused', () => {
    const nest = (levels: number): Record<string, unknown> => {
      let query: Record<string, unknown> = { attribute: 'a', value: 1 };
      for (let level = 0; level < levels; level++) query = { operator: level % 2 ? 'and' : 'or', conditions: [query] };
      return { conditions: [query] };
    };
    assert.deepEqual(where(nest(32)), cond('a', 'eq', num(1)));
    const error = conversionError(nest(33));
    assert.match(error.message, /nested too deeply/);
    assert.equal(error.errors?.[0]?.path, `conditions[0]${'.conditions[0]'.repeat(32)}`);
  });
});

describe('parseQueryObject: select, sort, paging', () => {
  test('select forms', () => {
    assert.deepEqual(parseQueryObject({ select: 'id' }).select, { kind: 'value', field: { name: 'id' } });
    assert.deepEqual(parseQueryObject({ select: ['id'] }).select, { kind: 'object', fields: [{ name: 'id' }] });
    assert.deepEqual(parseQueryObject({ select: ['name', { name: 'brand', select: ['name', { name: 'owner', select: ['id'] }] }, { name: 'plain' }] }).select, {
      kind: 'object',
      fields: [{ name: 'name' }, { name: 'brand', children: [{ name: 'name' }, { name: 'owner', children: [{ name: 'id' }] }] }, { name: 'plain' }],
    });
  });

  test('a sort chain follows next; descending defaults to false; a null next ends it', () => {
    assert.deepEqual(parseQueryObject({ sort: { attribute: 'price' } }).sort, [{ attribute: ['price'], descending: false }]);
    assert.deepEqual(
      parseQueryObject({ sort: { attribute: 'price', descending: true, next: { attribute: ['brand', 'name'], next: { attribute: 'id', descending: false, next: null } } } }).sort,
      [
        { attribute: ['price'], descending: true },
        { attribute: ['brand', 'name'], descending: false },
        { attribute: ['id'], descending: false },
      ],
    );
  });

  test('limit, offset, count and explain', () => {
    const query: ParsedQuery = parseQueryObject({ limit: 10, offset: 0, count: true, explain: false });
    assert.deepEqual(query, { limit: 10, offset: 0, count: true, explain: false });
    assert.equal(parseQueryObject({ explain: true }).explain, true);
    assert.equal(parseQueryObject({ limit: 0 }).limit, 0);
  });
});

describe('parseQueryObject: errors name the field', () => {
  const cases: [string, unknown, string[]][] = [
    ['not an object', 'category=a', ['query']],
    ['null', null, ['query']],
    ['an array', [{ attribute: 'a', value: 1 }], ['query']],
    ['conditions not an array', { conditions: { attribute: 'a', value: 1 } }, ['conditions']],
    ['a condition that is not an object', { conditions: [{ attribute: 'a', value: 1 }, 'b=2'] }, ['conditions[1]']],
    ['a hole in conditions', { conditions: [{ attribute: 'a', value: 1 }, , { attribute: 'b', value: 2 }] }, ['conditions[1]']],
    ['unknown comparator', { conditions: [{ attribute: 'a', value: 1 }, { attribute: 'b', comparator: 'greater', value: 2 }] }, ['conditions[1].comparator']],
    ['comparator in another case', { conditions: [{ attribute: 'a', comparator: 'EQUALS', value: 1 }] }, ['conditions[0].comparator']],
    ['comparator that is an Object.prototype member', { conditions: [{ attribute: 'a', comparator: 'toString', value: 1 }] }, ['conditions[0].comparator']],
    ['comparator not a string', { conditions: [{ attribute: 'a', comparator: 3, value: 1 }] }, ['conditions[0].comparator']],
    ['between with a scalar', { conditions: [{ attribute: 'a', comparator: 'between', value: 1 }] }, ['conditions[0].value']],
    ['between with three values', { conditions: [{ attribute: 'a', comparator: 'between', value: [1, 2, 3] }] }, ['conditions[0].value']],
    ['between with a bad bound', { conditions: [{ attribute: 'a', comparator: 'between', value: [1, {}] }] }, ['conditions[0].value[1]']],
    ['missing value', { conditions: [{ attribute: 'a' }] }, ['conditions[0].value']],
    ['undefined value', { conditions: [{ attribute: 'a', value: undefined }] }, ['conditions[0].value']],
    ['object value', { conditions: [{ attribute: 'a', value: { $gt: 1 } }] }, ['conditions[0].value']],
    ['array value without between', { conditions: [{ attribute: 'a', value: [1, 2] }] }, ['conditions[0].value']],
    ['NaN value', { conditions: [{ attribute: 'a', value: Number.NaN }] }, ['conditions[0].value']],
    ['invalid Date', { conditions: [{ attribute: 'a', value: new Date('nope') }] }, ['conditions[0].value']],
    ['missing attribute', { conditions: [{ value: 1 }] }, ['conditions[0].attribute']],
    ['empty attribute', { conditions: [{ attribute: '', value: 1 }] }, ['conditions[0].attribute']],
    ['empty attribute path', { conditions: [{ attribute: [], value: 1 }] }, ['conditions[0].attribute']],
    ['attribute path with a number', { conditions: [{ attribute: ['brand', 1], value: 1 }] }, ['conditions[0].attribute']],
    ['unknown condition key', { conditions: [{ attribute: 'a', value: 1, comparater: 'eq' }] }, ['conditions[0].comparater']],
    ['unknown operator', { operator: 'xor', conditions: [{ attribute: 'a', value: 1 }] }, ['operator']],
    ['upper-case operator', { operator: 'OR' }, ['operator']],
    ['unknown group operator', { conditions: [{ operator: 'nor', conditions: [{ attribute: 'a', value: 1 }] }] }, ['conditions[0].operator']],
    ['empty group', { conditions: [{ operator: 'or', conditions: [] }] }, ['conditions[0].conditions']],
    ['group conditions not an array', { conditions: [{ operator: 'or', conditions: 'a=1' }] }, ['conditions[0].conditions']],
    ['group with an attribute', { conditions: [{ attribute: 'a', conditions: [{ attribute: 'a', value: 1 }] }] }, ['conditions[0].attribute']],
    ['nested bad comparator', { conditions: [{ operator: 'or', conditions: [{ attribute: 'a', value: 1 }, { attribute: 'b', comparator: 'gtt', value: 1 }] }] }, ['conditions[0].conditions[1].comparator']],
    ['typo of conditions', { condition: [{ attribute: 'a', value: 1 }] }, ['condition']],
    ['unknown top-level key', { where: {} }, ['where']],
    ['negative limit', { limit: -1 }, ['limit']],
    ['fractional offset', { offset: 1.5 }, ['offset']],
    ['limit as text', { limit: '10' }, ['limit']],
    ['unsafe limit', { limit: 2 ** 60 }, ['limit']],
    ['infinite offset', { offset: Infinity }, ['offset']],
    ['count as text', { count: 'true' }, ['count']],
    ['explain as a number', { explain: 1 }, ['explain']],
    ['empty select', { select: [] }, ['select']],
    ['select a number', { select: 3 }, ['select']],
    ['select an object', { select: { name: 'a' } }, ['select']],
    ['select a nested field without a name', { select: ['a', { select: ['b'] }] }, ['select[1].name']],
    ['nested select not an array', { select: [{ name: 'brand', select: 'name' }] }, ['select[0].select']],
    ['unknown select field key', { select: [{ name: 'brand', fields: ['name'] }] }, ['select[0].fields']],
    ['sort not an object', { sort: 'price' }, ['sort']],
    ['sort without attribute', { sort: { descending: true } }, ['sort.attribute']],
    ['sort descending as text', { sort: { attribute: 'a', descending: 'yes' } }, ['sort.descending']],
    ['bad next sort', { sort: { attribute: 'a', next: { attribute: 'b', next: { attribute: 3 } } } }, ['sort.next.next.attribute']],
    ['unknown sort key', { sort: { attribute: 'a', direction: 'desc' } }, ['sort.direction']],
  ];
  for (const [name, input, paths] of cases) {
    test(name, () => assert.deepEqual(errorPaths(input), paths));
  }

  test('the message names the path and what is wrong', () => {
    const error = conversionError({ conditions: [{ attribute: 'a', value: 1 }, { attribute: 'b', comparator: 'greater', value: 2 }] });
    assert.match(error.message, /conditions\[1\]\.comparator: unknown comparator "greater"; expected one of equals, not_equal, .*between/);
    assert.match(error.errors?.[0]?.message ?? '', /^unknown comparator "greater"/);
  });

  test('a misspelt key gets a suggestion', () => {
    assert.match(conversionError({ condition: [] }).message, /condition: unknown key \(did you mean "conditions"\?\)/);
    assert.match(conversionError({ sort: { atribute: 'a' } }).message, /sort\.atribute: unknown key \(did you mean "attribute"\?\)/);
    assert.doesNotMatch(conversionError({ zzzzzz: 1 }).message, /did you mean/);
  });

  test('every problem is reported at once', () => {
    assert.deepEqual(errorPaths({ limit: -1, conditions: [{ attribute: '', comparator: 'nope', value: {} }], sort: { attribute: 'a', descending: 1 } }), [
      'conditions[0].attribute',
      'conditions[0].comparator',
      'conditions[0].value',
      'sort.descending',
      'limit',
    ]);
  });

  test('a huge bad query makes a bounded error', () => {
    const conditions = Array.from({ length: 1000 }, () => ({ attribute: 'a', comparator: 'bad', value: 1 }));
    assert.equal(conversionError({ conditions }).errors?.length, 20);
  });

  test('structures that contain themselves are refused, not followed', () => {
    const group: { operator: string; conditions: unknown[] } = { operator: 'or', conditions: [{ attribute: 'a', value: 1 }] };
    group.conditions.push(group);
    assert.deepEqual(errorPaths({ conditions: [group] }), ['conditions[0].conditions[1]']);
    const sort: Record<string, unknown> = { attribute: 'a' };
    sort.next = { attribute: 'b', next: sort };
    assert.deepEqual(errorPaths({ sort }), ['sort.next.next']);
    const field: Record<string, unknown> = { name: 'brand' };
    field.select = ['name', field];
    assert.deepEqual(errorPaths({ select: [field] }), ['select[0].select[1]']);
  });
});

describe('parseQueryObject: the caller\'s object and prototypes', () => {
  test('an own __proto__ or constructor key (as JSON.parse makes) is an unknown key, not a prototype', () => {
    assert.deepEqual(errorPaths(JSON.parse('{"__proto__": {"limit": 1}}')), ['__proto__']);
    assert.deepEqual(errorPaths(JSON.parse('{"conditions": [{"attribute": "a", "value": 1, "__proto__": {"comparator": "gt"}}]}')), ['conditions[0].__proto__']);
    assert.deepEqual(errorPaths({ conditions: [{ attribute: 'a', value: 1, constructor: 'x' }] }), ['conditions[0].constructor']);
  });

  test('__proto__ and constructor as attribute and field names stay plain strings', () => {
    const query = parseQueryObject(JSON.parse('{"conditions": [{"attribute": "__proto__", "value": 1}, {"attribute": ["constructor", "prototype"], "value": 2}], "select": ["__proto__", {"name": "constructor", "select": ["prototype"]}], "sort": {"attribute": "__proto__"}}'));
    assert.deepEqual(query.where, { kind: 'and', children: [cond('__proto__', 'eq', num(1)), cond(['constructor', 'prototype'], 'eq', num(2), 1)] });
    assert.deepEqual(query.select, { kind: 'object', fields: [{ name: '__proto__' }, { name: 'constructor', children: [{ name: 'prototype' }] }] });
    assert.deepEqual(query.sort, [{ attribute: ['__proto__'], descending: false }]);
    assert.equal(Object.getPrototypeOf(query), Object.prototype);
    assert.deepEqual(Object.keys(Object.prototype), []);
    assert.equal(({} as Record<string, unknown>).value, undefined);
  });

  test('inherited keys are not read, even from a polluted Object.prototype', () => {
    Object.defineProperty(Object.prototype, 'conditions', { value: 'polluted', configurable: true, enumerable: false });
    try {
      assert.deepEqual(parseQueryObject({ limit: 1 }), { limit: 1, count: false, explain: false });
      assert.deepEqual(where({ conditions: [{ attribute: 'a', value: 1 }] }), cond('a', 'eq', num(1)));
    } finally {
      delete (Object.prototype as Record<string, unknown>).conditions;
    }
    class Paged {
      limit = 5;
    }
    Object.defineProperty(Paged.prototype, 'offset', { value: 7, enumerable: true });
    assert.deepEqual(parseQueryObject(new Paged()), { limit: 5, count: false, explain: false });
  });

  test('a frozen query converts and is left exactly as it was', () => {
    const input = {
      conditions: [
        { attribute: ['brand', 'name'], comparator: 'startsWith', value: 'Ac' },
        { operator: 'or', conditions: [{ attribute: 'price', comparator: 'between', value: [1, 2] }, { attribute: 'tag', value: null }] },
      ],
      operator: 'and',
      select: ['name', { name: 'brand', select: ['name'] }],
      sort: { attribute: 'price', descending: true, next: { attribute: 'id' } },
      limit: 5,
      offset: 1,
    };
    const before = structuredClone(input);
    parseQueryObject(deepFreeze(input));
    assert.deepEqual(input, before);
  });
});
