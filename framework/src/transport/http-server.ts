import { App, us_listen_socket_close, us_socket_local_port, type HttpRequest, type HttpResponse, type TemplatedApp, type us_listen_socket } from 'uWebSockets.js';
import { sessionIdFrom } from '../auth/index.js';
import { isAuthEndpoint, serveAuthEndpoint } from './auth-endpoints.js';
import { LodeError } from '../errors/index.js';
import type { RouteMatch } from '../resources/index.js';
import type { Logger } from '../util/index.js';
import { jsonCodec } from './codecs.js';
import { BodyTooLargeError, HttpExchange } from './exchange.js';
import { DEFAULT_HEARTBEAT_MS, DEFAULT_MAX_BUFFERED_BYTES, type LiveConnection, type RealtimeOptions } from './live-connect.js';
import { toProblem } from './problem.js';
import { negotiate } from './negotiate.js';
import { handleRest, methodHasBody, type RestRequest } from './rest.js';
import type { RouteTable } from './routes.js';
import { serveEventStream, wantsEventStream } from './sse.js';
import { formatSuffix } from './url-suffix.js';
import { webSocketBehavior } from './websocket.js';

export interface HttpServerOptions {
  host: string;
  port: number;
  /** Largest accepted request body in bytes. */
  maxBodySize: number;
  /** The routes of the generation serving right now; read once per request. */
  routes: () => RouteTable;
  logger: Logger;
  /** WebSocket and SSE settings; `DEFAULT_HEARTBEAT_MS` and `DEFAULT_MAX_BUFFERED_BYTES` when absent. */
  realtime?: RealtimeOptions;
}

/**
 * The uWebSockets.js server: REST for every mounted resource, the same URLs over WebSocket and
 * Server-Sent Events, static files, `/` and `/health`.
 */
export class HttpServer {
  readonly #options: HttpServerOptions;
  readonly #realtime: RealtimeOptions;
  readonly #app: TemplatedApp;
  /** Open WebSockets and event streams: they never end on their own, so shutdown ends them. */
  readonly #live = new Set<LiveConnection>();
  #listenSocket: us_listen_socket | undefined;
  #inFlight = 0;
  #idle: (() => void) | undefined;
  port = 0;

  constructor(options: HttpServerOptions) {
    this.#options = options;
    this.#realtime = options.realtime ?? { heartbeatMs: DEFAULT_HEARTBEAT_MS, maxBufferedBytes: DEFAULT_MAX_BUFFERED_BYTES };
    const behavior = webSocketBehavior({
      routes: options.routes,
      logger: options.logger,
      realtime: this.#realtime,
      maxPayloadLength: options.maxBodySize,
      connections: this.#live,
    });
    this.#app = App().ws('/*', behavior).any('/*', this.#onRequest);
  }

  listen(): Promise<number> {
    const { host, port } = this.#options;
    return new Promise((resolve, reject) => {
      this.#app.listen(host, port, (socket) => {
        if (!socket) {
          reject(new Error(`Could not listen on ${host}:${port} (is the port in use?)`));
          return;
        }
        this.#listenSocket = socket;
        this.port = us_socket_local_port(socket as unknown as Parameters<typeof us_socket_local_port>[0]);
        resolve(this.port);
      });
    });
  }

  /** Checks every WebSocket and event stream against the current users and roles (after a reload, and periodically). */
  recheckLiveConnections(): void {
    const routes = this.#options.routes();
    for (const connection of [...this.#live]) connection.recheck(routes);
  }

  /**
   * Stops accepting connections, ends WebSockets and event streams, lets in-flight requests
   * finish (up to `graceMs`), then closes everything.
   */
  async close(graceMs = 5000): Promise<void> {
    if (this.#listenSocket) {
      us_listen_socket_close(this.#listenSocket);
      this.#listenSocket = undefined;
    }
    for (const connection of [...this.#live]) connection.shutdown();
    if (this.#inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.#idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.#app.close();
  }

  readonly #onRequest = (res: HttpResponse, req: HttpRequest): void => {
    const headers = new Map<string, string>();
    req.forEach((name, value) => headers.set(name, value));
    const exchange = new HttpExchange(res, req.getCaseSensitiveMethod().toUpperCase(), req.getUrl(), req.getQuery() ?? '', headers);
    let body: Promise<Buffer> | undefined;
    // uWS does not count `endWithoutBody` (HEAD) as responding, so HEAD always registers onAborted.
    if (exchange.method === 'HEAD') exchange.watchAbort();
    if (methodHasBody(exchange.method)) {
      body = exchange.readBody(this.#options.maxBodySize, Number(headers.get('content-length') ?? 0));
      // A request answered before its body arrived (404, 406) must not leave this rejection unhandled.
      body.catch(ignoreUnreadBody);
    }
    this.#inFlight++;
    // Synchronous handlers (a table read) are answered inside this uWS callback, where writes are
    // corked for free; only work that really waits goes through promises.
    let pending: Promise<void> | void = undefined;
    try {
      pending = this.#serve(exchange, body);
    } catch (error) {
      this.#fail(exchange, error);
    }
    if (!pending) return this.#finished();
    exchange.watchAbort();
    pending.then(this.#finished, (error: unknown) => {
      this.#fail(exchange, error);
      this.#finished();
    });
  };

  readonly #finished = (): void => {
    if (--this.#inFlight === 0) this.#idle?.();
  };

  #serve(exchange: HttpExchange, body: Promise<Buffer> | undefined): Promise<void> | void {
    const routes = this.#options.routes();
    if (isAuthEndpoint(exchange.method, exchange.url)) return serveAuthEndpoint(exchange, routes, body);
    const match = routes.registry.match(exchange.url);
    if (!match) return this.#serveUnrouted(exchange, routes, body);
    return this.#serveResource(exchange, routes, match, body);
  }

  #serveResource(exchange: HttpExchange, routes: RouteTable, match: RouteMatch, body: Promise<Buffer> | undefined): Promise<void> | void {
    if (wantsEventStream(exchange.method, exchange.headers.get('accept'))) {
      return serveEventStream({ exchange, routes, match, options: this.#realtime, logger: this.#options.logger, connections: this.#live });
    }
    const request = restRequest(exchange, routes, match);
    if (body === undefined) return handleRest(request);
    return body.then((received) => {
      // A POST with nothing in it (no bytes, no content type) is an action without a body, not a malformed one.
      request.body = received.length === 0 && !exchange.headers.has('content-type') ? undefined : received;
      return handleRest(request);
    });
  }

  /** `/health`, static files and the resource list (`/`) come first; the default export is the last resort before 404. */
  async #serveUnrouted(exchange: HttpExchange, routes: RouteTable, body: Promise<Buffer> | undefined): Promise<void> {
    const { method, url } = exchange;
    if (method === 'GET' || method === 'HEAD') {
      if (url === '/health') return exchange.send(200, { 'Content-Type': 'application/json' }, '{"status":"ok"}', method === 'HEAD');
      const wantsHtml = (exchange.headers.get('accept') ?? '').includes('text/html');
      if (url !== '/' || wantsHtml) {
        const file = await routes.staticFiles?.find(url);
        if (file) return exchange.send(200, { 'Content-Type': file.contentType }, file.body, method === 'HEAD');
      }
      if (url === '/' && !routes.registry.root) {
        // What an app serves is not for anonymous eyes.
        const user = await routes.auth.authenticate(exchange.headers.get('authorization'), () => exchange.ip, sessionIdFrom(exchange.headers.get('cookie')));
        if (user === undefined) throw new LodeError('UNAUTHORIZED', 'Log in to list the resources', { headers: { 'WWW-Authenticate': 'Basic realm="lode", Bearer' } });
        return exchange.send(200, { 'Content-Type': 'application/json' }, jsonCodec.encode(describe(routes)) as string, method === 'HEAD');
      }
    }
    const fallback = routes.registry.fallback(url);
    if (fallback) return this.#serveResource(exchange, routes, fallback, body);
    throw new LodeError('ROUTE_NOT_FOUND', `No resource at ${url}`);
  }

  #fail(exchange: HttpExchange, error: unknown): void {
    if (exchange.done) return;
    if (error instanceof BodyTooLargeError) {
      const { problem } = toProblem(new LodeError('PAYLOAD_TOO_LARGE', error.message));
      const headers: Record<string, string> = { 'Content-Type': 'application/problem+json' };
      if (error.unread) headers.Connection = 'close';
      exchange.send(413, headers, JSON.stringify(problem), false, error.unread);
      return;
    }
    const { problem, headers, unexpected } = toProblem(error);
    if (exchange.started) {
      // Mid-stream the status is already sent; dropping the connection tells the client the body is incomplete.
      this.#options.logger.error(`${exchange.method} ${exchange.url} failed while streaming:`, error);
      exchange.close();
      return;
    }
    if (unexpected) this.#options.logger.error(`${exchange.method} ${exchange.url} failed:`, error);
    exchange.send(problem.status, { ...headers, 'Content-Type': 'application/problem+json' }, JSON.stringify(problem), exchange.method === 'HEAD');
  }
}

/** A format suffix (`/Item/12.csv`) picks the response format over `Accept`, which is otherwise negotiated. */
function restRequest(exchange: HttpExchange, routes: RouteTable, match: RouteMatch): RestRequest {
  const suffixed = formatSuffix(match.rest);
  if (suffixed !== undefined) {
    const url = exchange.url.slice(0, exchange.url.length - (match.rest.length - suffixed.rest.length));
    return { exchange, routes, match: { mounted: match.mounted, rest: suffixed.rest }, format: suffixed.format, negotiated: false, url, body: undefined };
  }
  const format = negotiate(exchange.headers.get('accept'));
  if (!format) throw new LodeError('NOT_ACCEPTABLE', 'Accept application/json, application/cbor, application/x-msgpack or text/csv');
  return { exchange, routes, match, format, negotiated: true, url: exchange.url, body: undefined };
}

function ignoreUnreadBody(): void {
  return undefined;
}

function describe(routes: RouteTable): unknown {
  return {
    resources: routes.registry.list().map((mounted) => ({
      name: mounted.path,
      url: `/${mounted.path}/`,
      ...(mounted.table === undefined ? {} : { table: mounted.table }),
      ...(mounted.attributes === undefined ? {} : { attributes: mounted.attributes }),
    })),
  };
}
