import type { Authenticator } from '../auth/index.js';
import { LodeError } from '../errors/index.js';
import {
  allowedMethods,
  bindRoute,
  decodePath,
  isResponseLike,
  routeOf,
  runInTransaction,
  type MountedResource,
  type RequestContext,
  type RequestHeaders,
  type RequestTarget,
  type ResourceClass,
  type RouteMatch,
} from '../resources/index.js';
import { codecForContentType, encodeJson, type ResponseFormat, type ValueShape } from './codecs.js';
import type { HttpExchange } from './exchange.js';
import type { RouteTable } from './routes.js';
import { sendItems } from './send-items.js';
import { attributeSuffix } from './url-suffix.js';
import { isPromiseLike } from '../util/index.js';
import { admit } from './admission.js';
import { endSession, startSession } from './auth-endpoints.js';

const bodyMethods = new Set(['PUT', 'PATCH', 'POST']);
/**
 * The resource method each HTTP method calls. Constant names, rather than the lower-cased method:
 * looking a fresh string up on the resource class costs a string-table search per request.
 */
const handlerNames = new Map([
  ['GET', 'get'],
  ['HEAD', 'get'],
  ['PUT', 'put'],
  ['PATCH', 'patch'],
  ['POST', 'post'],
  ['DELETE', 'delete'],
  ['OPTIONS', 'options'],
  ['TRACE', 'trace'],
  ['CONNECT', 'connect'],
]);

export function methodHasBody(method: string): boolean {
  return bodyMethods.has(method);
}

/**
 * `'/12'` → id '12', `'/'` → collection, `''` → resource root. A resource mounted by a `static path`
 * pattern gets what the pattern binds instead: `params`, `:id` as the id, `*` as `wildcard`, and
 * what a trailing `*`/`*name` matched as `path`.
 */
export function parseTarget(rest: string, query: string, resource: ResourceClass): RequestTarget {
  const route = routeOf(resource);
  if (route !== undefined) {
    // The registry matched the URL with its format suffix; without it (`/w/.csv` → `/w/`) a pattern may no longer match.
    const bound = bindRoute(route, rest);
    if (!bound) throw new LodeError('ROUTE_NOT_FOUND', `${rest} does not match the path pattern of the resource`);
    const raw = bound.params.id;
    const target: RequestTarget = { path: bound.rest, search: query, isCollection: raw === undefined && rest.endsWith('/'), params: bound.params };
    if (raw !== undefined) target.id = resource.coerceId ? resource.coerceId(raw) : raw;
    if (bound.wildcard !== undefined) target.wildcard = bound.wildcard;
    return target;
  }
  if (rest === '' || rest === '/') return { path: '', search: query, isCollection: rest === '/' };
  const path = decodePath(rest.slice(1));
  if (path.endsWith('/')) return { path, search: query, isCollection: true };
  const id = resource.coerceId ? resource.coerceId(path) : path;
  return { id, path, search: query, isCollection: false };
}

function isIterableResult(value: unknown): value is Iterable<unknown> | AsyncIterable<unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) return false;
  return Symbol.iterator in value || Symbol.asyncIterator in value;
}

function etagOf(context: RequestContext, result: unknown): string | undefined {
  const record = context.record;
  return record !== undefined && record.value === result ? `"${record.version}"` : undefined;
}

/** RFC 9110 `If-None-Match`: `*`, or a list of tags compared weakly. */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/** The context of an HTTP request: a class, so the per-request object is cheap to create. */
export class HttpRequestContext implements RequestContext {
  readonly method: string;
  readonly url: string;
  readonly headers: RequestHeaders;
  readonly timestamp: number;
  readonly responseHeaders: Record<string, string> = {};
  user?: unknown;
  status?: number;
  record?: { value: object; version: number };
  signal?: AbortSignal;
  transaction?: RequestContext['transaction'];
  readonly transactional = true;
  readonly #exchange: HttpExchange;
  #auth: Authenticator | undefined;

  constructor(exchange: HttpExchange, url: string) {
    this.#exchange = exchange;
    this.method = exchange.method;
    this.url = url;
    this.headers = exchange.headers;
    this.timestamp = exchange.startedAt;
  }

  get ip(): string {
    return this.#exchange.ip;
  }

  /** Admission hands over the authenticator when cookie sessions are on; `login`/`logout` need it. */
  useAuthenticator(auth: Authenticator): void {
    this.#auth = auth;
  }

  /** Harper's `request.login`: checks the password, makes this request that user and sets the session cookie. */
  async login(username: string, password: string): Promise<void> {
    const { user, cookie } = await startSession(this.#sessions(), this.headers, username, password, this.ip);
    this.user = user;
    this.responseHeaders['Set-Cookie'] = cookie;
  }

  /** Ends the session of the request's cookie (if any) and drops the cookie. */
  async logout(): Promise<void> {
    const cleared = await endSession(this.#sessions(), this.headers);
    this.user = undefined;
    if (cleared !== undefined) this.responseHeaders['Set-Cookie'] = cleared;
  }

  #sessions(): Authenticator {
    if (this.#auth === undefined) throw new LodeError('HANDLER_ERROR', 'Cookie sessions are off: set authentication.enableSessions: true in config.yaml');
    return this.#auth;
  }
}

export interface RestRequest {
  exchange: HttpExchange;
  routes: RouteTable;
  /** The route, its remainder without a format suffix (`/12.csv` → `/12`). */
  match: RouteMatch;
  /** From the URL suffix, or negotiated from `Accept`. */
  format: ResponseFormat;
  /** True when `format` came from `Accept`: the response then varies with it. */
  negotiated: boolean;
  /** The request path without a format suffix, as resources see it in `context.url`. */
  url: string;
  body: Buffer | undefined;
}

const NO_SHAPE: ValueShape = {};
const declaredShapes = new WeakMap<MountedResource, ValueShape>();
const SELECT = /(?:^|&)select(?:\(|%28)/i;

/**
 * Declared attributes order CSV columns, unless the query selects its own (in its own order). A
 * user whose roles hide attributes gets no columns for them: their names are not for them either.
 */
function shapeOf(mounted: MountedResource, search: string, readable?: ReadonlySet<string>): ValueShape {
  if (mounted.attributes === undefined || SELECT.test(search)) return NO_SHAPE;
  if (readable !== undefined) {
    const primaryKey = (mounted.resource as { table?: { def?: { primaryKey: string } } }).table?.def?.primaryKey;
    return { attributes: mounted.attributes.map((attribute) => attribute.name).filter((name) => name === primaryKey || readable.has(name)) };
  }
  let shape = declaredShapes.get(mounted);
  if (shape === undefined) {
    shape = { attributes: mounted.attributes.map((attribute) => attribute.name) };
    declaredShapes.set(mounted, shape);
  }
  return shape;
}

/** `/Item/12.name` reads one attribute of the record: `null` when the record has none. */
function attributeOf(record: unknown, name: string): unknown {
  return typeof record === 'object' && record !== null ? ((record as Record<string, unknown>)[name] ?? null) : null;
}

/**
 * Maps an HTTP request onto a resource method and the result onto a response. Returns a promise
 * only when something has to be waited for, so synchronous reads answer in the uWS callback.
 */
export function handleRest(request: RestRequest): Promise<void> | void {
  const { exchange, routes, match } = request;
  const resource = match.mounted.resource;
  const method = exchange.method;
  const handlerName = handlerNames.get(method);
  if (handlerName === undefined) throw new LodeError('METHOD_NOT_IMPLEMENTED', `HTTP method ${method} is not implemented`);
  if (method === 'OPTIONS') return exchange.send(204, { Allow: allowedMethods(resource).join(', ') });
  const handler = (resource as Record<string, unknown>)[handlerName];
  if (typeof handler !== 'function') {
    throw new LodeError('METHOD_NOT_ALLOWED', `${match.mounted.path} does not support ${method}`, {
      headers: { Allow: allowedMethods(resource).join(', ') },
    });
  }
  const attribute = attributeSuffix(match.rest, match.mounted.attributes);
  if (attribute !== undefined && handlerName !== 'get') {
    throw new LodeError('METHOD_NOT_ALLOWED', `${exchange.url} is the ${attribute} attribute of a record, which can only be read; write the record at its own URL`, {
      headers: { Allow: 'GET, HEAD, OPTIONS' },
    });
  }
  const target = parseTarget(attribute === undefined ? match.rest : match.rest.slice(0, -attribute.length - 1), exchange.query, resource);
  const context = new HttpRequestContext(exchange, request.url);
  const admitted = admit(routes, context, resource, method, target);
  if (isPromiseLike(admitted)) return Promise.resolve(admitted).then(() => (exchange.done ? undefined : invoke(request, context, handler, handlerName, target, attribute)));
  return invoke(request, context, handler, handlerName, target, attribute);
}

/** Runs the handler in the request's transaction and answers with what it returns. */
function invoke(request: RestRequest, context: HttpRequestContext, handler: unknown, handlerName: string, target: RequestTarget, attribute: string | undefined): Promise<void> | void {
  const { exchange, routes, match, body } = request;
  const resource = match.mounted.resource;
  const data = body === undefined ? undefined : codecForContentType(exchange.headers.get('content-type')).decode(body);
  const args = handlerName === 'get' || handlerName === 'delete' ? [target, context] : [target, data, context];
  const result = runInTransaction(routes.contexts, context, handler as (...a: unknown[]) => unknown, resource, args);
  if (isPromiseLike(result)) {
    return Promise.resolve(result).then((value) => (exchange.done ? undefined : respond(request, context, value, target, attribute)));
  }
  return respond(request, context, result, target, attribute);
}

function respond(request: RestRequest, context: RequestContext, result: unknown, target: RequestTarget, attribute: string | undefined): Promise<void> | void {
  const { exchange, format } = request;
  const headOnly = exchange.method === 'HEAD';
  const headers = context.responseHeaders;
  if (isResponseLike(result)) {
    Object.assign(headers, result.headers);
    if (result.body !== undefined) return exchange.send(result.status, headers, result.body, headOnly);
    if (result.data === undefined) return exchange.send(result.status, headers);
    for (const name in format.headers) headers[name] ??= format.headers[name]!;
    return exchange.send(result.status, headers, format.encode(result.data, shapeOf(request.match.mounted, target.search, target.attributeRights?.read)), headOnly);
  }
  if (result === undefined) {
    if (exchange.method === 'GET' || exchange.method === 'HEAD') {
      const detail = attribute === undefined ? `Nothing found at ${exchange.url}` : `No record ${encodeJson(target.id)} to read ${attribute} from`;
      throw new LodeError('NOT_FOUND', detail);
    }
    return exchange.send(context.status ?? 204, headers);
  }
  const status = context.status ?? 200;
  Object.assign(headers, format.headers);
  if (request.negotiated) headers.Vary = 'Accept';
  const etag = etagOf(context, result);
  const value = attribute === undefined ? result : attributeOf(result, attribute);
  const shape = shapeOf(request.match.mounted, target.search, target.attributeRights?.read);
  if (isIterableResult(value)) return sendItems(exchange, status, headers, value, format.frame(shape));
  if (etag !== undefined) {
    headers.ETag = etag;
    if (matchesEtag(exchange.headers.get('if-none-match'), etag)) return exchange.send(304, { ETag: etag });
  }
  exchange.send(status, headers, format.encode(value, shape), headOnly);
}
