import { LodeError } from '../errors/index.js';
import {
  allowedMethods,
  createContext,
  isResponseLike,
  type RequestContext,
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
  const path = decodeURIComponent(rest.slice(1));
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
  return record !== undefined && record.value === result ? `"${record.version.toString(36)}"` : undefined;
}

/** Streams an iterable as a JSON array with back-pressure, never holding the whole result. */
async function streamJson(exchange: HttpExchange, status: number, headers: Record<string, string>, items: Iterable<unknown> | AsyncIterable<unknown>): Promise<void> {
  exchange.begin(status, headers);
  if (exchange.method === 'HEAD') return exchange.end();
  let separator = '[';
  for await (const item of items) {
    if (exchange.done) return;
    await exchange.write(separator + encodeJson(item));
    separator = ',';
  }
  await exchange.end(separator === '[' ? '[]' : ']');
}

async function streamEncoded(exchange: HttpExchange, status: number, headers: Record<string, string>, items: Iterable<unknown> | AsyncIterable<unknown>, codec: Codec): Promise<void> {
  const collected: unknown[] = [];
  for await (const item of items) collected.push(item);
  exchange.send(status, headers, codec.encode(collected) as Buffer, exchange.method === 'HEAD');
}

export interface RestRequest {
  exchange: HttpExchange;
  routes: RouteTable;
  match: RouteMatch;
  responseCodec: Codec;
  body: Buffer | undefined;
}

/** Maps an HTTP request onto a resource method and the result onto a response. */
export async function handleRest({ exchange, routes, match, responseCodec, body }: RestRequest): Promise<void> {
  const resource = match.mounted.resource;
  const method = exchange.method;
  if (!knownMethods.has(method)) throw new LodeError('METHOD_NOT_IMPLEMENTED', `HTTP method ${method} is not implemented`);
  const allow = allowedMethods(resource).join(', ');
  if (method === 'OPTIONS') {
    exchange.send(204, { Allow: allow });
    return;
  }
  const handlerName = method === 'HEAD' ? 'get' : method.toLowerCase();
  const handler = (resource as Record<string, unknown>)[handlerName];
  if (typeof handler !== 'function') {
    throw new LodeError('METHOD_NOT_ALLOWED', `${match.mounted.path} does not support ${method}`, { headers: { Allow: allow } });
  }
  const target = parseTarget(match, exchange.query, resource);
  const data = body === undefined ? undefined : codecForContentType(exchange.headers.get('content-type')).decode(body);
  const context = createContext({
    method,
    url: exchange.url,
    headers: exchange.headers,
    ip: exchange.ip,
    timestamp: exchange.startedAt,
  });
  const args = handlerName === 'get' || handlerName === 'delete' ? [target, context] : [target, data, context];
  const result = await routes.contexts.run(context, () => (handler as (...a: unknown[]) => unknown).apply(resource, args));
  if (exchange.done) return;
  await respond(exchange, context, result, responseCodec);
}

async function respond(exchange: HttpExchange, context: RequestContext, result: unknown, codec: Codec): Promise<void> {
  const headOnly = exchange.method === 'HEAD';
  const headers: Record<string, string> = { ...context.responseHeaders };
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
    return codec === jsonCodec ? streamJson(exchange, status, headers, result) : streamEncoded(exchange, status, headers, result, codec);
  }
  const etag = etagOf(context, result);
  if (etag !== undefined) {
    headers.ETag = etag;
    if (exchange.headers.get('if-none-match') === etag) return exchange.send(304, { ETag: etag });
  }
  exchange.send(status, headers, codec.encode(result), headOnly);
}
