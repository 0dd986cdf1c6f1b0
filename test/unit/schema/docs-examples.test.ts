import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { emitTypeDeclarations, formatDiagnostic, hasErrors } from '../../../framework/src/schema/index.js';
import { compile } from './helpers.js';

const docs = readFileSync(fileURLToPath(new URL('../../../docs/schema.md', import.meta.url)), 'utf8');
const blocks = [...docs.matchAll(/^```([\w-]*)\n([\s\S]*?)^```$/gm)].map((match) => ({ lang: match[1] ?? '', body: match[2] ?? '' }));

describe('docs/schema.md examples', () => {
  test('every graphql block compiles without errors', () => {
    const valid = blocks.filter((block) => block.lang === 'graphql');
    assert.ok(valid.length >= 8, `found ${valid.length} graphql blocks`);
    for (const block of valid) {
      const result = compile(block.body);
      assert.equal(hasErrors(result.diagnostics), false, `${block.body}\n${result.diagnostics.map(formatDiagnostic).join('\n')}`);
      assert.ok(result.tables.length > 0, block.body);
    }
  });

  test('every graphql-invalid block has errors, exactly those shown in the text block after it', () => {
    let checked = 0;
    blocks.forEach((block, index) => {
      if (block.lang !== 'graphql-invalid') return;
      const result = compile(block.body);
      assert.ok(hasErrors(result.diagnostics), block.body);
      const next = blocks[index + 1];
      if (next?.lang !== 'text') return;
      assert.equal(result.diagnostics.map(formatDiagnostic).join('\n'), next.body.trimEnd());
      checked++;
    });
    assert.ok(checked >= 3);
  });

  test('the TypeScript example is what the first example emits (abridged)', () => {
    const first = blocks.find((block) => block.lang === 'graphql');
    const shown = blocks.find((block) => block.lang === 'ts');
    assert.ok(first && shown);
    const emitted = new Set(emitTypeDeclarations(compile(first.body).tables).split('\n'));
    for (const line of shown.body.split('\n').filter((l) => l.trim() !== '')) assert.ok(emitted.has(line), `not emitted: ${line}`);
  });
});
