import type { ParsedQuery, Select, SelectField, SortKey } from './ast.js';
import { MAX_DEPTH, type QueryCursor } from './cursor.js';

const NAME_STOPS = ',{}()[]&|=<>!';
/** More digits than this could exceed Number.MAX_SAFE_INTEGER. */
const MAX_LIMIT_DIGITS = 15;

export type FunctionName = 'select' | 'limit' | 'sort' | 'count' | 'explain';

export function isFunctionName(name: string): name is FunctionName {
  return name === 'select' || name === 'limit' || name === 'sort' || name === 'count' || name === 'explain';
}

/**
 * Parses the arguments of a query function, the cursor just past its `(`, through the closing `)`,
 * and records the result on `query`. `nameStart` locates duplicate-call errors.
 */
export function parseFunction(cursor: QueryCursor, name: FunctionName, nameStart: number, query: ParsedQuery): void {
  const seen =
    name === 'limit' ? query.limit !== undefined : name === 'select' || name === 'sort' ? query[name] !== undefined : query[name];
  if (seen) cursor.fail(nameStart, `duplicate ${name}()`);
  switch (name) {
    case 'select':
      query.select = parseSelect(cursor);
      break;
    case 'sort':
      query.sort = parseSort(cursor);
      break;
    case 'limit': {
      const start = readCount(cursor);
      if (cursor.peek() === ',') {
        cursor.pos++;
        const endPosition = cursor.pos;
        const end = readCount(cursor);
        if (end < start) cursor.fail(endPosition, 'limit end is before its start');
        query.offset = start;
        query.limit = end - start;
      } else {
        query.limit = start;
      }
      cursor.expect(')', 'expected ")" to close limit(');
      break;
    }
    case 'count':
    case 'explain':
      cursor.expect(')', `${name}() takes no arguments`);
      query[name] = true;
      break;
  }
}

function readCount(cursor: QueryCursor): number {
  const start = cursor.pos;
  while (isDigit(cursor.peek())) cursor.pos++;
  if (cursor.pos === start) cursor.fail(start, 'limit expects a non-negative integer');
  if (cursor.pos - start > MAX_LIMIT_DIGITS) cursor.fail(start, 'limit is too large');
  return Number(cursor.text.slice(start, cursor.pos));
}

function isDigit(char: string | undefined): boolean {
  return char !== undefined && char >= '0' && char <= '9';
}

/** `select(a)` bare values, `select(a,b)` / `select(a,)` objects, `select([a,b])` arrays. */
function parseSelect(cursor: QueryCursor): Select {
  if (cursor.peek() === '[') {
    cursor.pos++;
    const fields = parseFieldList(cursor, 1);
    cursor.expect(']', 'expected "]" to close the select array');
    cursor.expect(')', 'expected ")" to close select(');
    return { kind: 'array', fields };
  }
  if (cursor.peek() === ')') cursor.fail(cursor.pos, 'select() needs at least one field');
  const fields: SelectField[] = [parseField(cursor, 0)];
  let trailingComma = false;
  while (cursor.peek() === ',') {
    cursor.pos++;
    if (cursor.peek() === ')') {
      trailingComma = true;
      break;
    }
    fields.push(parseField(cursor, 0));
  }
  cursor.expect(')', 'expected "," or ")" in select(');
  const [only] = fields;
  return only && fields.length === 1 && !trailingComma ? { kind: 'value', field: only } : { kind: 'object', fields };
}

function parseFieldList(cursor: QueryCursor, depth: number): SelectField[] {
  const fields = [parseField(cursor, depth)];
  while (cursor.peek() === ',') {
    cursor.pos++;
    fields.push(parseField(cursor, depth));
  }
  return fields;
}

function parseField(cursor: QueryCursor, depth: number): SelectField {
  const start = cursor.scanUntil(NAME_STOPS);
  if (cursor.pos === start) cursor.fail(start, 'expected a field name');
  const field: SelectField = { name: cursor.decode(start, cursor.pos) };
  if (cursor.peek() === '{') {
    if (depth + 1 > MAX_DEPTH) cursor.fail(cursor.pos, 'select is nested too deeply');
    cursor.pos++;
    field.children = parseFieldList(cursor, depth + 1);
    cursor.expect('}', 'expected "," or "}" in a nested select');
  }
  return field;
}

/** `sort(a)`, `sort(+a,-b.c)`: ascending unless prefixed with `-`. */
function parseSort(cursor: QueryCursor): SortKey[] {
  const keys: SortKey[] = [];
  do {
    if (keys.length > 0) cursor.pos++;
    const sign = cursor.peek();
    const descending = sign === '-';
    if (sign === '-' || sign === '+') cursor.pos++;
    const start = cursor.scanUntil(NAME_STOPS);
    if (cursor.pos === start) cursor.fail(start, 'expected a sort attribute');
    keys.push({ attribute: cursor.path(start, cursor.pos), descending });
  } while (cursor.peek() === ',');
  cursor.expect(')', 'expected "," or ")" in sort(');
  return keys;
}
