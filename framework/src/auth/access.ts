import type { Role, TableAction } from './roles.js';

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
    return user !== undefined && user.roles.some((name) => this.#roles.get(name)?.superUser === true);
  }

  /** Whether any of the user's roles allows `action` on the table. */
  allows(user: User | undefined, database: string, table: string, action: TableAction): boolean {
    if (user === undefined) return false;
    if (this.isSuperUser(user)) return true;
    const key = `${database}.${table}`;
    return user.roles.some((name) => this.#roles.get(name)?.tables.get(key)?.actions.has(action) === true);
  }
}
