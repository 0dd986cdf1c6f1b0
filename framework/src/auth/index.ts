export { AccessPolicy, type AttributeRights, type User } from './access.js';
export { Authenticator, LOCAL_SUPER_USER, defaultAuthOptions, isLoopback, type AuthOptions, type Tokens } from './authenticator.js';
export { hashPassword, verifyPassword } from './passwords.js';
export { SUPER_USER_ROLE, parseRoles, type Role, type TableAction, type TablePermission } from './roles.js';
export { TokenSigner } from './tokens.js';
export { UserDirectory } from './users.js';
export { SESSION_COOKIE, SessionStore, clearedSessionCookie, isSecureRequest, requestOrigin, sessionCookie, sessionIdFrom, type HeaderLookup, type Session } from './sessions.js';
