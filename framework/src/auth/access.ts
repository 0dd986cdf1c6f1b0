import type { Role, TableAction } from './roles.js';

/** The attributes a user may touch in one table, per action; an absent action is unrestricted. */
export interface AttributeRights {
  read?: ReadonlySet<string>;
  insert?: ReadonlySet<string>;
  update?: ReadonlySet<string>;
}

/** Who a request runs as: a stored user, or the local super user of dev mode. */
export interface User {
  readonly username: string;
  readonly roles: readonly string[];
}

/** The roles of one generation (`roles.yaml`), answering what a user may do. */
export class AccessPolicy {
  readonly #roles: ReadonlyMap<string, Role>;

  constructor(roles: ReadonlyMap<string, Role>) {
    this.#roles = roles;
  }

  get roleNames(): string[] {
    return [...this.#roles.keys()];
  }

  isSuperUser(user: User | undefined): boolean {
    if (user === undefined) return false;
    // A loop rather than `some`: this runs twice per request, and a closure per call showed in profiles.
    for (const name of user.roles) if (this.#roles.get(name)?.superUser === true) return true;
    return false;
  }

  /**
   * The attribute allow-lists that bind the user in a table, or undefined when none does: a role
   * that grants an action without listing attributes grants it on all of them, and roles add up.
   */
  attributeRights(user: User | undefined, database: string, table: string): AttributeRights | undefined {
    if (user === undefined || this.isSuperUser(user)) return undefined;
    const key = `${database}.${table}`;
    const permissions = user.roles.map((name) => this.#roles.get(name)?.tables.get(key)).filter((permission) => permission !== undefined);
    const rights: AttributeRights = {};
    for (const action of ['read', 'insert', 'update'] as const) {
      const granting = permissions.filter((permission) => permission.actions.has(action));
      if (granting.length === 0 || granting.some((permission) => permission.attributes === undefined)) continue;
      const allowed = new Set<string>();
      for (const permission of granting) for (const [name, actions] of permission.attributes!) if (actions.has(action)) allowed.add(name);
      rights[action] = allowed;
    }
    return Object.keys(rights).length === 0 ? undefined : rights;
  }

  /** Whether any of the user's roles allows `action` on the table. */
  allows(user: User | undefined, database: string, table: string, action: TableAction): boolean {
    if (user === undefined) return false;
    if (this.isSuperUser(user)) return true;
    const key = `${database}.${table}`;
    return user.roles.some((name) => this.#roles.get(name)?.tables.get(key)?.actions.has(action) === true);
  }
}
