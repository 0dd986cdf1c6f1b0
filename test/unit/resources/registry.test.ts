import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Resource, ResourceRegistry, allowedMethods, collectExports, isResponseLike, type MountedResource } from '../../../framework/src/resources/index.js';

class Item extends Resource {
  static get(): string {
    return 'item';
  }
}
class Writer extends Resource {
  static put(): void {}
  static delete(): void {}
}
const mount = (path: string, resource: MountedResource['resource'] = Item): MountedResource => ({ path, resource, origin: 'test' });

describe('ResourceRegistry', () => {
  const registry = new ResourceRegistry([mount('Item'), mount('api/v1/Item', Writer), mount('api')]);

  test('matches the resource root, the collection and records', () => {
    assert.deepEqual(registry.match('/Item')?.rest, '');
    assert.deepEqual(registry.match('/Item/')?.rest, '/');
    assert.deepEqual(registry.match('/Item/12')?.rest, '/12');
    assert.deepEqual(registry.match('/Item/a/b')?.rest, '/a/b');
  });

  test('prefers the longest mounted prefix, segment by segment', () => {
    assert.equal(registry.match('/api/v1/Item/3')?.mounted.path, 'api/v1/Item');
    assert.equal(registry.match('/api/v1/Item/3')?.rest, '/3');
    assert.equal(registry.match('/api/v2/Item')?.mounted.path, 'api');
    assert.equal(registry.match('/Items'), undefined);
    assert.equal(registry.match('/'), undefined);
    assert.equal(registry.match('/nothing/here'), undefined);
  });

  test('decodes percent-encoded mount segments', () => {
    const spaced = new ResourceRegistry([mount('my items')]);
    assert.equal(spaced.match('/my%20items/1')?.rest, '/1');
  });
});

describe('collectExports', () => {
  test('finds classes with resource methods, nested objects as paths, and ignores the rest', () => {
    const found = collectExports({ Item, api: { v1: { Writer } }, helper: () => 1, value: 3, default: Item });
    assert.deepEqual(
      found.map((entry) => entry.path),
      ['Item', 'api/v1/Writer'],
    );
  });

  test('survives cyclic objects', () => {
    const cyclic: Record<string, unknown> = { Item };
    cyclic.self = cyclic;
    assert.deepEqual(collectExports({ cyclic }).map((entry) => entry.path), ['cyclic/Item']);
  });
});

test('allowedMethods lists what the class implements', () => {
  assert.deepEqual(allowedMethods(Item), ['GET', 'HEAD', 'OPTIONS']);
  assert.deepEqual(allowedMethods(Writer), ['PUT', 'DELETE', 'OPTIONS']);
});

test('isResponseLike tells responses from records that have a status field', () => {
  assert.equal(isResponseLike({ status: 201, headers: {}, data: 1 }), true);
  assert.equal(isResponseLike({ status: 302, headers: { Location: '/x' } }), true);
  assert.equal(isResponseLike({ status: 200, data: { a: 1 } }), true);
  assert.equal(isResponseLike({ status: 3, name: 'order', data: 'x' }), false);
  assert.equal(isResponseLike({ status: 'shipped' }), false);
  assert.equal(isResponseLike(null), false);
});
