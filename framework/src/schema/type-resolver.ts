import { Kind, type FieldDefinitionNode, type NamedTypeNode, type ObjectTypeDefinitionNode, type TypeNode } from 'graphql';
import { locationOf, type DiagnosticSink } from './diagnostics.js';
import { readDirectives } from './directives.js';
import { scalarTypes, type AttributeDef, type ScalarName, type TypeRef } from './ir.js';
import { didYouMean } from './suggest.js';

export interface ObjectEntry {
  node: ObjectTypeDefinitionNode;
  file: string;
}

/** Every type name the sources declare, by what it is. */
export interface TypeCatalog {
  tables: Map<string, ObjectEntry>;
  nested: Map<string, ObjectEntry>;
  enums: Map<string, string[]>;
  /** Declared but not supported (custom scalars, interfaces, unions, inputs) → what it is, for messages. */
  unsupported: Map<string, string>;
}

type ObjectShape = Extract<TypeRef, { kind: 'object' }>;

const isScalar = (name: string): name is ScalarName => (scalarTypes as readonly string[]).includes(name);

/** GraphQL notation of a resolved type, for messages: `[String]!`. */
export function describeType(type: TypeRef): string {
  const inner = type.kind === 'list' ? `[${describeType(type.of)}]` : type.name;
  return type.nonNull ? `${inner}!` : inner;
}

/** The element type under any list wrappers. */
export function elementType(type: TypeRef): Exclude<TypeRef, { kind: 'list' }> {
  return type.kind === 'list' ? elementType(type.of) : type;
}

/**
 * Visits the fields of an object type, reporting repeated names (the later one is skipped) and
 * field arguments (which mean nothing for stored data).
 */
export function forEachField(
  node: ObjectTypeDefinitionNode,
  file: string,
  sink: DiagnosticSink,
  visit: (field: FieldDefinitionNode) => void,
): void {
  const seen = new Map<string, FieldDefinitionNode>();
  for (const field of node.fields ?? []) {
    const name = field.name.value;
    const first = seen.get(name);
    if (first) {
      const at = locationOf(file, first.name);
      sink.error(file, field.name, 'DUPLICATE_FIELD', `Field "${name}" is already declared in ${node.name.value} at line ${at.line}.`);
      continue;
    }
    seen.set(name, field);
    if (field.arguments?.length) {
      sink.warning(file, field.arguments[0], 'UNSUPPORTED_DEFINITION', `Field arguments are ignored: "${name}" is stored data.`);
    }
    visit(field);
  }
}

/** Turns GraphQL type references into TypeRefs; builds each nested object type once. */
export class TypeResolver {
  private readonly nestedShapes = new Map<string, 'building' | ObjectShape>();

  constructor(
    private readonly catalog: TypeCatalog,
    private readonly sink: DiagnosticSink,
  ) {}

  /** `where` names the field for messages, e.g. `Product.brand`. */
  resolve(node: TypeNode, file: string, where: string): TypeRef {
    if (node.kind === Kind.NON_NULL_TYPE) return { ...this.resolve(node.type, file, where), nonNull: true };
    if (node.kind === Kind.LIST_TYPE) return { kind: 'list', of: this.resolve(node.type, file, where), nonNull: false };
    return this.resolveNamed(node, file, where);
  }

  /** Builds every nested type, so that those no table uses are checked too. */
  checkAllNested(): void {
    for (const name of this.catalog.nested.keys()) this.nestedShape(name, undefined, '', '');
  }

  private resolveNamed(node: NamedTypeNode, file: string, where: string): TypeRef {
    const name = node.name.value;
    if (isScalar(name)) return { kind: 'scalar', name, nonNull: false };
    const values = this.catalog.enums.get(name);
    if (values) return { kind: 'enum', name, values: [...values], nonNull: false };
    if (this.catalog.tables.has(name)) return { kind: 'table', name, nonNull: false };
    if (this.catalog.nested.has(name)) {
      const shape = this.nestedShape(name, node, file, where);
      if (shape) return { ...shape, nonNull: false };
    } else {
      const what = this.catalog.unsupported.get(name);
      const message = what
        ? `Type "${name}" is ${what}, which Lode does not support as a field type. Use a scalar (${scalarTypes.join(', ')}), an enum or an object type.`
        : `Unknown type "${name}".${didYouMean(name, this.knownNames())}`;
      this.sink.error(file, node, 'UNKNOWN_TYPE', message);
    }
    return { kind: 'scalar', name: 'Any', nonNull: false };
  }

  private knownNames(): string[] {
    const { tables, nested, enums } = this.catalog;
    return [...scalarTypes, ...tables.keys(), ...nested.keys(), ...enums.keys()];
  }

  private nestedShape(name: string, use: NamedTypeNode | undefined, file: string, where: string): ObjectShape | undefined {
    const state = this.nestedShapes.get(name);
    if (state === 'building') {
      this.sink.error(
        file,
        use,
        'RECURSIVE_TYPE',
        `Nested type "${name}" contains itself (through ${where}). A nested object is stored inside its record, so it cannot be recursive; make "${name}" a @table and use @relationship, or type the field as Any.`,
      );
      return undefined;
    }
    if (state) return state;
    const entry = this.catalog.nested.get(name);
    if (!entry) return undefined;
    this.nestedShapes.set(name, 'building');
    const shape = this.buildNested(name, entry);
    this.nestedShapes.set(name, shape);
    return shape;
  }

  private buildNested(name: string, { node, file }: ObjectEntry): ObjectShape {
    const directives = readDirectives(node.directives, 'nested', file, this.sink);
    const attributes: AttributeDef[] = [];
    forEachField(node, file, this.sink, (field) => {
      const fieldName = field.name.value;
      const type = this.resolve(field.type, file, `${name}.${fieldName}`);
      readDirectives(field.directives, 'nestedField', file, this.sink);
      if (elementType(type).kind === 'table') {
        this.sink.error(
          file,
          field.type,
          'TABLE_REFERENCE_WITHOUT_RELATIONSHIP',
          `Field "${name}.${fieldName}" has the @table type ${describeType(type)}, but nested types cannot hold relationships. Store the target's primary key instead (e.g. "${fieldName}Id: ID").`,
        );
      }
      attributes.push({
        name: fieldName,
        type,
        primaryKey: false,
        indexed: false,
        createdTime: false,
        updatedTime: false,
        location: locationOf(file, field.name),
      });
    });
    return { kind: 'object', name, attributes, sealed: directives.has('sealed'), nonNull: false };
  }
}
