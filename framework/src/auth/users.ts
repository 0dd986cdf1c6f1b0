import { LodeError } from '../errors/index.js';
import type { SystemStore } from '../storage/index.js';
import type { User } from './access.js';
import { hashPassword, verifyPassword } from './passwords.js';

const USERS = 'user';
const USERNAME = /^[A-Za-z0-9_.@-]{1,128}$/;

interface StoredUser {
  username: string;
  passwordHash: string;
  roles: string[];
  createdAt: number;
}

/** The users of a data directory (in its system store): names, roles and scrypt password hashes. */
export class UserDirectory {
  readonly #store: SystemStore;

  constructor(store: SystemStore) {
    this.#store = store;
  }

  get size(): number {
    return this.#store.list(USERS).length;
  }

  list(): User[] {
    return this.#store.list<StoredUser>(USERS).map(({ value }) => ({ username: value.username, roles: value.roles }));
  }

  get(username: string): User | undefined {
    const stored = this.#store.get<StoredUser>(USERS, username);
    return stored && { username: stored.username, roles: stored.roles };
  }

  async add(username: string, password: string, roles: string[]): Promise<User> {
    if (!USERNAME.test(username)) throw new LodeError('BAD_REQUEST', 'A username is 1 to 128 letters, digits, or . _ @ -');
    if (this.#store.get(USERS, username) !== undefined) throw new LodeError('CONFLICT', `There is already a user ${username}`);
    checkPassword(password);
    await this.#store.put(USERS, username, { username, passwordHash: await hashPassword(password), roles, createdAt: Date.now() } satisfies StoredUser);
    return { username, roles };
  }

  async setPassword(username: string, password: string): Promise<void> {
    const stored = this.#require(username);
    checkPassword(password);
    await this.#store.put(USERS, username, { ...stored, passwordHash: await hashPassword(password) });
  }

  async setRoles(username: string, roles: string[]): Promise<void> {
    await this.#store.put(USERS, username, { ...this.#require(username), roles });
  }

  async remove(username: string): Promise<boolean> {
    return this.#store.remove(USERS, username);
  }

  /** The user whose password this is; undefined otherwise (an unknown name costs as much as a wrong password). */
  async verify(username: string, password: string): Promise<User | undefined> {
    const stored = this.#store.get<StoredUser>(USERS, username);
    const matches = await verifyPassword(password, stored?.passwordHash ?? UNKNOWN_USER_HASH);
    return matches && stored ? { username: stored.username, roles: stored.roles } : undefined;
  }

  #require(username: string): StoredUser {
    const stored = this.#store.get<StoredUser>(USERS, username);
    if (!stored) throw new LodeError('NOT_FOUND', `There is no user ${username}`);
    return stored;
  }
}

function checkPassword(password: string): void {
  if (typeof password !== 'string' || password.length < 8) throw new LodeError('BAD_REQUEST', 'A password has at least 8 characters');
}

/** A hash no password matches, checked for unknown users so their logins take as long as real ones. */
const UNKNOWN_USER_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
