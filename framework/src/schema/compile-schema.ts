import { GraphQLError, Kind, Lexer, Source, TokenKind, parse, type DefinitionNode, type DocumentNode, type NameNode } from 'graphql';
import { DiagnosticSink, locationOf } from './diagnostics.js';
import { directiveSpecs, readDirectives } from './directives.js';
import { scalarTypes, type CompileResult, type SchemaSource } from './ir.js';
import { checkRelationships } from './relationships.js';
import { buildTable, type BuiltTable } from './table-builder.js';
import { TypeResolver, type TypeCatalog } from './type-resolver.js';

/** Root operation types carry no data; Harper ignores them too. */
const rootTypes = new Set(['Query', 'Mutation', 'Subscription']);

const unsupportedKinds: Partial<Record<DefinitionNode['kind'], string>> = {
  [Kind.SCALAR_TYPE_DEFINITION]: 'a custom scalar',
  [Kind.INTERFACE_TYPE_DEFINITION]: 'an interface',
  [Kind.UNION_TYPE_DEFINITION]: 'a union',
  [Kind.INPUT_OBJECT_TYPE_DEFINITION]: 'an input type',
};

function isBlank(text: string): boolean {
  try {
    return new Lexer(new Source(text)).advance().kind === TokenKind.EOF;
  } catch {
    return false;
  }
}

function parseSource({ file, text }: SchemaSource, sink: DiagnosticSink): DocumentNode | undefined {
  // A file holding only comments is a valid (empty) schema, though graphql's parser rejects it.
  if (isBlank(text)) return undefined;
  try {
    return parse(text);
  } catch (error) {
    const at = error instanceof GraphQLError ? error.locations?.[0] : undefined;
    const message = error instanceof Error ? error.message : String(error);
    sink.report('error', { file, line: at?.line ?? 1, column: at?.column ?? 1 }, 'SCHEMA_SYNTAX', message);
    return undefined;
  }
}

/** Registers every type name, reporting duplicates and definitions Lode ignores. */
function collectTypes(documents: { file: string; document: DocumentNode }[], sink: DiagnosticSink): TypeCatalog {
  const catalog: TypeCatalog = { tables: new Map(), nested: new Map(), enums: new Map(), unsupported: new Map() };
  const declared = new Map<string, { file: string; node: NameNode }>();
  const declare = (name: NameNode, file: string): boolean => {
    const first = declared.get(name.value);
    if (first) {
      const at = locationOf(first.file, first.node);
      sink.error(file, name, 'DUPLICATE_TYPE', `Type "${name.value}" is already declared at ${at.file}:${at.line}:${at.column}.`);
      return false;
    }
    if ((scalarTypes as readonly string[]).includes(name.value)) {
      sink.error(file, name, 'DUPLICATE_TYPE', `"${name.value}" is a built-in scalar; choose another name.`);
      return false;
    }
    declared.set(name.value, { file, node: name });
    return true;
  };

  for (const { file, document } of documents) {
    for (const definition of document.definitions) {
      if (definition.kind === Kind.OBJECT_TYPE_DEFINITION) {
        if (rootTypes.has(definition.name.value) || !declare(definition.name, file)) continue;
        if (definition.interfaces?.length) {
          sink.warning(file, definition.interfaces[0], 'UNSUPPORTED_DEFINITION', 'Interfaces are not supported; "implements" is ignored.');
        }
        const isTable = definition.directives?.some((directive) => directive.name.value === 'table');
        (isTable ? catalog.tables : catalog.nested).set(definition.name.value, { node: definition, file });
      } else if (definition.kind === Kind.ENUM_TYPE_DEFINITION) {
        if (!declare(definition.name, file)) continue;
        readDirectives(definition.directives, 'enum', file, sink);
        const values: string[] = [];
        for (const value of definition.values ?? []) {
          readDirectives(value.directives, 'enumValue', file, sink);
          if (values.includes(value.name.value)) {
            sink.error(file, value.name, 'DUPLICATE_FIELD', `Enum value "${value.name.value}" is already declared in ${definition.name.value}.`);
          } else {
            values.push(value.name.value);
          }
        }
        catalog.enums.set(definition.name.value, values);
      } else if (definition.kind === Kind.DIRECTIVE_DEFINITION && directiveSpecs[definition.name.value]) {
        // Declaring Lode's own directives (for editor tooling) is harmless.
      } else if (definition.kind === Kind.SCALAR_TYPE_DEFINITION && (scalarTypes as readonly string[]).includes(definition.name.value)) {
        // So is declaring a built-in scalar such as `scalar Long`.
      } else {
        const what = unsupportedKinds[definition.kind];
        if (what && 'name' in definition && definition.name) {
          const name = definition.name;
          sink.warning(file, name, 'UNSUPPORTED_DEFINITION', `"${name.value}" is ${what}, which Lode does not support; it is ignored.`);
          if (declare(name, file)) catalog.unsupported.set(name.value, what);
        } else {
          const words = definition.kind.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
          sink.warning(file, definition, 'UNSUPPORTED_DEFINITION', `This ${words} is not supported by Lode and is ignored.`);
        }
      }
    }
  }
  return catalog;
}

function checkCollisions(tables: BuiltTable[], sink: DiagnosticSink): void {
  const physical = new Map<string, BuiltTable>();
  const exports = new Map<string, BuiltTable>();
  for (const built of tables) {
    const { def } = built;
    const key = `${def.database}\u0000${def.table}`;
    const first = physical.get(key);
    if (first) {
      const at = first.def.location;
      sink.error(
        built.file,
        built.tableNode,
        'DUPLICATE_TABLE',
        `${def.name} maps to table "${def.table}" in database "${def.database}", which ${first.def.name} (${at.file}:${at.line}) already uses.`,
      );
    } else {
      physical.set(key, built);
    }
    if (def.exportName === undefined) continue;
    const other = exports.get(def.exportName);
    if (other) {
      const at = locationOf(other.file, other.exportNode);
      sink.error(
        built.file,
        built.exportNode,
        'EXPORT_COLLISION',
        `Export name "${def.exportName}" is already used by ${other.def.name} (${at.file}:${at.line}); give one of them @export(name: "…").`,
      );
    } else {
      exports.set(def.exportName, built);
    }
  }
}

/** SDL sources → table IR and diagnostics. Pure: never throws for bad input, never touches disk. */
export function compileSchema(sources: SchemaSource[]): CompileResult {
  const sink = new DiagnosticSink();
  const documents: { file: string; document: DocumentNode }[] = [];
  for (const source of sources) {
    const document = parseSource(source, sink);
    if (document) documents.push({ file: source.file, document });
  }
  const catalog = collectTypes(documents, sink);
  const resolver = new TypeResolver(catalog, sink);
  // Nested types first, in declaration order, so a recursion is reported at the same field every time.
  resolver.checkAllNested();
  const tables = [...catalog.tables.values()].map((entry) => buildTable(entry, resolver, sink));
  checkRelationships(tables, sink);
  checkCollisions(tables, sink);
  return {
    tables: tables.map((built) => built.def),
    diagnostics: sink.sorted(sources.map((source) => source.file)),
  };
}
