import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileSchema, formatDiagnostic, hasErrors, type Diagnostic } from '../../../framework/src/schema/index.js';
import { codes, compile, lines, single } from './helpers.js';

const position = (d: Diagnostic) => [d.file, d.line, d.column, d.severity];

describe('diagnostics: formatting and helpers', () => {
  test('formatDiagnostic prints file:line:column severity CODE: message', () => {
    const d: Diagnostic = { file: 'schema.graphql', line: 12, column: 5, severity: 'error', code: 'UNKNOWN_DIRECTIVE', message: 'Unknown directive "@indexd". Did you mean "@indexed"?' };
    assert.equal(formatDiagnostic(d), 'schema.graphql:12:5 error UNKNOWN_DIRECTIVE: Unknown directive "@indexd". Did you mean "@indexed"?');
  });

  test('hasErrors ignores warnings', () => {
    const warning: Diagnostic = { file: 'a', line: 1, column: 1, severity: 'warning', code: 'X', message: '' };
    assert.equal(hasErrors([]), false);
    assert.equal(hasErrors([warning]), false);
    assert.equal(hasErrors([warning, { ...warning, severity: 'error' }]), true);
  });

  test('the example from the docs, end to end', () => {
    const text = lines('type Product @table {', '  id: ID @primaryKey', '  name: String @indexd', '}');
    const [d] = compile(text).diagnostics;
    assert.ok(d);
    assert.equal(formatDiagnostic(d), 'schema.graphql:3:16 error UNKNOWN_DIRECTIVE: Unknown directive "@indexd". Did you mean "@indexed"?');
  });

  test('all problems are collected in one pass, sorted by file then position', () => {
    const result = compileSchema([
      { file: 'b.graphql', text: 'type B @table { id: ID @primaryKey x: Strng @nope }' },
      { file: 'a.graphql', text: 'type A @table(expiration: -1) { id: Boolean @primaryKey }\ntype C @table { y: Foo }' },
    ]);
    assert.deepEqual(
      result.diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.code}`),
      [
        'b.graphql:1:39 UNKNOWN_TYPE',
        'b.graphql:1:45 UNKNOWN_DIRECTIVE',
        'a.graphql:1:15 INVALID_ARGUMENT',
        'a.graphql:1:37 INVALID_PRIMARY_KEY_TYPE',
        'a.graphql:2:6 MISSING_PRIMARY_KEY',
        'a.graphql:2:20 UNKNOWN_TYPE',
      ],
    );
  });

  test('never throws, whatever the input', () => {
    for (const text of ['type', '{', 'type T @table(', '"""', 'type T @table { id: [[[ }', '\u0000', 'query { x }', 'type T @table { id: ID @primaryKey(x: $v) }']) {
      const result = compile(text);
      assert.ok(Array.isArray(result.diagnostics), text);
    }
  });
});

describe('diagnostics: every code', () => {
  test('SCHEMA_SYNTAX carries the parser position; other files are still compiled', () => {
    const result = compileSchema([
      { file: 'bad.graphql', text: 'type Dog @table {\n  id: ID @primaryKey\n  name String\n}' },
      { file: 'good.graphql', text: 'type Cat @table { id: ID @primaryKey }' },
    ]);
    const d = single(result, 'SCHEMA_SYNTAX');
    assert.deepEqual(position(d), ['bad.graphql', 3, 8, 'error']);
    assert.match(d.message, /Syntax Error: Expected ":", found Name "String"/);
    assert.deepEqual(
      result.tables.map((t) => t.name),
      ['Cat'],
    );
  });

  test('UNKNOWN_TYPE with and without a suggestion', () => {
    const result = compile(lines('type T @table {', '  id: ID @primaryKey', '  a: Strng', '  b: [Flaot!]', '  c: Zzzzzzzz', '}'));
    const found = result.diagnostics.filter((d) => d.code === 'UNKNOWN_TYPE');
    assert.deepEqual(found.map(position), [
      ['schema.graphql', 3, 6, 'error'],
      ['schema.graphql', 4, 7, 'error'],
      ['schema.graphql', 5, 6, 'error'],
    ]);
    assert.equal(found[0]?.message, 'Unknown type "Strng". Did you mean "String"?');
    assert.equal(found[1]?.message, 'Unknown type "Flaot". Did you mean "Float"?');
    assert.equal(found[2]?.message, 'Unknown type "Zzzzzzzz".');
  });

  test('UNKNOWN_TYPE suggests declared types, and explains unsupported ones', () => {
    const result = compile(lines('type Address { city: String }', 'scalar JSON', 'type T @table { id: ID @primaryKey a: Adress b: JSON c: string }'));
    const found = result.diagnostics.filter((d) => d.code === 'UNKNOWN_TYPE');
    assert.equal(found[0]?.message, 'Unknown type "Adress". Did you mean "Address"?');
    assert.match(found[1]?.message ?? '', /"JSON" is a custom scalar, which Lode does not support as a field type/);
    assert.equal(found[2]?.message, 'Unknown type "string". Did you mean "String"?');
  });

  test('UNKNOWN_DIRECTIVE on a type and a field, with suggestions', () => {
    const result = compile(lines('type T @tabel {', '  id: ID @primarykey', '  x: Int @frobnicate', '}'));
    const found = result.diagnostics.filter((d) => d.code === 'UNKNOWN_DIRECTIVE');
    assert.deepEqual(found.map(position), [
      ['schema.graphql', 1, 8, 'error'],
      ['schema.graphql', 2, 10, 'error'],
      ['schema.graphql', 3, 10, 'error'],
    ]);
    assert.deepEqual(
      found.map((d) => d.message),
      ['Unknown directive "@tabel". Did you mean "@table"?', 'Unknown directive "@primarykey". Did you mean "@primaryKey"?', 'Unknown directive "@frobnicate".'],
    );
  });

  test('UNKNOWN_ARGUMENT with a suggestion, and on directives without arguments', () => {
    const result = compile(lines('type T @table(experation: 10) @export(nmae: "t") {', '  id: ID @primaryKey(auto: true)', '}'));
    const found = result.diagnostics.filter((d) => d.code === 'UNKNOWN_ARGUMENT');
    assert.deepEqual(found.map(position), [
      ['schema.graphql', 1, 15, 'error'],
      ['schema.graphql', 1, 39, 'error'],
      ['schema.graphql', 2, 22, 'error'],
    ]);
    assert.deepEqual(
      found.map((d) => d.message),
      [
        'Unknown argument "experation" on @table. Did you mean "expiration"?',
        'Unknown argument "nmae" on @export. Did you mean "name"?',
        'Unknown argument "auto" on @primaryKey. @primaryKey takes no arguments.',
      ],
    );
  });

  test('INVALID_ARGUMENT for wrong value types', () => {
    const result = compile(
      'type T @table(expiration: "x", replicate: "no", audit: 1, table: 5, database: null, sealed: [true]) @export(name: 3) { id: ID @primaryKey other: T @relationship(from: true) }',
    );
    const found = result.diagnostics.filter((d) => d.code === 'INVALID_ARGUMENT');
    assert.deepEqual(
      found.map((d) => d.message),
      [
        'expiration must be an Int.',
        'replicate must be a Boolean.',
        'audit must be a Boolean.',
        'table must be a String.',
        'database must be a String.',
        'sealed must be a Boolean.',
        'name must be a String.',
        'from must be a String.',
      ],
    );
    assert.deepEqual(position(found[0]!), ['schema.graphql', 1, 15, 'error']);
  });

  test('INVALID_ARGUMENT for bad values', () => {
    const result = compile(
      lines(
        'type A @table(expiration: -5) { id: ID @primaryKey }',
        'type B @table(expiration: 1.5) { id: ID @primaryKey }',
        'type C @table(database: "../etc", table: "a/b") { id: ID @primaryKey }',
        'type D @table(database: "x", schema: "x") { id: ID @primaryKey }',
        'type E @table(expiration: 99999999999999999999) { id: ID @primaryKey }',
        'type F @table(audit: true, audit: false) { id: ID @primaryKey }',
        'type G @table { id: ID @primaryKey g: G @relationship }',
      ),
    );
    const found = result.diagnostics.filter((d) => d.code === 'INVALID_ARGUMENT');
    assert.deepEqual(
      found.map((d) => [d.line, d.column, d.message]),
      [
        [1, 15, 'expiration must not be negative: it is a number of seconds.'],
        [2, 15, 'expiration must be an Int.'],
        [3, 15, 'database "../etc" is not a valid name: use letters, digits, "_", "-" and "." (not first).'],
        [3, 35, 'table "a/b" is not a valid name: use letters, digits, "_", "-" and "." (not first).'],
        [4, 30, 'schema is an alias of database; give only one of them.'],
        [5, 15, 'expiration must be an Int.'],
        [6, 28, 'Argument "audit" of @table is given more than once.'],
        [7, 41, '@relationship on "G.g" needs "from" (an attribute of this type holding the target\'s key), "to" (an attribute of G holding this type\'s key), or both.'],
      ],
    );
    assert.equal(result.tables.find((t) => t.name === 'A')?.expiration, undefined);
  });

  test('DIRECTIVE_ON_WRONG_LOCATION', () => {
    const result = compile(
      lines(
        'type T @table @indexed {',
        '  id: ID @primaryKey @table',
        '  n: N',
        '}',
        'type N @export {',
        '  x: Int @indexed',
        '}',
        'enum E @sealed { A @primaryKey }',
      ),
    );
    const found = result.diagnostics.filter((d) => d.code === 'DIRECTIVE_ON_WRONG_LOCATION');
    assert.deepEqual(
      found.map((d) => [d.line, d.column, d.message]),
      [
        [1, 15, 'Directive "@indexed" cannot be used on a @table type; it belongs on a field of a @table type.'],
        [2, 22, 'Directive "@table" cannot be used on a field of a @table type; it belongs on an object type.'],
        [5, 8, 'Directive "@export" cannot be used on a type without @table (a nested type); it belongs on a @table type.'],
        [6, 10, 'Directive "@indexed" cannot be used on a field of a nested type; it belongs on a field of a @table type.'],
        [8, 8, 'Directive "@sealed" cannot be used on an enum; it belongs on an object type.'],
        [8, 20, 'Directive "@primaryKey" cannot be used on an enum value; it belongs on a field of a @table type.'],
      ],
    );
  });

  test('DUPLICATE_DIRECTIVE', () => {
    const d = single(compile('type T @table { id: ID @primaryKey @indexed @indexed }'), 'DUPLICATE_DIRECTIVE');
    assert.deepEqual(position(d), ['schema.graphql', 1, 45, 'error']);
    assert.equal(d.message, 'Directive "@indexed" is given more than once here.');
  });

  test('DUPLICATE_TYPE across files, with built-in scalars, and between enums and types', () => {
    const result = compileSchema([
      { file: 'a.graphql', text: 'type Dog @table { id: ID @primaryKey }\nenum Color { RED }' },
      { file: 'b.graphql', text: 'type Dog { name: String }\ntype Color { x: Int }\nenum Int { ONE }' },
    ]);
    const found = result.diagnostics.filter((d) => d.code === 'DUPLICATE_TYPE');
    assert.deepEqual(
      found.map((d) => [d.file, d.line, d.column, d.message]),
      [
        ['b.graphql', 1, 6, 'Type "Dog" is already declared at a.graphql:1:6.'],
        ['b.graphql', 2, 6, 'Type "Color" is already declared at a.graphql:2:6.'],
        ['b.graphql', 3, 6, '"Int" is a built-in scalar; choose another name.'],
      ],
    );
    assert.equal(result.tables.length, 1);
  });

  test('DUPLICATE_FIELD in tables, nested types and enums', () => {
    const result = compile(lines('type T @table {', '  id: ID @primaryKey', '  id: String', '}', 'type N { a: Int a: Int }', 'enum E { X Y X }'));
    const found = result.diagnostics.filter((d) => d.code === 'DUPLICATE_FIELD');
    assert.deepEqual(
      found.map((d) => [d.line, d.column, d.message]),
      [
        [3, 3, 'Field "id" is already declared in T at line 2.'],
        [5, 17, 'Field "a" is already declared in N at line 5.'],
        [6, 14, 'Enum value "X" is already declared in E.'],
      ],
    );
  });

  test('EXPORT_COLLISION names the first one', () => {
    const result = compileSchema([
      { file: 'a.graphql', text: 'type Product @table @export { id: ID @primaryKey }' },
      { file: 'b.graphql', text: '\ntype Item @table @export(name: "Product") { id: ID @primaryKey }\ntype Thing @table @export { id: ID @primaryKey }\ntype Thing2 @table @export(name: "Thing") { id: ID @primaryKey }' },
    ]);
    const found = result.diagnostics.filter((d) => d.code === 'EXPORT_COLLISION');
    assert.deepEqual(
      found.map((d) => [d.file, d.line, d.column, d.message]),
      [
        ['b.graphql', 2, 26, 'Export name "Product" is already used by Product (a.graphql:1); give one of them @export(name: "…").'],
        ['b.graphql', 4, 28, 'Export name "Thing" is already used by Thing (b.graphql:3); give one of them @export(name: "…").'],
      ],
    );
  });

  test('INVALID_EXPORT_NAME', () => {
    const result = compile('type A @table @export(name: "a/b") { id: ID @primaryKey }\ntype B @table @export(name: "") { id: ID @primaryKey }\ntype C @table @export(name: "ok.v1-~_") { id: ID @primaryKey }');
    const found = result.diagnostics.filter((d) => d.code === 'INVALID_EXPORT_NAME');
    assert.deepEqual(
      found.map((d) => [d.line, d.column, d.message]),
      [
        [1, 23, 'Export name "a/b" is not a valid URL segment: use letters, digits, "_", "~", "." and "-".'],
        [2, 23, 'Export name "" is not a valid URL segment: use letters, digits, "_", "~", "." and "-".'],
      ],
    );
  });

  test('DUPLICATE_TABLE when two types map to one database and table', () => {
    const result = compile(
      lines(
        'type A @table(table: "things") { id: ID @primaryKey }',
        'type B @table(table: "things") { id: ID @primaryKey }',
        'type C @table(table: "things", database: "other") { id: ID @primaryKey }',
        'type D @table(table: "things", schema: "data") { id: ID @primaryKey }',
      ),
    );
    const found = result.diagnostics.filter((d) => d.code === 'DUPLICATE_TABLE');
    assert.deepEqual(
      found.map((d) => [d.line, d.column, d.message]),
      [
        [2, 8, 'B maps to table "things" in database "data", which A (schema.graphql:1) already uses.'],
        [4, 8, 'D maps to table "things" in database "data", which A (schema.graphql:1) already uses.'],
      ],
    );
  });

  test('DUPLICATE_PRIMARY_KEY points at the second', () => {
    const result = compile(lines('type T @table {', '  id: ID @primaryKey', '  sku: String @primaryKey', '}'));
    const d = single(result, 'DUPLICATE_PRIMARY_KEY');
    assert.deepEqual(position(d), ['schema.graphql', 3, 15, 'error']);
    assert.equal(d.message, 'T already has the primary key "id" (line 2); a table has exactly one.');
    assert.equal(result.tables[0]?.primaryKey, 'id');
    assert.equal(result.tables[0]?.attributes[1]?.primaryKey, false);
  });

  test('MISSING_PRIMARY_KEY is a warning at the type name', () => {
    const d = single(compile('\ntype  Tag @table { label: String }'), 'MISSING_PRIMARY_KEY');
    assert.deepEqual(position(d), ['schema.graphql', 2, 7, 'warning']);
    const described = single(compile('"""A tag"""\ntype Tag @table { label: String }'), 'MISSING_PRIMARY_KEY');
    assert.deepEqual(position(described), ['schema.graphql', 2, 6, 'warning']);
  });

  test('INVALID_PRIMARY_KEY_TYPE, also for an implicit id key', () => {
    const result = compile(
      lines(
        'type A @table { id: Boolean @primaryKey }',
        'type B @table { id: [ID] @primaryKey }',
        'type C @table { id: Date }',
        'type N { x: Int }',
        'type D @table { n: N @primaryKey }',
      ),
    );
    const found = result.diagnostics.filter((d) => d.code === 'INVALID_PRIMARY_KEY_TYPE');
    assert.deepEqual(
      found.map((d) => [d.line, d.column, d.message]),
      [
        [1, 21, 'Primary key "A.id" must be ID, String, Int, Long or Float, not Boolean.'],
        [2, 21, 'Primary key "B.id" must be ID, String, Int, Long or Float, not [ID].'],
        [3, 21, 'Primary key "C.id" must be ID, String, Int, Long or Float, not Date.'],
        [5, 20, 'Primary key "D.n" must be ID, String, Int, Long or Float, not N.'],
      ],
    );
  });

  test('INVALID_TIMESTAMP_TYPE', () => {
    const result = compile('type T @table { id: ID @primaryKey a: Boolean @createdTime b: [Date] @updatedTime }');
    const found = result.diagnostics.filter((d) => d.code === 'INVALID_TIMESTAMP_TYPE');
    assert.deepEqual(
      found.map((d) => [d.line, d.column, d.message]),
      [
        [1, 47, '@createdTime needs a Date, Long, Int, Float or String field; "T.a" is Boolean.'],
        [1, 70, '@updatedTime needs a Date, Long, Int, Float or String field; "T.b" is [Date].'],
      ],
    );
  });

  test('INVALID_DIRECTIVE_PLACEMENT for @indexed on objects, relationships and lists of objects', () => {
    const result = compile(
      lines(
        'type N { x: Int }',
        'enum E { A }',
        'type T @table {',
        '  id: ID @primaryKey',
        '  n: N @indexed',
        '  ns: [N] @indexed',
        '  t: T @relationship(from: "id") @indexed',
        '  ok: [E] @indexed',
        '}',
      ),
    );
    const found = result.diagnostics.filter((d) => d.code === 'INVALID_DIRECTIVE_PLACEMENT');
    assert.deepEqual(
      found.map((d) => [d.line, d.column]),
      [
        [5, 8],
        [6, 11],
        [7, 34],
      ],
    );
    assert.equal(found[0]?.message, '@indexed cannot be used on "T.n" (N): only scalar and enum values, or lists of them, can be indexed.');
    assert.equal(codes(result).length, 3);
  });

  test('RELATIONSHIP_TARGET_NOT_TABLE', () => {
    const result = compile(
      lines('type N { x: Int }', 'type T @table {', '  id: ID @primaryKey', '  a: String @relationship(from: "id")', '  n: N @relationship(from: "id")', '  m: [[T]] @relationship(from: "id")', '}'),
    );
    const found = result.diagnostics.filter((d) => d.code === 'RELATIONSHIP_TARGET_NOT_TABLE');
    assert.deepEqual(
      found.map((d) => [d.line, d.column, d.message]),
      [
        [4, 13, '@relationship on "T.a" needs a @table type or a list of one, not String.'],
        [5, 8, '@relationship on "T.n" needs a @table type or a list of one, not N. N is a nested type; add @table to it to make it a table.'],
        [6, 12, '@relationship on "T.m" needs a @table type or a list of one, not [[T]].'],
      ],
    );
  });

  test('RELATIONSHIP_MISSING_ATTRIBUTE names the attribute and suggests one', () => {
    const result = compile(
      lines(
        'type Brand @table { id: ID @primaryKey products: [Product] @relationship(to: "brandID") }',
        'type Product @table {',
        '  id: ID @primaryKey',
        '  brandId: ID',
        '  brand: Brand @relationship(from: "brand_id")',
        '  other: Brand @relationship(from: "brand")',
        '}',
      ),
    );
    const found = result.diagnostics.filter((d) => d.code === 'RELATIONSHIP_MISSING_ATTRIBUTE');
    assert.deepEqual(
      found.map((d) => [d.line, d.column, d.message]),
      [
        [1, 74, '@relationship(to: "brandID") on "Brand.products": Product has no stored attribute "brandID". Did you mean "brandId"?'],
        [5, 30, '@relationship(from: "brand_id") on "Product.brand": Product has no stored attribute "brand_id". Did you mean "brandId"?'],
        [6, 30, '@relationship(from: "brand") on "Product.other": Product has no stored attribute "brand". Did you mean "brandId"?'],
      ],
    );
  });

  test('RELATIONSHIP_CARDINALITY', () => {
    const result = compile(
      lines(
        'type Brand @table { id: ID @primaryKey product: Product @relationship(to: "brandId") }',
        'type Product @table {',
        '  id: ID @primaryKey',
        '  brandId: ID',
        '  tagIds: [ID]',
        '  brands: [Brand] @relationship(from: "brandId")',
        '  tag: Brand @relationship(from: "tagIds")',
        '}',
      ),
    );
    const found = result.diagnostics.filter((d) => d.code === 'RELATIONSHIP_CARDINALITY');
    assert.deepEqual(
      found.map((d) => [d.line, d.column, d.message]),
      [
        [1, 71, '@relationship(to: "brandId") can match many Product records, so "Brand.product" must be a list: [Product].'],
        [6, 33, '"brandId" holds one key, so "Product.brands" must be a single Brand, not a list.'],
        [7, 28, '"tagIds" holds a list of keys, so "Product.tag" must be a list too: [Brand].'],
      ],
    );
  });

  test('TABLE_REFERENCE_WITHOUT_RELATIONSHIP in tables and nested types', () => {
    const result = compile(lines('type Brand @table { id: ID @primaryKey }', 'type N { b: Brand }', 'type T @table {', '  id: ID @primaryKey', '  brand: [Brand!]', '  n: N', '}'));
    const found = result.diagnostics.filter((d) => d.code === 'TABLE_REFERENCE_WITHOUT_RELATIONSHIP');
    assert.deepEqual(
      found.map((d) => [d.line, d.column]),
      [
        [2, 13],
        [5, 10],
      ],
    );
    assert.match(found[1]?.message ?? '', /"T.brand" has the @table type \[Brand!\] but no @relationship/);
  });

  test('RECURSIVE_TYPE is reported once per cycle, at the field that closes it', () => {
    const result = compile(
      lines('type A { b: B }', 'type B { a: [A] }', 'type Self { me: Self! }', 'type T @table { id: ID @primaryKey a: A s: Self }'),
    );
    const found = result.diagnostics.filter((d) => d.code === 'RECURSIVE_TYPE');
    assert.deepEqual(
      found.map((d) => [d.line, d.column]),
      [
        [2, 14],
        [3, 17],
      ],
    );
    assert.match(found[0]?.message ?? '', /^Nested type "A" contains itself \(through B\.a\)/);
    assert.equal(codes(result).length, 2);
  });

  test('UNSUPPORTED_DEFINITION warnings for what Lode ignores', () => {
    const result = compile(
      lines(
        'scalar JSON',
        'interface Named { name: String }',
        'union U = A | B',
        'input I { x: Int }',
        'extend type T @sealed',
        'schema { query: Query }',
        'directive @custom on FIELD_DEFINITION',
        'type T implements Named @table { id(arg: Int): ID @primaryKey name: String }',
      ),
    );
    const found = result.diagnostics.filter((d) => d.code === 'UNSUPPORTED_DEFINITION');
    assert.ok(found.every((d) => d.severity === 'warning'));
    assert.deepEqual(
      found.map((d) => [d.line, d.column, d.message]),
      [
        [1, 8, '"JSON" is a custom scalar, which Lode does not support; it is ignored.'],
        [2, 11, '"Named" is an interface, which Lode does not support; it is ignored.'],
        [3, 7, '"U" is a union, which Lode does not support; it is ignored.'],
        [4, 7, '"I" is an input type, which Lode does not support; it is ignored.'],
        [5, 1, 'This object type extension is not supported by Lode and is ignored.'],
        [6, 1, 'This schema definition is not supported by Lode and is ignored.'],
        [7, 1, 'This directive definition is not supported by Lode and is ignored.'],
        [8, 19, 'Interfaces are not supported; "implements" is ignored.'],
        [8, 37, 'Field arguments are ignored: "id" is stored data.'],
      ],
    );
    assert.equal(hasErrors(result.diagnostics), false);
  });
});
