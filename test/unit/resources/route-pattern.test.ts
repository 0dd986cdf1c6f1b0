import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isLodeError } from '../../../framework/src/errors/index.js';
import { Resource, ResourceRegistry, type MountedResource, type RoutePattern } from '../../../framework/src/resources/index.js';
import { bindRoute, compareRoutes, decodePath, matchesSegments, parseRoute, routeOf } from '../../../framework/src/resources/route-pattern.js';
import { parseTarget } from '../../../framework/src/transport/rest.js';

function pattern(declared: string, base = ''): RoutePattern {
  const parsed = parseRoute(declared, base);
  assert.ok(parsed.ok, `${declared} parses: ${parsed.ok ? '' : parsed.message}`);
  return parsed.pattern;
}

function problem(declared: string): string {
  const parsed = parseRoute(declared, 'api');
  assert.ok(!parsed.ok, `${declared} is rejected`);
  return parsed.message;
}

class Widget extends Resource {
  static get(): string {
    return 'widget';
  }
}

describe('parseRoute', () => {
  test('a leading slash is root-relative; bare and ./ paths are relative to the export folder', () => {
    assert.equal(pattern('/widget/:id', 'api/v1').source, 'widget/:id');
    assert.equal(pattern('/widget/:id', 'api/v1').base, 0);
    assert.equal(pattern('widget/:id', 'api/v1').source, 'api/v1/widget/:id');
    assert.equal(pattern('./widget/:id', 'api/v1').source, 'api/v1/widget/:id');
    assert.equal(pattern('./widget/:id', 'api/v1').base, 2);
    assert.equal(pattern('widget/:id').source, 'widget/:id');
    assert.equal(pattern('/files/*path/').source, 'files/*path', 'one trailing slash is dropped');
  });

  test('counts literals, tells dynamic patterns from literal paths, and erases names in the shape', () => {
    const route = pattern('/widget/:id/action/:action');
    assert.deepEqual([route.literals, route.dynamic, route.catchAll, route.shape], [2, true, false, 'widget/:/action/:']);
    assert.deepEqual(route.segments, [
      { kind: 'literal', value: 'widget' },
      { kind: 'param', name: 'id' },
      { kind: 'literal', value: 'action' },
      { kind: 'param', name: 'action' },
    ]);
    assert.equal(pattern('/api/status').dynamic, false);
    assert.equal(pattern('/files/*').catchAll, true);
    assert.equal(pattern('/files/*').shape, pattern('/files/*rest').shape);
    assert.equal(pattern('/a:b/c*').dynamic, false, 'only a leading : or * makes a parameter');
  });

  test('rejects malformed paths with a reason', () => {
    assert.match(problem('/widget/:/x'), /empty name/);
    assert.match(problem('/files/*rest/more'), /must come last/);
    assert.match(problem('/files/*/more'), /must come last/);
    assert.match(problem('/a/:id/b/:id'), /"id" twice/);
    assert.match(problem('/a/:id/*id'), /"id" twice/);
    assert.match(problem('/a//b'), /empty segment/);
    assert.match(problem('../secret/:id'), /cannot climb out/);
    assert.match(problem('/a/:1st'), /not starting with a digit/);
    assert.match(problem('/a/:na-me'), /parameter ":na-me"/);
    assert.match(problem('/'), /no segments/);
    assert.match(problem(''), /no segments/);
  });
});

describe('matching and binding', () => {
  const parts = (path: string): string[] => path.slice(1).split('/');

  test(':name matches exactly one non-empty segment', () => {
    const { segments } = pattern('/widget/:id/action/:action');
    assert.equal(matchesSegments(segments, parts('/widget/7/action/run')), true);
    assert.equal(matchesSegments(segments, parts('/widget/7/action')), false);
    assert.equal(matchesSegments(segments, parts('/widget/7/action/run/x')), false);
    assert.equal(matchesSegments(segments, parts('/widget//action/run')), false);
    assert.equal(matchesSegments(segments, parts('/widget/7/action/run/')), false);
    assert.equal(matchesSegments(segments, parts('/gadget/7/action/run')), false);
  });

  test('literal segments compare decoded', () => {
    assert.equal(matchesSegments(pattern('/my items/:id').segments, parts('/my%20items/3')), true);
  });

  test('binds decoded params; *name takes the rest with its slashes; a bare * is the wildcard', () => {
    assert.deepEqual(bindRoute(pattern('/widget/:id/action/:action').segments, '/widget/a%20b/action/run'), {
      params: { id: 'a b', action: 'run' },
      wildcard: undefined,
      rest: '',
    });
    assert.deepEqual(bindRoute(pattern('/files/*path').segments, '/files/docs/a%2Fb/c.txt'), {
      params: { path: 'docs/a/b/c.txt' },
      wildcard: undefined,
      rest: 'docs/a/b/c.txt',
    });
    assert.deepEqual(bindRoute(pattern('/files/:owner/*').segments, '/files/ann/x/y'), { params: { owner: 'ann' }, wildcard: 'x/y', rest: 'x/y' });
    assert.equal(bindRoute(pattern('/files/*').segments, '/files')?.wildcard, '', 'zero segments');
    assert.equal(bindRoute(pattern('/files/*').segments, '/files/')?.wildcard, '');
    assert.equal(bindRoute(pattern('/files/:name').segments, '/files/'), undefined);
  });

  test('a parameter named __proto__ stays a parameter', () => {
    const bound = bindRoute(pattern('/x/:__proto__').segments, '/x/1');
    assert.equal(Object.getPrototypeOf(bound!.params), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(bound!.params, '__proto__')?.value, '1');
  });

  test('bad percent-encoding in a parameter is a 400', () => {
    assert.throws(() => bindRoute(pattern('/x/:id').segments, '/x/%E0%A4%A'), (error: unknown) => isLodeError(error) && error.status === 400);
  });
});

test('decodePath: percent-escapes decoded, anything else as it is, bad escapes a 400', () => {
  for (const plain of ['', 'Item', 'item-5', 'a b+c', 'ü/é', '\ud800']) assert.equal(decodePath(plain), plain, plain);
  assert.equal(decodePath('my%20items%2F%C3%BC'), 'my items/ü');
  for (const bad of ['%', '%E0%A4%A', '%zz', 'a%C3']) assert.throws(() => decodePath(bad), (error: unknown) => isLodeError(error) && error.status === 400, bad);
});

test('compareRoutes: more literals first, then no catch-all, then the earlier literal, then the source', () => {
  const sources = ['/:a/:b/:c', '/x/*rest', '/:y/b/c', '/x/:a/:b', '/x/b/c', '/x/:a/c', '/x/*'];
  const sorted = sources.map((source) => pattern(source)).sort(compareRoutes).map((route) => route.source);
  assert.deepEqual(sorted, ['x/b/c', 'x/:a/c', ':y/b/c', 'x/:a/:b', 'x/*', 'x/*rest', ':a/:b/:c']);
});

describe('routeOf', () => {
  test('is the relative pattern of a class with a dynamic static path, and nothing otherwise', () => {
    class Routed extends Widget {
      static path = 'v2/:id';
    }
    class Literal extends Widget {
      static path = '/api/status';
    }
    assert.deepEqual(routeOf(Routed), pattern('v2/:id').segments);
    assert.equal(routeOf(Routed), routeOf(Routed), 'parsed once per class');
    assert.equal(routeOf(Literal), undefined);
    assert.equal(routeOf(Widget), undefined);
  });
});

describe('ResourceRegistry with route patterns', () => {
  const routed = (declared: string, base = ''): MountedResource => {
    const route = pattern(declared, base);
    return { path: route.source, resource: Widget, origin: 'test', ...(route.dynamic && { route }) };
  };
  const plain = (path: string): MountedResource => ({ path, resource: Widget, origin: 'test' });
  const registry = new ResourceRegistry([
    plain('Widget'),
    plain('api'),
    plain('api/status'),
    routed('/Widget/:id/history'),
    routed('/widget/:id/action/:action'),
    routed('/api/:name'),
    routed('/api/:version/status'),
    routed('v1/items/:id', 'shop'),
    routed('/files/*path'),
    routed('/:type/:id/raw'),
  ]);
  const matched = (url: string): string | undefined => registry.match(url)?.mounted.path;

  test('patterns match whole paths', () => {
    assert.equal(matched('/widget/7/action/run'), 'widget/:id/action/:action');
    assert.equal(matched('/widget/7/action'), undefined);
    assert.equal(matched('/widget/7/action/run/more'), undefined);
  });

  test('a literal mount beats a pattern with as many literals or fewer', () => {
    assert.equal(matched('/api/status'), 'api/status');
    assert.equal(registry.match('/api/status/3')?.rest, '/3');
    assert.equal(matched('/api/other'), 'api', '`api` has one literal, like /api/:name');
    assert.equal(matched('/Widget/5/raw'), 'Widget', 'one literal beats /:type/:id/raw');
    assert.equal(matched('/Thing/5/raw'), ':type/:id/raw');
  });

  test('a pattern with more literals beats a shorter literal prefix', () => {
    assert.equal(matched('/Widget/5/history'), 'Widget/:id/history');
    assert.equal(matched('/Widget/5'), 'Widget');
    assert.equal(matched('/api/v1/status'), 'api/:version/status');
    assert.equal(matched('/api/v1/other'), 'api');
  });

  test('the remainder is the URL below the pattern base', () => {
    assert.deepEqual(registry.match('/shop/v1/items/9'), { mounted: registry.list().find((mount) => mount.path === 'shop/v1/items/:id'), rest: '/v1/items/9' });
    assert.equal(registry.match('/widget/7/action/run')?.rest, '/widget/7/action/run');
  });

  test('a catch-all takes zero or more segments', () => {
    assert.equal(matched('/files'), 'files/*path');
    assert.equal(matched('/files/'), 'files/*path');
    assert.equal(matched('/files/a/b/c'), 'files/*path');
  });

  test('no match and no default export is undefined; list() shows patterns, not the root', () => {
    assert.equal(registry.match('/nothing'), undefined);
    assert.equal(registry.fallback('/nothing'), undefined);
    assert.ok(registry.list().some((mount) => mount.path === 'files/*path'));
  });

  test('the default export is only a fallback', () => {
    const root: MountedResource = { path: '', resource: Widget, origin: 'test' };
    const withRoot = new ResourceRegistry([plain('Widget')], root);
    assert.equal(withRoot.match('/'), undefined);
    assert.equal(withRoot.match('/nothing/here'), undefined);
    assert.deepEqual(withRoot.fallback('/nothing/here'), { mounted: root, rest: '/nothing/here' });
    assert.deepEqual(withRoot.list().map((mount) => mount.path), ['Widget']);
  });
});

describe('parseTarget for a routed resource', () => {
  class Numbered extends Resource {
    static path = '/orders/:id/lines/:line';
    static override coerceId(raw: string): number {
      return Number(raw);
    }
    static get(): null {
      return null;
    }
  }
  class Files extends Widget {
    static path = 'files/*';
  }

  test('binds params, coerces :id and leaves the query as search', () => {
    assert.deepEqual(parseTarget('/orders/12/lines/a%2Fb', 'x=1', Numbered), {
      id: 12,
      path: '',
      search: 'x=1',
      isCollection: false,
      params: { id: '12', line: 'a/b' },
    });
  });

  test('a bare * is the wildcard and the path; a trailing slash without an id is a collection', () => {
    assert.deepEqual(parseTarget('/files/a/b/', '', Files), { path: 'a/b/', search: '', isCollection: true, params: {}, wildcard: 'a/b/' });
  });

  test('a URL the pattern no longer matches is a 404', () => {
    assert.throws(() => parseTarget('/orders/12/lines/', '', Numbered), (error: unknown) => isLodeError(error) && error.status === 404);
  });

  test('plain resources parse as before', () => {
    assert.deepEqual(parseTarget('/12', '', Widget), { id: '12', path: '12', search: '', isCollection: false });
  });
});
