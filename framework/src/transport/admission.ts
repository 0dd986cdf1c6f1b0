import type { User } from '../auth/index.js';
import { actionOf, checkAccess, type RequestContext, type RequestTarget, type ResourceClass } from '../resources/index.js';
import type { RouteTable } from './routes.js';

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * Authenticates a request (REST, SSE or WebSocket) and checks it may do what it asks, before any
 * handler runs: sets `context.user`, throws 401/403. Synchronous unless a password or token has
 * to be checked.
 */
export function admit(routes: RouteTable, context: RequestContext, resource: ResourceClass, method: string, target: RequestTarget): void | Promise<void> {
  const user = routes.auth.authenticate(context.headers.get('authorization'), () => context.ip);
  const check = (authenticated: User | undefined): void | Promise<void> => {
    context.user = authenticated;
    return checkAccess(resource, actionOf(method), context, target, routes.access);
  };
  return isPromiseLike(user) ? Promise.resolve(user).then(check) : check(user);
}
