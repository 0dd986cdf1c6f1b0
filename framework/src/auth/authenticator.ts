import { LodeError } from '../errors/index.js';
import type { SystemStore } from '../storage/index.js';
import type { User } from './access.js';
import { SessionStore, clearedSessionCookie } from './sessions.js';
import { TokenSigner } from './tokens.js';
import { UserDirectory } from './users.js';

export interface AuthOptions {
  /** Requests from the loopback interface run as the super user (dev mode; Harper's `authorizeLocal`). */
  authorizeLocal: boolean;
  /** The server listens on loopback only, so every peer is local and no address needs checking. */
  loopbackOnly?: boolean;
  /** Seconds an access token is valid (Harper's `operationTokenTimeout`, 1 day). */
  accessTokenSeconds: number;
  /** Seconds a refresh token is valid (Harper's `refreshTokenTimeout`, 30 days). */
  refreshTokenSeconds: number;
  /** Browser apps may log in to a cookie session lasting `refreshTokenSeconds` (off unless asked for). */
  enableSessions?: boolean;
}

export const defaultAuthOptions: AuthOptions = { authorizeLocal: false, accessTokenSeconds: 86_400, refreshTokenSeconds: 30 * 86_400, enableSessions: false };

/** Who loopback requests are in dev mode. */
export const LOCAL_SUPER_USER: User = { username: 'local', roles: ['super_user'] };

const CACHE_MS = 30_000;
const CACHE_ENTRIES = 1000;
/** Failed logins allowed before each further one makes the name wait, doubling up to the cap. */
const FREE_FAILURES = 5;
const MAX_BACKOFF_MS = 15 * 60_000;
/** Names × addresses with failures remembered; the oldest is forgotten first, so an attack cannot grow memory. */
const FAILURE_ENTRIES = 10_000;

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1', '0000:0000:0000:0000:0000:0000:0000:0001']);

export function isLoopback(ip: string): boolean {
  return LOOPBACK.has(ip) || ip.startsWith('127.');
}

export interface Tokens {
  operation_token: string;
  refresh_token: string;
}

const CHALLENGE = 'Basic realm="lode", Bearer';

/**
 * Turns a request's credentials into a user: `Authorization: Basic` (checked against the scrypt hash,
 * then cached briefly under the header), `Authorization: Bearer <access token>`, a
 * session cookie when sessions are on, or, in dev mode, a loopback address. Repeated failed logins
 * for one name from one address back off.
 */
export class Authenticator {
  readonly users: UserDirectory;
  readonly tokens: TokenSigner;
  readonly options: AuthOptions;
  /** Cookie sessions; undefined unless `enableSessions`. */
  readonly sessions: SessionStore | undefined;
  readonly #cache = new Map<string, { user: User; until: number }>();
  /** Basic checks under way, by address and header: requests that arrive meanwhile wait for the same one. */
  readonly #checking = new Map<string, Promise<User>>();
  readonly #failures = new Map<string, { count: number; until: number }>();

  private constructor(users: UserDirectory, tokens: TokenSigner, options: AuthOptions, sessions: SessionStore | undefined) {
    this.users = users;
    this.tokens = tokens;
    this.options = options;
    this.sessions = sessions;
  }

  static async open(store: SystemStore, options: AuthOptions): Promise<Authenticator> {
    const sessions = options.enableSessions === true ? new SessionStore(store, options.refreshTokenSeconds) : undefined;
    return new Authenticator(new UserDirectory(store), await TokenSigner.open(store), options, sessions);
  }

  /**
   * The user behind a request: undefined for an anonymous one. Bad credentials are a 401, never
   * silently anonymous. Answers synchronously unless a password or token has to be checked.
   * `sessionId` (from the session cookie) counts only without an `Authorization` header and with
   * sessions on; otherwise it is ignored like any other cookie.
   */
  authenticate(authorization: string | undefined, ip: () => string, sessionId?: string): User | undefined | Promise<User> {
    if (authorization === undefined || authorization === '') {
      if (sessionId !== undefined && this.sessions !== undefined) return this.#session(this.sessions, sessionId);
      // The peer address is read only when it matters: it costs more than the rest of a small request.
      return this.options.authorizeLocal && (this.options.loopbackOnly === true || isLoopback(ip())) ? LOCAL_SUPER_USER : undefined;
    }
    // Only Basic headers whose password was checked are cached, under the exact header: a digest of
    // it (as before) cost as much as the rest of the request, and only the same bytes can hit.
    const cached = this.#cache.get(authorization);
    if (cached !== undefined && cached.until > Date.now()) return cached.user;
    const space = authorization.indexOf(' ');
    const scheme = authorization.slice(0, space).toLowerCase();
    const credentials = authorization.slice(space + 1).trim();
    if (scheme === 'bearer') return this.#bearer(credentials);
    if (scheme !== 'basic') throw new LodeError('UNAUTHORIZED', 'Authorization must be Basic or Bearer');
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new LodeError('UNAUTHORIZED', 'Basic credentials must be base64 of username:password');
    return this.#basic(authorization, decoded.slice(0, colon), decoded.slice(colon + 1), ip());
  }

  /** `POST /login`: tokens for a username and password (Harper's `create_authentication_tokens`). */
  async login(username: unknown, password: unknown, ip: string): Promise<Tokens> {
    return this.issueTokens(await this.#credentials(username, password, ip));
  }

  /** The tokens `login` answers with, for a user whose credentials have been checked. */
  async issueTokens(user: User): Promise<Tokens> {
    return {
      operation_token: await this.tokens.sign(user.username, 'access', this.options.accessTokenSeconds),
      refresh_token: await this.tokens.sign(user.username, 'refresh', this.options.refreshTokenSeconds),
    };
  }

  /**
   * Checks a username and password as `login` does (backoff included) and opens a cookie session:
   * `POST /login` with `"session": true`, and `getContext().login()` in resource code.
   */
  async startSession(username: unknown, password: unknown, ip: string): Promise<{ user: User; sessionId: string }> {
    const sessions = this.sessions;
    if (sessions === undefined) throw new LodeError('HANDLER_ERROR', 'Cookie sessions are off: set authentication.enableSessions: true in config.yaml');
    const user = await this.#credentials(username, password, ip);
    return { user, sessionId: await sessions.create(user.username) };
  }

  /** Ends the session with this id (`POST /logout`); false when there was none (or sessions are off). */
  async endSession(sessionId: string | undefined): Promise<boolean> {
    return sessionId !== undefined && this.sessions !== undefined && this.sessions.remove(sessionId);
  }

  /** `POST /refresh` with the refresh token as Bearer: a new access token (Harper's `refresh_operation_token`). */
  async refresh(authorization: string | undefined): Promise<{ operation_token: string }> {
    const token = /^bearer\s+(.+)$/i.exec(authorization ?? '')?.[1];
    if (!token) throw new LodeError('UNAUTHORIZED', 'Send the refresh token as Authorization: Bearer <token>');
    const username = await this.tokens.verify(token, 'refresh');
    if (!this.users.get(username)) throw new LodeError('UNAUTHORIZED', 'The user of this token no longer exists');
    return { operation_token: await this.tokens.sign(username, 'access', this.options.accessTokenSeconds) };
  }

  /** Drops cached logins (after a password, role or user change). */
  forget(): void {
    this.#cache.clear();
  }

  async #credentials(username: unknown, password: unknown, ip: string): Promise<User> {
    if (typeof username !== 'string' || typeof password !== 'string') {
      throw new LodeError('BAD_REQUEST', 'Send {"username": "…", "password": "…"}', { errors: [{ path: typeof username === 'string' ? 'password' : 'username', message: 'must be a string' }] });
    }
    return this.#check(username, password, ip);
  }

  /** A session cookie that names no live session is a 401 that also drops the cookie, so the browser's next request is anonymous. */
  #session(sessions: SessionStore, sessionId: string): User {
    const session = sessions.get(sessionId);
    const user = session === undefined ? undefined : this.users.get(session.username);
    if (user === undefined) {
      throw new LodeError('UNAUTHORIZED', 'The session has ended or expired; log in again', { headers: { 'WWW-Authenticate': CHALLENGE, 'Set-Cookie': clearedSessionCookie(false) } });
    }
    return user;
  }

  async #bearer(token: string): Promise<User> {
    const username = await this.tokens.verify(token, 'access');
    const user = this.users.get(username);
    if (!user) throw new LodeError('UNAUTHORIZED', 'The user of this token no longer exists');
    return user;
  }

  /**
   * Checks Basic credentials once however many requests carry them at the same time: when the
   * cached login expires, every open connection of a client asks at once, and each scrypt takes
   * a thread-pool thread for tens of milliseconds.
   */
  #basic(header: string, username: string, password: string, ip: string): Promise<User> {
    const key = `${ip}\n${header}`;
    const running = this.#checking.get(key);
    if (running !== undefined) return running;
    const check = this.#check(username, password, ip).then((user) => {
      if (this.#cache.size >= CACHE_ENTRIES) this.#cache.delete(this.#cache.keys().next().value!);
      this.#cache.set(header, { user, until: Date.now() + CACHE_MS });
      return user;
    });
    this.#checking.set(key, check);
    const settled = (): void => void this.#checking.delete(key);
    check.then(settled, settled);
    return check;
  }

  async #check(username: string, password: string, ip: string): Promise<User> {
    const attempt = `${username}\n${ip}`;
    const failures = this.#failures.get(attempt);
    const now = Date.now();
    if (failures && failures.until > now) {
      throw new LodeError('TOO_MANY_ATTEMPTS', `Too many failed logins for ${username}; try again later`, { headers: { 'Retry-After': String(Math.ceil((failures.until - now) / 1000)) } });
    }
    const user = await this.users.verify(username, password);
    if (user) {
      this.#failures.delete(attempt);
      return user;
    }
    const count = (failures?.count ?? 0) + 1;
    if (!failures && this.#failures.size >= FAILURE_ENTRIES) this.#failures.delete(this.#failures.keys().next().value!);
    const wait = count <= FREE_FAILURES ? 0 : Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (count - FREE_FAILURES - 1));
    this.#failures.set(attempt, { count, until: now + wait });
    throw new LodeError('UNAUTHORIZED', 'Wrong username or password');
  }
}
