import type { AccessPolicy, Authenticator } from '../auth/index.js';
import type { ContextStore, ResourceRegistry } from '../resources/index.js';
import type { StaticFiles } from './static-files.js';

/** What the transport serves: one app generation's routes, swapped atomically on reload. */
export interface RouteTable {
  readonly registry: ResourceRegistry;
  readonly contexts: ContextStore;
  readonly staticFiles?: StaticFiles;
  /** Who may do what (`roles.yaml` of this generation). */
  readonly access: AccessPolicy;
  /** Credentials → users (the app's, shared by its generations). */
  readonly auth: Authenticator;
}
