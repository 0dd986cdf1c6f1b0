import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { attributeByName, compileSchema, hasErrors, scalarTypes, type AttributeDef } from '../../../framework/src/schema/index.js';
import { codes, compile, lines, table } from './helpers.js';

function attribute(def: Parameters<typeof attributeByName>[0], name: string): AttributeDef {
  const found = attributeByName(def, name);
  assert.ok(found, `attribute ${name}`);
  return found;
}

describe('compileSchema: tables and defaults', () => {
  test('a minimal table gets every default', () => {
    const result = compile('type Dog @table { id: ID @primaryKey name: String }');
    assert.deepEqual(result.diagnostics, []);
    const dog = table(result, 'Dog');
    assert.equal(dog.table, 'Dog');
    assert.equal(dog.database, 'data');
    assert.equal(dog.exportName, undefined);
    assert.equal('exportName' in dog, false);
    assert.equal(dog.primaryKey, 'id');
    assert.equal(dog.sealed, false);
    assert.equal(dog.replicate, true);
    assert.equal(dog.audit, true);
    assert.equal(dog.expiration, undefined);
    assert.deepEqual(dog.location, { file: 'schema.graphql', line: 1, column: 6 });
    assert.deepEqual(
      dog.attributes.map((a) => a.name),
      ['id', 'name'],
    );
  });

  test('every @table argument reaches the IR', () => {
    const result = compile(
      'type Session @table(table: "sessions", database: "auth", expiration: 3600, replicate: false, audit: false, sealed: true) { id: ID @primaryKey }',
    );
    assert.deepEqual(result.diagnostics, []);
    const session = table(result, 'Session');
    assert.equal(session.name, 'Session');
    assert.equal(session.table, 'sessions');
    assert.equal(session.database, 'auth');
    assert.equal(session.expiration, 3600);
    assert.equal(session.replicate, false);
    assert.equal(session.audit, false);
    assert.equal(session.sealed, true);
  });

  test('schema is an alias of database', () => {
    const result = compile('type Event @table(schema: "analytics") { id: ID @primaryKey }');
    assert.deepEqual(result.diagnostics, []);
    assert.equal(table(result, 'Event').database, 'analytics');
  });

  test('@sealed on the type seals the table; explicit true/false booleans are read', () => {
    const result = compile(
      lines(
        'type A @table @sealed { id: ID @primaryKey }',
        'type B @table(replicate: true, audit: true, sealed: false) { id: ID @primaryKey }',
      ),
    );
    assert.deepEqual(result.diagnostics, []);
    assert.equal(table(result, 'A').sealed, true);
    const b = table(result, 'B');
    assert.deepEqual([b.sealed, b.replicate, b.audit], [false, true, true]);
  });

  test('@export defaults to the type name; @export(name:) overrides it', () => {
    const result = compile(
      lines('type Product @table @export { id: ID @primaryKey }', 'type Brand @table @export(name: "brands") { id: ID @primaryKey }'),
    );
    assert.deepEqual(result.diagnostics, []);
    assert.equal(table(result, 'Product').exportName, 'Product');
    assert.equal(table(result, 'Brand').exportName, 'brands');
  });

  test('tables come in declaration order across files; types reference each other across files', () => {
    const result = compileSchema([
      { file: 'a.graphql', text: 'type Zebra @table { id: ID @primaryKey address: Address }\ntype Apple @table { id: ID @primaryKey color: Color }' },
      { file: 'b.graphql', text: 'type Address { street: String }\nenum Color { RED GREEN }\ntype Mango @table { id: ID @primaryKey }' },
    ]);
    assert.deepEqual(result.diagnostics, []);
    assert.deepEqual(
      result.tables.map((t) => t.name),
      ['Zebra', 'Apple', 'Mango'],
    );
    assert.equal(table(result, 'Mango').location.file, 'b.graphql');
    assert.equal(attribute(table(result, 'Zebra'), 'address').type.kind, 'object');
    assert.equal(attribute(table(result, 'Apple'), 'color').type.kind, 'enum');
  });

  test('Query, Mutation and Subscription are ignored; empty and comment-only files are fine', () => {
    const result = compileSchema([
      { file: 'a.graphql', text: 'type Query { dogs: [String] }\ntype Mutation { x: Int }\ntype Subscription { y: Int }' },
      { file: 'b.graphql', text: '' },
      { file: 'c.graphql', text: '# only a comment\n' },
    ]);
    assert.deepEqual(result, { tables: [], diagnostics: [] });
  });

  test('declaring a built-in scalar or one of Lode\'s directives (for editor tooling) is accepted silently', () => {
    const result = compile(
      lines('scalar Long', 'scalar Date', 'directive @table(table: String) on OBJECT', 'type T @table { id: Long @primaryKey at: Date }'),
    );
    assert.deepEqual(result.diagnostics, []);
    assert.deepEqual(attribute(table(result, 'T'), 'id').type, { kind: 'scalar', name: 'Long', nonNull: true });
  });
});

describe('compileSchema: attributes and types', () => {
  test('every scalar maps to a scalar TypeRef', () => {
    const fields = scalarTypes.map((name) => `f${name}: ${name}`).join('\n');
    const result = compile(`type All @table {\nid: ID @primaryKey\n${fields}\n}`);
    assert.deepEqual(result.diagnostics, []);
    const all = table(result, 'All');
    for (const name of scalarTypes) assert.deepEqual(attribute(all, `f${name}`).type, { kind: 'scalar', name, nonNull: false });
  });

  test('lists and non-null wrap in any combination', () => {
    const result = compile('type T @table { id: ID @primaryKey a: [String] b: [String!]! c: [[Int]] d: Int! }');
    assert.deepEqual(result.diagnostics, []);
    const t = table(result, 'T');
    assert.deepEqual(attribute(t, 'a').type, { kind: 'list', of: { kind: 'scalar', name: 'String', nonNull: false }, nonNull: false });
    assert.deepEqual(attribute(t, 'b').type, { kind: 'list', of: { kind: 'scalar', name: 'String', nonNull: true }, nonNull: true });
    assert.deepEqual(attribute(t, 'c').type, {
      kind: 'list',
      of: { kind: 'list', of: { kind: 'scalar', name: 'Int', nonNull: false }, nonNull: false },
      nonNull: false,
    });
    assert.deepEqual(attribute(t, 'd').type, { kind: 'scalar', name: 'Int', nonNull: true });
  });

  test('enums carry their values', () => {
    const result = compile('enum Status { ACTIVE RETIRED }\ntype T @table { id: ID @primaryKey status: Status! history: [Status] }');
    assert.deepEqual(result.diagnostics, []);
    const t = table(result, 'T');
    assert.deepEqual(attribute(t, 'status').type, { kind: 'enum', name: 'Status', values: ['ACTIVE', 'RETIRED'], nonNull: true });
    assert.deepEqual(attribute(t, 'history').type, {
      kind: 'list',
      of: { kind: 'enum', name: 'Status', values: ['ACTIVE', 'RETIRED'], nonNull: false },
      nonNull: false,
    });
  });

  test('nested object types resolve recursively and honour @sealed', () => {
    const result = compile(
      lines(
        'type Geo @sealed { lat: Float! lng: Float! }',
        'type Address { street: String geo: Geo }',
        'type Shop @table { id: ID @primaryKey address: Address! branches: [Address] }',
      ),
    );
    assert.deepEqual(result.diagnostics, []);
    const address = attribute(table(result, 'Shop'), 'address').type;
    assert.ok(address.kind === 'object');
    assert.equal(address.name, 'Address');
    assert.equal(address.nonNull, true);
    assert.equal(address.sealed, false);
    const geo = address.attributes.find((a) => a.name === 'geo')?.type;
    assert.ok(geo?.kind === 'object');
    assert.equal(geo.sealed, true);
    assert.deepEqual(
      geo.attributes.map((a) => [a.name, a.type]),
      [
        ['lat', { kind: 'scalar', name: 'Float', nonNull: true }],
        ['lng', { kind: 'scalar', name: 'Float', nonNull: true }],
      ],
    );
    const branches = attribute(table(result, 'Shop'), 'branches').type;
    assert.ok(branches.kind === 'list' && branches.of.kind === 'object' && !branches.of.nonNull);
  });

  test('field directives set their flags; attribute locations point at field names', () => {
    const result = compile(
      lines(
        'type Post @table {',
        '  slug: String @primaryKey',
        '  tags: [String] @indexed',
        '  created: Date @createdTime',
        '  updated: Long @updatedTime',
        '  plain: String',
        '}',
      ),
    );
    assert.deepEqual(result.diagnostics, []);
    const post = table(result, 'Post');
    assert.equal(post.primaryKey, 'slug');
    const flags = (a: AttributeDef) => [a.primaryKey, a.indexed, a.createdTime, a.updatedTime];
    assert.deepEqual(flags(attribute(post, 'slug')), [true, false, false, false]);
    assert.deepEqual(flags(attribute(post, 'tags')), [false, true, false, false]);
    assert.deepEqual(flags(attribute(post, 'created')), [false, false, true, false]);
    assert.deepEqual(flags(attribute(post, 'updated')), [false, false, false, true]);
    assert.deepEqual(flags(attribute(post, 'plain')), [false, false, false, false]);
    assert.deepEqual(attribute(post, 'tags').location, { file: 'schema.graphql', line: 3, column: 3 });
  });

  test('every allowed timestamp type is accepted', () => {
    const result = compile('type T @table { id: ID @primaryKey a: Date @createdTime b: Long @updatedTime c: Int @createdTime d: Float @updatedTime e: String @createdTime }');
    assert.deepEqual(result.diagnostics, []);
  });

  test('every allowed primary key type is accepted and forced non-null', () => {
    for (const name of ['ID', 'String', 'Int', 'Long', 'Float']) {
      const result = compile(`type T @table { key: ${name} @primaryKey }`);
      assert.deepEqual(result.diagnostics, [], name);
      assert.deepEqual(attribute(table(result, 'T'), 'key').type, { kind: 'scalar', name, nonNull: true });
    }
  });

  test('without @primaryKey an existing id field becomes the key (with a warning)', () => {
    const result = compile('type T @table { name: String id: Int }');
    assert.deepEqual(codes(result), ['MISSING_PRIMARY_KEY']);
    assert.equal(hasErrors(result.diagnostics), false);
    const t = table(result, 'T');
    assert.equal(t.primaryKey, 'id');
    assert.deepEqual(attribute(t, 'id').type, { kind: 'scalar', name: 'Int', nonNull: true });
    assert.equal(attribute(t, 'id').primaryKey, true);
    assert.deepEqual(
      t.attributes.map((a) => a.name),
      ['name', 'id'],
    );
  });

  test('without @primaryKey or id an implicit id: ID is added first (with a warning)', () => {
    const result = compile('type T @table { name: String }');
    assert.deepEqual(codes(result), ['MISSING_PRIMARY_KEY']);
    const t = table(result, 'T');
    assert.equal(t.primaryKey, 'id');
    assert.deepEqual(t.attributes[0], {
      name: 'id',
      type: { kind: 'scalar', name: 'ID', nonNull: true },
      primaryKey: true,
      indexed: false,
      createdTime: false,
      updatedTime: false,
      location: { file: 'schema.graphql', line: 1, column: 6 },
    });
  });

  test('the IR is plain JSON data', () => {
    const result = compile('enum E { A }\ntype N { e: E }\ntype T @table { id: ID @primaryKey n: [N] b: T @relationship(from: "id") }');
    assert.deepEqual(JSON.parse(JSON.stringify(result)), result);
  });
});

describe('compileSchema: relationships', () => {
  const schema = lines(
    'type Brand @table { id: ID @primaryKey name: String products: [Product] @relationship(to: "brandId") }',
    'type Product @table {',
    '  id: ID @primaryKey',
    '  brandId: ID @indexed',
    '  brand: Brand @relationship(from: "brandId")',
    '  tagIds: [ID]',
    '  tags: [Tag] @relationship(from: "tagIds")',
    '}',
    'type Tag @table { id: ID @primaryKey label: String }',
    'type Listing @table { id: ID @primaryKey sku: String similar: [Product] @relationship(from: "sku", to: "brandId") }',
  );

  test('many-to-one, one-to-many, many-to-many and key-to-key relationships compile', () => {
    const result = compile(schema);
    assert.deepEqual(result.diagnostics, []);
    assert.deepEqual(attribute(table(result, 'Product'), 'brand').relationship, { target: 'Brand', from: 'brandId' });
    assert.deepEqual(attribute(table(result, 'Product'), 'brand').type, { kind: 'table', name: 'Brand', nonNull: false });
    assert.deepEqual(attribute(table(result, 'Brand'), 'products').relationship, { target: 'Product', to: 'brandId' });
    assert.deepEqual(attribute(table(result, 'Product'), 'tags').relationship, { target: 'Tag', from: 'tagIds' });
    assert.deepEqual(attribute(table(result, 'Listing'), 'similar').relationship, { target: 'Product', from: 'sku', to: 'brandId' });
    assert.equal(attribute(table(result, 'Product'), 'brandId').relationship, undefined);
  });

  test('a table can relate to itself', () => {
    const result = compile('type Person @table { id: ID @primaryKey parentId: ID parent: Person @relationship(from: "parentId") children: [Person] @relationship(to: "parentId") }');
    assert.deepEqual(result.diagnostics, []);
  });
});
