import { LodeError } from '../errors/index.js';
import type { AttributeDef, TypeRef } from '../schema/index.js';
import type { Condition } from './ast.js';

/** A value as conditions compare it: Dates become epoch ms, everything else is kept. */
export type Comparable = string | number | boolean | bigint | null;

const NUMBER_TEXT = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function scalarOf(type: TypeRef | undefined): string | undefined {
  const element = type?.kind === 'list' ? type.of : type;
  if (element?.kind === 'scalar') return element.name;
  if (element?.kind === 'enum') return 'String';
  return undefined;
}

function badValue(condition: Condition, expected: string, raw: string): LodeError {
  const attribute = condition.attribute.join('.');
  return new LodeError('BAD_REQUEST', `Unable to use the query value ${JSON.stringify(raw)} at position ${condition.position}: ${attribute} expects ${expected}`, {
    errors: [{ path: `query.${attribute}`, message: `expects ${expected}` }],
  });
}

/**
 * The operand of a condition, decoded by the attribute's schema type: `price=10` compares with
 * the number 10 when price is a Float. Undeclared attributes take strings for strict operators
 * and numbers or booleans that look like them for coercing ones (Harper's rule for untyped attributes).
 */
export function operandOf(condition: Condition, attribute: AttributeDef | undefined): Comparable {
  const value = condition.value;
  switch (value.type) {
    case 'null':
      return null;
    case 'number':
    case 'boolean':
    case 'string':
      return value.value;
    case 'date':
      return value.value.getTime();
    case 'untyped':
      break;
  }
  const raw = value.raw;
  if (condition.comparator === 'sw' || condition.comparator === 'ew' || condition.comparator === 'ct') return raw;
  const scalar = scalarOf(attribute?.type);
  switch (scalar) {
    case 'Int':
    case 'Long':
    case 'Float': {
      const number = NUMBER_TEXT.test(raw) ? Number(raw) : NaN;
      if (!Number.isFinite(number)) throw badValue(condition, 'a number', raw);
      return number;
    }
    case 'BigInt':
      if (!/^-?\d+$/.test(raw)) throw badValue(condition, 'an integer', raw);
      return BigInt(raw);
    case 'Boolean':
      if (raw !== 'true' && raw !== 'false') throw badValue(condition, 'true or false', raw);
      return raw === 'true';
    case 'Date': {
      const time = NUMBER_TEXT.test(raw) ? Number(raw) : Date.parse(raw);
      if (!Number.isFinite(time)) throw badValue(condition, 'a date (ISO 8601 or epoch milliseconds)', raw);
      return time;
    }
    case 'ID':
    case 'String':
      return raw;
    default:
      if (condition.strict) return raw;
      if (NUMBER_TEXT.test(raw)) return Number(raw);
      return raw === 'true' ? true : raw === 'false' ? false : raw;
  }
}

/** A stored value in comparable form; arrays are compared element by element by the caller. */
export function comparable(value: unknown): Comparable | undefined {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return value.getTime();
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'bigint':
      return value;
    default:
      return undefined;
  }
}

const typeRank = (value: Comparable): number => (value === null ? 0 : typeof value === 'boolean' ? 1 : typeof value === 'string' ? 3 : 2);

/** Total order for sorting: null first, then booleans, numbers, strings (the order of the indexes). */
export function compareComparable(a: Comparable, b: Comparable): number {
  const rank = typeRank(a) - typeRank(b);
  if (rank !== 0) return rank;
  if (a === b || a === null || b === null) return 0;
  return a < b ? -1 : a > b ? 1 : 0;
}
