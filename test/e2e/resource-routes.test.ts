import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { AppLoadError } from '../../framework/src/app/index.js';
import type { Diagnostic } from '../../framework/src/schema/index.js';
import { startTestApp, type TestApp } from '../../framework/src/testing/index.js';
import { SseClient, WsClient } from '../support/live-clients.js';
import { assertSubset } from '../support/subset.js';

async function withApp(files: Record<string, string>, run: (app: TestApp) => Promise<void>): Promise<void> {
  const app = await startTestApp({ files });
  try {
    await run(app);
  } finally {
    await app.close();
  }
}

/** The diagnostics an app fails to load with. */
async function loadFailure(files: Record<string, string>): Promise<Diagnostic[]> {
  let diagnostics: Diagnostic[] = [];
  await assert.rejects(startTestApp({ files }), (error: unknown) => {
    assert.ok(error instanceof AppLoadError, String(error));
    diagnostics = error.diagnostics;
    return true;
  });
  return diagnostics;
}

const echo = (name: string, route: string): string => `
export class ${name} extends Resource {
  static path = '${route}';
  static get(target: RequestTarget) {
    return { name: '${name}', id: target.id ?? null, params: target.params ?? null, wildcard: target.wildcard ?? null, path: target.path, search: target.search, isCollection: target.isCollection };
  }
}
`;
const header = "import { Resource, tables, type RequestTarget } from 'lode';\n";

describe('static path patterns over HTTP', () => {
  const files = {
    'schema.graphql': 'type Order @table { id: Int @primaryKey  customer: String }',
    'resources.ts': [
      header,
      echo('WidgetAction', '/widget/:id/action/:action'),
      echo('Anything', '/:kind/:id/raw'),
      echo('Tree', '/tree/*'),
      echo('HealthCheck', '/ops/health-check'),
      `export class Plain extends Resource {
  static get(target: RequestTarget) {
    return { name: 'Plain', id: target.id ?? null };
  }
}
export class CustomerOrder extends tables.Order {
  static path = '/customers/:customer/orders/:id';
}
class Nested extends Resource {
  static path = './things/:id';
  static get(target: RequestTarget) {
    return { name: 'Nested', id: target.id };
  }
}
export const api = { v1: { Nested } };
export class Ticker extends Resource {
  static path = '/tick/:symbol';
  static async *connect(target: RequestTarget) {
    yield { symbol: target.params?.symbol, price: 1 };
  }
}`,
    ].join('\n'),
  };

  test('params are bound on the target, :id coerced, the query kept as search', () =>
    withApp(files, async (app) => {
      const response = await app.request('/widget/a%20b/action/run?x=1&sort(id)');
      assert.equal(response.status, 200);
      assert.deepEqual(response.body, {
        name: 'WidgetAction',
        id: 'a b',
        params: { id: 'a b', action: 'run' },
        wildcard: null,
        path: '',
        search: 'x=1&sort(id)',
        isCollection: false,
      });
      assert.equal((await app.request('/widget/1/action')).status, 404);
      assert.equal((await app.request('/widget/1/action/run/extra')).status, 404);
    }));

  test('a table class under a pattern reads and writes by the coerced :id', () =>
    withApp(files, async (app) => {
      assert.equal((await app.request('/customers/ann/orders/12', { method: 'PUT', body: { customer: 'ann' } })).status, 204);
      const read = await app.request('/customers/ann/orders/12');
      assert.equal(read.status, 200);
      assert.deepEqual(read.body, { id: 12, customer: 'ann' });
      assert.ok(read.headers.get('etag'));
      assert.equal((await app.request('/customers/ann/orders/13')).status, 404);
    }));

  test('a bare * binds target.wildcard, zero segments included', () =>
    withApp(files, async (app) => {
      assertSubset((await app.request('/tree/a/b%2Fc/d')).body, { wildcard: 'a/b/c/d', path: 'a/b/c/d', params: {} }, 'tree');
      assertSubset((await app.request('/tree')).body, { wildcard: '', isCollection: false }, 'tree root');
      assertSubset((await app.request('/tree/')).body, { wildcard: '', isCollection: true }, 'tree collection');
    }));

  test('a literal mount beats a pattern with as many literals; a URL suffix picks the format', () =>
    withApp(files, async (app) => {
      assert.deepEqual((await app.request('/Plain/5/raw')).body, { name: 'Plain', id: '5/raw' });
      assertSubset((await app.request('/Other/5/raw')).body, { name: 'Anything', params: { kind: 'Other', id: '5' } }, 'pattern');
      const csv = await app.request('/widget/3/action/spin.csv');
      assert.equal(csv.status, 200);
      assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
      assert.match(csv.text, /spin/);
      assert.doesNotMatch(csv.text, /spin\.csv/);
    }));

  test('a literal static path is mounted like an export name; a relative one under its export folder', () =>
    withApp(files, async (app) => {
      assertSubset((await app.request('/ops/health-check/7')).body, { name: 'HealthCheck', id: '7', params: null }, 'literal');
      assert.equal((await app.request('/HealthCheck')).status, 404);
      assert.deepEqual((await app.request('/api/v1/things/9')).body, { name: 'Nested', id: '9' });
      assert.equal((await app.request('/api/v1/Nested/9')).status, 404);
    }));

  test('GET / lists patterns beside export names; unmatched URLs are 404 for every method', () =>
    withApp(files, async (app) => {
      const listing = (await app.request('/')).body as { resources: { name: string }[] };
      const names = listing.resources.map((resource) => resource.name);
      assert.ok(names.includes('widget/:id/action/:action') && names.includes('Plain'), names.join());
      assert.equal((await app.request('/nowhere', { method: 'POST', body: {} })).status, 404);
      assert.equal((await app.request('/nowhere')).status, 404);
    }));

  test('event streams and WebSockets route through patterns too', () =>
    withApp(files, async (app) => {
      const sse = await SseClient.open(`${app.url}/tick/ACME`);
      try {
        assert.deepEqual(JSON.parse((await sse.waitFor(1))[0]!.data), { symbol: 'ACME', price: 1 });
      } finally {
        sse.close();
      }
      const ws = await WsClient.open(`${app.url.replace('http', 'ws')}/tick/XYZ`);
      try {
        assert.deepEqual(await ws.waitFor(1), [{ symbol: 'XYZ', price: 1 }]);
      } finally {
        ws.close();
      }
    }));
});

describe('the default export', () => {
  const fallback = `${header}
export class Item extends Resource {
  static get() {
    return 'item';
  }
}
export default class extends Resource {
  static get(target: RequestTarget) {
    return { fallback: true, path: target.path, isCollection: target.isCollection };
  }
  static post(target: RequestTarget, data: unknown) {
    return { posted: data, path: target.path };
  }
}
`;
  const files = {
    'resources.ts': fallback,
    'web/index.html': '<!doctype html><title>app</title>',
    'web/app.js': 'console.log(1);',
  };

  test('answers URLs nothing else does, with every method it implements', () =>
    withApp(files, async (app) => {
      assert.deepEqual((await app.request('/a/b')).body, { fallback: true, path: 'a/b', isCollection: false });
      assert.deepEqual((await app.request('/')).body, { fallback: true, path: '', isCollection: true });
      assert.equal((await app.request('/Item')).body, 'item');
      const posted = await app.request('/forms/contact', { method: 'POST', body: { name: 'x' } });
      assert.equal(posted.status, 200);
      assert.deepEqual(posted.body, { posted: { name: 'x' }, path: 'forms/contact' });
      const put = await app.request('/x', { method: 'PUT', body: {} });
      assert.equal(put.status, 405);
      assert.equal(put.headers.get('allow'), 'GET, HEAD, POST, OPTIONS');
    }));

  test('/health and static files keep precedence', () =>
    withApp(files, async (app) => {
      assert.deepEqual((await app.request('/health')).body, { status: 'ok' });
      const script = await app.request('/app.js');
      assert.equal(script.text, 'console.log(1);');
      const page = await app.request('/', { headers: { accept: 'text/html' } });
      assert.match(page.text, /<title>app<\/title>/);
    }));

  test('a default export with a static path is mounted there, not at the root', () =>
    withApp({ 'resources.ts': `${header}${echo('Ignored', '/x')}`.replace('export class Ignored', 'export default class Ignored') }, async (app) => {
      assertSubset((await app.request('/x/1')).body, { id: '1' }, 'default with path');
      assert.equal((await app.request('/y')).status, 404);
    }));

  test('is not served when rest is off', () =>
    withApp({ ...files, 'config.yaml': "static:\n  files: 'web/**'\njsResource:\n  files: 'resources.ts'\n" }, async (app) => {
      assert.equal((await app.request('/a/b')).status, 404);
      assert.equal((await app.request('/app.js')).status, 200);
    }));
});

describe('load-time diagnostics', () => {
  test('a malformed pattern names the file, the static path line and the export', async () => {
    const source = `${header}
export class Fine extends Resource {
  static get() {
    return 1;
  }
}

export class Broken extends Resource {
  static path = '/files/*rest/more';
  static get() {
    return 1;
  }
}
`;
    const [diagnostic, ...others] = await loadFailure({ 'resources.ts': source });
    assert.deepEqual(others, []);
    assert.deepEqual([diagnostic!.code, diagnostic!.file, diagnostic!.line, diagnostic!.column], ['ROUTE_PATTERN', 'resources.ts', 10, 3]);
    assert.match(diagnostic!.message, /Export "Broken" has the path "\/files\/\*rest\/more".*must come last/);
  });

  for (const [declared, reason] of [
    ['/a/:/b', /empty name/],
    ['/a/:id/:id', /"id" twice/],
  ] as const) {
    test(`${declared} is rejected: ${reason.source}`, async () => {
      const [diagnostic] = await loadFailure({ 'resources.ts': `${header}class Bad extends Resource {\n  static path = '${declared}';\n  static get() {\n    return 1;\n  }\n}\nexport const api = { v1: { Bad } };\n` });
      assert.equal(diagnostic!.code, 'ROUTE_PATTERN');
      assert.match(diagnostic!.message, /Export "api\/v1\/Bad"/);
      assert.match(diagnostic!.message, reason);
      assert.equal(diagnostic!.line, 3);
    });
  }

  test('two exports with identical patterns are a conflict at the second one', async () => {
    const source = `${header}${echo('First', '/a/:id')}${echo('Second', '/a/:key')}`;
    const [diagnostic] = await loadFailure({ 'resources.ts': source });
    assert.equal(diagnostic!.code, 'ROUTE_CONFLICT');
    assert.equal(diagnostic!.line, source.split('\n').findIndex((line) => line.includes("'/a/:key'")) + 1);
    assert.match(diagnostic!.message, /Export "Second" has the path pattern \/a\/:key, which matches the same URLs as export "First" of resources\.ts \(\/a\/:id\)/);
  });

  test('a literal static path on an export name already mounted is an export conflict', async () => {
    const [diagnostic] = await loadFailure({
      'schema.graphql': 'type Item @table @export { id: ID @primaryKey }',
      'resources.ts': `${header}${echo('Other', '/Item')}`,
    });
    assert.equal(diagnostic!.code, 'EXPORT_CONFLICT');
    assert.match(diagnostic!.message, /Export "Other" is mounted at \/Item by its static path, and so is schema\.graphql \(@export on Item\)/);
  });

  test('two modules with default exports are a conflict', async () => {
    const module = `${header}export default class extends Resource {\n  static get() {\n    return 1;\n  }\n}\n`;
    const diagnostics = await loadFailure({
      'config.yaml': "rest: true\njsResource:\n  files: 'routes/*.ts'\n",
      'routes/a.ts': module,
      'routes/b.ts': module,
    });
    assert.deepEqual(diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.file, diagnostic.line]), [['EXPORT_CONFLICT', 'routes/b.ts', 2]]);
    assert.match(diagnostics[0]!.message, /default export of routes\/a\.ts/);
  });
});

/** `docs/resources.md`: its `ts` blocks are the app, its `http` / `http-response` pairs the checks. */
test('every example in docs/resources.md gives the documented response', async () => {
  const markdown = readFileSync(new URL('../../docs/resources.md', import.meta.url), 'utf8');
  const blocks = [...markdown.matchAll(/^```([\w-]+)\n([\s\S]*?)^```$/gm)].map((match) => ({ lang: match[1]!, text: match[2]! }));
  const code = (lang: string): string => blocks.filter((block) => block.lang === lang).map((block) => block.text).join('\n');
  const exchanges = blocks.flatMap((block, index) => (block.lang === 'http' ? [{ request: block.text, response: blocks[index + 1] }] : []));
  assert.ok(exchanges.length >= 8, `found ${exchanges.length} examples`);
  const parse = (text: string): { first: string; headers: [string, string][]; body: string } => {
    const [head = '', ...rest] = text.split('\n\n');
    const [first = '', ...lines] = head.split('\n');
    return { first, headers: lines.filter((line) => line.includes(':')).map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]), body: rest.join('\n\n').trim() };
  };
  await withApp({ 'schema.graphql': code('graphql'), 'resources.ts': code('ts') }, async (app) => {
    for (const { request, response } of exchanges) {
      assert.equal(response?.lang, 'http-response', `${request.split('\n')[0]} is followed by its response`);
      const sent = parse(request);
      const [method = 'GET', path = '/'] = sent.first.split(' ');
      const res = await fetch(app.url + path, { method, headers: Object.fromEntries(sent.headers), body: sent.body === '' ? undefined : sent.body });
      const expected = parse(response.text);
      const label = `${sent.first} → ${expected.first}`;
      const text = await res.text();
      assert.equal(`HTTP ${res.status}`, expected.first, `${label}: ${text}`);
      for (const [name, value] of expected.headers) assert.ok(res.headers.get(name)?.startsWith(value), `${label}: ${name} is ${res.headers.get(name)}`);
      if (expected.body !== '') assertSubset(JSON.parse(text), JSON.parse(expected.body), label);
    }
  });
});
