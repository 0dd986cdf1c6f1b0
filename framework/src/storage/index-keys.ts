/**
 * What a secondary index stores for an attribute value: arrays are indexed per element, null and
 * absent as null, Dates as epoch ms, long strings truncated (lookups re-check the record), and
 * objects or bytes not at all.
 */
export type IndexKey = string | number | boolean | bigint | null;

/** Longer keys would approach LMDB's key size limit (lmdb-js allows 1978 bytes). */
export const MAX_INDEX_STRING_BYTES = 500;
/** Suffix of a truncated string key; sorts after every other character so truncated keys group after their prefix. */
export const TRUNCATED_MARK = '\uffff';

const NOT_INDEXED: unique symbol = Symbol('not indexed');

function scalarKey(value: unknown): IndexKey | typeof NOT_INDEXED {
  switch (typeof value) {
    case 'string':
      return value.length * 3 <= MAX_INDEX_STRING_BYTES ? value : truncate(value);
    case 'number':
      return Number.isNaN(value) ? NOT_INDEXED : value;
    case 'boolean':
    case 'bigint':
      return value;
    case 'undefined':
      return null;
    case 'object':
      if (value === null) return null;
      if (value instanceof Date) return value.getTime();
      return NOT_INDEXED;
    default:
      return NOT_INDEXED;
  }
}

function truncate(value: string): string {
  if (Buffer.byteLength(value) <= MAX_INDEX_STRING_BYTES) return value;
  const budget = MAX_INDEX_STRING_BYTES - Buffer.byteLength(TRUNCATED_MARK);
  let bytes = 0;
  let end = 0;
  for (const char of value) {
    const size = Buffer.byteLength(char);
    if (bytes + size > budget) break;
    bytes += size;
    end += char.length;
  }
  return value.slice(0, end) + TRUNCATED_MARK;
}

/** The distinct index keys of one attribute value. */
export function indexKeys(value: unknown): IndexKey[] {
  if (!Array.isArray(value)) {
    const key = scalarKey(value);
    return key === NOT_INDEXED ? [] : [key];
  }
  const keys: IndexKey[] = [];
  for (const element of value) {
    const key = scalarKey(element);
    if (key !== NOT_INDEXED && !keys.includes(key)) keys.push(key);
  }
  return keys;
}

/** The key to look a single value up by, or undefined when such a value is never indexed. */
export function lookupKey(value: unknown): IndexKey | undefined {
  const key = scalarKey(value);
  return key === NOT_INDEXED ? undefined : key;
}

/** A key that may stand for more than one value, so its hits must be checked against the record. */
export function isAmbiguousKey(key: IndexKey): boolean {
  return typeof key === 'string' && key.endsWith(TRUNCATED_MARK);
}
