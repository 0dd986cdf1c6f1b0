import type { AttributeDef, TableDef } from './ir.js';

export function attributeByName(table: TableDef, name: string): AttributeDef | undefined {
  return table.attributes.find((attribute) => attribute.name === name);
}
