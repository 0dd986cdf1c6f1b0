import { LodeError, type ErrorDetail } from '../errors/index.js';
import type { Comparator, Condition, Expression, ParsedQuery, QueryValue, Select, SelectField, SortKey } from './ast.js';
import { MAX_DEPTH } from './cursor.js';

/** Comparator names of the programmatic form: Harper's snake_case names, their camelCase forms and the FIQL aliases. */
export type QueryComparatorName =
  | 'equals' | 'not_equal' | 'greater_than' | 'greater_than_equal' | 'less_than' | 'less_than_equal'
  | 'starts_with' | 'contains' | 'ends_with' | 'between'
  | 'notEqual' | 'greaterThan' | 'greaterThanEqual' | 'lessThan' | 'lessThanEqual' | 'startsWith' | 'endsWith'
  | 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'sw' | 'ct' | 'ew';

/** A condition value; strings are decoded by the attribute's schema type, the other types are compared as they are. */
export type QueryScalar = string | number | boolean | bigint | Date | null;

export interface QueryCondition {
  /** One attribute name, or a path through relationships (`['brand', 'name']`). */
  attribute: string | readonly string[];
  /** Default `equals`. */
  comparator?: QueryComparatorName;
  /** `[low, high]` for `between`, both inclusive. */
  value: QueryScalar | readonly [QueryScalar, QueryScalar];
}

export interface QueryConditionGroup {
  /** Default `and`. */
  operator?: 'and' | 'or';
  conditions: readonly (QueryCondition | QueryConditionGroup)[];
}

export interface QuerySelectField {
  name: string;
  select?: readonly (string | QuerySelectField)[];
}

/** A string selects bare values of that attribute; a list selects objects with those attributes. */
export type QuerySelect = string | readonly (string | QuerySelectField)[];

export interface QuerySort {
  attribute: string | readonly string[];
  descending?: boolean;
  /** The key that breaks ties of this one. */
  next?: QuerySort;
}

/** The programmatic form of a query, Harper's `search({ conditions, … })`; `count` and `explain` are Lode's `count()`/`explain()`. */
export interface QueryObject {
  conditions?: readonly (QueryCondition | QueryConditionGroup)[];
  /** How the top-level conditions combine; default `and`. */
  operator?: 'and' | 'or';
  select?: QuerySelect;
  sort?: QuerySort;
  limit?: number;
  offset?: number;
  count?: boolean;
  explain?: boolean;
}

const COMPARATORS = new Map<string, Comparator | 'between'>([
  ['equals', 'eq'], ['not_equal', 'ne'], ['greater_than', 'gt'], ['greater_than_equal', 'ge'],
  ['less_than', 'lt'], ['less_than_equal', 'le'], ['starts_with', 'sw'], ['contains', 'ct'], ['ends_with', 'ew'],
  ['between', 'between'],
  ['notEqual', 'ne'], ['greaterThan', 'gt'], ['greaterThanEqual', 'ge'], ['lessThan', 'lt'], ['lessThanEqual', 'le'],
  ['startsWith', 'sw'], ['endsWith', 'ew'],
  ['eq', 'eq'], ['ne', 'ne'], ['gt', 'gt'], ['ge', 'ge'], ['lt', 'lt'], ['le', 'le'], ['sw', 'sw'], ['ct', 'ct'], ['ew', 'ew'],
]);
const CANONICAL = [...COMPARATORS.keys()].slice(0, 10).join(', ');

const QUERY_KEYS = ['conditions', 'operator', 'select', 'sort', 'limit', 'offset', 'count', 'explain'];
const CONDITION_KEYS = ['attribute', 'comparator', 'value'];
const GROUP_KEYS = ['operator', 'conditions'];
const FIELD_KEYS = ['name', 'select'];
const SORT_KEYS = ['attribute', 'descending', 'next'];
/** Beyond this many problems the rest are dropped, so a huge bad query cannot make a huge error. */
const MAX_ERRORS = 20;

type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);
/** Only own properties count, so neither a polluted Object.prototype nor a class's inherited members are read as query keys. */
const field = (object: Fields, key: string): unknown => (Object.hasOwn(object, key) ? object[key] : undefined);
const at = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

/**
 * Converts Harper's programmatic query object into the AST `parseQuery` produces, so both forms run
 * through the same executor. The input is only read, never kept or changed; every problem found is
 * reported at once as BAD_REQUEST with the path of the offending field (`conditions[1].comparator`).
 */
export function parseQueryObject(input: unknown): ParsedQuery {
  const conversion = new Conversion();
  const query = conversion.query(input);
  const { errors } = conversion;
  if (errors.length > 0) {
    const summary = errors.map((error) => `${error.path}: ${error.message}`).join('; ');
    throw new LodeError('BAD_REQUEST', `Invalid query object: ${summary}`, { errors });
  }
  return query;
}

class Conversion {
  readonly errors: ErrorDetail[] = [];
  /** Depth-first ordinal of the next condition, standing in for the string form's character position. */
  #position = 0;
  /** Objects on the path being converted, so a structure that contains itself is reported instead of followed. */
  readonly #open = new Set<object>();

  fail(path: string, message: string): undefined {
    if (this.errors.length < MAX_ERRORS) this.errors.push({ path, message });
    return undefined;
  }

  query(input: unknown): ParsedQuery {
    const query: ParsedQuery = { count: false, explain: false };
    if (!isObject(input)) {
      this.fail('query', 'expected a query object { conditions, operator, select, sort, limit, offset } or a query string');
      return query;
    }
    this.keys(input, '', QUERY_KEYS);
    const operator = this.operator(field(input, 'operator'), 'operator');
    const conditions = field(input, 'conditions');
    if (conditions !== undefined) {
      if (Array.isArray(conditions)) {
        const where = combine(operator, this.expressions(conditions, 'conditions', 0));
        if (where) query.where = where;
      } else {
        this.fail('conditions', 'expected an array of conditions');
      }
    }
    const select = field(input, 'select');
    if (select !== undefined) {
      const converted = this.select(select);
      if (converted) query.select = converted;
    }
    const sort = field(input, 'sort');
    if (sort !== undefined) query.sort = this.sort(sort);
    for (const key of ['limit', 'offset'] as const) {
      const value = field(input, key);
      if (value === undefined) continue;
      if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) query[key] = value;
      else this.fail(key, 'expected a non-negative integer');
    }
    for (const key of ['count', 'explain'] as const) {
      const value = field(input, key);
      if (value === undefined) continue;
      if (typeof value === 'boolean') query[key] = value;
      else this.fail(key, 'expected true or false');
    }
    return query;
  }

  keys(object: Fields, path: string, allowed: readonly string[]): void {
    for (const key of Object.keys(object)) {
      if (allowed.includes(key)) continue;
      const near = closest(key, allowed);
      this.fail(at(path, key), `unknown key${near ? ` (did you mean "${near}"?)` : ''}; expected ${allowed.join(', ')}`);
    }
  }

  operator(value: unknown, path: string): 'and' | 'or' {
    if (value === undefined || value === 'and' || value === 'or') return value ?? 'and';
    this.fail(path, 'expected "and" or "or"');
    return 'and';
  }

  expressions(list: readonly unknown[], path: string, depth: number): Expression[] {
    const converted: Expression[] = [];
    for (let index = 0; index < list.length; index++) {
      const expression = this.expression(list[index], `${path}[${index}]`, depth);
      if (expression) converted.push(expression);
    }
    return converted;
  }

  expression(element: unknown, path: string, depth: number): Expression | undefined {
    if (!isObject(element)) return this.fail(path, 'expected a condition { attribute, comparator, value } or a group { operator, conditions }');
    if (!Object.hasOwn(element, 'conditions')) return this.condition(element, path);
    if (depth + 1 > MAX_DEPTH) return this.fail(path, `groups are nested too deeply (at most ${MAX_DEPTH} levels)`);
    if (this.#open.has(element)) return this.fail(path, 'a group cannot contain itself');
    this.keys(element, path, GROUP_KEYS);
    const operator = this.operator(field(element, 'operator'), at(path, 'operator'));
    const conditions = field(element, 'conditions');
    if (!Array.isArray(conditions) || conditions.length === 0) return this.fail(at(path, 'conditions'), 'expected a non-empty array of conditions');
    this.#open.add(element);
    const children = this.expressions(conditions, at(path, 'conditions'), depth + 1);
    this.#open.delete(element);
    return combine(operator, children);
  }

  condition(element: Fields, path: string): Expression | undefined {
    this.keys(element, path, CONDITION_KEYS);
    const position = this.#position++;
    const attribute = this.attribute(field(element, 'attribute'), at(path, 'attribute'));
    const comparator = this.comparator(field(element, 'comparator'), at(path, 'comparator'));
    const valuePath = at(path, 'value');
    if (!Object.hasOwn(element, 'value')) return this.fail(valuePath, 'a condition needs a value (null matches a missing value)');
    const raw = element.value;
    if (comparator === 'between') {
      if (!Array.isArray(raw) || raw.length !== 2) return this.fail(valuePath, 'between expects a [low, high] array');
      const low = this.value(raw[0], `${valuePath}[0]`);
      const high = this.value(raw[1], `${valuePath}[1]`);
      if (!attribute || !low || !high) return undefined;
      return { kind: 'and', children: [conditionOf(attribute, 'ge', low, position), conditionOf(attribute, 'le', high, position)] };
    }
    const value = this.value(raw, valuePath);
    return attribute && comparator && value ? conditionOf(attribute, comparator, value, position) : undefined;
  }

  comparator(name: unknown, path: string): Comparator | 'between' | undefined {
    if (name === undefined) return 'eq';
    const comparator = typeof name === 'string' ? COMPARATORS.get(name) : undefined;
    return comparator ?? this.fail(path, `unknown comparator ${quote(name)}; expected one of ${CANONICAL} (or their camelCase forms, or eq ne gt ge lt le sw ct ew)`);
  }

  attribute(value: unknown, path: string): string[] | undefined {
    if (typeof value === 'string' && value !== '') return [value];
    if (Array.isArray(value) && value.length > 0 && value.every((segment) => typeof segment === 'string' && segment !== '')) return [...(value as string[])];
    return this.fail(path, 'expected an attribute name or a non-empty array of names');
  }

  value(value: unknown, path: string): QueryValue | undefined {
    if (value === null) return { type: 'null' };
    switch (typeof value) {
      case 'string':
        // Untyped, so a string meets the attribute's schema type the way a URL value does (`'20'` for a Float is 20).
        return { type: 'untyped', raw: value };
      case 'bigint':
        // The AST has no bigint value; as text it is decoded exactly for BigInt, Int and Float attributes.
        return { type: 'untyped', raw: String(value) };
      case 'number':
        return Number.isFinite(value) ? { type: 'number', value } : this.fail(path, 'expected a finite number');
      case 'boolean':
        return { type: 'boolean', value };
      default:
        if (value instanceof Date) {
          const time = value.getTime();
          return Number.isNaN(time) ? this.fail(path, 'invalid Date') : { type: 'date', value: new Date(time) };
        }
        return this.fail(path, 'expected a string, number, boolean, bigint, Date or null');
    }
  }

  select(value: unknown): Select | undefined {
    if (typeof value === 'string' && value !== '') return { kind: 'value', field: { name: value } };
    if (Array.isArray(value) && value.length > 0) return { kind: 'object', fields: this.fields(value, 'select', 0) };
    return this.fail('select', 'expected an attribute name or a non-empty array of fields');
  }

  fields(list: readonly unknown[], path: string, depth: number): SelectField[] {
    const fields: SelectField[] = [];
    for (let index = 0; index < list.length; index++) {
      const converted = this.selectField(list[index], `${path}[${index}]`, depth);
      if (converted) fields.push(converted);
    }
    return fields;
  }

  selectField(element: unknown, path: string, depth: number): SelectField | undefined {
    if (typeof element === 'string' && element !== '') return { name: element };
    if (!isObject(element)) return this.fail(path, 'expected an attribute name or { name, select }');
    this.keys(element, path, FIELD_KEYS);
    const name = field(element, 'name');
    if (typeof name !== 'string' || name === '') return this.fail(at(path, 'name'), 'expected an attribute name');
    const select = field(element, 'select');
    if (select === undefined) return { name };
    if (!Array.isArray(select) || select.length === 0) return this.fail(at(path, 'select'), 'expected a non-empty array of fields');
    if (depth + 1 > MAX_DEPTH) return this.fail(path, `select is nested too deeply (at most ${MAX_DEPTH} levels)`);
    if (this.#open.has(element)) return this.fail(path, 'a select field cannot contain itself');
    this.#open.add(element);
    const children = this.fields(select, at(path, 'select'), depth + 1);
    this.#open.delete(element);
    return { name, children };
  }

  sort(value: unknown): SortKey[] {
    const keys: SortKey[] = [];
    const seen = new Set<object>();
    let path = 'sort';
    let key = value;
    while (key !== undefined) {
      if (!isObject(key)) {
        this.fail(path, 'expected { attribute, descending, next }');
        break;
      }
      if (seen.has(key)) {
        this.fail(path, 'the sort chain loops back on itself');
        break;
      }
      seen.add(key);
      this.keys(key, path, SORT_KEYS);
      const attribute = this.attribute(field(key, 'attribute'), at(path, 'attribute'));
      const descending = field(key, 'descending') ?? false;
      if (typeof descending !== 'boolean') this.fail(at(path, 'descending'), 'expected true or false');
      else if (attribute) keys.push({ attribute, descending });
      // A null `next` ends the chain like a missing one.
      key = field(key, 'next') ?? undefined;
      path = at(path, 'next');
    }
    return keys;
  }
}

function conditionOf(attribute: string[], comparator: Comparator, value: QueryValue, position: number): Condition {
  return { kind: 'condition', attribute, comparator, value, strict: true, position };
}

/** Same-kind groups are merged, so `between` and nested `and`s leave the top-level conditions flat for the planner. */
function combine(kind: 'and' | 'or', children: Expression[]): Expression | undefined {
  const flat = children.flatMap((child) => (child.kind === kind ? child.children : [child]));
  return flat.length > 1 ? { kind, children: flat } : flat[0];
}

function quote(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value) : `of type ${value === null ? 'null' : typeof value}`;
}

/** The allowed key within two edits of a misspelt one, for a "did you mean" hint. */
function closest(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of allowed) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
