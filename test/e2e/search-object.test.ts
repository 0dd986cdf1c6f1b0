import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../../framework/src/testing/index.js';

/** A search as resource code ran it: the rows (or count/plan object), or what it threw. */
type Outcome = { result: unknown } | { thrown: string; paths: string[] };

interface DocExample {
  code: string;
  sameAs?: string;
  expected: Outcome;
}

/** The schema, records and `ts` examples of docs/search-api.md; each example must state its outcome. */
function docPage(markdown: string): { schema: string; records: { id: number }[]; examples: DocExample[] } {
  const blocks = [...markdown.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].map((match) => ({ lang: match[1]!, text: match[2]! }));
  const schema = blocks.find((block) => block.lang === 'graphql')?.text ?? '';
  const records = JSON.parse(blocks.find((block) => block.lang === 'json')?.text ?? '[]') as { id: number }[];
  const examples = blocks
    .filter((block) => block.lang === 'ts')
    .map(({ text }): DocExample => {
      const lines = text.trimEnd().split('\n');
      const code = lines.filter((line) => !line.startsWith('//')).join('\n');
      const comment = (prefix: string): string | undefined => lines.find((line) => line.startsWith(prefix))?.slice(prefix.length).trim();
      const sameAs = comment('// same as:');
      const result = comment('// →');
      const throws = comment('// throws');
      assert.ok((result === undefined) !== (throws === undefined), `the example needs exactly one "// →" or "// throws" line:\n${text}`);
      assert.match(code, /^tables\.Product\.search\(/, 'an example is one tables.Product.search(…) call');
      if (result !== undefined) return { code, ...(sameAs === undefined ? {} : { sameAs }), expected: { result: JSON.parse(result) } };
      const [, errorCode = '', paths = ''] = /^(\w+) at (.+)$/.exec(throws!) ?? [];
      return { code, expected: { thrown: errorCode, paths: paths.split(', ') } };
    });
  return { schema, records, examples };
}

/** [query object as code, the same query as a string, expected ids (in order when sorted), or null for non-row results] */
const pairs: [string, string, number[] | null][] = [
  [`{ conditions: [{ attribute: 'category', value: 'home' }] }`, 'category=home', [1, 3, 5]],
  [`{ conditions: [{ attribute: 'category', value: 'home' }, { attribute: 'price', comparator: 'gt', value: 30 }] }`, 'category=home&price=gt=30', [3, 5]],
  [`{ conditions: [{ attribute: 'price', comparator: 'between', value: [20, 45.5] }] }`, 'price=ge=20&le=45.5', [1, 3, 6]],
  [`{ conditions: [{ attribute: 'price', comparator: 'greaterThan', value: 10 }, { attribute: 'price', comparator: 'less_than', value: 100 }] }`, 'price=gt=10&lt=100', [1, 3, 6]],
  [
    `{ operator: 'or', conditions: [{ attribute: 'category', value: 'tech' }, { conditions: [{ attribute: 'category', value: 'home' }, { attribute: 'price', comparator: 'lt', value: 30 }] }] }`,
    'category=tech|category=home&price=lt=30',
    [1, 2, 4],
  ],
  [
    `{ conditions: [{ operator: 'or', conditions: [{ attribute: 'category', value: 'tech' }, { attribute: 'category', value: 'home' }] }, { attribute: 'price', comparator: 'less_than', value: 30 }] }`,
    '[category=tech|category=home]&price=lt=30',
    [1, 4],
  ],
  [
    `{ operator: 'or', conditions: [{ attribute: 'category', value: 'tech' }, { attribute: 'price', comparator: 'between', value: [40, 130] }] }`,
    'category=tech|[price=ge=40&le=130]',
    [2, 3, 4, 5],
  ],
  [
    `{ operator: 'or', conditions: [{ conditions: [{ attribute: 'category', value: 'home' }, { attribute: 'price', comparator: 'lt', value: 100 }] }, { operator: 'and', conditions: [{ attribute: 'category', value: 'tech' }, { attribute: 'price', comparator: 'gt', value: 100 }] }] }`,
    '[[category=home&price=lt=100]|[category=tech&price=gt=100]]',
    [1, 2, 3],
  ],
  [`{ conditions: [{ attribute: 'tags', value: 'light' }, { attribute: 'price', comparator: 'ge', value: 0 }] }`, 'tags=light&price=ge=0', [1, 6]],
  [`{ conditions: [{ attribute: 'tags', comparator: 'contains', value: 'desk' }, { attribute: 'price', comparator: 'ge', value: 0 }] }`, 'tags=ct=desk&price=ge=0', [1, 3]],
  [`{ conditions: [{ attribute: 'category', value: 'home' }, { attribute: 'name', comparator: 'starts_with', value: 'La' }] }`, 'category=home&name==La*', [1]],
  [`{ conditions: [{ attribute: 'category', value: 'home' }, { attribute: 'name', comparator: 'endsWith', value: 'k' }] }`, 'category=home&name=ew=k', [5]],
  [`{ conditions: [{ attribute: 'category', value: 'home' }, { attribute: 'name', comparator: 'ct', value: 'ai' }] }`, 'category=home&name=ct=ai', [3]],
  [`{ conditions: [{ attribute: 'category', value: 'home' }, { attribute: 'stock', comparator: 'not_equal', value: 3 }] }`, 'category=home&stock=ne=3', [3, 5]],
  [`{ conditions: [{ attribute: 'category', value: null }, { attribute: 'price', value: 20 }] }`, 'category=null&price=20', [6]],
  [`{ conditions: [{ attribute: 'price', value: '20' }] }`, 'price=20', [1, 6]],
  [
    `{ conditions: [{ attribute: 'category', value: 'home' }, { attribute: 'released', comparator: 'gt', value: new Date('2023-12-31T00:00:00Z') }] }`,
    'category=home&released=gt=date:2023-12-31T00%3A00%3A00Z',
    [1],
  ],
  [`{ conditions: [{ attribute: 'category', value: 'tech' }, { attribute: 'released', comparator: 'lessThan', value: '2024-01-01T00:00:00Z' }] }`, 'category=tech&released=lt=2024-01-01T00:00:00Z', [2]],
  [`{ conditions: [{ attribute: 'id', comparator: 'greater_than', value: 4 }] }`, 'id=gt=4', [5, 6]],
  [`{ conditions: [{ attribute: 'id', value: 3 }, { attribute: 'category', value: 'tech' }] }`, 'id=3&category=tech', []],
  [`{ conditions: [{ attribute: 'price', comparator: 'gt', value: 0 }], sort: { attribute: 'price', next: { attribute: 'id', descending: true } } }`, 'price=gt=0&sort(price,-id)', [4, 6, 1, 3, 5, 2]],
  [`{ conditions: [{ attribute: 'price', comparator: 'gt', value: 0 }], sort: { attribute: 'price', descending: true }, offset: 1, limit: 2 }`, 'price=gt=0&sort(-price)&limit(1,3)', [5, 3]],
  [`{ conditions: [{ attribute: 'category', value: 'home' }], limit: 2 }`, 'category=home&limit(2)', [1, 3]],
  [`{ conditions: [{ attribute: 'category', value: 'home' }, { attribute: '__proto__', value: 1 }] }`, 'category=home&__proto__=1', []],
  [`{ conditions: [{ attribute: 'category', value: 'tech' }], select: ['name', 'price'] }`, 'category=tech&select(name,price)', null],
  [`{ conditions: [{ attribute: 'category', value: 'tech' }], select: 'name' }`, 'category=tech&select(name)', null],
  [`{ conditions: [{ attribute: 'category', value: 'home' }], count: true }`, 'category=home&count()', null],
  [
    `{ conditions: [{ attribute: 'price', comparator: 'gt', value: 10 }, { attribute: 'price', comparator: 'lt', value: 100 }], sort: { attribute: 'price', descending: true }, limit: 2, explain: true }`,
    'price=gt=10&lt=100&sort(-price)&limit(2)&explain()',
    null,
  ],
  [`{ conditions: [{ attribute: 'stock', value: 3 }] }`, 'stock=3', null],
  [`{ conditions: [{ attribute: 'price', value: 'cheap' }] }`, 'price=cheap', null],
  [`{ conditions: [{ attribute: 'category', value: 'home' }, { attribute: ['brand', 'name'], value: 'Acme' }] }`, 'category=home&brand.name=Acme', null],
];

/** resources.ts of the test app: each resource answers with the outcomes of its list of searches. */
function resourcesModule(docExamples: DocExample[]): string {
  const searches = (list: [string, string | undefined][]): string =>
    list.map(([object, query]) => `  [() => ${object}, ${query === undefined ? 'undefined' : JSON.stringify(query)}],`).join('\n');
  return `import { Resource, tables } from 'lode';

function run(search) {
  try {
    const result = search();
    return { result: typeof result?.[Symbol.iterator] === 'function' ? [...result] : result };
  } catch (error) {
    return { thrown: error.code ?? String(error), paths: (error.errors ?? []).map((detail) => detail.path) };
  }
}

const answer = (list) => list.map(([object, query]) => ({ object: run(object), string: query === undefined ? undefined : run(() => tables.Product.search(query)) }));

const pairs = [
${searches(pairs.map(([object, query]) => [`tables.Product.search(${object})`, query]))}
];

const docExamples = [
${searches(docExamples.map((example) => [example.code, example.sameAs]))}
];

export class Pairs extends Resource {
  static get() {
    return answer(pairs);
  }
}

export class DocExamples extends Resource {
  static get() {
    return answer(docExamples);
  }
}

export class BadSearch extends Resource {
  static get() {
    return [...tables.Product.search({ conditions: [{ attribute: 'category', comparator: 'is', value: 'home' }] })];
  }
}
`;
}

type Answer = { object: Outcome; string?: Outcome };

const inAnyOrder = (rows: unknown[]): string[] => rows.map((row) => JSON.stringify(row)).sort();

describe('tables.X.search() with a query object', () => {
  const doc = docPage(readFileSync(new URL('../../docs/search-api.md', import.meta.url), 'utf8'));
  let app: TestApp;
  let pairAnswers: Answer[];
  let docAnswers: Answer[];

  before(async () => {
    app = await startTestApp({ files: { 'schema.graphql': doc.schema, 'resources.ts': resourcesModule(doc.examples) } });
    for (const record of doc.records) assert.equal((await app.request(`/Product/${record.id}`, { method: 'PUT', body: record })).status, 204);
    pairAnswers = (await app.request('/Pairs')).body as Answer[];
    docAnswers = (await app.request('/DocExamples')).body as Answer[];
  });

  after(() => app.close());

  test('the doc page has the schema, records and examples', () => {
    assert.match(doc.schema, /type Product @table/);
    assert.equal(doc.records.length, 6);
    assert.ok(doc.examples.length >= 10, `found ${doc.examples.length} examples`);
    assert.equal(pairAnswers.length, pairs.length);
    assert.equal(docAnswers.length, doc.examples.length);
  });

  pairs.forEach(([object, query, ids], index) => {
    test(`${query} ≡ ${object}`, () => {
      const answer = pairAnswers[index]!;
      assert.deepEqual(answer.object, answer.string);
      if (ids === null) {
        if ('result' in answer.object) assert.notDeepEqual(answer.object.result, [], 'a parity check on an empty result proves little');
        return;
      }
      assert.ok('result' in answer.object, `threw ${JSON.stringify(answer.object)}`);
      const actual = (answer.object.result as { id: number }[]).map((row) => row.id);
      assert.deepEqual(query.includes('sort(') ? actual : actual.sort((a, b) => a - b), ids);
    });
  });

  test('the object and string forms fail alike', () => {
    const failures = pairs.flatMap(([, query], index) => ('thrown' in pairAnswers[index]!.object ? [query] : []));
    assert.deepEqual(failures, ['stock=3', 'price=cheap', 'category=home&brand.name=Acme']);
  });

  doc.examples.forEach((example, index) => {
    test(`docs/search-api.md example ${index + 1} gives the documented result`, () => {
      // Without a sort, rows come in the order the planner reads them, which the page does not promise.
      const normal = (outcome: Outcome | undefined): Outcome | undefined =>
        outcome && 'result' in outcome && Array.isArray(outcome.result) && !example.code.includes('sort:') ? { result: inAnyOrder(outcome.result) } : outcome;
      const answer = docAnswers[index]!;
      assert.deepEqual(normal(answer.object), normal(example.expected), example.code);
      if (example.sameAs !== undefined) assert.deepEqual(normal(answer.string), normal(example.expected), `same as ${example.sameAs}`);
    });
  });

  test('a malformed query object that escapes a resource is a 400 naming the field', async () => {
    const res = await app.request('/BadSearch');
    assert.equal(res.status, 400);
    const body = res.body as { code: string; errors: { path: string; message: string }[] };
    assert.equal(body.code, 'BAD_REQUEST');
    assert.deepEqual(body.errors.map((error) => error.path), ['conditions[0].comparator']);
    assert.match(body.errors[0]!.message, /unknown comparator "is"/);
  });
});
