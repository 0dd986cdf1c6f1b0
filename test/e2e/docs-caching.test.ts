import { test } from 'node:test';
import { replayDocExamples } from '../support/doc-examples.js';
import { assertSubset } from '../support/subset.js';

test('every example in docs/caching.md gives the documented response', () =>
  replayDocExamples('caching.md', (_res, body, documented, label) => assertSubset(JSON.parse(body.toString()), JSON.parse(documented), label)));
