/**
 * Every error Lode reports has a code from this catalog. The transport maps a code to its HTTP
 * status and problem+json title in one place; docs/errors.md is kept in sync by a test.
 */
export const errorCatalog = {
  BAD_REQUEST: { status: 400, title: 'Bad request' },
  MALFORMED_BODY: { status: 400, title: 'The request body could not be parsed' },
  VALIDATION_FAILED: { status: 400, title: 'The record does not match the schema' },
  INVALID_ID: { status: 400, title: 'The id does not match the primary key type' },
  UNAUTHORIZED: { status: 401, title: 'Authentication is required' },
  FORBIDDEN: { status: 403, title: 'The user is not allowed to do this' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No resource at this path' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed on this resource' },
  NOT_ACCEPTABLE: { status: 406, title: 'None of the accepted content types can be produced' },
  CONFLICT: { status: 409, title: 'A record with this id already exists' },
  WRITE_CONFLICT: { status: 409, title: 'A record changed while the transaction was writing it' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is larger than the limit' },
  TOO_MANY_ATTEMPTS: { status: 429, title: 'Too many failed logins; wait before trying again' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request body content type is not supported' },
  METHOD_NOT_IMPLEMENTED: { status: 501, title: 'The HTTP method is not implemented' },
  INDEX_BUILDING: { status: 503, title: 'An index this request needs is still being built' },
  SOURCE_FAILED: { status: 502, title: 'The source of a cached table failed' },
  NOT_CACHED: { status: 504, title: 'The record is not cached and only-if-cached forbids loading it' },
  SLOW_CONSUMER: { status: 503, title: 'The subscriber fell too far behind and was disconnected' },
  HANDLER_ERROR: { status: 500, title: 'The resource handler failed' },
  INTERNAL: { status: 500, title: 'Internal server error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorCatalog;
