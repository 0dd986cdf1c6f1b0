import type { ASTNode, FieldDefinitionNode } from 'graphql';
import { locationOf, type DiagnosticSink } from './diagnostics.js';
import { booleanArgument, numberArgument, readDirectives, stringArgument, type ParsedDirective } from './directives.js';
import type { AttributeDef, RelationshipDef, TableDef, TypeRef } from './ir.js';
import { describeType, elementType, forEachField, type ObjectEntry, type TypeResolver } from './type-resolver.js';

/** A table with what the cross-table checks need beyond the IR. */
export interface BuiltTable {
  def: TableDef;
  file: string;
  /** Where DUPLICATE_TABLE points. */
  tableNode: ASTNode;
  /** Where EXPORT_COLLISION points (the `name:` argument, else the `@export` directive). */
  exportNode?: ASTNode;
  relationships: { attribute: AttributeDef; directive: ParsedDirective }[];
}

// Names become LMDB database directories and DBI names: no separators, no leading dot.
const storageNamePattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const exportNamePattern = /^[A-Za-z0-9_~.-]+$/;
const keyScalars = new Set(['ID', 'String', 'Int', 'Long', 'Float']);
const timestampScalars = new Set(['Date', 'Long', 'Int', 'Float', 'String']);

const isScalarIn = (type: TypeRef, names: Set<string>): boolean => type.kind === 'scalar' && names.has(type.name);

function storageName(directive: ParsedDirective | undefined, argument: string, file: string, sink: DiagnosticSink): string | undefined {
  const parsed = stringArgument(directive, argument);
  if (parsed && !storageNamePattern.test(parsed.value)) {
    sink.error(
      file,
      parsed.node,
      'INVALID_ARGUMENT',
      `${argument} "${parsed.value}" is not a valid name: use letters, digits, "_", "-" and "." (not first).`,
    );
    return undefined;
  }
  return parsed?.value;
}

function readDatabase(table: ParsedDirective | undefined, file: string, sink: DiagnosticSink): string {
  const database = storageName(table, 'database', file, sink);
  const schema = storageName(table, 'schema', file, sink);
  const schemaNode = table?.args.get('schema')?.node;
  if (table?.args.has('database') && schemaNode) {
    sink.error(file, schemaNode, 'INVALID_ARGUMENT', 'schema is an alias of database; give only one of them.');
  }
  return database ?? schema ?? 'data';
}

function readExpiration(table: ParsedDirective | undefined, file: string, sink: DiagnosticSink): number | undefined {
  const expiration = numberArgument(table, 'expiration');
  if (expiration && expiration.value < 0) {
    sink.error(file, expiration.node, 'INVALID_ARGUMENT', 'expiration must not be negative: it is a number of seconds.');
    return undefined;
  }
  return expiration?.value;
}

function readRelationship(
  directive: ParsedDirective,
  type: TypeRef,
  where: string,
  file: string,
  sink: DiagnosticSink,
): RelationshipDef | undefined {
  const target = type.kind === 'list' ? type.of : type;
  if (target.kind !== 'table') {
    const hint = target.kind === 'object' ? ` ${target.name} is a nested type; add @table to it to make it a table.` : '';
    sink.error(
      file,
      directive.node,
      'RELATIONSHIP_TARGET_NOT_TABLE',
      `@relationship on "${where}" needs a @table type or a list of one, not ${describeType(type)}.${hint}`,
    );
    return undefined;
  }
  const from = stringArgument(directive, 'from');
  const to = stringArgument(directive, 'to');
  if (!from && !to) {
    if (!directive.node.arguments?.length) {
      sink.error(
        file,
        directive.node,
        'INVALID_ARGUMENT',
        `@relationship on "${where}" needs "from" (an attribute of this type holding the target's key), "to" (an attribute of ${target.name} holding this type's key), or both.`,
      );
    }
    return undefined;
  }
  return { target: target.name, ...(from && { from: from.value }), ...(to && { to: to.value }) };
}

function checkFieldDirectives(attribute: AttributeDef, directives: Map<string, ParsedDirective>, where: string, file: string, sink: DiagnosticSink) {
  for (const name of ['createdTime', 'updatedTime']) {
    const directive = directives.get(name);
    if (directive && !isScalarIn(attribute.type, timestampScalars)) {
      sink.error(
        file,
        directive.node,
        'INVALID_TIMESTAMP_TYPE',
        `@${name} needs a Date, Long, Int, Float or String field; "${where}" is ${describeType(attribute.type)}.`,
      );
    }
  }
  const indexed = directives.get('indexed');
  const element = elementType(attribute.type);
  if (indexed && (directives.has('relationship') || (element.kind !== 'scalar' && element.kind !== 'enum'))) {
    sink.error(
      file,
      indexed.node,
      'INVALID_DIRECTIVE_PLACEMENT',
      `@indexed cannot be used on "${where}" (${describeType(attribute.type)}): only scalar and enum values, or lists of them, can be indexed.`,
    );
  }
}

/** Builds one `@table` type; relationships are checked later, once every table's attributes are known. */
export function buildTable(entry: ObjectEntry, resolver: TypeResolver, sink: DiagnosticSink): BuiltTable {
  const { node, file } = entry;
  const typeName = node.name.value;
  const directives = readDirectives(node.directives, 'table', file, sink);
  const table = directives.get('table');
  const exported = directives.get('export');
  const relationships: BuiltTable['relationships'] = [];

  let exportName: string | undefined;
  let exportNode: ASTNode | undefined;
  if (exported) {
    const name = stringArgument(exported, 'name');
    exportName = name?.value ?? typeName;
    exportNode = name?.node ?? exported.node;
    if (!exportNamePattern.test(exportName)) {
      sink.error(
        file,
        exportNode,
        'INVALID_EXPORT_NAME',
        `Export name "${exportName}" is not a valid URL segment: use letters, digits, "_", "~", "." and "-".`,
      );
    }
  }

  const attributes: AttributeDef[] = [];
  const fieldNodes = new Map<string, FieldDefinitionNode>();
  let primaryKey: AttributeDef | undefined;
  forEachField(node, file, sink, (field) => {
    const name = field.name.value;
    const where = `${typeName}.${name}`;
    const type = resolver.resolve(field.type, file, where);
    const fieldDirectives = readDirectives(field.directives, 'tableField', file, sink);
    const attribute: AttributeDef = {
      name,
      type,
      primaryKey: false,
      indexed: fieldDirectives.has('indexed'),
      createdTime: fieldDirectives.has('createdTime'),
      updatedTime: fieldDirectives.has('updatedTime'),
      location: locationOf(file, field.name),
    };
    fieldNodes.set(name, field);
    const key = fieldDirectives.get('primaryKey');
    if (key && primaryKey) {
      sink.error(
        file,
        key.node,
        'DUPLICATE_PRIMARY_KEY',
        `${typeName} already has the primary key "${primaryKey.name}" (line ${primaryKey.location.line}); a table has exactly one.`,
      );
    } else if (key) {
      attribute.primaryKey = true;
      primaryKey = attribute;
    }
    checkFieldDirectives(attribute, fieldDirectives, where, file, sink);
    const relationship = fieldDirectives.get('relationship');
    if (relationship) {
      const def = readRelationship(relationship, type, where, file, sink);
      if (def) {
        attribute.relationship = def;
        relationships.push({ attribute, directive: relationship });
      }
    } else if (elementType(type).kind === 'table') {
      sink.error(
        file,
        field.type,
        'TABLE_REFERENCE_WITHOUT_RELATIONSHIP',
        `Field "${where}" has the @table type ${describeType(type)} but no @relationship; add @relationship(from: …) or @relationship(to: …) to say how records are joined.`,
      );
    }
    attributes.push(attribute);
  });

  primaryKey = primaryKey ?? choosePrimaryKey(typeName, attributes, node.name, file, sink);
  const keyField = fieldNodes.get(primaryKey.name);
  if (keyField && !isScalarIn(primaryKey.type, keyScalars)) {
    sink.error(
      file,
      keyField.type,
      'INVALID_PRIMARY_KEY_TYPE',
      `Primary key "${typeName}.${primaryKey.name}" must be ID, String, Int, Long or Float, not ${describeType(primaryKey.type)}.`,
    );
  }
  primaryKey.type = { ...primaryKey.type, nonNull: true };

  const expiration = readExpiration(table, file, sink);
  const def: TableDef = {
    name: typeName,
    table: storageName(table, 'table', file, sink) ?? typeName,
    database: readDatabase(table, file, sink),
    ...(exportName !== undefined && { exportName }),
    primaryKey: primaryKey.name,
    attributes,
    sealed: directives.has('sealed') || booleanArgument(table, 'sealed') === true,
    replicate: booleanArgument(table, 'replicate') ?? true,
    audit: booleanArgument(table, 'audit') ?? true,
    ...(expiration !== undefined && { expiration }),
    location: locationOf(file, node.name),
  };
  return { def, file, tableNode: table?.node ?? node.name, ...(exportNode && { exportNode }), relationships };
}

/** Without `@primaryKey`, `id` is the key; a table without `id` gets an implicit `id: ID`. */
function choosePrimaryKey(typeName: string, attributes: AttributeDef[], at: ASTNode, file: string, sink: DiagnosticSink): AttributeDef {
  const id = attributes.find((attribute) => attribute.name === 'id');
  if (id) {
    sink.warning(file, at, 'MISSING_PRIMARY_KEY', `${typeName} has no @primaryKey; its "id" field is used. Write "id: ID @primaryKey" to say so.`);
    id.primaryKey = true;
    return id;
  }
  sink.warning(
    file,
    at,
    'MISSING_PRIMARY_KEY',
    `${typeName} has no @primaryKey and no "id" field; an implicit "id: ID" primary key is added. Declare a field with @primaryKey to choose it.`,
  );
  const implicit: AttributeDef = {
    name: 'id',
    type: { kind: 'scalar', name: 'ID', nonNull: true },
    primaryKey: true,
    indexed: false,
    createdTime: false,
    updatedTime: false,
    location: locationOf(file, at),
  };
  attributes.unshift(implicit);
  return implicit;
}
