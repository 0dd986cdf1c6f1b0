import { App as uwsApp, us_listen_socket_close, us_socket_local_port, type TemplatedApp, type WebSocket, type us_listen_socket } from 'uWebSockets.js';
import { CloseCode, type LinkEvents, type PeerLink } from '../replication/index.js';

/** A peer may send a full-copy batch or a log batch of a few MiB; far above what the sender batches. */
const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

/** uWS copies the user data's own properties onto its socket object, so the link rides along as one. */
interface SocketData {
  link: InboundLink;
}

/** Who takes the peers' sockets: the replicator. */
export interface LinkAcceptor {
  accept(link: PeerLink): LinkEvents;
}

/** A close reason is at most 123 bytes. */
const shortReason = (reason: string): string => (Buffer.byteLength(reason) <= 123 ? reason : Buffer.from(reason).subarray(0, 120).toString().replace(/\uFFFD+$/, ''));

/**
 * A peer's socket as a `PeerLink`. uWS cannot stop reading one WebSocket, so `pause` holds the
 * peer's messages here until `resume`; the sender on the other end waits for confirmations, so
 * what is held stays a few messages.
 */
class InboundLink implements PeerLink {
  readonly remote: string;
  #ws: WebSocket<SocketData> | undefined;
  #events: LinkEvents | undefined;
  /** uWS throws on any use of a closed socket, so every use checks this first. */
  #closed = false;
  #paused = false;
  #delivering = false;
  readonly #held: Uint8Array[] = [];

  constructor(remote: string) {
    this.remote = remote;
  }

  opened(ws: WebSocket<SocketData>, acceptor: LinkAcceptor): void {
    this.#ws = ws;
    this.#events = acceptor.accept(this);
  }

  /** uWS reuses the message's memory after the callback, and the session keeps what it decodes: copy it. */
  received(message: ArrayBuffer): void {
    this.#held.push(new Uint8Array(message.slice(0)));
    this.#deliver();
  }

  drained(): void {
    if (!this.#closed) this.#events?.drain();
  }

  /** The socket is gone (whichever end closed it): the session hears it once. */
  closed(code: number, reason: string): void {
    this.#closed = true;
    this.#held.length = 0;
    const events = this.#events;
    this.#events = undefined;
    events?.close(code, reason);
  }

  send(message: Uint8Array): boolean {
    if (this.#closed || this.#ws === undefined) return true;
    const status = this.#ws.send(message, true);
    // 2: dropped. There is no limit set, so it should not happen; a gap must never go unnoticed.
    if (status === 2) this.close(CloseCode.failed, 'send buffer overflow');
    return status === 1;
  }

  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#held.length = 0;
    this.#ws?.end(code, shortReason(reason));
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#deliver();
  }

  #deliver(): void {
    // A message handler may pause or resume again: one loop delivers, in order.
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      while (!this.#paused && !this.#closed && this.#held.length > 0) this.#events?.message(this.#held.shift()!);
    } finally {
      this.#delivering = false;
    }
  }
}

/** The port peers connect to: each WebSocket is handed to the replicator as an inbound link. */
export class ReplicationServer {
  readonly #app: TemplatedApp;
  readonly #links = new Set<InboundLink>();
  #listenSocket: us_listen_socket | undefined;
  port = 0;

  constructor(acceptor: LinkAcceptor) {
    this.#app = uwsApp().ws<SocketData>('/*', {
      maxPayloadLength: MAX_PAYLOAD_BYTES,
      // Sessions ping each other and close dead links themselves.
      idleTimeout: 0,
      sendPingsAutomatically: false,
      // No limit: past one uWS drops messages silently. Senders wait for drain and for confirmations instead.
      maxBackpressure: 0,
      upgrade: (res, req, context) => {
        const link = new InboundLink(Buffer.from(res.getRemoteAddressAsText()).toString());
        res.upgrade<SocketData>({ link }, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
      },
      open: (ws) => {
        const { link } = ws.getUserData();
        this.#links.add(link);
        link.opened(ws, acceptor);
      },
      message: (ws, message) => ws.getUserData().link.received(message),
      drain: (ws) => ws.getUserData().link.drained(),
      close: (ws, code, message) => {
        const { link } = ws.getUserData();
        this.#links.delete(link);
        link.closed(code, Buffer.from(message).toString());
      },
    });
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#app.listen(host, port, (socket) => {
        if (!socket) {
          reject(new Error(`Replication could not listen on ${host}:${port} (is the port in use?)`));
          return;
        }
        this.#listenSocket = socket;
        this.port = us_socket_local_port(socket as unknown as Parameters<typeof us_socket_local_port>[0]);
        resolve(this.port);
      });
    });
  }

  /** Stops accepting peers and closes the links still open (the replicator has closed its sessions first). */
  close(): void {
    if (this.#listenSocket) {
      us_listen_socket_close(this.#listenSocket);
      this.#listenSocket = undefined;
    }
    for (const link of [...this.#links]) link.close(CloseCode.normal, 'shutting down');
    this.#app.close();
  }
}
