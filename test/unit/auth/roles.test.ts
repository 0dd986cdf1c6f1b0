import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { parseRoles, SUPER_USER_ROLE, type Role } from '../../../framework/src/auth/index.js';

const rolesOf = (yaml: string): Map<string, Role> => parseRoles(parseYaml(yaml));

/** A role's tables as plain data: `database.Table` → actions, attribute → actions. */
function plain(role: Role | undefined): Record<string, { actions: string[]; attributes?: Record<string, string[]> }> {
  assert.ok(role);
  return Object.fromEntries(
    [...role.tables].map(([table, permission]) => [
      table,
      {
        actions: [...permission.actions],
        ...(permission.attributes && { attributes: Object.fromEntries([...permission.attributes].map(([name, actions]) => [name, [...actions]])) }),
      },
    ]),
  );
}

describe('roles.yaml', () => {
  test('no file, or an empty one, has only the built-in super_user', () => {
    for (const raw of [undefined, null]) assert.deepEqual([...parseRoles(raw).keys()], ['super_user']);
    assert.equal(parseRoles(undefined).get('super_user'), SUPER_USER_ROLE);
    assert.equal(SUPER_USER_ROLE.superUser, true);
  });

  test('both of Harper\'s shapes: with `tables:` and without', () => {
    const roles = rolesOf(`
reader:
  data:
    tables:
      Product: { read: true }
      Order: { read: true, insert: false }
editor:
  data:
    Product: { read: true, insert: true, update: true, delete: true }
  shop:
    Cart: { insert: true }
`);
    assert.deepEqual([...roles.keys()], ['super_user', 'reader', 'editor']);
    assert.deepEqual(plain(roles.get('reader')), { 'data.Product': { actions: ['read'] }, 'data.Order': { actions: ['read'] } });
    assert.deepEqual(plain(roles.get('editor')), { 'data.Product': { actions: ['read', 'insert', 'update', 'delete'] }, 'shop.Cart': { actions: ['insert'] } });
    assert.equal(roles.get('editor')!.superUser, false);
  });

  test('super_user: true makes a role a super user; a role may be empty', () => {
    const roles = rolesOf('ops:\n  super_user: true\nnobody: {}\nnot-ops:\n  super_user: false\n');
    assert.equal(roles.get('ops')!.superUser, true);
    assert.equal(roles.get('nobody')!.superUser, false);
    assert.equal(roles.get('nobody')!.tables.size, 0);
    assert.equal(roles.get('not-ops')!.superUser, false);
  });

  test('attribute rights as a mapping (`attributes`) or as Harper\'s list (`attribute_permissions`)', () => {
    const roles = rolesOf(`
clerk:
  data:
    Product:
      read: true
      update: true
      attributes:
        name: { read: true, update: true }
        price: { read: true }
        cost: { read: false }
harper:
  data:
    tables:
      Product:
        read: true
        attribute_permissions:
          - { attribute_name: name, read: true, insert: true }
          - { attribute_name: cost, read: false }
`);
    assert.deepEqual(plain(roles.get('clerk')), { 'data.Product': { actions: ['read', 'update'], attributes: { name: ['read', 'update'], price: ['read'], cost: [] } } });
    assert.deepEqual(plain(roles.get('harper')), { 'data.Product': { actions: ['read'], attributes: { name: ['read', 'insert'], cost: [] } } });
    assert.equal(rolesOf('plain:\n  data:\n    Product: { read: true }\n').get('plain')!.tables.get('data.Product')!.attributes, undefined);
  });

  test('every mistake is an error naming its path', () => {
    const mistakes: Array<[string, string]> = [
      ['- reader\n- editor\n', 'roles.yaml must map role names to their permissions'],
      ['reader: yes\n', 'roles.yaml: reader must be a mapping'],
      ['ops:\n  super_user: "true"\n', 'roles.yaml: ops.super_user must be true or false'],
      ['reader:\n  data: [Product]\n', 'roles.yaml: reader.data must map tables to permissions'],
      ['reader:\n  data:\n    Product: read\n', 'roles.yaml: reader.data.Product must be a mapping of read, insert, update, delete and attributes'],
      ['reader:\n  data:\n    tables:\n      Product: { read: 1 }\n', 'roles.yaml: reader.data.Product.read must be true or false'],
      ['editor:\n  data:\n    Product: { delete: "yes" }\n', 'roles.yaml: editor.data.Product.delete must be true or false'],
      ['clerk:\n  data:\n    Product:\n      attributes: price\n', 'roles.yaml: clerk.data.Product.attributes must map attribute names to read, insert, update'],
      ['clerk:\n  data:\n    Product:\n      attributes:\n        price: true\n', 'roles.yaml: clerk.data.Product.attributes.price must be a mapping of read, insert, update'],
      ['clerk:\n  data:\n    Product:\n      attributes:\n        price: { read: maybe }\n', 'roles.yaml: clerk.data.Product.attributes.price.read must be true or false'],
      ['clerk:\n  data:\n    Product:\n      attribute_permissions:\n        - { attribute_name: price, update: 0 }\n', 'roles.yaml: clerk.data.Product.attributes.price.update must be true or false'],
      ['clerk:\n  data:\n    Product:\n      attribute_permissions:\n        - { read: true }\n', 'roles.yaml: clerk.data.Product.attributes: each entry of attribute_permissions needs an attribute_name'],
    ];
    for (const [yaml, message] of mistakes) assert.throws(() => rolesOf(yaml), { code: 'BAD_REQUEST', message }, yaml);
  });

  test('a list entry that is not a mapping is an error at the attributes of its table', () => {
    assert.throws(() => rolesOf('clerk:\n  data:\n    Product:\n      attribute_permissions:\n        - price\n'), { message: /^roles\.yaml: clerk\.data\.Product\.attributes/ });
  });
});
