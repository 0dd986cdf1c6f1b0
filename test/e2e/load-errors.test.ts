import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppLoadError } from '../../framework/src/app/index.js';
import { startTestApp } from '../../framework/src/testing/index.js';

test('a table both @export-ed and extended by an exported class is a load diagnostic at the export', async () => {
  const files = {
    'schema.graphql': 'type Item @table @export { id: ID @primaryKey }',
    'resources.ts': "import { tables } from 'lode';\n\nexport class Item extends tables.Item {}\n",
  };
  await assert.rejects(startTestApp({ files }), (error: unknown) => {
    assert.ok(error instanceof AppLoadError);
    const conflict = error.diagnostics.find((diagnostic) => diagnostic.code === 'EXPORT_CONFLICT');
    assert.deepEqual(conflict && [conflict.file, conflict.line, conflict.column], ['resources.ts', 3, 14]);
    assert.match(conflict!.message, /Remove @export/);
    return true;
  });
});

test('a resource module that throws while loading is a load diagnostic, not a crash', async () => {
  const files = {
    'schema.graphql': 'type Item @table @export { id: ID @primaryKey }',
    'resources.js': "throw new Error('configuration missing');\n",
  };
  await assert.rejects(startTestApp({ files }), (error: unknown) => {
    assert.ok(error instanceof AppLoadError);
    assert.deepEqual(error.diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.file]), [['RESOURCE_LOAD', 'resources.js']]);
    assert.match(error.diagnostics[0]!.message, /configuration missing/);
    return true;
  });
});
