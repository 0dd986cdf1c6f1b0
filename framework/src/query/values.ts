import type { QueryValue } from './ast.js';
import { clip, type QueryCursor } from './cursor.js';

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const ISO_DATE = /^[+-]?\d{4,6}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Reads the value `text[start, end)`. The type prefix is matched on the raw text, so an encoded
 * `%3A` never introduces a type; the rest is percent-decoded before conversion.
 */
export function parseValue(cursor: QueryCursor, start: number, end: number): QueryValue {
  const raw = cursor.text.slice(start, end);
  if (raw === 'null') return { type: 'null' };
  const colon = raw.indexOf(':');
  const prefix = colon > 0 ? raw.slice(0, colon) : '';
  const bodyStart = start + colon + 1;
  switch (prefix) {
    case 'number': {
      const body = cursor.decode(bodyStart, end);
      const value = Number(body);
      if (!NUMBER.test(body) || !Number.isFinite(value)) cursor.fail(bodyStart, `invalid number "${clip(body)}"`);
      return { type: 'number', value };
    }
    case 'boolean': {
      const body = cursor.decode(bodyStart, end);
      if (body !== 'true' && body !== 'false') cursor.fail(bodyStart, `invalid boolean "${clip(body)}"`);
      return { type: 'boolean', value: body === 'true' };
    }
    case 'string':
      return { type: 'string', value: cursor.decode(bodyStart, end) };
    case 'date': {
      const body = cursor.decode(bodyStart, end);
      const value = new Date(body);
      if (!ISO_DATE.test(body) || Number.isNaN(value.getTime())) cursor.fail(bodyStart, `invalid date "${clip(body)}"`);
      return { type: 'date', value };
    }
    default:
      return { type: 'untyped', raw: cursor.decode(start, end) };
  }
}
