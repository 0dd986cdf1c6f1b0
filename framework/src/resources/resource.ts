import type { AttributeRights } from '../auth/index.js';
import type { RequestContext } from './context.js';

export type ResourceId = string | number;

/** The parsed part of a URL below a resource's mount point: `/Item/12?x=1` → `{ id: 12, search: 'x=1' }`. */
export interface RequestTarget {
  /** Record id; undefined for the collection (`/Item/`) or the resource root (`/Item`). */
  id?: ResourceId;
  /** The path below the mount point, without the leading slash, URL-decoded. */
  path: string;
  /** The raw query string without `?`. */
  search: string;
  /** True for `/Item/` (and `/Item/?query`): the whole collection. */
  isCollection: boolean;
  /** Where a real-time stream resumes: SSE's `Last-Event-ID` header (WebSocket clients use `?resume=`). */
  resume?: string;
  /**
   * The URL-decoded values a `static path` pattern bound, by name: `/widget/:id/action/:action` on
   * `/widget/7/action/run` gives `{ id: '7', action: 'run' }` (and `id` is also the coerced `id`).
   * Undefined for resources mounted at an export name.
   */
  params?: Record<string, string>;
  /** What a bare `*` at the end of a `static path` matched, decoded, slashes kept (`''` for none). */
  wildcard?: string;
  /**
   * Set by the access check when the user's roles limit the attributes of the table (roles.yaml
   * `attributes`): reads show only `read`, queries may use only `read`, writes may set only
   * `insert`/`update`. Resource code may clear it to lift the limits for its own reasons.
   */
  attributeRights?: AttributeRights;
  /** Set by a read of a caching table: whether the record came from the source just now (a miss). */
  loadedFromSource?: boolean;
}

export const resourceMethods = ['get', 'put', 'patch', 'post', 'delete'] as const;
export type ResourceMethod = (typeof resourceMethods)[number];

export type ResourceHandler = (target: RequestTarget, data: unknown, context: RequestContext) => unknown;

/**
 * A resource class: any class (or object) with some of the static methods below. Methods that are
 * absent answer 405 with an `Allow` header listing the ones that exist.
 */
export interface ResourceClass {
  get?(target: RequestTarget, context: RequestContext): unknown;
  put?(target: RequestTarget, data: unknown, context: RequestContext): unknown;
  patch?(target: RequestTarget, data: unknown, context: RequestContext): unknown;
  post?(target: RequestTarget, data: unknown, context: RequestContext): unknown;
  delete?(target: RequestTarget, context: RequestContext): unknown;
  /**
   * A real-time stream for a WebSocket (with the client's decoded frames as `incoming`) or an SSE
   * request (no `incoming`): each value it yields is one frame or event. Tables subscribe by default.
   */
  connect?(target: RequestTarget, incoming: AsyncIterable<unknown> | undefined, context: RequestContext): AsyncIterable<unknown> | Promise<AsyncIterable<unknown>>;
  /** Turns a URL id segment into the resource's id type (tables coerce by their primary key type). */
  coerceId?(raw: string): ResourceId;
}

/**
 * Base class of every resource. Subclasses define static `get`, `put`, `patch`, `post`, `delete`
 * as needed; each receives the request target and the request context (and the body for writes).
 */
export class Resource {
  static coerceId(raw: string): ResourceId {
    return raw;
  }
}

/** A response a handler builds itself: its status, headers and body are used as given. */
export interface ResponseLike {
  status: number;
  headers?: Record<string, string>;
  data?: unknown;
  body?: string | Uint8Array;
}

/**
 * Harper's contract: an object with a numeric `status` and a `headers` object, or `data`/`body`
 * beside a status, is a response, not a record. Records with a `status` field alone stay records.
 */
export function isResponseLike(value: unknown): value is ResponseLike {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  if (typeof candidate.status !== 'number') return false;
  const headers = candidate.headers;
  return (typeof headers === 'object' && headers !== null) || (Object.keys(candidate).length === 2 && ('data' in candidate || 'body' in candidate));
}

/** The HTTP methods a resource class answers, for `Allow` and 405s. */
export function allowedMethods(resource: ResourceClass): string[] {
  const allowed: string[] = [];
  if (typeof resource.get === 'function') allowed.push('GET', 'HEAD');
  if (typeof resource.put === 'function') allowed.push('PUT');
  if (typeof resource.patch === 'function') allowed.push('PATCH');
  if (typeof resource.post === 'function') allowed.push('POST');
  if (typeof resource.delete === 'function') allowed.push('DELETE');
  allowed.push('OPTIONS');
  return allowed;
}
