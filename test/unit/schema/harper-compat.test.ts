import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileSchema, hasErrors } from '../../../framework/src/schema/index.js';

test('a Harper schema with directives Lode lacks still loads, with a warning for each', () => {
  const text = `type Product @table(database: "shop", eviction: 60) @export(mqtt: false) {
  id: ID @primaryKey
  name: String @hidden
  total: Float @computed(from: "price * quantity")
  embedding: [Float] @indexed(type: "HNSW", distance: "cosine")
  expires: Long @expiresAt
}`;
  const { tables, diagnostics } = compileSchema([{ file: 'schema.graphql', text }]);
  assert.equal(hasErrors(diagnostics), false);
  assert.deepEqual(
    diagnostics.map((d) => [d.severity, d.code, d.line, d.column]),
    [
      ['warning', 'UNSUPPORTED_ARGUMENT', 1, 39],
      ['warning', 'UNSUPPORTED_ARGUMENT', 1, 61],
      ['warning', 'UNSUPPORTED_DIRECTIVE', 3, 16],
      ['warning', 'UNSUPPORTED_DIRECTIVE', 4, 16],
      ['warning', 'UNSUPPORTED_ARGUMENT', 5, 31],
      ['warning', 'UNSUPPORTED_ARGUMENT', 5, 45],
      ['warning', 'UNSUPPORTED_DIRECTIVE', 6, 17],
    ],
  );
  assert.match(diagnostics[2]!.message, /Harper's "@hidden" is not supported by Lode yet; it is ignored/);
  const product = tables[0]!;
  assert.equal(product.database, 'shop');
  assert.equal(product.attributes.find((attribute) => attribute.name === 'embedding')!.indexed, true);
});

test('directives that are neither Lode nor Harper stay errors', () => {
  const { diagnostics } = compileSchema([{ file: 's.graphql', text: 'type T @table { id: ID @primaryKey  a: String @indexd }' }]);
  assert.deepEqual(diagnostics.map((d) => [d.severity, d.code]), [['error', 'UNKNOWN_DIRECTIVE']]);
});
