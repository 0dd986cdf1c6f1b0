import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { LodeError } from '../../../framework/src/errors/index.js';
import {
  parseQuery,
  type Comparator,
  type Condition,
  type Expression,
  type ParsedQuery,
  type QueryValue,
  type Select,
  type SelectField,
  type SortKey,
} from '../../../framework/src/query/index.js';

// ---- A printer from AST to URL query string, independent of the parser ----

const SAFE = /^[A-Za-z0-9_$~-]$/;

/** Percent-encodes everything but a small safe set, including the characters encodeURIComponent leaves alone. */
function enc(text: string): string {
  let out = '';
  for (const char of text) {
    if (SAFE.test(char)) out += char;
    else if ("!'()*.".includes(char)) out += `%${char.charCodeAt(0).toString(16).toUpperCase()}`;
    else out += encodeURIComponent(char);
  }
  return out;
}

const printPath = (path: string[]): string => path.map(enc).join('.');

function printValue(value: QueryValue): string {
  switch (value.type) {
    case 'untyped':
      // A raw `null` would read back as the null literal, so its first letter is escaped.
      return value.raw === 'null' ? '%6Eull' : enc(value.raw);
    case 'null':
      return 'null';
    case 'number':
      return `number:${enc(String(value.value))}`;
    case 'boolean':
      return `boolean:${value.value}`;
    case 'string':
      return `string:${enc(value.value)}`;
    case 'date':
      return `date:${enc(value.value.toISOString())}`;
  }
}

const SYMBOL: Partial<Record<Comparator, string>> = { lt: '<', le: '<=', gt: '>', ge: '>=' };

/** `variant` picks one of the equivalent spellings, so every operator form gets printed. */
function printCondition(condition: Condition, variant: number): string {
  const attribute = printPath(condition.attribute);
  const value = printValue(condition.value);
  const { comparator, strict } = condition;
  const textual = condition.value.type === 'untyped' || condition.value.type === 'string';
  let spellings: string[];
  if (comparator === 'eq') spellings = strict ? ['=', '==='] : ['==', '=eq='];
  else if (comparator === 'ne') spellings = strict ? ['!=='] : ['!=', '=ne='];
  else spellings = [`=${comparator}=`, ...(SYMBOL[comparator] ? [SYMBOL[comparator]] : [])];
  if (comparator === 'sw' && textual && variant % 3 === 2) return `${attribute}==${value}*`;
  return `${attribute}${spellings[variant % spellings.length]}${value}`;
}

function printExpression(expression: Expression, variants: WeakMap<Condition, number>): string {
  if (expression.kind === 'condition') return printCondition(expression, variants.get(expression) ?? 0);
  const separator = expression.kind === 'and' ? '&' : '|';
  return expression.children
    .map((child, index) => {
      const text = printExpression(child, variants);
      if (child.kind === 'condition') return text;
      // AND inside OR needs no brackets (AND binds tighter); every other nesting must keep them.
      if (expression.kind === 'or' && child.kind === 'and' && index % 2 === 0) return text;
      return index % 2 === 0 ? `(${text})` : `[${text}]`;
    })
    .join(separator);
}

const printField = (field: SelectField): string =>
  enc(field.name) + (field.children ? `{${field.children.map(printField).join(',')}}` : '');

function printSelect(select: Select): string {
  if (select.kind === 'value') return `select(${printField(select.field)})`;
  if (select.kind === 'array') return `select([${select.fields.map(printField).join(',')}])`;
  const fields = select.fields.map(printField).join(',');
  return `select(${fields}${select.fields.length === 1 ? ',' : ''})`;
}

const printSort = (keys: SortKey[]): string =>
  `sort(${keys.map((key) => (key.descending ? '-' : '+') + printPath(key.attribute)).join(',')})`;

function printQuery(query: ParsedQuery, variants: WeakMap<Condition, number>, functionsFirst: boolean): string {
  const functions: string[] = [];
  if (query.select) functions.push(printSelect(query.select));
  if (query.sort) functions.push(printSort(query.sort));
  if (query.limit !== undefined) {
    functions.push(query.offset === undefined ? `limit(${query.limit})` : `limit(${query.offset},${query.offset + query.limit})`);
  }
  if (query.count) functions.push('count()');
  if (query.explain) functions.push('explain()');
  const where = query.where ? [printExpression(query.where, variants)] : [];
  return (functionsFirst ? [...functions, ...where] : [...where, ...functions]).join('&');
}

// ---- Generators of well-formed ASTs ----

const nameChars = fc.constantFrom(...'abcXYZ019_$-.&=|()[]{},*:+%!<> é😀'.split(/(?:)/u));
// Bare range-bound names could read as a range continuation (`p=gt=1&lt=2`), so they are left out.
// Names never hold `<` or `>` (GraphQL names cannot): encoded, they are the comparison operators.
const segment = fc
  .string({ unit: nameChars, minLength: 1, maxLength: 5 })
  .filter((name) => !['lt', 'le', 'gt', 'ge'].includes(name) && !/[<>]/.test(name));
const path = fc.array(segment, { minLength: 1, maxLength: 3 });
const text = fc.string({ unit: nameChars, maxLength: 6 });

const value: fc.Arbitrary<QueryValue> = fc.oneof(
  text.map((raw) => ({ type: 'untyped' as const, raw })),
  fc.constant({ type: 'null' as const }),
  fc
    .double({ noNaN: true, noDefaultInfinity: true })
    .map((n) => ({ type: 'number' as const, value: Object.is(n, -0) ? 0 : n })),
  fc.boolean().map((b) => ({ type: 'boolean' as const, value: b })),
  text.map((s) => ({ type: 'string' as const, value: s })),
  fc.date({ noInvalidDate: true }).map((d) => ({ type: 'date' as const, value: d })),
);

const operator = fc.constantFrom<[Comparator, boolean]>(
  ['eq', true], ['eq', false], ['ne', true], ['ne', false],
  ['lt', false], ['le', false], ['gt', false], ['ge', false], ['ct', false], ['sw', false], ['ew', false],
);

const variants = new WeakMap<Condition, number>();

const condition: fc.Arbitrary<Condition> = fc
  .tuple(path, operator, value, fc.nat(5))
  .map(([attribute, [comparator, strict], conditionValue, variant]) => {
    const node: Condition = { kind: 'condition', attribute, comparator, value: conditionValue, strict, position: 0 };
    variants.set(node, variant);
    return node;
  });

const { expression } = fc.letrec<{ expression: Expression }>((tie) => ({
  expression: fc.oneof(
    { maxDepth: 4 },
    condition,
    fc.record(
      {
        kind: fc.constantFrom<'and' | 'or'>('and', 'or'),
      children: fc.array(tie('expression'), { minLength: 2, maxLength: 3 }),
      },
      { noNullPrototype: true },
    ),
  ),
}));

const { field } = fc.letrec<{ field: SelectField }>((tie) => ({
  field: fc.oneof(
    { maxDepth: 2 },
    segment.map((name) => ({ name })),
    fc.record(
      { name: segment, children: fc.array(tie('field'), { minLength: 1, maxLength: 3 }) },
      { noNullPrototype: true },
    ),
  ),
}));

const select: fc.Arbitrary<Select> = fc.oneof(
  field.map((f) => ({ kind: 'value' as const, field: f })),
  fc.array(field, { minLength: 1, maxLength: 3 }).map((fields) => ({ kind: 'object' as const, fields })),
  fc.array(field, { minLength: 1, maxLength: 3 }).map((fields) => ({ kind: 'array' as const, fields })),
);

const sort = fc.array(fc.record({ attribute: path, descending: fc.boolean() }, { noNullPrototype: true }), {
  minLength: 1,
  maxLength: 3,
});

const query: fc.Arbitrary<ParsedQuery> = fc
  .record(
    {
      where: expression,
      select,
      sort,
      page: fc.record(
        { limit: fc.nat(1_000_000), offset: fc.option(fc.nat(1_000_000), { nil: undefined }) },
        { noNullPrototype: true },
      ),
      count: fc.boolean(),
      explain: fc.boolean(),
    },
    { requiredKeys: ['count', 'explain'], noNullPrototype: true },
  )
  .map(({ page, ...rest }) => {
    const parsed: ParsedQuery = { ...rest };
    if (page) {
      parsed.limit = page.limit;
      if (page.offset !== undefined) parsed.offset = page.offset;
    }
    return parsed;
  });

function withoutPositions(expression: Expression | undefined): unknown {
  if (!expression) return undefined;
  if (expression.kind === 'condition') return { ...expression, position: 0 };
  return { kind: expression.kind, children: expression.children.map(withoutPositions) };
}

function conditionsOf(expression: Expression | undefined): Condition[] {
  if (!expression) return [];
  return expression.kind === 'condition' ? [expression] : expression.children.flatMap(conditionsOf);
}

// ---- Properties ----

const grammarAlphabet = fc.constantFrom(...'=<>!&|()[]{},.*:+-%abcnulsetimorxyz019AF'.split(''));
const POSITION = /at position (\d+)$/;

function parsesOrRejects(input: string): void {
  try {
    parseQuery(input);
  } catch (error) {
    assert.ok(error instanceof LodeError, `${JSON.stringify(input)} threw ${String(error)}`);
    assert.equal(error.code, 'BAD_REQUEST');
    const match = POSITION.exec(error.errors?.[0]?.message ?? '');
    assert.ok(match, `no position in ${error.message}`);
    assert.ok(Number(match[1]) <= input.length, `position ${match[1]} beyond ${JSON.stringify(input)}`);
  }
}

describe('parseQuery properties', () => {
  test('any string over the grammar characters parses or is a BAD_REQUEST, quickly', () => {
    const started = performance.now();
    fc.assert(fc.property(fc.string({ unit: grammarAlphabet, maxLength: 80 }), parsesOrRejects), { numRuns: 2000 });
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 3000, `2,000 runs took ${Math.round(elapsed)} ms`);
  });

  test('mutations of well-formed queries parse or are a BAD_REQUEST', () => {
    const mutated = fc
      .tuple(query, fc.boolean(), fc.nat(), fc.nat(), grammarAlphabet)
      .map(([q, first, at, length, insert]) => {
        const printed = printQuery(q, variants, first);
        const cut = at % (printed.length + 1);
        return printed.slice(0, cut) + insert + printed.slice(cut + (length % 3));
      });
    fc.assert(fc.property(mutated, parsesOrRejects), { numRuns: 1000 });
  });

  test('printing a well-formed query and parsing it back gives the same AST', () => {
    fc.assert(
      fc.property(query, fc.boolean(), (expected, functionsFirst) => {
        const printed = printQuery(expected, variants, functionsFirst);
        const parsed = parseQuery(printed);
        assert.deepEqual(
          { ...parsed, where: withoutPositions(parsed.where) },
          { ...expected, where: withoutPositions(expected.where) },
          printed,
        );
        for (const c of conditionsOf(parsed.where)) {
          assert.ok(printed.startsWith(printPath(c.attribute), c.position), `position ${c.position} in ${printed}`);
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('large and deeply bracketed inputs take linear time', () => {
    const inputs = [
      'a=1&'.repeat(50_000) + 'a=1',
      'a=1|'.repeat(50_000) + 'a=1',
      `a=${'b'.repeat(200_000)}`,
      `a=${'x'.repeat(200_000)}=`,
      'x'.repeat(200_000),
      `a==${'%41'.repeat(60_000)}*`,
      '('.repeat(200_000),
      `select(${'a,'.repeat(50_000)}a)`,
      `sort(${'-a.b,'.repeat(40_000)}c)`,
      'p=gt=1&lt=2&'.repeat(20_000) + 'x=1',
    ];
    for (const input of inputs) {
      const started = performance.now();
      parsesOrRejects(input);
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 1000, `${input.slice(0, 20)}… took ${Math.round(elapsed)} ms`);
    }
  });
});
