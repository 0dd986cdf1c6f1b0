import type { AccessPolicy, TableAction, User } from '../auth/index.js';
import { LodeError } from '../errors/index.js';
import type { RequestContext } from './context.js';
import type { RequestTarget, ResourceClass } from './resource.js';

/** The hooks a resource class may define to open itself up (Harper's `allowRead` and friends). */
const HOOKS: Record<TableAction, 'allowRead' | 'allowCreate' | 'allowUpdate' | 'allowDelete'> = {
  read: 'allowRead',
  insert: 'allowCreate',
  update: 'allowUpdate',
  delete: 'allowDelete',
};

type AccessHook = (user: User | undefined, target: RequestTarget, context: RequestContext) => boolean | Promise<boolean>;

/** What an HTTP method (or a WebSocket/SSE stream, as `GET`) asks of a resource. */
export function actionOf(method: string): TableAction {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return 'read';
    case 'POST':
      return 'insert';
    case 'DELETE':
      return 'delete';
    default:
      return 'update';
  }
}

function deny(user: User | undefined, action: TableAction, table: { name: string } | undefined): LodeError {
  const what = `${action} ${table ? table.name : 'this resource'}`;
  if (user === undefined) return new LodeError('UNAUTHORIZED', `Log in to ${what}`, { headers: { 'WWW-Authenticate': 'Basic realm="lode", Bearer' } });
  return new LodeError('FORBIDDEN', `${user.username} may not ${what}`);
}

/**
 * The one access check of every request, over REST, SSE and WebSocket, before its handler runs. A
 * resource's own `allowRead/allowCreate/allowUpdate/allowDelete(user, target, context)` decides
 * when it defines one (that is how a resource is made public); otherwise a table follows the
 * user's roles (`roles.yaml`), and any other resource is for super users only.
 */
export function checkAccess(
  resource: ResourceClass,
  action: TableAction,
  context: RequestContext,
  target: RequestTarget,
  policy: AccessPolicy,
): void | Promise<void> {
  const user = context.user as User | undefined;
  const table = (resource as { table?: { def?: { database: string; name: string } } }).table?.def;
  const hook = (resource as unknown as Record<string, unknown>)[HOOKS[action]];
  if (typeof hook === 'function') {
    const allowed = (hook as AccessHook).call(resource, user, target, context);
    if (allowed instanceof Promise) {
      return allowed.then((ok) => {
        if (!ok) throw deny(user, action, table);
      });
    }
    if (!allowed) throw deny(user, action, table);
    return;
  }
  const allowed = table ? policy.allows(user, table.database, table.name, action) : policy.isSuperUser(user);
  if (!allowed) throw deny(user, action, table);
  const rights = table && policy.attributeRights(user, table.database, table.name);
  if (rights) target.attributeRights = rights;
}
