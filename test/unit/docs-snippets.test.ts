import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

test('every TypeScript snippet in docs/getting-started.md is code the starter app really runs', () => {
  const files = ['examples/starter/resources.ts', 'examples/starter/test/app.test.ts'];
  const source = new Set(files.flatMap((file) => read(file).split('\n').map((line) => line.trim())));
  const snippets = [...read('docs/getting-started.md').matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
  assert.ok(snippets.length >= 3, `found ${snippets.length} snippets`);
  for (const snippet of snippets) {
    const missing = snippet.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !source.has(line));
    assert.deepEqual(missing, [], `lines of the snippet not in ${files.join(' or ')}`);
  }
});
