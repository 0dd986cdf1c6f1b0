import { requestOrigin, sessionIdFrom, type Authenticator } from '../auth/index.js';
import { LodeError } from '../errors/index.js';
import { actionOf, checkAccess, type RequestContext, type RequestTarget, type ResourceClass } from '../resources/index.js';
import { isPromiseLike } from '../util/index.js';
import type { RouteTable } from './routes.js';

/** A context whose resource code may log in and out (an HTTP request's), once it has the authenticator. */
interface SessionHost {
  useAuthenticator(auth: Authenticator): void;
}

/**
 * Authenticates a request (REST, SSE or WebSocket) and checks it may do what it asks, before any
 * handler runs: sets `context.user`, throws 401/403. Synchronous unless a password or token has
 * to be checked.
 */
export function admit(routes: RouteTable, context: RequestContext, resource: ResourceClass, method: string, target: RequestTarget): void | Promise<void> {
  const auth = routes.auth;
  const authorization = context.headers.get('authorization');
  let sessionId: string | undefined;
  if (auth.sessions !== undefined) {
    (context as Partial<SessionHost>).useAuthenticator?.(auth);
    if (authorization === undefined || authorization === '') {
      sessionId = sessionIdFrom(context.headers.get('cookie'));
      if (sessionId !== undefined) refuseForeignOrigin(context, method);
    }
  }
  const user = auth.authenticate(authorization, () => context.ip, sessionId);
  if (isPromiseLike(user)) {
    return Promise.resolve(user).then((authenticated) => {
      context.user = authenticated;
      return checkAccess(resource, actionOf(method), context, target, routes.access);
    });
  }
  context.user = user;
  return checkAccess(resource, actionOf(method), context, target, routes.access);
}

/**
 * The browser sends the session cookie with requests other sites' pages make, too. A form or
 * script elsewhere could thus change data as the user (CSRF), or open a WebSocket, which no CORS
 * rule guards, and read it. So a cookie counts for those only when the request shows it comes from
 * this origin; reads by `fetch` or `EventSource` need no such proof, since CORS keeps their
 * answers from other origins.
 */
function refuseForeignOrigin(context: RequestContext, method: string): void {
  const changes = method !== 'GET' && method !== 'HEAD';
  if (!changes && context.headers.get('upgrade')?.toLowerCase() !== 'websocket') return;
  if (requestOrigin(context.headers) !== 'same-origin') {
    throw new LodeError('FORBIDDEN', `A request authenticated by the session cookie must come from this origin (Origin or Sec-Fetch-Site: same-origin) to ${changes ? 'change data' : 'open a WebSocket'}`);
  }
}
