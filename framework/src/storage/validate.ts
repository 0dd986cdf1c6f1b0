import { LodeError, type ErrorDetail } from '../errors/index.js';
import type { AttributeDef, ScalarName, TableDef, TypeRef } from '../schema/index.js';

export type ValidationMode = 'full' | 'partial';

/** Returned by a coercion that reported an error, so the caller leaves the attribute out. */
const INVALID: unique symbol = Symbol('invalid');
type Coerced = unknown | typeof INVALID;

const RESERVED_KEY = '__proto__';

interface CompiledTable {
  attributes: Map<string, AttributeDef>;
  /** Non-null attributes the client must send on a full write (storage fills the key and timestamps). */
  required: AttributeDef[];
}

const compiledTables = new WeakMap<TableDef, CompiledTable>();

function compile(def: TableDef): CompiledTable {
  let compiled = compiledTables.get(def);
  if (!compiled) {
    const attributes = new Map(def.attributes.map((attribute) => [attribute.name, attribute]));
    const required = def.attributes.filter(
      (a) => a.type.nonNull && !a.primaryKey && !a.createdTime && !a.updatedTime && !a.relationship,
    );
    compiled = { attributes, required };
    compiledTables.set(def, compiled);
  }
  return compiled;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Checks and coerces a record against its table before anything is written. Every error is
 * collected, then thrown together as one VALIDATION_FAILED. `partial` (a PATCH body) skips the
 * required-attribute check. The key and `@createdTime`/`@updatedTime` are left to storage.
 */
export function validateRecord(def: TableDef, input: unknown, mode: ValidationMode): Record<string, unknown> {
  const errors: ErrorDetail[] = [];
  if (!isPlainObject(input)) fail([{ path: '', message: 'must be an object' }]);
  const { attributes, required } = compile(def);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(input)) {
    const value = input[key];
    if (key === RESERVED_KEY) {
      errors.push({ path: key, message: 'is a reserved key' });
      continue;
    }
    const attribute = attributes.get(key);
    if (!attribute) {
      if (def.sealed) errors.push({ path: key, message: 'is not allowed' });
      else if (value !== undefined && checkReservedKeys(value, key, errors)) out[key] = value;
      continue;
    }
    if (attribute.relationship) {
      errors.push({ path: key, message: 'is a relationship and cannot be written' });
      continue;
    }
    if (attribute.createdTime || attribute.updatedTime || value === undefined) continue;
    if (value === null && attribute.primaryKey) continue;
    const coerced = coerce(attribute.type, value, key, errors);
    if (coerced !== INVALID) out[key] = coerced;
  }
  if (mode === 'full') {
    for (const attribute of required) {
      if (out[attribute.name] === undefined && !hasErrorAt(errors, attribute.name)) {
        errors.push({ path: attribute.name, message: 'is required' });
      }
    }
  }
  if (errors.length > 0) fail(errors);
  return out;
}

function fail(errors: ErrorDetail[]): never {
  throw new LodeError('VALIDATION_FAILED', errors.length === 1 ? `1 attribute is invalid` : `${errors.length} attributes are invalid`, { errors });
}

function hasErrorAt(errors: ErrorDetail[], path: string): boolean {
  return errors.some((error) => error.path === path);
}

function coerce(type: TypeRef, value: unknown, path: string, errors: ErrorDetail[]): Coerced {
  if (value === null || value === undefined) {
    if (type.nonNull) {
      errors.push({ path, message: 'is required' });
      return INVALID;
    }
    return null;
  }
  switch (type.kind) {
    case 'scalar':
      return coerceScalar(type.name, value, path, errors);
    case 'enum':
      if (typeof value === 'string' && type.values.includes(value)) return value;
      return invalid(errors, path, `must be one of: ${type.values.join(', ')}`);
    case 'list':
      return coerceList(type.of, value, path, errors);
    case 'object':
      return coerceObject(type.attributes, type.sealed, value, path, errors);
    case 'table':
      return checkReservedKeys(value, path, errors) ? value : INVALID;
  }
}

function invalid(errors: ErrorDetail[], path: string, message: string): typeof INVALID {
  errors.push({ path, message });
  return INVALID;
}

function coerceList(of: TypeRef, value: unknown, path: string, errors: ErrorDetail[]): Coerced {
  if (!Array.isArray(value)) return invalid(errors, path, 'must be an array');
  const out: unknown[] = new Array(value.length);
  let ok = true;
  for (let i = 0; i < value.length; i++) {
    const element = coerce(of, value[i], `${path}[${i}]`, errors);
    if (element === INVALID) ok = false;
    else out[i] = element;
  }
  return ok ? out : INVALID;
}

function coerceObject(
  attributes: AttributeDef[],
  sealed: boolean,
  value: unknown,
  path: string,
  errors: ErrorDetail[],
): Coerced {
  if (!isPlainObject(value)) return invalid(errors, path, 'must be an object');
  const before = errors.length;
  const out: Record<string, unknown> = {};
  const declared = attributeMap(attributes);
  for (const key of Object.keys(value)) {
    const child = `${path}.${key}`;
    if (key === RESERVED_KEY) {
      errors.push({ path: child, message: 'is a reserved key' });
      continue;
    }
    const attribute = declared.get(key);
    const element = value[key];
    if (!attribute) {
      if (sealed) errors.push({ path: child, message: 'is not allowed' });
      else if (element !== undefined && checkReservedKeys(element, child, errors)) out[key] = element;
      continue;
    }
    if (element === undefined) continue;
    const coerced = coerce(attribute.type, element, child, errors);
    if (coerced !== INVALID) out[key] = coerced;
  }
  for (const attribute of attributes) {
    if (attribute.type.nonNull && out[attribute.name] === undefined && !hasErrorAt(errors, `${path}.${attribute.name}`)) {
      errors.push({ path: `${path}.${attribute.name}`, message: 'is required' });
    }
  }
  return errors.length === before ? out : INVALID;
}

const nestedAttributes = new WeakMap<AttributeDef[], Map<string, AttributeDef>>();

function attributeMap(attributes: AttributeDef[]): Map<string, AttributeDef> {
  let map = nestedAttributes.get(attributes);
  if (!map) {
    map = new Map(attributes.map((attribute) => [attribute.name, attribute]));
    nestedAttributes.set(attributes, map);
  }
  return map;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INTEGER_STRING = /^-?\d+$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function coerceScalar(name: ScalarName, value: unknown, path: string, errors: ErrorDetail[]): Coerced {
  switch (name) {
    case 'ID':
    case 'String':
      return typeof value === 'string' ? value : invalid(errors, path, 'must be a string');
    case 'Int':
      return Number.isInteger(value) && (value as number) >= INT32_MIN && (value as number) <= INT32_MAX
        ? value
        : invalid(errors, path, 'must be a 32-bit integer');
    case 'Long':
      return Number.isSafeInteger(value) ? value : invalid(errors, path, 'must be a safe integer');
    case 'Float':
      return typeof value === 'number' && Number.isFinite(value) ? value : invalid(errors, path, 'must be a finite number');
    case 'BigInt':
      if (typeof value === 'bigint') return value;
      if (Number.isInteger(value)) return BigInt(value as number);
      if (typeof value === 'string' && INTEGER_STRING.test(value)) return BigInt(value);
      return invalid(errors, path, 'must be an integer');
    case 'Boolean':
      return typeof value === 'boolean' ? value : invalid(errors, path, 'must be a boolean');
    case 'Date':
      return coerceDate(value) ?? invalid(errors, path, 'must be a date (ISO-8601 string or epoch milliseconds)');
    case 'Bytes':
      if (Buffer.isBuffer(value)) return value;
      if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      if (typeof value === 'string' && BASE64.test(value)) return Buffer.from(value, 'base64');
      return invalid(errors, path, 'must be bytes (a base64 string)');
    case 'Any':
      return checkReservedKeys(value, path, errors) ? value : INVALID;
  }
}

export function coerceDate(value: unknown): Date | undefined {
  let time: number;
  if (value instanceof Date) time = value.getTime();
  else if (typeof value === 'number') time = value;
  else if (typeof value === 'string' && ISO_DATE.test(value)) time = Date.parse(value);
  else return undefined;
  return Number.isFinite(time) && !Number.isNaN(new Date(time).getTime()) ? new Date(time) : undefined;
}

/** Values stored as sent (undeclared attributes, `Any`) are walked so `__proto__` can never reach a record. */
/**
 * Untyped values (`Any`, undeclared attributes) may nest this deep. Deeper input is refused: it
 * would overflow the stack of every recursive step after this one (encoding, serializing).
 */
export const MAX_NESTING = 100;

function checkReservedKeys(value: unknown, path: string, errors: ErrorDetail[], depth = 0): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (depth >= MAX_NESTING) {
    errors.push({ path, message: `is nested more than ${MAX_NESTING} levels deep` });
    return false;
  }
  let ok = true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) ok = checkReservedKeys(value[i], `${path}[${i}]`, errors, depth + 1) && ok;
    return ok;
  }
  if (!isPlainObject(value)) return true;
  for (const key of Object.keys(value)) {
    const child = `${path}.${key}`;
    if (key === RESERVED_KEY) {
      errors.push({ path: child, message: 'is a reserved key' });
      ok = false;
    } else {
      ok = checkReservedKeys(value[key], child, errors, depth + 1) && ok;
    }
  }
  return ok;
}
