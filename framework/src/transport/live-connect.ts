import { LodeError } from '../errors/index.js';
import type { LiveEvent } from '../realtime/index.js';
import type { ContextStore, RequestContext, RequestHeaders, RequestTarget, ResourceClass } from '../resources/index.js';
import { parseTarget } from './rest.js';
import type { RouteTable } from './routes.js';
import { formatSuffix } from './url-suffix.js';

/** Settings of WebSocket and SSE connections (`realtime` in config.yaml). */
export interface RealtimeOptions {
  /** An idle SSE stream gets a comment line this often, so proxies do not time it out. */
  heartbeatMs: number;
  /** Output a client may leave unread before it is disconnected as a slow consumer. */
  maxBufferedBytes: number;
}

export const DEFAULT_HEARTBEAT_MS = 15_000;
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;

/** A WebSocket or event stream that server shutdown must end (live streams never finish on their own). */
export interface LiveConnection {
  shutdown(): void;
  /**
   * Checks again that the client may still read what it subscribed to (its user may have been
   * removed, its roles changed): a connection that may not is closed with 4401/4403, or ended.
   */
  recheck(routes: RouteTable): void;
}

/** A stream's source: async iterators, or plain iterators from a `*connect` generator. */
export type LiveIterator = AsyncIterator<unknown> | Iterator<unknown>;

/** The context of a WebSocket connection: its upgrade request, copied while uWS still had it. */
export class LiveRequestContext implements RequestContext {
  readonly method = 'GET';
  readonly timestamp = Date.now();
  readonly responseHeaders: Record<string, string> = {};
  user?: unknown;
  status?: number;
  record?: { value: object; version: number };
  readonly #closing = new AbortController();
  readonly signal: AbortSignal = this.#closing.signal;

  constructor(
    readonly url: string,
    readonly headers: RequestHeaders,
    readonly ip: string,
  ) {}

  /** The connection closed: what was opened under this context ends too. */
  close(): void {
    this.#closing.abort();
  }
}

/** `resume=` in a query string (the WebSocket form of SSE's `Last-Event-ID`). */
export function resumeParam(query: string): string | undefined {
  if (!query.includes('resume=')) return undefined;
  return new URLSearchParams(query).get('resume') ?? undefined;
}

/** The target of a real-time URL: as for REST, without a format suffix (it chose the codec). */
export function liveTarget(rest: string, query: string, resource: ResourceClass, resume: string | undefined): RequestTarget {
  const target = parseTarget(formatSuffix(rest)?.rest ?? rest, query, resource);
  if (resume !== undefined && resume !== '') target.resume = resume;
  return target;
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

/** Calls `connect` under the request's context and returns the iterator of what it yields. */
export async function openLive(contexts: ContextStore, resource: ResourceClass, name: string, target: RequestTarget, incoming: AsyncIterable<unknown> | undefined, context: RequestContext): Promise<LiveIterator> {
  const connect = resource.connect as (...args: unknown[]) => unknown;
  const source = await contexts.call(context, connect, resource, [target, incoming, context]);
  if (isObject(source)) {
    if (Symbol.asyncIterator in source) return (source as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    if (Symbol.iterator in source) return (source as Iterable<unknown>)[Symbol.iterator]();
  }
  throw new LodeError('HANDLER_ERROR', `${name}.connect() must return an async iterable (an async generator, for example)`);
}

/** The next value, with `getContext()` answering for this connection inside generator bodies too. */
export function pullLive(contexts: ContextStore, context: RequestContext, iterator: LiveIterator): Promise<IteratorResult<unknown>> | IteratorResult<unknown> {
  return contexts.call(context, iterator.next as () => unknown, iterator, []) as Promise<IteratorResult<unknown>> | IteratorResult<unknown>;
}

/**
 * Resolves when a source can no longer keep up (a subscription past its queue limit), so waiting
 * for a stalled client to drain ends at once; never resolves for other sources.
 */
export function whenSourceFails(iterator: LiveIterator): Promise<void> {
  const failed = (iterator as { failed?: unknown }).failed;
  return typeof failed === 'function' ? (failed as () => Promise<void>).call(iterator) : new Promise<void>(() => undefined);
}

/**
 * Lets a source push its live events straight to `send` (a subscription that has caught up), so a
 * change fans out to thousands of sockets without a promise chain per socket. Undefined when the
 * source cannot (any other iterator, or one with events still queued): then pull as usual. The
 * promise resolves when pushing stops: `send` returned false, or the source closed.
 */
export function attachSink(iterator: LiveIterator, send: (event: LiveEvent) => boolean): Promise<void> | undefined {
  const attach = (iterator as { attach?: unknown }).attach;
  return typeof attach === 'function' ? (attach as (sink: (event: LiveEvent) => boolean) => Promise<void> | undefined).call(iterator, send) : undefined;
}

/** Ends a source early so it releases what it holds (a subscription's listener); its failure is only logged. */
export function releaseLive(iterator: LiveIterator, onError: (error: unknown) => void): void {
  if (typeof iterator.return !== 'function') return;
  try {
    const result = iterator.return();
    if (isObject(result) && typeof (result as Promise<unknown>).then === 'function') (result as Promise<unknown>).then(undefined, onError);
  } catch (error) {
    onError(error);
  }
}
