import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { runQuery, parseQuery } from '../../../framework/src/query/index.js';
import { compileSchema } from '../../../framework/src/schema/index.js';
import { Storage, type StoredTable } from '../../../framework/src/storage/index.js';
import { silentLogger } from '../../../framework/src/util/index.js';

// An engine-independent reading of the query semantics (docs/rest.md, DESIGN.md): comparisons never
// match missing values, `=null` matches exactly them, `ne` is not-`eq`, arrays match by any element,
// sorting puts nulls first ascending and breaks ties by primary key.

type Row = { id: number; k?: string | null; n?: number | null; s?: string | null; tags?: string[]; d?: number | null };
type Op = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'sw' | 'ew' | 'ct';
type Cond = { attribute: 'k' | 'n' | 's' | 'tags' | 'd'; op: Op; value: string | number | null };
type Expr = { cond: Cond } | { and: Expr[] } | { or: Expr[] };

const letters = ['a', 'b', 'ab', 'ba', 'abc', 'c'];
/** Dates as epoch ms: the oracle compares numbers, the table stores Date objects. */
const days = [0, 1, 2, 3].map((day) => Date.UTC(2024, 0, 1 + day));

function holds(row: Row, { attribute, op, value }: Cond): boolean {
  const stored = row[attribute];
  const values: unknown[] = Array.isArray(stored) ? stored : [stored ?? null];
  if (op === 'ne') return !holds(row, { attribute, op: 'eq', value });
  if (op === 'ct' && Array.isArray(stored) && stored.includes(value as string)) return true;
  return values.some((v) => {
    if (op === 'eq') return value === null ? v === null : v === value;
    if (v === null || value === null || typeof v !== typeof value) return false;
    if (op === 'sw') return (v as string).startsWith(value as string);
    if (op === 'ew') return (v as string).endsWith(value as string);
    if (op === 'ct') return (v as string).includes(value as string);
    const a = v as number | string;
    const b = value as number | string;
    return op === 'lt' ? a < b : op === 'le' ? a <= b : op === 'gt' ? a > b : a >= b;
  });
}

/** Nulls first, then by code unit, as the engine compares strings. */
const compareText = (a: string | null | undefined, b: string | null | undefined): number =>
  (a ?? null) === (b ?? null) ? 0 : a === undefined || a === null ? -1 : b === undefined || b === null ? 1 : a < b ? -1 : 1;

const evaluate = (row: Row, expr: Expr): boolean =>
  'cond' in expr ? holds(row, expr.cond) : 'and' in expr ? expr.and.every((e) => evaluate(row, e)) : expr.or.some((e) => evaluate(row, e));

const fiql: Record<Op, string> = { eq: '=', ne: '=ne=', lt: '=lt=', le: '=le=', gt: '=gt=', ge: '=ge=', sw: '=sw=', ew: '=ew=', ct: '=ct=' };

function print(expr: Expr): string {
  if ('cond' in expr) {
    const { attribute, op, value } = expr.cond;
    const date = (ms: number): string => `date:${new Date(ms).toISOString().replaceAll(':', '%3A')}`;
    const literal = value === null ? 'null' : typeof value === 'number' ? (attribute === 'd' ? date(value) : `number:${value}`) : `string:${value}`;
    return `${attribute}${fiql[op]}${literal}`;
  }
  const parts = ('and' in expr ? expr.and : expr.or).map(print);
  return `[${parts.join('and' in expr ? '&' : '|')}]`;
}

const row: fc.Arbitrary<Omit<Row, 'id'>> = fc.record(
  {
    k: fc.option(fc.constantFrom(...letters)),
    n: fc.option(fc.integer({ min: -3, max: 3 })),
    s: fc.option(fc.constantFrom(...letters)),
    tags: fc.array(fc.constantFrom(...letters), { maxLength: 3 }),
    d: fc.option(fc.constantFrom(...days)),
  },
  { requiredKeys: [] },
);

const condition: fc.Arbitrary<Cond> = fc.oneof(
  fc.record({ attribute: fc.constantFrom('k' as const, 's' as const, 'tags' as const), op: fc.constantFrom<Op>('eq', 'ne', 'lt', 'le', 'gt', 'ge', 'sw', 'ew', 'ct'), value: fc.constantFrom(...letters) }),
  fc.record({ attribute: fc.constant('n' as const), op: fc.constantFrom<Op>('eq', 'ne', 'lt', 'le', 'gt', 'ge'), value: fc.integer({ min: -3, max: 3 }) }),
  fc.record({ attribute: fc.constant('d' as const), op: fc.constantFrom<Op>('eq', 'ne', 'lt', 'le', 'gt', 'ge'), value: fc.constantFrom(...days) }),
  fc.record({ attribute: fc.constantFrom('k' as const, 'n' as const, 's' as const, 'd' as const), op: fc.constantFrom<Op>('eq', 'ne'), value: fc.constant(null) }),
);

const expression: fc.Arbitrary<Expr> = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    condition.map((cond) => ({ cond })),
    fc.array(tie('expr'), { minLength: 1, maxLength: 3 }).map((and) => ({ and })),
    fc.array(tie('expr'), { minLength: 1, maxLength: 3 }).map((or) => ({ or })),
  ),
})).expr;

/** The record as stored: dates as Date objects. */
const stored = (r: Omit<Row, 'id'>): Record<string, unknown> => (typeof r.d === 'number' ? { ...r, d: new Date(r.d) } : r);

/** Runs `check` against a fresh table T (k, n, tags and d indexed; s not), removed afterwards. */
async function withTable(check: (table: StoredTable) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lode-query-oracle-'));
  const { tables } = compileSchema([
    { file: 'schema.graphql', text: 'type T @table { id: Int @primaryKey  k: String @indexed  n: Int @indexed  s: String  tags: [String] @indexed  d: Date @indexed }' },
  ]);
  const storage = await Storage.open({ dataDir: dir, logger: silentLogger });
  try {
    await storage.applySchema(tables);
    await check(storage.table('T')!);
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('queries return exactly what a naive evaluator over the same records returns', () =>
  withTable(async (table) => {
    // Rows outside every round's id range: index reads meet them and must filter them out, which
    // also drives the planner's estimates and its switch to id-set intersection.
    const background = fc.sample(row, { numRuns: 300, seed: 7 });
    await Promise.all(background.map((r, i) => table.put(-1 - i, stored(r))));
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { minLength: 0, maxLength: 25 }),
        expression,
        fc.boolean(),
        fc.option(fc.integer({ min: 0, max: 5 })),
        fc.option(fc.record({ op: fc.constantFrom<Op>('lt', 'le', 'gt', 'ge'), value: fc.integer({ min: -3, max: 3 }) })),
        fc.boolean(),
        async (rows, expr, descending, limit, bound, bySecondKey) => {
        round++;
        const ids = rows.map((_, i) => round * 100 + i);
        await Promise.all(rows.map((r, i) => table.put(ids[i]!, stored(r))));
        try {
          // The anchor keeps every query on an index (Harper's rule) without changing its result.
          const anchor = `k=ne=string:zzz`;
          // A top-level bound on the indexed number lets the engine start from an index range.
          const range = bound === null ? '' : `&${print({ cond: { attribute: 'n', ...bound } })}`;
          const sort = `sort(${descending ? '-' : '+'}n${bySecondKey ? ',-s' : ''})`;
          const query = `${anchor}&${print(expr)}${range}&id=ge=${round * 100}&${sort}${limit === null ? '' : `&limit(${limit})`}`;
          const outcome = runQuery(table, parseQuery(query));
          assert.equal(outcome.kind, 'rows');
          const actual = [...(outcome.kind === 'rows' ? outcome.rows : [])].map((r) => (r as Row).id);
          const key = (r: Row): number => (r.n === undefined || r.n === null ? -Infinity : r.n);
          const second = (a: Row, b: Row): number => (bySecondKey ? compareText(b.s, a.s) : 0);
          const expected = rows
            .map((r, i) => ({ ...r, id: ids[i]! }) as Row)
            .filter((r) => evaluate(r, expr) && (bound === null || holds(r, { attribute: 'n', ...bound })))
            .sort((a, b) => (key(a) === key(b) ? second(a, b) || a.id - b.id : descending ? key(b) - key(a) : key(a) - key(b)))
            .slice(0, limit ?? undefined)
            .map((r) => r.id);
          assert.deepEqual(actual, expected, query);
          const counted = runQuery(table, parseQuery(`${query}&count()`));
          assert.deepEqual(counted, { kind: 'value', value: { count: expected.length } }, `${query}&count()`);
        } finally {
          await Promise.all(ids.map((id) => table.delete(id)));
        }
      },
      ),
      { numRuns: 150 },
    );
  }));

/** Conditions every index answers exactly, so count() is read from the indexes alone. */
const exactCondition: fc.Arbitrary<Cond> = fc.oneof(
  fc.record({ attribute: fc.constantFrom('k' as const, 'tags' as const), op: fc.constant<Op>('eq'), value: fc.constantFrom(...letters) }),
  fc.record({ attribute: fc.constant('n' as const), op: fc.constantFrom<Op>('eq', 'lt', 'le', 'gt', 'ge'), value: fc.integer({ min: -3, max: 3 }) }),
  fc.record({ attribute: fc.constant('d' as const), op: fc.constantFrom<Op>('eq', 'lt', 'le', 'gt', 'ge'), value: fc.constantFrom(...days) }),
  fc.record({ attribute: fc.constantFrom('k' as const, 'n' as const, 'd' as const), op: fc.constant<Op>('eq'), value: fc.constant(null) }),
);

const exactExpression: fc.Arbitrary<Expr> = fc.oneof(
  exactCondition.map((cond) => ({ cond })),
  fc.array(exactCondition.map((cond) => ({ cond })), { minLength: 2, maxLength: 3 }).map((and) => ({ and })),
  fc.array(exactCondition.map((cond) => ({ cond })), { minLength: 2, maxLength: 3 }).map((or) => ({ or })),
);

test('count() read from the indexes equals the number of rows the query returns', () =>
  withTable(async (table) => {
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 40 }), exactExpression, fc.option(fc.integer({ min: 0, max: 4 })), async (rows, expr, offset) => {
        await Promise.all(rows.map((r, i) => table.put(i, stored(r))));
        try {
          const printed = 'cond' in expr ? print(expr) : print(expr).slice(1, -1);
          const window = offset === null ? '' : `&limit(${offset},1000)`;
          const expected = rows.filter((r, i) => evaluate({ ...r, id: i }, expr)).length;
          const plan = runQuery(table, parseQuery(`${printed}${window}&count()&explain()`));
          assert.equal(plan.kind === 'value' && (plan.value as { count?: string }).count, 'index', printed);
          const counted = runQuery(table, parseQuery(`${printed}${window}&count()`));
          assert.deepEqual(counted, { kind: 'value', value: { count: Math.max(0, expected - (offset ?? 0)) } }, printed);
          const listed = runQuery(table, parseQuery(`${printed}${window}`));
          assert.equal(listed.kind === 'rows' ? [...listed.rows].length : -1, Math.max(0, expected - (offset ?? 0)), printed);
        } finally {
          await Promise.all(rows.map((_, i) => table.delete(i)));
        }
      }),
      { numRuns: 150 },
    );
  }));
