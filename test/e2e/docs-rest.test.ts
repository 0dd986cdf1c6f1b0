import { test } from 'node:test';
import { replayDocExamples } from '../support/doc-examples.js';
import { assertSubset } from '../support/subset.js';

for (const page of ['rest.md', 'querying.md']) {
  test(`every example in docs/${page} gives the documented response`, () =>
    replayDocExamples(page, (_res, body, documented, label) => assertSubset(JSON.parse(body.toString()), JSON.parse(documented), label)));
}
