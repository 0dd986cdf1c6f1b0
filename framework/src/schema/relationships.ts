import type { DiagnosticSink } from './diagnostics.js';
import { stringArgument } from './directives.js';
import type { AttributeDef, TableDef } from './ir.js';
import { didYouMean } from './suggest.js';
import type { BuiltTable } from './table-builder.js';

function storedAttribute(table: TableDef, name: string): AttributeDef | undefined {
  return table.attributes.find((attribute) => attribute.name === name && !attribute.relationship);
}

function storedNames(table: TableDef): string[] {
  return table.attributes.filter((attribute) => !attribute.relationship).map((attribute) => attribute.name);
}

/** Checks `from`/`to` against the attributes of both ends, and the field's cardinality against them. */
export function checkRelationships(tables: BuiltTable[], sink: DiagnosticSink): void {
  const byName = new Map(tables.map((built) => [built.def.name, built.def] as const));
  for (const { def, file, relationships } of tables) {
    for (const { attribute, directive } of relationships) {
      const where = `${def.name}.${attribute.name}`;
      const targetName = attribute.relationship?.target ?? '';
      const target = byName.get(targetName);
      const isList = attribute.type.kind === 'list';
      const from = stringArgument(directive, 'from');
      const to = stringArgument(directive, 'to');
      if (from) {
        const key = storedAttribute(def, from.value);
        if (!key) {
          sink.error(
            file,
            from.node,
            'RELATIONSHIP_MISSING_ATTRIBUTE',
            `@relationship(from: "${from.value}") on "${where}": ${def.name} has no stored attribute "${from.value}".${didYouMean(from.value, storedNames(def))}`,
          );
        } else if (!to && (key.type.kind === 'list') !== isList) {
          const message =
            key.type.kind === 'list'
              ? `"${from.value}" holds a list of keys, so "${where}" must be a list too: [${targetName}].`
              : `"${from.value}" holds one key, so "${where}" must be a single ${targetName}, not a list.`;
          sink.error(file, from.node, 'RELATIONSHIP_CARDINALITY', message);
        }
      }
      if (to) {
        if (target && !storedAttribute(target, to.value)) {
          sink.error(
            file,
            to.node,
            'RELATIONSHIP_MISSING_ATTRIBUTE',
            `@relationship(to: "${to.value}") on "${where}": ${target.name} has no stored attribute "${to.value}".${didYouMean(to.value, storedNames(target))}`,
          );
        }
        if (!isList) {
          sink.error(
            file,
            to.node,
            'RELATIONSHIP_CARDINALITY',
            `@relationship(to: "${to.value}") can match many ${targetName} records, so "${where}" must be a list: [${targetName}].`,
          );
        }
      }
    }
  }
}
