/**
 * The table IR: what the schema compiler produces and every other layer consumes.
 * It is plain data (JSON-serializable) so it can be diffed between generations and stored in `meta`.
 */

export const scalarTypes = ['ID', 'String', 'Int', 'Long', 'Float', 'BigInt', 'Boolean', 'Date', 'Bytes', 'Any'] as const;
export type ScalarName = (typeof scalarTypes)[number];

export interface SourceLocation {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

export type TypeRef =
  | { kind: 'scalar'; name: ScalarName; nonNull: boolean }
  | { kind: 'enum'; name: string; values: string[]; nonNull: boolean }
  | { kind: 'object'; name: string; attributes: AttributeDef[]; sealed: boolean; nonNull: boolean }
  | { kind: 'list'; of: TypeRef; nonNull: boolean }
  /** A field whose type is another `@table` type; only meaningful with `@relationship`. */
  | { kind: 'table'; name: string; nonNull: boolean };

export interface RelationshipDef {
  /** Attribute of this table holding the target's primary key (many-to-one, or many-to-many when an array). */
  from?: string;
  /** Attribute of the target table holding this table's primary key (one-to-many). */
  to?: string;
  /** Type name of the target table. */
  target: string;
}

export interface AttributeDef {
  name: string;
  type: TypeRef;
  primaryKey: boolean;
  indexed: boolean;
  createdTime: boolean;
  updatedTime: boolean;
  /** Relationship attributes are computed at read time and never stored. */
  relationship?: RelationshipDef;
  location: SourceLocation;
}

export interface TableDef {
  /** GraphQL type name; what `tables.X` and generated types use. */
  name: string;
  /** Physical table name (`@table(table:)`, default the type name). */
  table: string;
  /** Database (one LMDB environment and one transaction scope); default `data`. */
  database: string;
  /** URL segment when `@export`ed, otherwise undefined. */
  exportName?: string;
  primaryKey: string;
  attributes: AttributeDef[];
  sealed: boolean;
  replicate: boolean;
  audit: boolean;
  /** Seconds until a record is stale. */
  expiration?: number;
  location: SourceLocation;
}

export type DiagnosticSeverity = 'error' | 'warning';

export interface Diagnostic extends SourceLocation {
  severity: DiagnosticSeverity;
  code: string;
  message: string;
}

export interface SchemaSource {
  file: string;
  text: string;
}

export interface CompileResult {
  tables: TableDef[];
  diagnostics: Diagnostic[];
}
