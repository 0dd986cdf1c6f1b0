import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { AccessPolicy, Authenticator, parseRoles, SUPER_USER_ROLE } from '../auth/index.js';
import { LodeError } from '../errors/index.js';
import type { Diagnostic } from '../schema/index.js';
import type { SystemStore } from '../storage/index.js';
import type { Logger } from '../util/index.js';
import type { AuthenticationConfig } from './config.js';

export const NO_USERS = [
  'Lode will not serve without users: every endpoint would be open.',
  'Set LODE_ADMIN_USERNAME and LODE_ADMIN_PASSWORD for the first start (an admin is created),',
  'or add one with `lode user add <name> --role super_user`, or use `lode dev` on your own machine.',
].join('\n');

/**
 * The app's authenticator. On a first start, `LODE_ADMIN_USERNAME`/`LODE_ADMIN_PASSWORD` create a
 * super user. With no users at all the app refuses to start, unless loopback requests are the
 * super user (dev mode), which it says out loud.
 */
export async function openAuthenticator(store: SystemStore, config: AuthenticationConfig & { loopbackOnly?: boolean }, logger: Logger, env: NodeJS.ProcessEnv = process.env): Promise<Authenticator> {
  const auth = await Authenticator.open(store, config);
  const username = env.LODE_ADMIN_USERNAME;
  const password = env.LODE_ADMIN_PASSWORD;
  if (auth.users.size === 0 && username && password) {
    await auth.users.add(username, password, [SUPER_USER_ROLE.name]);
    logger.info(`created the super user ${username} (from LODE_ADMIN_USERNAME)`);
  }
  if (config.authorizeLocal) logger.warn('Requests from this machine (loopback) run as the super user: for development only.');
  else if (auth.users.size === 0) throw new LodeError('UNAUTHORIZED', NO_USERS);
  return auth;
}

/** `roles.yaml` (or the file config.yaml names) as an access policy; a mistake is a load diagnostic. */
export async function loadRoles(appDir: string, file: string): Promise<{ policy?: AccessPolicy; diagnostics: Diagnostic[] }> {
  const text = await readFile(join(appDir, file), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  try {
    return { policy: new AccessPolicy(parseRoles(text === undefined ? undefined : parseYaml(text))), diagnostics: [] };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { diagnostics: [{ severity: 'error', code: 'ROLES', message, file, line: 1, column: 1 }] };
  }
}
