import { clearedSessionCookie, isSecureRequest, requestOrigin, sessionCookie, sessionIdFrom, type Authenticator, type HeaderLookup, type User } from '../auth/index.js';
import { LodeError } from '../errors/index.js';
import { codecForContentType } from './codecs.js';
import type { HttpExchange } from './exchange.js';
import type { RouteTable } from './routes.js';

/** `POST /login`, `POST /refresh` and `POST /logout`, answered by Lode itself before any resource. */
export function isAuthEndpoint(method: string, url: string): boolean {
  return method === 'POST' && (url === '/login' || url === '/refresh' || url === '/logout');
}

/**
 * `POST /login` with `{"username", "password"}` → `{operation_token, refresh_token}`;
 * `POST /refresh` with the refresh token as `Authorization: Bearer` → `{operation_token}`
 * (Harper's `create_authentication_tokens` and `refresh_operation_token`). With sessions on,
 * `"session": true` (or `?session`) at login also sets the session cookie, and `POST /logout` ends it.
 */
export async function serveAuthEndpoint(exchange: HttpExchange, routes: RouteTable, body: Promise<Buffer> | undefined): Promise<void> {
  const auth = routes.auth;
  if (exchange.url === '/logout') {
    const cleared = await endSession(auth, exchange.headers);
    return exchange.send(204, { 'Cache-Control': 'no-store', ...(cleared !== undefined && { 'Set-Cookie': cleared }) });
  }
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' };
  let tokens: object;
  if (exchange.url === '/login') {
    const raw = body === undefined ? Buffer.alloc(0) : await body;
    if (raw.length === 0) throw new LodeError('BAD_REQUEST', 'Send {"username": "…", "password": "…"}');
    const data = codecForContentType(exchange.headers.get('content-type')).decode(raw) as Record<string, unknown> | null;
    if (typeof data !== 'object' || data === null) throw new LodeError('BAD_REQUEST', 'Send {"username": "…", "password": "…"}');
    if (auth.sessions !== undefined && (data.session === true || wantsSession(exchange.query))) {
      const session = await startSession(auth, exchange.headers, data.username, data.password, exchange.ip);
      headers['Set-Cookie'] = session.cookie;
      tokens = await auth.issueTokens(session.user);
    } else {
      tokens = await auth.login(data.username, data.password, exchange.ip);
    }
  } else {
    tokens = await auth.refresh(exchange.headers.get('authorization'));
  }
  exchange.send(200, headers, JSON.stringify(tokens));
}

/** `?session`, `?session=true` or `?session=1`. */
function wantsSession(query: string): boolean {
  if (!query.includes('session')) return false;
  const value = new URLSearchParams(query).get('session');
  return value === '' || value === 'true' || value === '1';
}

/**
 * Checks the credentials and opens a session: the user and the `Set-Cookie` value. A login posted
 * by another site's page is refused, so it cannot log the browser in as someone else (login CSRF).
 */
export async function startSession(auth: Authenticator, headers: HeaderLookup, username: unknown, password: unknown, ip: string): Promise<{ user: User; cookie: string }> {
  if (requestOrigin(headers) === 'cross-origin') throw new LodeError('FORBIDDEN', 'A session login must come from this origin');
  const { user, sessionId } = await auth.startSession(username, password, ip);
  return { user, cookie: sessionCookie(sessionId, isSecureRequest(headers)) };
}

/**
 * Ends the session the request's cookie names and returns the `Set-Cookie` that drops it
 * (undefined when sessions are off). Like any change made on the strength of the cookie, it must
 * come from this origin.
 */
export async function endSession(auth: Authenticator, headers: HeaderLookup): Promise<string | undefined> {
  if (auth.sessions === undefined) return undefined;
  const sessionId = sessionIdFrom(headers.get('cookie'));
  if (sessionId !== undefined) {
    if (requestOrigin(headers) !== 'same-origin') throw new LodeError('FORBIDDEN', 'A logout must come from this origin (Origin or Sec-Fetch-Site: same-origin)');
    await auth.endSession(sessionId);
  }
  return clearedSessionCookie(isSecureRequest(headers));
}
