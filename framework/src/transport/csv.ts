import { encodeJson, type Framing, type ResponseFormat, type ValueShape } from './codecs.js';

/** RFC 4180 line ending. */
const EOL = '\r\n';
const NEEDS_QUOTES = /[",\r\n]/;
/** The column a row that is not an object (`select(name)` yields bare values) is written in. */
const VALUE_COLUMN = 'value';

function quoted(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * One CSV field: empty for null and undefined, ISO-8601 for dates, base64 for bytes, JSON text
 * for objects and arrays; quoted (quotes doubled) when it holds a comma, a quote, CR or LF.
 * Text starting with `=`, `+`, `-` or `@` is written as it is: CSV carries data, not formulas.
 */
export function csvField(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return quoted(value);
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value);
    case 'object':
      if (value === null) return '';
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString();
      if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
      return quoted(encodeJson(value));
    default:
      return '';
  }
}

function isRowObject(row: unknown): row is Record<string, unknown> {
  return typeof row === 'object' && row !== null && !(row instanceof Date) && !(row instanceof Uint8Array);
}

/**
 * The columns for these rows: every key they have, declared attributes first in schema order,
 * then the others in the order first seen. A row that is not an object counts as a `value` key.
 */
export function csvColumns(rows: readonly unknown[], declared?: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) {
    if (!isRowObject(row)) seen.add(VALUE_COLUMN);
    else for (const key of Object.keys(row)) seen.add(key);
  }
  if (declared === undefined) return [...seen];
  const columns = declared.filter((name) => seen.has(name));
  const declaredNames = new Set(declared);
  for (const key of seen) if (!declaredNames.has(key)) columns.push(key);
  return columns;
}

export function csvHeader(columns: readonly string[]): string {
  return columns.length === 0 ? '' : columns.map(quoted).join(',') + EOL;
}

/** One line; keys outside `columns` are left out, missing ones are empty. */
export function csvRow(row: unknown, columns: readonly string[]): string {
  if (columns.length === 0) return '';
  if (!isRowObject(row)) return columns.map((column) => (column === VALUE_COLUMN ? csvField(row) : '')).join(',') + EOL;
  return columns.map((column) => csvField(row[column])).join(',') + EOL;
}

/** A header and one line per row; an array is a list of rows, anything else one row. */
export function encodeCsv(value: unknown, shape?: ValueShape): string {
  const rows = Array.isArray(value) ? value : [value];
  const columns = csvColumns(rows, shape?.attributes);
  return csvHeader(columns) + rows.map((row) => csvRow(row, columns)).join('');
}

/** A streamed collection: the columns come from the first rows (the sample), later keys are left out. */
class CsvFraming implements Framing {
  readonly separator = '';
  readonly close = '';
  #columns: string[] = [];
  readonly #declared: readonly string[] | undefined;

  constructor(declared: readonly string[] | undefined) {
    this.#declared = declared;
  }

  prepare(sample: readonly unknown[]): void {
    this.#columns = csvColumns(sample, this.#declared);
  }

  open(): string {
    return csvHeader(this.#columns);
  }

  encode(item: unknown): string {
    return csvRow(item, this.#columns);
  }
}

/** Output only: CSV bodies are not accepted (415). */
export const csvFormat: ResponseFormat = {
  mediaType: 'text/csv',
  headers: { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': 'attachment; filename="data.csv"' },
  encode: encodeCsv,
  frame: (shape) => new CsvFraming(shape?.attributes),
};
