import { createHash, randomBytes } from 'node:crypto';
import type { SystemStore } from '../storage/index.js';

/** The cookie that carries a session id (Harper's is `hdb-session`). */
export const SESSION_COOKIE = 'lode-session';

const SESSIONS = 'session';
/** 32 random bytes, base64url: what `create` hands out, so anything else is refused without a lookup. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;
/** Expired sessions are swept when a session is created, at most this often. */
const SWEEP_MS = 60 * 60_000;

export interface Session {
  username: string;
  /** Milliseconds since the epoch. */
  created: number;
  expires: number;
}

/** Request headers, lower-cased names (a subset of the resources module's `RequestHeaders`). */
export interface HeaderLookup {
  get(name: string): string | undefined;
}

/**
 * Server-side sessions of browser apps, in the system store (kind `session`). A record is keyed
 * by a digest of its id, so whoever reads `system.mdb` learns who is logged in but cannot act as them.
 */
export class SessionStore {
  readonly #store: SystemStore;
  /** How long a new session lasts (the refresh token lifetime). */
  readonly lifetimeSeconds: number;
  #lastSweep = 0;

  constructor(store: SystemStore, lifetimeSeconds: number) {
    this.#store = store;
    this.lifetimeSeconds = lifetimeSeconds;
  }

  /** Opens a session for `username` and returns its id (the cookie value). */
  async create(username: string, seconds = this.lifetimeSeconds): Promise<string> {
    const now = Date.now();
    if (now - this.#lastSweep > SWEEP_MS) {
      this.#lastSweep = now;
      await this.removeExpired(now);
    }
    const id = randomBytes(32).toString('base64url');
    await this.#store.put(SESSIONS, keyOf(id), { username, created: now, expires: now + seconds * 1000 } satisfies Session);
    return id;
  }

  /** The live session with this id; undefined when there is none or it has expired. */
  get(id: string): Session | undefined {
    if (!SESSION_ID.test(id)) return undefined;
    const session = this.#store.get<Session>(SESSIONS, keyOf(id));
    return session !== undefined && session.expires > Date.now() ? session : undefined;
  }

  /** Ends a session (logout); false when there was none. */
  remove(id: string): Promise<boolean> {
    return SESSION_ID.test(id) ? this.#store.remove(SESSIONS, keyOf(id)) : Promise.resolve(false);
  }

  /** Deletes every expired session and returns how many there were. */
  async removeExpired(now = Date.now()): Promise<number> {
    const expired = this.#store.list<Session>(SESSIONS).filter(({ value }) => value.expires <= now);
    for (const { name } of expired) await this.#store.remove(SESSIONS, name);
    return expired.length;
  }
}

function keyOf(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

/** The session id in a `Cookie` header, if it names one. */
export function sessionIdFrom(cookie: string | undefined): string | undefined {
  if (cookie === undefined || !cookie.includes(SESSION_COOKIE)) return undefined;
  for (const pair of cookie.split(';')) {
    const equals = pair.indexOf('=');
    if (equals > 0 && pair.slice(0, equals).trim() === SESSION_COOKIE) return pair.slice(equals + 1).trim();
  }
  return undefined;
}

/**
 * `Set-Cookie` for a new session. No `Max-Age`: the browser forgets the cookie when it closes,
 * and the server forgets the session when it expires, whichever comes first.
 */
export function sessionCookie(id: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Lax; Path=/${secure ? '; Secure' : ''}`;
}

/** `Set-Cookie` that makes the browser drop the session cookie (after logout, or for a dead session). */
export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0${secure ? '; Secure' : ''}`;
}

/**
 * Whether the client reached Lode over TLS. Lode itself serves plain HTTP, so that means a proxy
 * in front that terminated TLS and says so with `X-Forwarded-Proto` (first hop).
 */
export function isSecureRequest(headers: HeaderLookup): boolean {
  return headers.get('x-forwarded-proto')?.split(',', 1)[0]!.trim().toLowerCase() === 'https';
}

/**
 * Where a request comes from, by what the browser says and page scripts cannot forge:
 * `Sec-Fetch-Site: same-origin`, or an `Origin` naming the host the request was sent to.
 * `unknown` when it carries neither (not sent by a web page: curl, a server, an old browser's GET).
 */
export function requestOrigin(headers: HeaderLookup): 'same-origin' | 'cross-origin' | 'unknown' {
  const site = headers.get('sec-fetch-site');
  if (site === 'same-origin') return 'same-origin';
  const origin = headers.get('origin');
  if (origin !== undefined) return originMatchesHost(origin, headers.get('host')) ? 'same-origin' : 'cross-origin';
  return site === undefined || site === 'none' ? 'unknown' : 'cross-origin';
}

/** The scheme is not compared: behind a TLS proxy the browser's `https` origin reaches Lode over `http`. */
function originMatchesHost(origin: string, host: string | undefined): boolean {
  if (host === undefined || host === '') return false;
  try {
    const from = new URL(origin);
    return new URL(`${from.protocol}//${host}`).host === from.host;
  } catch {
    return false;
  }
}
