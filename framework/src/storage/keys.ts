import { LodeError } from '../errors/index.js';
import type { TypeRef } from '../schema/index.js';
import { coerceDate } from './validate.js';
import type { Key } from './types.js';

/** What a table's primary key may hold, from its declared type. */
export type KeyKind = 'string' | 'integer' | 'number' | 'any';

const INTEGER_TEXT = /^-?\d+$/;
const NUMBER_TEXT = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function keyKind(type: TypeRef | undefined): KeyKind {
  if (type?.kind !== 'scalar') return 'any';
  switch (type.name) {
    case 'ID':
    case 'String':
      return 'string';
    case 'Int':
    case 'Long':
      return 'integer';
    case 'Float':
      return 'number';
    default:
      return 'any';
  }
}

/** A key from a URL segment: numeric keys must be numbers (`'12'` → 12), others stay strings. */
export function coerceKeyFor(kind: KeyKind, raw: string): Key {
  if (kind === 'string' || kind === 'any') return raw;
  const integer = kind === 'integer';
  if ((integer ? INTEGER_TEXT : NUMBER_TEXT).test(raw)) {
    const value = Number(raw);
    if (integer ? Number.isSafeInteger(value) : Number.isFinite(value)) return value;
  }
  throw new LodeError('INVALID_ID', `${JSON.stringify(raw)} is not a valid ${integer ? 'integer' : 'numeric'} id`);
}

/** Whether `id` can be a key of this kind. */
export function isKeyOf(kind: KeyKind, id: unknown): id is Key {
  switch (kind) {
    case 'string':
      return typeof id === 'string';
    case 'integer':
      return Number.isSafeInteger(id);
    case 'number':
      return typeof id === 'number' && Number.isFinite(id);
    case 'any':
      return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
  }
}

/** An attribute the record itself holds (never one inherited from Object.prototype). */
export function ownValue(record: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(record, name) ? record[name] : undefined;
}

/** `@createdTime`/`@updatedTime` in the attribute's own type: Date, ISO string, or epoch ms. */
export function timestampValue(type: TypeRef, now: number): Date | string | number {
  if (type.kind === 'scalar' && type.name === 'Date') return new Date(now);
  if (type.kind === 'scalar' && (type.name === 'String' || type.name === 'ID')) return new Date(now).toISOString();
  return now;
}

/** A lookup value in the form the index holds for this attribute's type (e.g. '12' for an Int → 12). */
export function lookupValue(type: TypeRef | undefined, value: unknown): unknown {
  const scalar = type?.kind === 'list' ? type.of : type;
  if (scalar?.kind !== 'scalar' || typeof value !== 'string') {
    return value instanceof Date ? value.getTime() : value;
  }
  switch (scalar.name) {
    case 'Int':
    case 'Long':
    case 'Float': {
      const number = NUMBER_TEXT.test(value) ? Number(value) : NaN;
      return Number.isFinite(number) ? number : undefined;
    }
    case 'Date':
      return coerceDate(value)?.getTime();
    case 'Boolean':
      return value === 'true' ? true : value === 'false' ? false : undefined;
    default:
      return value;
  }
}

/**
 * Whether an attribute's index keys are exact numbers (numeric and Date attributes), so ranges can
 * be read from the index. String keys may be truncated, so string ranges cannot.
 */
export function hasRangeableIndexKeys(type: TypeRef | undefined): boolean {
  const scalar = type?.kind === 'list' ? type.of : type;
  return scalar?.kind === 'scalar' && ['Int', 'Long', 'Float', 'Date'].includes(scalar.name);
}
