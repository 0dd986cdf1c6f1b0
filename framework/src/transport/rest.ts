import { LodeError } from '../errors/index.js';
import {
  allowedMethods,
  decodePath,
  isResponseLike,
  type RequestContext,
  type RequestHeaders,
  type RequestTarget,
  type ResourceClass,
  type RouteMatch,
} from '../resources/index.js';
import { codecForContentType, type Codec, encodeJson, jsonCodec } from './codecs.js';
import type { HttpExchange } from './exchange.js';
import type { RouteTable } from './routes.js';

const bodyMethods = new Set(['PUT', 'PATCH', 'POST']);
const knownMethods = new Set(['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

export function methodHasBody(method: string): boolean {
  return bodyMethods.has(method);
}

/** `'/12'` → id '12', `'/'` → collection, `''` → resource root. */
function parseTarget(match: RouteMatch, query: string, resource: ResourceClass): RequestTarget {
  const rest = match.rest;
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
class HttpRequestContext implements RequestContext {
  readonly method: string;
  readonly url: string;
  readonly headers: RequestHeaders;
  readonly timestamp: number;
  readonly responseHeaders: Record<string, string> = {};
  user?: unknown;
  status?: number;
  record?: { value: object; version: number };
  readonly #exchange: HttpExchange;

  constructor(exchange: HttpExchange) {
    this.#exchange = exchange;
    this.method = exchange.method;
    this.url = exchange.url;
    this.headers = exchange.headers;
    this.timestamp = exchange.startedAt;
  }

  get ip(): string {
    return this.#exchange.ip;
  }
}

/**
 * Streams an iterable with back-pressure, never holding the whole result: JSON as one array,
 * MessagePack as concatenated values (Harper's streaming form, read with `unpackMultiple`).
 */
async function streamItems(exchange: HttpExchange, status: number, headers: Record<string, string>, items: Iterable<unknown> | AsyncIterable<unknown>, codec: Codec): Promise<void> {
  exchange.begin(status, headers);
  if (exchange.method === 'HEAD') return exchange.end();
  const asJson = codec === jsonCodec;
  let separator = '[';
  for await (const item of items) {
    if (exchange.done) return;
    if (asJson) {
      await exchange.write(separator + encodeJson(item));
      separator = ',';
    } else {
      await exchange.write(codec.encode(item));
    }
  }
  exchange.end(asJson ? (separator === '[' ? '[]' : ']') : '');
}

export interface RestRequest {
  exchange: HttpExchange;
  routes: RouteTable;
  match: RouteMatch;
  responseCodec: Codec;
  body: Buffer | undefined;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * Maps an HTTP request onto a resource method and the result onto a response. Returns a promise
 * only when something has to be waited for, so synchronous reads answer in the uWS callback.
 */
export function handleRest({ exchange, routes, match, responseCodec, body }: RestRequest): Promise<void> | void {
  const resource = match.mounted.resource;
  const method = exchange.method;
  if (!knownMethods.has(method)) throw new LodeError('METHOD_NOT_IMPLEMENTED', `HTTP method ${method} is not implemented`);
  if (method === 'OPTIONS') return exchange.send(204, { Allow: allowedMethods(resource).join(', ') });
  const handlerName = method === 'HEAD' ? 'get' : method.toLowerCase();
  const handler = (resource as Record<string, unknown>)[handlerName];
  if (typeof handler !== 'function') {
    throw new LodeError('METHOD_NOT_ALLOWED', `${match.mounted.path} does not support ${method}`, {
      headers: { Allow: allowedMethods(resource).join(', ') },
    });
  }
  const target = parseTarget(match, exchange.query, resource);
  const data = body === undefined ? undefined : codecForContentType(exchange.headers.get('content-type')).decode(body);
  const context = new HttpRequestContext(exchange);
  const args = handlerName === 'get' || handlerName === 'delete' ? [target, context] : [target, data, context];
  const result = routes.contexts.call(context, handler as (...a: unknown[]) => unknown, resource, args);
  if (isPromiseLike(result)) {
    return Promise.resolve(result).then((value) => (exchange.done ? undefined : respond(exchange, context, value, responseCodec)));
  }
  return respond(exchange, context, result, responseCodec);
}

function respond(exchange: HttpExchange, context: RequestContext, result: unknown, codec: Codec): Promise<void> | void {
  const headOnly = exchange.method === 'HEAD';
  const headers = context.responseHeaders;
  if (isResponseLike(result)) {
    Object.assign(headers, result.headers);
    if (result.body !== undefined) return exchange.send(result.status, headers, result.body, headOnly);
    if (result.data === undefined) return exchange.send(result.status, headers);
    headers['Content-Type'] ??= codec.mediaType;
    return exchange.send(result.status, headers, codec.encode(result.data), headOnly);
  }
  if (result === undefined) {
    if (exchange.method === 'GET' || exchange.method === 'HEAD') throw new LodeError('NOT_FOUND', `Nothing found at ${exchange.url}`);
    return exchange.send(context.status ?? 204, headers);
  }
  const status = context.status ?? 200;
  headers['Content-Type'] = codec.mediaType;
  headers.Vary = 'Accept';
  if (isIterableResult(result)) {
    return streamItems(exchange, status, headers, result, codec);
  }
  const etag = etagOf(context, result);
  if (etag !== undefined) {
    headers.ETag = etag;
    if (matchesEtag(exchange.headers.get('if-none-match'), etag)) return exchange.send(304, { ETag: etag });
  }
  exchange.send(status, headers, codec.encode(result), headOnly);
}
