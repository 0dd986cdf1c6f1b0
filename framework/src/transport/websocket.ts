import type { HttpRequest, HttpResponse, WebSocket, WebSocketBehavior, us_socket_context_t } from 'uWebSockets.js';
import { admit } from './admission.js';
import { LodeError, isLodeError } from '../errors/index.js';
import { LiveEvent } from '../realtime/index.js';
import type { RequestTarget, ResourceClass, RouteMatch } from '../resources/index.js';
import type { Logger } from '../util/index.js';
import { codecForContentType, jsonCodec, type Codec, type ResponseFormat } from './codecs.js';
import { IncomingMessages } from './incoming.js';
import {
  LiveRequestContext,
  liveTarget,
  openLive,
  pullLive,
  releaseLive,
  resumeParam,
  type LiveConnection,
  type LiveIterator,
  type RealtimeOptions,
  attachSink,
  whenSourceFails,
} from './live-connect.js';
import { negotiate } from './negotiate.js';
import { toProblem } from './problem.js';
import type { RouteTable } from './routes.js';
import { formatSuffix } from './url-suffix.js';

/**
 * Above this much unsent output the next value is not pulled until the socket drains (or above
 * `maxBufferedBytes` if that is lower: a client stuck past it is then always cut off).
 */
const HIGH_WATER_BYTES = 64 * 1024;

/** The close codes of RFC 6455 Lode uses; application errors are 4000 + their HTTP status. */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  POLICY_VIOLATION: 1008,
  INTERNAL_ERROR: 1011,
  TRY_AGAIN_LATER: 1013,
} as const;

/** A close frame's reason is at most 123 bytes of UTF-8; a longer one is cut at a character boundary. */
export function closeReason(text: string): string {
  if (Buffer.byteLength(text) <= 123) return text;
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (bytes + size > 120) break;
    bytes += size;
    end += char.length;
  }
  return `${text.slice(0, end)}…`;
}

/** The close code and reason for what `connect` or its stream threw. */
export function closeFor(error: unknown, lastSeq: number | undefined): { code: number; reason: string; unexpected: boolean } {
  if (isLodeError(error) && error.code === 'SLOW_CONSUMER') return { code: CloseCode.TRY_AGAIN_LATER, reason: slowConsumerReason(lastSeq), unexpected: false };
  const { problem, unexpected } = toProblem(error);
  if (problem.code === 'INTERNAL') return { code: CloseCode.INTERNAL_ERROR, reason: 'Internal server error (see the server log)', unexpected };
  return { code: 4000 + problem.status, reason: closeReason(problem.detail), unexpected };
}

function slowConsumerReason(lastSeq: number | undefined): string {
  return lastSeq === undefined ? 'slow consumer; reconnect' : `slow consumer; reconnect with resume=${lastSeq}`;
}

export interface WebSocketServerOptions {
  routes: () => RouteTable;
  logger: Logger;
  realtime: RealtimeOptions;
  /** Largest frame a client may send. */
  maxPayloadLength: number;
  connections: Set<LiveConnection>;
}

/** uWS copies the user data's own properties onto its socket object, so the session rides along as one. */
interface SocketData {
  session: WebSocketSession;
}

/** The `app.ws('/*', …)` behaviour: every mounted resource's URL also speaks WebSocket. */
export function webSocketBehavior(options: WebSocketServerOptions): WebSocketBehavior<SocketData> {
  return {
    idleTimeout: 120,
    sendPingsAutomatically: true,
    maxPayloadLength: options.maxPayloadLength,
    // No uWS limit: past one it drops frames silently, the close frame included. Sessions stop
    // pulling at the high-water mark and close a socket past `maxBufferedBytes` themselves.
    maxBackpressure: 0,
    upgrade: (res, req, context) => upgrade(options, res, req, context),
    open: (ws) => ws.getUserData().session.open(ws),
    message: (ws, message) => ws.getUserData().session.receive(message),
    drain: (ws) => ws.getUserData().session.drained(),
    close: (ws) => ws.getUserData().session.closed(),
  };
}

/** uWS request objects die with this callback: everything the session needs is copied here. */
function upgrade(options: WebSocketServerOptions, res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void {
  const url = req.getUrl();
  const query = req.getQuery() ?? '';
  const headers = new Map<string, string>();
  req.forEach((name, value) => headers.set(name, value));
  const routes = options.routes();
  const session = new WebSocketSession(options, routes, routes.registry.match(url), url, query, headers, Buffer.from(res.getRemoteAddressAsText()).toString());
  // Echo one offered subprotocol (browsers fail the handshake otherwise); Lode does not interpret it.
  const protocol = (headers.get('sec-websocket-protocol') ?? '').split(',', 1)[0]!.trim();
  res.upgrade<SocketData>({ session }, headers.get('sec-websocket-key') ?? '', protocol, headers.get('sec-websocket-extensions') ?? '', context);
}

function isCodec(format: ResponseFormat): format is Codec {
  return typeof (format as Partial<Codec>).decode === 'function';
}

/** One WebSocket: `connect`'s values out as frames (with back-pressure), the client's frames in as `incoming`. */
export class WebSocketSession implements LiveConnection {
  readonly #options: WebSocketServerOptions;
  readonly #routes: RouteTable;
  readonly #match: RouteMatch | undefined;
  readonly #url: string;
  readonly #query: string;
  readonly #context: LiveRequestContext;
  readonly #incoming = new IncomingMessages();
  #ws: WebSocket<SocketData> | undefined;
  #out: Codec = jsonCodec;
  #in: Codec = jsonCodec;
  #iterator: LiveIterator | undefined;
  /** uWS throws on any use of a closed socket, so every use checks this first. */
  #closed = false;
  #released = false;
  #drained: (() => void) | undefined;
  readonly #highWater: number;
  /** The sequence of the last resumable event sent: where a disconnected client resumes. */
  #lastSeq: number | undefined;
  /** What the stream was admitted to, to be checked again. */
  #admitted: { resource: ResourceClass; target: RequestTarget } | undefined;

  constructor(options: WebSocketServerOptions, routes: RouteTable, match: RouteMatch | undefined, url: string, query: string, headers: Map<string, string>, ip: string) {
    this.#options = options;
    this.#routes = routes;
    this.#match = match;
    this.#url = url;
    this.#query = query;
    this.#context = new LiveRequestContext(url, headers, ip);
    this.#highWater = Math.min(HIGH_WATER_BYTES, options.realtime.maxBufferedBytes);
  }

  open(ws: WebSocket<SocketData>): void {
    this.#ws = ws;
    this.#options.connections.add(this);
    const match = this.#match;
    if (!match) return this.#end(CloseCode.INTERNAL_ERROR, closeReason(`No resource was found at ${this.#url}`));
    if (typeof match.mounted.resource.connect !== 'function') return this.#end(CloseCode.INTERNAL_ERROR, closeReason(`${this.#url} does not support real-time connections`));
    try {
      this.#chooseCodecs(match);
    } catch (error) {
      return this.#fail(error);
    }
    // Not inside the open callback: uWS loses output still buffered there if the socket is then
    // ended (a client too slow from the first frames would never see why it was closed).
    setImmediate(() => void this.#run(match));
  }

  /** A URL suffix (`.msgpack`) or the upgrade request's `Accept` picks the output; `Content-Type` may pick the input. */
  #chooseCodecs(match: RouteMatch): void {
    const suffixed = formatSuffix(match.rest)?.format;
    if (suffixed !== undefined && !isCodec(suffixed)) throw new LodeError('NOT_ACCEPTABLE', `${suffixed.mediaType} is not a WebSocket format; use .json, .msgpack or .cbor`);
    const negotiated = suffixed ?? negotiate(this.#context.headers.get('accept'));
    this.#out = negotiated !== undefined && isCodec(negotiated) ? negotiated : jsonCodec;
    const contentType = this.#context.headers.get('content-type');
    this.#in = contentType === undefined ? this.#out : codecForContentType(contentType);
  }

  async #run(match: RouteMatch): Promise<void> {
    if (this.#closed) return;
    const { resource, path } = match.mounted;
    try {
      const target = liveTarget(match.rest, this.#query, resource, resumeParam(this.#query));
      await admit(this.#routes, this.#context, resource, 'GET', target);
      this.#admitted = { resource, target };
      if (this.#closed) return;
      const iterator = await openLive(this.#routes.contexts, resource, path, target, this.#incoming, this.#context);
      this.#iterator = iterator;
      if (this.#closed) return this.#release();
      for (;;) {
        const step = await pullLive(this.#routes.contexts, this.#context, iterator);
        if (this.#closed) return;
        if (step.done) {
          this.#released = true;
          return this.#end(CloseCode.NORMAL, '');
        }
        if (!this.#send(step.value)) return;
        for (;;) {
          if (this.#ws!.getBufferedAmount() > this.#highWater) {
            await Promise.race([new Promise<void>((resolve) => (this.#drained = resolve)), whenSourceFails(iterator)]);
            this.#drained = undefined;
            if (this.#closed) return;
          }
          // Caught up: live events are sent as they are committed until the socket backs up.
          const attached = attachSink(iterator, (event) => !this.#closed && this.#send(event) && this.#ws!.getBufferedAmount() <= this.#highWater);
          if (!attached) break;
          await attached;
          if (this.#closed) return;
        }
      }
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Sends one value; false when the client has fallen too far behind and the socket was closed. */
  #send(value: unknown): boolean {
    const ws = this.#ws!;
    let frame: string | Uint8Array;
    if (value instanceof LiveEvent) frame = value.encode(this.#out);
    else if (value instanceof Uint8Array) frame = value;
    else frame = this.#out.encode(value);
    ws.cork(() => ws.send(frame, typeof frame !== 'string'));
    if (value instanceof LiveEvent && value.resumable) this.#lastSeq = value.seq;
    if (ws.getBufferedAmount() > this.#options.realtime.maxBufferedBytes) {
      this.#options.logger.warn(`${this.#url}: closed a WebSocket whose client stopped reading (${ws.getBufferedAmount()} bytes unsent)`);
      this.#end(CloseCode.TRY_AGAIN_LATER, slowConsumerReason(this.#lastSeq));
      return false;
    }
    return true;
  }

  receive(message: ArrayBuffer): void {
    if (this.#closed) return;
    const size = message.byteLength;
    if (this.#incoming.queuedBytes + size > this.#options.realtime.maxBufferedBytes) {
      return this.#end(CloseCode.POLICY_VIOLATION, 'Too many unread messages: the resource is not reading them');
    }
    let value: unknown;
    try {
      // uWS reuses the message's memory after this callback; binary decoders may keep views into it.
      value = this.#in.decode(this.#in === jsonCodec ? Buffer.from(message) : Buffer.from(message.slice(0)));
    } catch (error) {
      const ws = this.#ws!;
      // A client that sends garbage without reading the replies is not owed an unbounded backlog of them.
      if (ws.getBufferedAmount() > this.#options.realtime.maxBufferedBytes) return this.#end(CloseCode.TRY_AGAIN_LATER, slowConsumerReason(this.#lastSeq));
      const { problem } = toProblem(error);
      const frame = this.#out.encode({ type: 'error', code: problem.code, detail: problem.detail });
      ws.send(frame, typeof frame !== 'string');
      return;
    }
    this.#incoming.push(value, size);
  }

  drained(): void {
    if (this.#drained === undefined || this.#closed || this.#ws!.getBufferedAmount() > this.#highWater) return;
    const resume = this.#drained;
    this.#drained = undefined;
    resume();
  }

  /** uWS's close callback, whoever closed: the socket is gone, the source is released. */
  closed(): void {
    this.#closed = true;
    this.#context.close();
    this.#options.connections.delete(this);
    this.#incoming.end();
    const resume = this.#drained;
    this.#drained = undefined;
    resume?.();
    this.#release();
  }

  shutdown(): void {
    this.#end(CloseCode.GOING_AWAY, 'The server is shutting down');
  }

  recheck(routes: RouteTable): void {
    const admitted = this.#admitted;
    if (!admitted || this.#closed) return;
    try {
      const checked = admit(routes, this.#context, admitted.resource, 'GET', admitted.target);
      if (checked) checked.catch((error: unknown) => this.#fail(error));
    } catch (error) {
      this.#fail(error);
    }
  }

  #release(): void {
    if (this.#released || !this.#iterator) return;
    this.#released = true;
    releaseLive(this.#iterator, (error) => this.#options.logger.error(`${this.#url}: ending the stream failed:`, error));
  }

  #fail(error: unknown): void {
    if (this.#closed) return;
    const { code, reason, unexpected } = closeFor(error, this.#lastSeq);
    if (unexpected) this.#options.logger.error(`WebSocket ${this.#url} failed:`, error);
    this.#end(code, reason);
  }

  /** uWS calls `closed` from inside `end`. */
  #end(code: number, reason: string): void {
    if (this.#closed || !this.#ws) return;
    this.#ws.end(code, reason);
  }
}
