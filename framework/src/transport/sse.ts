import { LodeError, isLodeError } from '../errors/index.js';
import { allowedMethods, type RequestTarget, type RouteMatch } from '../resources/index.js';
import type { Logger } from '../util/index.js';
import type { HttpExchange } from './exchange.js';
import { attachSink, liveTarget, openLive, pullLive, releaseLive, resumeParam, whenSourceFails, type LiveConnection, type LiveIterator, type RealtimeOptions } from './live-connect.js';
import { toProblem } from './problem.js';
import { HttpRequestContext } from './rest.js';
import { admit } from './admission.js';
import type { RouteTable } from './routes.js';
import { SSE_HEARTBEAT, SSE_SLOW_CONSUMER, sseFrame } from './sse-framing.js';

const SSE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache',
  Connection: 'keep-alive',
  // nginx buffers proxied responses unless told not to, which would hold events back.
  'X-Accel-Buffering': 'no',
};

/** True for a GET that asks for an event stream; checked before content negotiation, which knows no such format. */
export function wantsEventStream(method: string, accept: string | undefined): boolean {
  return method === 'GET' && accept !== undefined && accept.includes('text/event-stream');
}

export interface EventStreamRequest {
  exchange: HttpExchange;
  routes: RouteTable;
  match: RouteMatch;
  options: RealtimeOptions;
  logger: Logger;
  /** Where the server keeps the streams it has to end on shutdown. */
  connections: Set<LiveConnection>;
}

/**
 * Serves `connect` as Server-Sent Events. Failures before the stream starts are ordinary
 * problem+json responses (the returned promise rejects); once it has started they end it. The
 * promise settles when the stream has ended.
 */
export async function serveEventStream(request: EventStreamRequest): Promise<void> {
  const { exchange, match } = request;
  const resource = match.mounted.resource;
  if (typeof resource.connect !== 'function') {
    throw new LodeError('METHOD_NOT_ALLOWED', `${exchange.url} does not support real-time connections (text/event-stream)`, {
      headers: { Allow: allowedMethods(resource).join(', ') },
    });
  }
  const target = liveTarget(match.rest, exchange.query, resource, exchange.headers.get('last-event-id') ?? resumeParam(exchange.query));
  const context = new HttpRequestContext(exchange, exchange.url);
  await admit(request.routes, context, resource, 'GET', target);
  const closing = new AbortController();
  context.signal = closing.signal;
  const iterator = await openLive(request.routes.contexts, resource, match.mounted.path, target, undefined, context);
  if (exchange.done) {
    closing.abort();
    releaseLive(iterator, (error) => request.logger.error(`${exchange.url}: ending the stream failed:`, error));
    return;
  }
  return new EventStream(request, context, iterator, closing, target).run();
}

/** One SSE response: pulls an event, writes it, waits while the client is slow, and beats when idle. */
class EventStream implements LiveConnection {
  readonly #exchange: HttpExchange;
  readonly #request: EventStreamRequest;
  readonly #context: HttpRequestContext;
  readonly #iterator: LiveIterator;
  readonly #closing: AbortController;
  #heartbeat: NodeJS.Timeout | undefined;
  #finished = false;
  #exhausted = false;
  #settle: () => void = () => undefined;

  readonly #target: RequestTarget;

  constructor(request: EventStreamRequest, context: HttpRequestContext, iterator: LiveIterator, closing: AbortController, target: RequestTarget) {
    this.#target = target;
    this.#request = request;
    this.#closing = closing;
    this.#exchange = request.exchange;
    this.#context = context;
    this.#iterator = iterator;
  }

  async run(): Promise<void> {
    const ended = new Promise<void>((resolve) => (this.#settle = resolve));
    this.#exchange.onAbort = () => this.#finish();
    this.#request.connections.add(this);
    // A generator that rejects its target does so as soon as it is first pulled: waiting one turn
    // lets that failure be a proper error response, while a quiet stream still opens at once.
    let settled = false;
    let failure: { error: unknown } | undefined;
    const first = new Promise<IteratorResult<unknown>>((resolve) => resolve(this.#pull()));
    first.then(
      () => (settled = true),
      (error: unknown) => (failure = { error }),
    );
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.#finished) return ended;
    if (failure) {
      this.#exhausted = true;
      this.#finish(false);
      throw failure.error;
    }
    this.#exchange.begin(200, SSE_HEADERS);
    if (!settled) this.#write(SSE_HEARTBEAT);
    this.#heartbeat = setTimeout(this.#beat, this.#request.options.heartbeatMs).unref();
    void this.#pump(first);
    return ended;
  }

  #pull(): Promise<IteratorResult<unknown>> | IteratorResult<unknown> {
    return pullLive(this.#request.routes.contexts, this.#context, this.#iterator);
  }

  async #pump(first: Promise<IteratorResult<unknown>>): Promise<void> {
    try {
      let step = await first;
      for (;;) {
        if (this.#finished) return;
        if (step.done) {
          this.#exhausted = true;
          return this.#finish();
        }
        this.#write(sseFrame(step.value));
        for (;;) {
          if (this.#exchange.unsentBytes > this.#request.options.maxBufferedBytes) return this.#cutOff();
          if (this.#exchange.unsentBytes > 0) await Promise.race([this.#exchange.whenWritable(), whenSourceFails(this.#iterator)]);
          if (this.#finished) return;
          // Caught up: live events are written as they are committed until the client backs up.
          const attached = attachSink(this.#iterator, (event) => {
            if (this.#finished) return false;
            this.#write(sseFrame(event));
            return this.#exchange.unsentBytes === 0;
          });
          if (!attached) break;
          await attached;
          if (this.#finished) return;
        }
        step = await this.#pull();
      }
    } catch (error) {
      this.#exhausted = true;
      if (this.#finished) return;
      if (isLodeError(error) && error.code === 'SLOW_CONSUMER') {
        this.#write(SSE_SLOW_CONSUMER);
        return this.#finish();
      }
      if (toProblem(error).unexpected) this.#request.logger.error(`${this.#exchange.url}: the event stream failed:`, error);
      this.#finish();
    }
  }

  #write(frame: string): void {
    this.#exchange.writeNow(frame);
    this.#heartbeat?.refresh();
  }

  readonly #beat = (): void => {
    if (this.#finished) return;
    // A client that is not reading gets nothing more; back-pressure already decides its fate.
    if (this.#exchange.unsentBytes === 0) this.#exchange.writeNow(SSE_HEARTBEAT);
    this.#heartbeat?.refresh();
  };

  /** More output is waiting for this client than it may leave unread: drop it, freeing the buffer now. */
  #cutOff(): void {
    this.#request.logger.warn(`${this.#exchange.url}: closed an event stream whose client stopped reading (${this.#exchange.unsentBytes} bytes unsent)`);
    this.#exchange.close();
    this.#finish();
  }

  shutdown(): void {
    this.#finish();
  }

  /** An event stream has no close code: it ends, and the client's reconnection gets the 401 or 403. */
  recheck(routes: RouteTable): void {
    if (this.#finished) return;
    try {
      const checked = admit(routes, this.#context, this.#request.match.mounted.resource, 'GET', this.#target);
      if (checked) checked.catch(() => this.#finish());
    } catch {
      this.#finish();
    }
  }

  #finish(endResponse = true): void {
    if (this.#finished) return;
    this.#finished = true;
    clearTimeout(this.#heartbeat);
    this.#request.connections.delete(this);
    this.#closing.abort();
    if (endResponse) this.#exchange.end();
    if (!this.#exhausted) releaseLive(this.#iterator, (error) => this.#request.logger.error(`${this.#exchange.url}: ending the stream failed:`, error));
    this.#settle();
  }
}
