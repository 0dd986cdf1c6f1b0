import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { LodeError, errorCatalog, type ErrorCode } from '../../../framework/src/errors/index.js';

test('docs/errors.md lists exactly the catalog', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \| (.+?) \|$/gm)].map((match) => [match[1], Number(match[2]), match[3]]);
  const catalog = Object.entries(errorCatalog).map(([code, entry]) => [code, entry.status, entry.title]);
  assert.deepEqual(rows, catalog);
});

test('a LodeError carries its catalog status, details and headers', () => {
  for (const code of Object.keys(errorCatalog) as ErrorCode[]) {
    const error = new LodeError(code, 'why', { errors: [{ path: 'a', message: 'b' }], headers: { 'Retry-After': '1' } });
    assert.equal(error.status, errorCatalog[code].status);
    assert.equal(error.message, 'why');
    assert.deepEqual(error.errors, [{ path: 'a', message: 'b' }]);
    assert.equal(error.headers?.['Retry-After'], '1');
  }
  assert.equal(new LodeError('NOT_FOUND').message, errorCatalog.NOT_FOUND.title);
});
