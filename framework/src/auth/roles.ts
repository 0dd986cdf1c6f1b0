import { LodeError } from '../errors/index.js';

export type TableAction = 'read' | 'insert' | 'update' | 'delete';
const ACTIONS: readonly TableAction[] = ['read', 'insert', 'update', 'delete'];

/** What a role may do to one table: allowed actions, and (when listed) an allow-list of attributes. */
export interface TablePermission {
  actions: ReadonlySet<TableAction>;
  /** Attribute → the actions allowed on it; undefined: every attribute follows the table. */
  attributes: ReadonlyMap<string, ReadonlySet<Exclude<TableAction, 'delete'>>> | undefined;
}

export interface Role {
  name: string;
  superUser: boolean;
  /** Keyed `database.Table`. */
  tables: ReadonlyMap<string, TablePermission>;
}

/** Harper's built-in role: may do everything. */
export const SUPER_USER_ROLE: Role = { name: 'super_user', superUser: true, tables: new Map() };

type Raw = Record<string, unknown>;

function isMapping(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function flag(value: unknown, path: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new LodeError('BAD_REQUEST', `roles.yaml: ${path} must be true or false`);
  return value;
}

function tablePermission(raw: unknown, path: string): TablePermission {
  if (!isMapping(raw)) throw new LodeError('BAD_REQUEST', `roles.yaml: ${path} must be a mapping of read, insert, update, delete and attributes`);
  const actions = new Set<TableAction>(ACTIONS.filter((action) => flag(raw[action], `${path}.${action}`)));
  let attributes: Map<string, Set<Exclude<TableAction, 'delete'>>> | undefined;
  const rawAttributes = raw.attributes ?? raw.attribute_permissions;
  if (rawAttributes !== undefined) {
    attributes = new Map();
    const entries = Array.isArray(rawAttributes)
      ? rawAttributes.map((entry: unknown) => [isMapping(entry) && typeof entry.attribute_name === 'string' ? entry.attribute_name : '', entry] as const)
      : isMapping(rawAttributes)
        ? Object.entries(rawAttributes)
        : undefined;
    if (!entries) throw new LodeError('BAD_REQUEST', `roles.yaml: ${path}.attributes must map attribute names to read, insert, update`);
    for (const [name, rights] of entries) {
      if (name === '') throw new LodeError('BAD_REQUEST', `roles.yaml: ${path}.attributes: each entry of attribute_permissions needs an attribute_name`);
      if (!isMapping(rights)) throw new LodeError('BAD_REQUEST', `roles.yaml: ${path}.attributes.${name} must be a mapping of read, insert, update`);
      const allowed = new Set((['read', 'insert', 'update'] as const).filter((action) => flag(rights[action], `${path}.attributes.${name}.${action}`)));
      attributes.set(name, allowed);
    }
  }
  return { actions, attributes };
}

/**
 * Parses Harper's role definitions: `name: { super_user: true }` or
 * `name: { <database>: { tables: { <Table>: { read, insert, update, delete, attributes } } } }`
 * (`tables:` may be left out). Every mistake names its path.
 */
export function parseRoles(raw: unknown): Map<string, Role> {
  const roles = new Map<string, Role>([[SUPER_USER_ROLE.name, SUPER_USER_ROLE]]);
  if (raw === null || raw === undefined) return roles;
  if (!isMapping(raw)) throw new LodeError('BAD_REQUEST', 'roles.yaml must map role names to their permissions');
  for (const [name, definition] of Object.entries(raw)) {
    if (!isMapping(definition)) throw new LodeError('BAD_REQUEST', `roles.yaml: ${name} must be a mapping`);
    const tables = new Map<string, TablePermission>();
    const superUser = flag(definition.super_user, `${name}.super_user`);
    for (const [database, body] of Object.entries(definition)) {
      if (database === 'super_user') continue;
      if (!isMapping(body)) throw new LodeError('BAD_REQUEST', `roles.yaml: ${name}.${database} must map tables to permissions`);
      const byTable = isMapping(body.tables) ? body.tables : body;
      for (const [table, permission] of Object.entries(byTable)) tables.set(`${database}.${table}`, tablePermission(permission, `${name}.${database}.${table}`));
    }
    roles.set(name, { name, superUser, tables });
  }
  return roles;
}
