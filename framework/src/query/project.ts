import type { Select, SelectField } from './ast.js';
import { own, type Row } from './order.js';
import type { Relations } from './relationships.js';

type Shape = (row: Row) => unknown;

function define(target: Row, name: string, value: unknown): void {
  // defineProperty, so a field named __proto__ becomes data rather than a prototype.
  Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * One selected field: a stored attribute, or a relationship resolved with left-join semantics
 * (null or [] when nothing is related); `children` select from the related record(s) or from a
 * nested object.
 */
function fieldValue(field: SelectField, relations: Relations): Shape {
  const relationship = relations.get(field.name);
  const nested = field.children && objectShape(field.children, relationship ? relations.of(relationship.target) : relations);
  const apply = (value: unknown): unknown => {
    if (!nested || typeof value !== 'object' || value === null) return value;
    return Array.isArray(value) ? value.map((element) => (typeof element === 'object' && element !== null ? nested(element as Row) : element)) : nested(value as Row);
  };
  if (relationship) return (row) => apply(relations.resolve(row, relationship));
  return (row) => apply(own(row, field.name));
}

function objectShape(fields: SelectField[], relations: Relations): Shape {
  const shapes = fields.map((field) => ({ name: field.name, value: fieldValue(field, relations), stored: !relations.get(field.name) }));
  return (row) => {
    const picked: Row = {};
    for (const { name, value, stored } of shapes) if (!stored || Object.hasOwn(row, name)) define(picked, name, value(row));
    return picked;
  };
}

/** Turns `select(…)` into a function from a stored row to the value returned for it. */
export function project(select: Select, relations: Relations): Shape {
  if (select.kind === 'value') return fieldValue(select.field, relations);
  if (select.kind === 'object') return objectShape(select.fields, relations);
  const values = select.fields.map((field) => fieldValue(field, relations));
  return (row) => values.map((value) => value(row));
}
