import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  parseQuery,
  type Comparator,
  type Condition,
  type Expression,
  type ParsedQuery,
  type QueryValue,
} from '../../../framework/src/query/index.js';

const u = (raw: string): QueryValue => ({ type: 'untyped', raw });

function cond(attribute: string, comparator: Comparator, value: QueryValue, strict: boolean, position: number): Condition {
  return { kind: 'condition', attribute: attribute.split('.'), comparator, value, strict, position };
}

const and = (...children: Expression[]): Expression => ({ kind: 'and', children });
const or = (...children: Expression[]): Expression => ({ kind: 'or', children });
const where = (expression: Expression): ParsedQuery => ({ where: expression, count: false, explain: false });
const only = (parts: Partial<ParsedQuery>): ParsedQuery => ({ count: false, explain: false, ...parts });

const operators: [string, ParsedQuery][] = [
  ['a=1', where(cond('a', 'eq', u('1'), true, 0))],
  ['a==1', where(cond('a', 'eq', u('1'), false, 0))],
  ['a===1', where(cond('a', 'eq', u('1'), true, 0))],
  ['a!=1', where(cond('a', 'ne', u('1'), false, 0))],
  ['a!==1', where(cond('a', 'ne', u('1'), true, 0))],
  ['a=eq=1', where(cond('a', 'eq', u('1'), false, 0))],
  ['a=ne=1', where(cond('a', 'ne', u('1'), false, 0))],
  ['a=lt=1', where(cond('a', 'lt', u('1'), false, 0))],
  ['a=le=1', where(cond('a', 'le', u('1'), false, 0))],
  ['a=gt=1', where(cond('a', 'gt', u('1'), false, 0))],
  ['a=ge=1', where(cond('a', 'ge', u('1'), false, 0))],
  ['a=ct=bc', where(cond('a', 'ct', u('bc'), false, 0))],
  ['a=sw=bc', where(cond('a', 'sw', u('bc'), false, 0))],
  ['a=ew=bc', where(cond('a', 'ew', u('bc'), false, 0))],
  ['a<1', where(cond('a', 'lt', u('1'), false, 0))],
  ['a<=1', where(cond('a', 'le', u('1'), false, 0))],
  // fetch and browsers percent-encode < and > in query strings
  ['a%3C1', where(cond('a', 'lt', u('1'), false, 0))],
  ['a%3c=1', where(cond('a', 'le', u('1'), false, 0))],
  ['a%3E1', where(cond('a', 'gt', u('1'), false, 0))],
  ['a%3E=1', where(cond('a', 'ge', u('1'), false, 0))],
  ['a=x%3Cy', where(cond('a', 'eq', u('x<y'), true, 0))],
  ['a>1', where(cond('a', 'gt', u('1'), false, 0))],
  ['a>=1', where(cond('a', 'ge', u('1'), false, 0))],
  ['name==Ab*', where(cond('name', 'sw', u('Ab'), false, 0))],
  ['name==string:Ab*', where(cond('name', 'sw', { type: 'string', value: 'Ab' }, false, 0))],
  ['name==Ab%2A', where(cond('name', 'eq', u('Ab*'), false, 0))],
  ['a=', where(cond('a', 'eq', u(''), true, 0))],
  ['a=lt', where(cond('a', 'eq', u('lt'), true, 0))],
  ['brand.name=Acme', where(cond('brand.name', 'eq', u('Acme'), true, 0))],
  ['a.b.c=gt=2', where(cond('a.b.c', 'gt', u('2'), false, 0))],
];

const values: [string, ParsedQuery][] = [
  ['a=null', where(cond('a', 'eq', { type: 'null' }, true, 0))],
  ['a=string:null', where(cond('a', 'eq', { type: 'string', value: 'null' }, true, 0))],
  ['a=number:123', where(cond('a', 'eq', { type: 'number', value: 123 }, true, 0))],
  ['a=number:-1.5e3', where(cond('a', 'eq', { type: 'number', value: -1500 }, true, 0))],
  ['a=boolean:true', where(cond('a', 'eq', { type: 'boolean', value: true }, true, 0))],
  ['a=boolean:false', where(cond('a', 'eq', { type: 'boolean', value: false }, true, 0))],
  ['a=string:abc', where(cond('a', 'eq', { type: 'string', value: 'abc' }, true, 0))],
  ['a=string:', where(cond('a', 'eq', { type: 'string', value: '' }, true, 0))],
  ['a=string:x%3Ay', where(cond('a', 'eq', { type: 'string', value: 'x:y' }, true, 0))],
  [
    'd=gt=date:2024-01-05T20%3A07%3A27Z',
    where(cond('d', 'gt', { type: 'date', value: new Date('2024-01-05T20:07:27Z') }, false, 0)),
  ],
  ['d=date:2024-01-05', where(cond('d', 'eq', { type: 'date', value: new Date('2024-01-05') }, true, 0))],
  ['a=number%3A1', where(cond('a', 'eq', u('number:1'), true, 0))],
  ['a=other:1', where(cond('a', 'eq', u('other:1'), true, 0))],
];

const decoding: [string, ParsedQuery][] = [
  ['a=x%26y', where(cond('a', 'eq', u('x&y'), true, 0))],
  ['a=x%3Dy', where(cond('a', 'eq', u('x=y'), true, 0))],
  ['a=%7C%28%29%5B%5D', where(cond('a', 'eq', u('|()[]'), true, 0))],
  ['na%20me=caf%C3%A9', where(cond('na me', 'eq', u('café'), true, 0))],
  ['a%2Eb=1', where({ ...cond('x', 'eq', u('1'), true, 0), attribute: ['a.b'] })],
  ['a=1+2', where(cond('a', 'eq', u('1+2'), true, 0))],
];

const a0 = cond('a', 'eq', u('1'), true, 0);
const structure: [string, ParsedQuery][] = [
  ['a=1&b=2', where(and(a0, cond('b', 'eq', u('2'), true, 4)))],
  ['a=1|b=2', where(or(a0, cond('b', 'eq', u('2'), true, 4)))],
  [
    'a=1|b=2&c=3',
    where(or(a0, and(cond('b', 'eq', u('2'), true, 4), cond('c', 'eq', u('3'), true, 8)))),
  ],
  [
    'a=1&b=2|c=3',
    where(or(and(a0, cond('b', 'eq', u('2'), true, 4)), cond('c', 'eq', u('3'), true, 8))),
  ],
  [
    'a=1&[b=2|c=3]',
    where(and(a0, or(cond('b', 'eq', u('2'), true, 5), cond('c', 'eq', u('3'), true, 9)))),
  ],
  [
    'a=1&(b=2|c=3)',
    where(and(a0, or(cond('b', 'eq', u('2'), true, 5), cond('c', 'eq', u('3'), true, 9)))),
  ],
  ['(a=1)', where(cond('a', 'eq', u('1'), true, 1))],
  ['[[(a=1)]]', where(cond('a', 'eq', u('1'), true, 3))],
  [
    '[a=1|(b=2&[c=3|d=4])]&e=5',
    where(
      and(
        or(
          cond('a', 'eq', u('1'), true, 1),
          and(
            cond('b', 'eq', u('2'), true, 6),
            or(cond('c', 'eq', u('3'), true, 11), cond('d', 'eq', u('4'), true, 15)),
          ),
        ),
        cond('e', 'eq', u('5'), true, 22),
      ),
    ),
  ],
  ['(a=1&b=2)&c=3', where(and(and(cond('a', 'eq', u('1'), true, 1), cond('b', 'eq', u('2'), true, 5)), cond('c', 'eq', u('3'), true, 10)))],
  ['a=1&b=2&c=3', where(and(a0, cond('b', 'eq', u('2'), true, 4), cond('c', 'eq', u('3'), true, 8)))],
];

const ranges: [string, ParsedQuery][] = [
  ['price=gt=10&lt=20', where(and(cond('price', 'gt', u('10'), false, 0), cond('price', 'lt', u('20'), false, 12)))],
  ['price=ge=10&le=20', where(and(cond('price', 'ge', u('10'), false, 0), cond('price', 'le', u('20'), false, 12)))],
  ['price=lt=20&gt=10', where(and(cond('price', 'lt', u('20'), false, 0), cond('price', 'gt', u('10'), false, 12)))],
  ['price>10&le=20', where(and(cond('price', 'gt', u('10'), false, 0), cond('price', 'le', u('20'), false, 9)))],
  [
    'b.p=gt=1&lt=9&x=1',
    where(and(cond('b.p', 'gt', u('1'), false, 0), cond('b.p', 'lt', u('9'), false, 9), cond('x', 'eq', u('1'), true, 14))),
  ],
  // Not a range continuation: the previous condition is not a bound of the other side, or is in another branch.
  ['price=gt=10&gt=20', where(and(cond('price', 'gt', u('10'), false, 0), cond('gt', 'eq', u('20'), true, 12)))],
  ['a=1&lt=20', where(and(a0, cond('lt', 'eq', u('20'), true, 4)))],
  ['p=gt=1|lt=2', where(or(cond('p', 'gt', u('1'), false, 0), cond('lt', 'eq', u('2'), true, 7)))],
  ['p=gt=1&lt==2', where(and(cond('p', 'gt', u('1'), false, 0), cond('lt', 'eq', u('2'), false, 7)))],
];

const functions: [string, ParsedQuery][] = [
  ['select(a)', only({ select: { kind: 'value', field: { name: 'a' } } })],
  ['select(a,b)', only({ select: { kind: 'object', fields: [{ name: 'a' }, { name: 'b' }] } })],
  ['select(a,)', only({ select: { kind: 'object', fields: [{ name: 'a' }] } })],
  ['select([a,b])', only({ select: { kind: 'array', fields: [{ name: 'a' }, { name: 'b' }] } })],
  ['select([a])', only({ select: { kind: 'array', fields: [{ name: 'a' }] } })],
  [
    'select(name,brand{name,id})',
    only({
      select: { kind: 'object', fields: [{ name: 'name' }, { name: 'brand', children: [{ name: 'name' }, { name: 'id' }] }] },
    }),
  ],
  [
    'select(brand{owner{name}})',
    only({ select: { kind: 'value', field: { name: 'brand', children: [{ name: 'owner', children: [{ name: 'name' }] }] } } }),
  ],
  ['select($id,na%20me)', only({ select: { kind: 'object', fields: [{ name: '$id' }, { name: 'na me' }] } })],
  ['limit(10)', only({ limit: 10 })],
  ['limit(0)', only({ limit: 0 })],
  ['limit(10,30)', only({ offset: 10, limit: 20 })],
  ['limit(5,5)', only({ offset: 5, limit: 0 })],
  ['sort(a)', only({ sort: [{ attribute: ['a'], descending: false }] })],
  [
    'sort(+a,-b.c,d)',
    only({
      sort: [
        { attribute: ['a'], descending: false },
        { attribute: ['b', 'c'], descending: true },
        { attribute: ['d'], descending: false },
      ],
    }),
  ],
  ['count()', only({ count: true })],
  ['explain()', only({ explain: true })],
  [
    'a=1&select(a)&limit(2)&sort(-a)&count()&explain()',
    {
      where: a0,
      select: { kind: 'value', field: { name: 'a' } },
      limit: 2,
      sort: [{ attribute: ['a'], descending: true }],
      count: true,
      explain: true,
    },
  ],
  ['limit(1)&a=1', { where: cond('a', 'eq', u('1'), true, 9), limit: 1, count: false, explain: false }],
  ['a=1|b=2&limit(3)', { where: or(a0, cond('b', 'eq', u('2'), true, 4)), limit: 3, count: false, explain: false }],
  ['', only({})],
];

function runTable(name: string, rows: [string, ParsedQuery][]): void {
  describe(name, () => {
    for (const [input, expected] of rows) {
      test(JSON.stringify(input), () => assert.deepEqual(parseQuery(input), expected));
    }
  });
}

runTable('operators', operators);
runTable('typed values', values);
runTable('percent-decoding', decoding);
runTable('grouping and precedence', structure);
runTable('chained ranges', ranges);
runTable('functions', functions);

describe('limits of nesting', () => {
  test('32 nested groups parse', () => {
    const parsed = parseQuery(`${'('.repeat(32)}a=1${')'.repeat(32)}`);
    assert.deepEqual(parsed.where, cond('a', 'eq', u('1'), true, 32));
  });
});
