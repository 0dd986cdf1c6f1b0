import type { Comparator, Condition, Expression, ParsedQuery } from './ast.js';
import { MAX_DEPTH, QueryCursor, clip } from './cursor.js';
import { isFunctionName, parseFunction } from './functions.js';
import { parseValue } from './values.js';

/** Characters that end an attribute or function name. */
const NAME_STOPS = '=<>!&|()[]';
/** Characters that end a value; the other structural characters inside a value must be percent-encoded. */
const VALUE_ENDS = '&|)]';
const VALUE_FORBIDDEN = '([=<>';

const FIQL: Record<string, Comparator> = {
  eq: 'eq', ne: 'ne', lt: 'lt', le: 'le', gt: 'gt', ge: 'ge', ct: 'ct', sw: 'sw', ew: 'ew',
};

const LOWER_BOUNDS = new Set<Comparator>(['gt', 'ge']);
const UPPER_BOUNDS = new Set<Comparator>(['lt', 'le']);

interface Operator {
  comparator: Comparator;
  strict: boolean;
  /** `==` accepts a trailing `*` wildcard meaning starts-with. */
  wildcard: boolean;
  /** A single `=`, which after a range bound may continue that range (`price=gt=10&lt=20`). */
  plain: boolean;
}

/**
 * Parses a REST query string (without the leading `?`, still percent-encoded) into its AST.
 * Runs in one left-to-right pass; any malformed input throws LodeError BAD_REQUEST with the raw position.
 */
export function parseQuery(search: string): ParsedQuery {
  const query: ParsedQuery = { count: false, explain: false };
  if (search === '') return query;
  const cursor = new QueryCursor(search);
  const where = parseOr(cursor, query, 0);
  if (!cursor.atEnd) {
    const char = cursor.peek();
    cursor.fail(cursor.pos, char === ')' || char === ']' ? `unbalanced "${char}"` : `unexpected "${char}"`);
  }
  if (where) query.where = where;
  return query;
}

function parseOr(cursor: QueryCursor, query: ParsedQuery, depth: number): Expression | undefined {
  const children: Expression[] = [];
  for (;;) {
    const branch = parseAnd(cursor, query, depth);
    if (branch) children.push(branch);
    if (cursor.peek() !== '|') break;
    cursor.pos++;
  }
  return group('or', children);
}

function parseAnd(cursor: QueryCursor, query: ParsedQuery, depth: number): Expression | undefined {
  const children: Expression[] = [];
  let previous: Condition | undefined;
  for (;;) {
    const term = parseTerm(cursor, query, depth, previous);
    if (term) children.push(term);
    previous = term?.kind === 'condition' ? term : undefined;
    if (cursor.peek() !== '&') break;
    cursor.pos++;
  }
  return group('and', children);
}

function group(kind: 'and' | 'or', children: Expression[]): Expression | undefined {
  return children.length > 1 ? { kind, children } : children[0];
}

/** One condition, bracketed group, or function call; a function yields no expression. */
function parseTerm(
  cursor: QueryCursor,
  query: ParsedQuery,
  depth: number,
  previous: Condition | undefined,
): Expression | undefined {
  const start = cursor.pos;
  const opener = cursor.peek();
  if (opener === '(' || opener === '[') return parseGroup(cursor, query, depth, opener);
  while (cursor.pos < cursor.text.length && !NAME_STOPS.includes(cursor.text[cursor.pos]!) && !encodedAngle(cursor.text, cursor.pos)) cursor.pos++;
  const nameEnd = cursor.pos;
  if (cursor.peek() === '(' && nameEnd > start) {
    const name = cursor.text.slice(start, nameEnd);
    if (!isFunctionName(name)) cursor.fail(start, `unknown function "${clip(name)}"`);
    if (depth > 0) cursor.fail(start, `${name}() is only allowed at the top level`);
    cursor.pos++;
    parseFunction(cursor, name, start, query);
    const next = cursor.peek();
    if (next !== undefined && next !== '&' && next !== '|') cursor.fail(cursor.pos, `unexpected "${next}" after ${name}()`);
    return undefined;
  }
  if (nameEnd === start) {
    const char = cursor.peek();
    const trailing = start > 0 && '&|'.includes(cursor.text[start - 1]!);
    if (char === undefined || '&|)]'.includes(char)) {
      cursor.fail(start, trailing ? `expected a condition after "${cursor.text[start - 1]}"` : 'expected a condition');
    }
    cursor.fail(start, 'empty attribute');
  }
  const operator = readOperator(cursor);
  const valueStart = cursor.pos;
  let valueEnd = scanValue(cursor);
  let comparator = operator.comparator;
  if (operator.wildcard && valueEnd > valueStart && cursor.text[valueEnd - 1] === '*') {
    comparator = 'sw';
    valueEnd--;
  }
  const star = cursor.text.slice(valueStart, valueEnd).indexOf('*');
  if (star !== -1) cursor.fail(valueStart + star, 'wildcard "*" is only allowed at the end of a "==" value');
  const value = parseValue(cursor, valueStart, valueEnd);
  if (comparator === 'sw' && operator.wildcard && value.type !== 'untyped' && value.type !== 'string') {
    cursor.fail(valueStart, 'a "*" wildcard needs a text value');
  }
  const rangeBound = cursor.text.slice(start, nameEnd);
  if (operator.plain && previous && continuesRange(previous.comparator, rangeBound)) {
    return { kind: 'condition', attribute: previous.attribute, comparator: FIQL[rangeBound]!, value, strict: false, position: start };
  }
  const attribute = cursor.path(start, nameEnd);
  return { kind: 'condition', attribute, comparator, value, strict: operator.strict, position: start };
}

function continuesRange(previous: Comparator, bound: string): boolean {
  if (LOWER_BOUNDS.has(previous)) return bound === 'lt' || bound === 'le';
  if (UPPER_BOUNDS.has(previous)) return bound === 'gt' || bound === 'ge';
  return false;
}

function parseGroup(cursor: QueryCursor, query: ParsedQuery, depth: number, opener: '(' | '['): Expression | undefined {
  const open = cursor.pos;
  if (depth + 1 > MAX_DEPTH) cursor.fail(open, 'groups are nested too deeply');
  const closer = opener === '(' ? ')' : ']';
  cursor.pos++;
  if (cursor.peek() === closer) cursor.fail(open, 'empty group');
  const inner = parseOr(cursor, query, depth + 1);
  const next = cursor.peek();
  if (next === undefined) cursor.fail(open, `unbalanced "${opener}"`);
  if (next !== closer) cursor.fail(cursor.pos, `expected "${closer}" to close the group at position ${open}`);
  cursor.pos++;
  const after = cursor.peek();
  if (after !== undefined && !'&|)]'.includes(after)) cursor.fail(cursor.pos, `unexpected "${after}" after a group`);
  return inner;
}

/**
 * `<` and `>` as clients send them: fetch and browsers percent-encode both in a query string, so
 * `%3C`/`%3E` right after an attribute name are the operators (in a value they stay literal).
 */
function encodedAngle(text: string, at: number): '<' | '>' | undefined {
  if (text[at] !== '%' || text[at + 1] !== '3') return undefined;
  const code = text[at + 2];
  return code === 'C' || code === 'c' ? '<' : code === 'E' || code === 'e' ? '>' : undefined;
}

function readOperator(cursor: QueryCursor): Operator {
  const { text } = cursor;
  let at = cursor.pos;
  const encoded = encodedAngle(text, at);
  // An encoded angle is read as the raw one two characters later, so the switch below serves both.
  const first = encoded ?? text[at];
  if (encoded) at += 2;
  const second = text[at + 1];
  const coercing = (comparator: Comparator, length: number): Operator => {
    cursor.pos = at + length;
    return { comparator, strict: false, wildcard: false, plain: false };
  };
  switch (first) {
    case '=': {
      if (second === '=') {
        const strict = text[at + 2] === '=';
        cursor.pos = at + (strict ? 3 : 2);
        return { comparator: 'eq', strict, wildcard: !strict, plain: false };
      }
      let end = at + 1;
      while (end < text.length && isLetter(text[end]!)) end++;
      if (end > at + 1 && text[end] === '=') {
        const name = text.slice(at + 1, end);
        const comparator = FIQL[name];
        if (!comparator) cursor.fail(at, `unknown operator "=${clip(name)}="`);
        return coercing(comparator, end + 1 - at);
      }
      cursor.pos = at + 1;
      return { comparator: 'eq', strict: true, wildcard: false, plain: true };
    }
    case '!':
      if (second !== '=') cursor.fail(at, 'expected "!=" or "!=="');
      if (text[at + 2] === '=') {
        cursor.pos = at + 3;
        return { comparator: 'ne', strict: true, wildcard: false, plain: false };
      }
      return coercing('ne', 2);
    case '<':
      return second === '=' ? coercing('le', 2) : coercing('lt', 1);
    case '>':
      return second === '=' ? coercing('ge', 2) : coercing('gt', 1);
    default:
      return cursor.fail(at, 'expected an operator');
  }
}

/** Advances to the end of a value and returns that end. */
function scanValue(cursor: QueryCursor): number {
  const { text } = cursor;
  while (cursor.pos < text.length) {
    const char = text[cursor.pos]!;
    if (VALUE_ENDS.includes(char)) break;
    if (VALUE_FORBIDDEN.includes(char)) cursor.fail(cursor.pos, `unexpected "${char}" in a value (percent-encode it)`);
    cursor.pos++;
  }
  return cursor.pos;
}

function isLetter(char: string): boolean {
  return (char >= 'a' && char <= 'z') || (char >= 'A' && char <= 'Z');
}
