import type { AttributeRights } from '../auth/index.js';
import { LodeError } from '../errors/index.js';
import type { Expression, ParsedQuery, SelectField } from '../query/index.js';

type Row = Record<string, unknown>;

function forbidden(table: string, attribute: string, doing: string): LodeError {
  return new LodeError('FORBIDDEN', `Your roles do not allow ${doing} ${table}.${attribute}`, { errors: [{ path: attribute, message: `may not be ${doing === 'reading' ? 'read' : 'written'}` }] });
}

function conditionAttributes(expression: Expression | undefined, into: Set<string>): void {
  if (expression === undefined) return;
  if (expression.kind === 'condition') into.add(expression.attribute[0]!);
  else for (const child of expression.children) conditionAttributes(child, into);
}

function selectAttributes(fields: SelectField[], into: Set<string>): void {
  for (const field of fields) into.add(field.name);
}

/**
 * A query may only filter, sort and select by attributes the user may read: using a hidden one
 * would reveal its values through which records match or how they sort.
 */
export function assertQueryReadable(query: ParsedQuery, readable: ReadonlySet<string> | undefined, table: string, primaryKey: string): void {
  if (readable === undefined) return;
  const used = new Set<string>();
  conditionAttributes(query.where, used);
  for (const key of query.sort ?? []) used.add(key.attribute[0]!);
  if (query.select) selectAttributes(query.select.kind === 'value' ? [query.select.field] : query.select.fields, used);
  for (const attribute of used) if (attribute !== primaryKey && !readable.has(attribute)) throw forbidden(table, attribute, 'reading');
}

/** A record with only the attributes the user may read (the primary key follows the table's read right). */
export function readableRow(row: Row, readable: ReadonlySet<string>, primaryKey: string): Row {
  const visible: Row = {};
  for (const name of Object.keys(row)) if (name === primaryKey || readable.has(name)) visible[name] = row[name];
  return visible;
}

export function* readableRows(rows: Iterable<Row>, readable: ReadonlySet<string>, primaryKey: string): Iterable<Row> {
  for (const row of rows) yield readableRow(row, readable, primaryKey);
}

/** A write may only set attributes the user may insert (a new record) or update. */
export function assertWritable(data: unknown, rights: AttributeRights | undefined, action: 'insert' | 'update', table: string, primaryKey: string): void {
  const allowed = rights?.[action];
  if (allowed === undefined || typeof data !== 'object' || data === null) return;
  for (const attribute of Object.keys(data)) {
    if (attribute !== primaryKey && !allowed.has(attribute)) throw forbidden(table, attribute, action === 'insert' ? 'setting' : 'changing');
  }
}
